package lb

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/metrics"
)

// Traffic counters for CloudWatch's AWS/ApplicationELB metrics: the
// listener wraps each response in a statusWriter, forward names the target
// group that served it, and proxyError marks the load balancer's own
// answers; the request is then counted per load balancer and per load
// balancer and target group. A publisher takes the counts once a minute.

// statusWriter records what a request's answer was.
type statusWriter struct {
	http.ResponseWriter
	status int
	tg     string // the target group forwarded to, "" when none
	elb    bool   // the load balancer answered itself (502/503/504)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and Hijack (streaming
// and websockets through the proxy).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TrafficKey names one counted series: the load balancer's CloudWatch
// dimension (app/NAME/ID) and, when set, the target group's
// (targetgroup/NAME/ID), with the scope from their ARNs.
type TrafficKey struct {
	Account, Region string
	LoadBalancer    string
	TargetGroup     string
}

// TrafficCounts is one minute's counts of a key.
type TrafficCounts struct {
	Requests                                   float64
	Target2xx, Target3xx, Target4xx, Target5xx float64
	ELB5xx                                     float64
	// ResponseTime holds the targets' response times in seconds.
	ResponseTime metrics.Agg
}

type traffic struct {
	mu     sync.Mutex
	counts map[TrafficKey]*TrafficCounts
}

// count records one request the listener arn answered.
func (t *traffic) count(listenerARN string, w *statusWriter, took time.Duration) {
	acct, region, lbDim := lbDimension(listenerARN)
	if lbDim == "" {
		return
	}
	keys := []TrafficKey{{Account: acct, Region: region, LoadBalancer: lbDim}}
	if w.tg != "" && !w.elb {
		if _, _, tgDim := tgDimension(w.tg); tgDim != "" {
			keys = append(keys, TrafficKey{Account: acct, Region: region, LoadBalancer: lbDim, TargetGroup: tgDim})
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[TrafficKey]*TrafficCounts{}
	}
	for _, k := range keys {
		c := t.counts[k]
		if c == nil {
			c = &TrafficCounts{}
			t.counts[k] = c
		}
		c.Requests++
		switch {
		case w.elb || w.tg == "":
			if w.status >= 500 {
				c.ELB5xx++
			}
			continue
		case w.status >= 500:
			c.Target5xx++
		case w.status >= 400:
			c.Target4xx++
		case w.status >= 300:
			c.Target3xx++
		default:
			c.Target2xx++
		}
		c.ResponseTime.AddValue(took.Seconds(), 1)
	}
}

// TakeTraffic returns the counts since the last call and starts afresh.
func (p *Plane) TakeTraffic() map[TrafficKey]*TrafficCounts {
	p.traffic.mu.Lock()
	defer p.traffic.mu.Unlock()
	out := p.traffic.counts
	p.traffic.counts = nil
	return out
}

// HostCount is a target group's healthy and unhealthy targets behind one
// load balancer (CloudWatch's HealthyHostCount, UnHealthyHostCount).
type HostCount struct {
	TrafficKey
	Healthy, Unhealthy float64
}

// HostCounts counts the targets by health of each target group a
// listener forwards to, per load balancer.
func (p *Plane) HostCounts() []HostCount {
	type pair struct {
		lbARN string
		g     *group
	}
	seen := map[pair]bool{}
	var pairs []pair
	p.mu.Lock()
	for arn, l := range p.listeners {
		rt := l.router.Load()
		if rt == nil {
			continue
		}
		for _, ru := range rt.rules {
			f, ok := ru.action.(*forward)
			if !ok {
				continue
			}
			for _, g := range f.groups {
				if pr := (pair{arn, g}); g != nil && !seen[pr] {
					seen[pr] = true
					pairs = append(pairs, pr)
				}
			}
		}
	}
	p.mu.Unlock()
	var out []HostCount
	done := map[TrafficKey]bool{}
	for _, pr := range pairs {
		acct, region, lbDim := lbDimension(pr.lbARN)
		_, _, tgDim := tgDimension(pr.g.arn)
		k := TrafficKey{Account: acct, Region: region, LoadBalancer: lbDim, TargetGroup: tgDim}
		if lbDim == "" || tgDim == "" || done[k] {
			continue
		}
		done[k] = true
		hc := HostCount{TrafficKey: k}
		pr.g.mu.RLock()
		for _, u := range pr.g.upstreams {
			switch {
			case u.draining:
			case !pr.g.hc.enabled || u.health.state == elbv2types.TargetHealthStateEnumHealthy:
				hc.Healthy++
			default:
				hc.Unhealthy++
			}
		}
		pr.g.mu.RUnlock()
		out = append(out, hc)
	}
	return out
}

// lbDimension is the LoadBalancer dimension (app/NAME/ID) of a load
// balancer's or a listener's ARN
// (arn:aws:elasticloadbalancing:R:A:loadbalancer/app/N/ID or
// …:listener/app/N/ID/LID).
func lbDimension(arn string) (account, region, dim string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", "", ""
	}
	res := strings.Split(parts[5], "/")
	if len(res) < 4 || (res[0] != "loadbalancer" && res[0] != "listener") {
		return "", "", ""
	}
	return parts[4], parts[3], strings.Join(res[1:4], "/")
}

// tgDimension is the TargetGroup dimension (targetgroup/NAME/ID).
func tgDimension(arn string) (account, region, dim string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "targetgroup/") {
		return "", "", ""
	}
	return parts[4], parts[3], parts[5]
}

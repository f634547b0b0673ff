// Package albusage publishes AWS/ApplicationELB metrics from wharf's own
// load balancer data plane once a minute: RequestCount,
// HTTPCode_Target_2XX/3XX/4XX/5XX_Count, HTTPCode_ELB_5XX_Count and
// TargetResponseTime per LoadBalancer and per LoadBalancer+TargetGroup;
// RequestCountPerTarget per TargetGroup and TargetGroup+LoadBalancer;
// HealthyHostCount and UnHealthyHostCount per TargetGroup+LoadBalancer.
// As in AWS, request counts are published only for minutes with requests.
package albusage

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/dataplane/lb"
	"github.com/wharfhq/wharf/metrics"
)

// Source is what the publisher reads from the data plane.
type Source interface {
	TakeTraffic() map[lb.TrafficKey]*lb.TrafficCounts
	HostCounts() []lb.HostCount
}

// Publisher moves one minute's counts into the metrics store.
type Publisher struct {
	Src Source
	M   *metrics.Store
	Now func() time.Time
}

// Publish is one minute's pass.
func (p *Publisher) Publish(context.Context) error {
	p.M.Put(Datums(p.Src.TakeTraffic(), p.Src.HostCounts(), p.Now())...)
	return nil
}

const ns = "AWS/ApplicationELB"

func id(k lb.TrafficKey, name string, dims ...metrics.Dim) metrics.ID {
	return metrics.ID{Account: k.Account, Region: k.Region, Namespace: ns, Name: name, Dims: dims}
}

func lbDims(k lb.TrafficKey) []metrics.Dim {
	d := []metrics.Dim{{Name: "LoadBalancer", Value: k.LoadBalancer}}
	if k.TargetGroup != "" {
		d = append(d, metrics.Dim{Name: "TargetGroup", Value: k.TargetGroup})
	}
	return d
}

// Datums turns a minute's counts and the current host counts into
// datapoints at t.
func Datums(traffic map[lb.TrafficKey]*lb.TrafficCounts, hosts []lb.HostCount, t time.Time) []metrics.Datum {
	var out []metrics.Datum
	count := func(k lb.TrafficKey, name string, v float64) {
		if v > 0 {
			out = append(out, metrics.Datum{ID: id(k, name, lbDims(k)...), Unit: "Count", Time: t, Value: &v})
		}
	}
	healthy := map[lb.TrafficKey]float64{}
	for _, h := range hosts {
		healthy[h.TrafficKey] = h.Healthy
		hv, uv := h.Healthy, h.Unhealthy
		out = append(out,
			metrics.Datum{ID: id(h.TrafficKey, "HealthyHostCount", lbDims(h.TrafficKey)...), Unit: "Count", Time: t, Value: &hv},
			metrics.Datum{ID: id(h.TrafficKey, "UnHealthyHostCount", lbDims(h.TrafficKey)...), Unit: "Count", Time: t, Value: &uv})
	}
	perTG := map[lb.TrafficKey]float64{} // TargetGroup alone: summed over load balancers
	for k, c := range traffic {
		count(k, "RequestCount", c.Requests)
		count(k, "HTTPCode_Target_2XX_Count", c.Target2xx)
		count(k, "HTTPCode_Target_3XX_Count", c.Target3xx)
		count(k, "HTTPCode_Target_4XX_Count", c.Target4xx)
		count(k, "HTTPCode_Target_5XX_Count", c.Target5xx)
		if k.TargetGroup == "" {
			count(k, "HTTPCode_ELB_5XX_Count", c.ELB5xx)
		}
		if c.ResponseTime.N > 0 {
			rt := c.ResponseTime
			out = append(out, metrics.Datum{ID: id(k, "TargetResponseTime", lbDims(k)...), Unit: "Seconds", Time: t, Agg: &rt})
		}
		if k.TargetGroup != "" {
			// ALB: requests received by each target, the group's count
			// over its healthy targets (all of them when none is healthy).
			n := max(healthy[k], 1)
			per := c.Requests / n
			out = append(out, metrics.Datum{ID: id(k, "RequestCountPerTarget", lbDims(k)...), Unit: "None", Time: t, Value: &per})
			perTG[lb.TrafficKey{Account: k.Account, Region: k.Region, TargetGroup: k.TargetGroup}] += per
		}
	}
	for k, v := range perTG {
		v := v
		out = append(out, metrics.Datum{ID: id(k, "RequestCountPerTarget", metrics.Dim{Name: "TargetGroup", Value: k.TargetGroup}), Unit: "None", Time: t, Value: &v})
	}
	return out
}

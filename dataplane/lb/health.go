package lb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/dataplane/lbstate"
)

// healthConfig is a target group's health check, as the checker uses it.
type healthConfig struct {
	enabled            bool
	scheme             string // http or https
	port               string // "traffic-port" or a number
	path               string
	interval, timeout  time.Duration
	healthy, unhealthy int
	matcher            lbstate.Matcher
	matcherText        string
}

func healthConfigOf(tg elbv2types.TargetGroup) healthConfig {
	n := func(p *int32, def int32) int32 {
		if p == nil {
			return def
		}
		return *p
	}
	hc := healthConfig{
		enabled:     tg.HealthCheckEnabled == nil || *tg.HealthCheckEnabled,
		scheme:      "http",
		port:        "traffic-port",
		path:        "/",
		interval:    time.Duration(n(tg.HealthCheckIntervalSeconds, 30)) * time.Second,
		timeout:     time.Duration(n(tg.HealthCheckTimeoutSeconds, 5)) * time.Second,
		healthy:     int(n(tg.HealthyThresholdCount, 5)),
		unhealthy:   int(n(tg.UnhealthyThresholdCount, 2)),
		matcherText: "200",
	}
	if tg.HealthCheckProtocol == elbv2types.ProtocolEnumHttps {
		hc.scheme = "https"
	}
	if tg.HealthCheckPort != nil {
		hc.port = *tg.HealthCheckPort
	}
	if tg.HealthCheckPath != nil {
		hc.path = *tg.HealthCheckPath
	}
	if tg.Matcher != nil && tg.Matcher.HttpCode != nil {
		hc.matcherText = *tg.Matcher.HttpCode
	}
	hc.matcher, _ = lbstate.ParseMatcher(hc.matcherText)
	return hc
}

// probeResult is one health check's outcome.
type probeResult struct {
	ok          bool
	reason      elbv2types.TargetHealthReasonEnum
	description string
}

// healthState is a target's health and the run of results behind it.
type healthState struct {
	state       elbv2types.TargetHealthStateEnum
	reason      elbv2types.TargetHealthReasonEnum
	description string
	okRun       int
	failRun     int
}

// initialHealth is a new registration's health before any check.
func initialHealth() healthState {
	return healthState{state: elbv2types.TargetHealthStateEnumInitial,
		reason: elbv2types.TargetHealthReasonEnumRegistrationInProgress, description: "Target registration is in progress"}
}

// nextHealth folds one probe result into a target's health, as ELB
// documents it for application load balancers:
//
//   - a new target (initial) is healthy after its first passing check, and
//     unhealthy after `unhealthy` failures in a row (until then it stays
//     initial, Elb.InitialHealthChecking);
//   - a healthy target turns unhealthy after `unhealthy` failures in a row;
//   - an unhealthy target turns healthy after `healthy` passes in a row.
//
// With thresholds healthy=3, unhealthy=2: healthy, fail → healthy (1 of 2),
// fail → unhealthy; then pass, pass → still unhealthy, pass → healthy.
func nextHealth(cur healthState, res probeResult, healthy, unhealthy int) healthState {
	next := cur
	if res.ok {
		next.okRun, next.failRun = cur.okRun+1, 0
		if cur.state == elbv2types.TargetHealthStateEnumInitial || next.okRun >= healthy {
			next.state, next.reason, next.description = elbv2types.TargetHealthStateEnumHealthy, "", ""
		}
		return next
	}
	next.okRun, next.failRun = 0, cur.failRun+1
	switch {
	case next.failRun >= unhealthy:
		next.state, next.reason, next.description = elbv2types.TargetHealthStateEnumUnhealthy, res.reason, res.description
	case cur.state == elbv2types.TargetHealthStateEnumInitial:
		next.reason, next.description = elbv2types.TargetHealthReasonEnumInitialHealthChecking, "Initial health checking in progress"
	case cur.state == elbv2types.TargetHealthStateEnumUnhealthy:
		next.reason, next.description = res.reason, res.description
	}
	return next
}

// prober sends health checks: one GET per check on a fresh connection,
// closed afterwards, as ELB does.
type prober struct{ client *http.Client }

func newProber() *prober {
	return &prober{client: &http.Client{
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext:       (&net.Dialer{}).DialContext,
			// ELB does not verify target certificates.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// probe checks the target at host (its IP or the host address) and port.
func (p *prober) probe(ctx context.Context, hc healthConfig, host string, trafficPort int32) probeResult {
	port := hc.port
	if port == "traffic-port" || port == "" {
		port = strconv.Itoa(int(trafficPort))
	}
	ctx, cancel := context.WithTimeout(ctx, hc.timeout)
	defer cancel()
	url := hc.scheme + "://" + net.JoinHostPort(host, port) + hc.path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return probeResult{reason: elbv2types.TargetHealthReasonEnumInternalError, description: "Health check request could not be built: " + err.Error()}
	}
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	resp, err := p.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return probeResult{reason: elbv2types.TargetHealthReasonEnumTimeout, description: "Request timed out"}
		}
		return probeResult{reason: elbv2types.TargetHealthReasonEnumFailedHealthChecks, description: "Health checks failed"}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if !hc.matcher.Match(resp.StatusCode) {
		return probeResult{reason: elbv2types.TargetHealthReasonEnumResponseCodeMismatch,
			description: fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)}
	}
	return probeResult{ok: true}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

package lb

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/dataplane/lbstate"
)

const (
	initial   = elbv2types.TargetHealthStateEnumInitial
	healthy   = elbv2types.TargetHealthStateEnumHealthy
	unhealthy = elbv2types.TargetHealthStateEnumUnhealthy
)

func TestNextHealth(t *testing.T) {
	pass := probeResult{ok: true}
	fail := probeResult{reason: elbv2types.TargetHealthReasonEnumResponseCodeMismatch, description: "Health checks failed with these codes: [500]"}
	timeout := probeResult{reason: elbv2types.TargetHealthReasonEnumTimeout, description: "Request timed out"}
	tests := []struct {
		name       string
		results    []probeResult
		wantStates []elbv2types.TargetHealthStateEnum
		wantReason elbv2types.TargetHealthReasonEnum
	}{
		{"first pass makes a new target healthy", []probeResult{pass}, []elbv2types.TargetHealthStateEnum{healthy}, ""},
		{"new target failing stays initial until the threshold", []probeResult{fail, fail},
			[]elbv2types.TargetHealthStateEnum{initial, unhealthy}, elbv2types.TargetHealthReasonEnumResponseCodeMismatch},
		{"healthy tolerates one failure", []probeResult{pass, fail, pass}, []elbv2types.TargetHealthStateEnum{healthy, healthy, healthy}, ""},
		{"healthy turns unhealthy after two failures in a row", []probeResult{pass, fail, timeout},
			[]elbv2types.TargetHealthStateEnum{healthy, healthy, unhealthy}, elbv2types.TargetHealthReasonEnumTimeout},
		{"unhealthy needs three passes in a row", []probeResult{fail, fail, pass, pass, fail, pass, pass, pass},
			[]elbv2types.TargetHealthStateEnum{initial, unhealthy, unhealthy, unhealthy, unhealthy, unhealthy, unhealthy, healthy}, ""},
		{"unhealthy reason follows the last failure", []probeResult{fail, fail, timeout},
			[]elbv2types.TargetHealthStateEnum{initial, unhealthy, unhealthy}, elbv2types.TargetHealthReasonEnumTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := initialHealth()
			for i, r := range tc.results {
				h = nextHealth(h, r, 3, 2)
				if h.state != tc.wantStates[i] {
					t.Fatalf("after result %d: %s, want %s", i+1, h.state, tc.wantStates[i])
				}
			}
			if h.reason != tc.wantReason {
				t.Fatalf("reason %q, want %q", h.reason, tc.wantReason)
			}
			if h.state == initial && len(tc.results) > 0 && h.reason != elbv2types.TargetHealthReasonEnumInitialHealthChecking {
				t.Fatalf("initial after checks: reason %q", h.reason)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "ELB-HealthChecker/2.0" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusOK)
		case "/created":
			w.WriteHeader(http.StatusCreated)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	_, portStr, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	hc := func(path, codes string) healthConfig {
		m, err := lbstate.ParseMatcher(codes)
		if err != nil {
			t.Fatal(err)
		}
		return healthConfig{enabled: true, scheme: "http", port: "traffic-port", path: path, timeout: 300 * time.Millisecond, matcher: m, matcherText: codes}
	}
	p := newProber()
	tests := []struct {
		name   string
		hc     healthConfig
		port   int
		ok     bool
		reason elbv2types.TargetHealthReasonEnum
	}{
		{"200 matches", hc("/ok", "200"), port, true, ""},
		{"range matches", hc("/created", "200-299"), port, true, ""},
		{"list matches", hc("/created", "200,201"), port, true, ""},
		{"code mismatch", hc("/fail", "200"), port, false, elbv2types.TargetHealthReasonEnumResponseCodeMismatch},
		{"timeout", hc("/slow", "200"), port, false, elbv2types.TargetHealthReasonEnumTimeout},
		{"refused", hc("/ok", "200"), closedPort, false, elbv2types.TargetHealthReasonEnumFailedHealthChecks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := p.probe(context.Background(), tc.hc, "127.0.0.1", int32(tc.port))
			if res.ok != tc.ok || res.reason != tc.reason {
				t.Fatalf("got %+v, want ok=%v reason=%q", res, tc.ok, tc.reason)
			}
		})
	}
	t.Run("explicit health check port", func(t *testing.T) {
		c := hc("/ok", "200")
		c.port = portStr
		if res := p.probe(context.Background(), c, "127.0.0.1", int32(closedPort)); !res.ok {
			t.Fatalf("got %+v", res)
		}
	})
}

package lb_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/dataplane/lb"
	"github.com/wharfhq/wharf/internal/apitest"
)

// TestTrafficCounts: requests through a listener are counted per load
// balancer and per load balancer and target group, by the target's status
// class, with response times; healthy targets are counted per group.
func TestTrafficCounts(t *testing.T) {
	h := newHarness(t)
	a := newBackend(t, "a")
	lbARN, tg := h.lb("web"), h.tg("web")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a)
	h.plane.TakeTraffic() // health checks do not count; start clean
	for range 3 {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/x", port))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := h.plane.TakeTraffic()
	var lbOnly, withTG *lb.TrafficCounts
	for k, c := range got {
		if k.TargetGroup == "" {
			lbOnly = c
		} else {
			withTG = c
		}
	}
	if lbOnly == nil || withTG == nil || lbOnly.Requests != 3 || withTG.Target2xx != 3 || withTG.ResponseTime.N != 3 {
		t.Fatalf("counts: %+v", got)
	}
	if again := h.plane.TakeTraffic(); len(again) != 0 {
		t.Fatalf("counts not reset: %+v", again)
	}
	hc := h.plane.HostCounts()
	// Dimensions as CloudWatch names them: app/NAME/ID, targetgroup/NAME/ID.
	if len(hc) != 1 || hc[0].Healthy != 1 || !strings.HasPrefix(hc[0].LoadBalancer, "app/web/") || !strings.HasPrefix(hc[0].TargetGroup, "targetgroup/web/") ||
		!strings.HasSuffix(lbARN, hc[0].LoadBalancer) || !strings.HasSuffix(tg, hc[0].TargetGroup) {
		t.Fatalf("host counts: %+v", hc)
	}
}

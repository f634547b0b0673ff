package albusage

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/dataplane/lb"
)

func TestDatums(t *testing.T) {
	lbKey := lb.TrafficKey{Account: "a", Region: "r", LoadBalancer: "app/web/1"}
	tgKey := lbKey
	tgKey.TargetGroup = "targetgroup/web/2"
	withTG := &lb.TrafficCounts{Requests: 6, Target2xx: 5, Target5xx: 1}
	withTG.ResponseTime.AddValue(0.25, 6)
	traffic := map[lb.TrafficKey]*lb.TrafficCounts{lbKey: {Requests: 7, Target2xx: 5, Target5xx: 1, ELB5xx: 1}, tgKey: withTG}
	hosts := []lb.HostCount{{TrafficKey: tgKey, Healthy: 3}}
	got := map[string]float64{}
	for _, d := range Datums(traffic, hosts, time.Unix(0, 0)) {
		name := d.Name
		for _, dim := range d.Dims {
			name += "/" + dim.Name
		}
		switch {
		case d.Value != nil:
			got[name] = *d.Value
		case d.Agg != nil:
			v, _ := d.Agg.Stat("Average")
			got[name] = v
		}
	}
	want := map[string]float64{
		"RequestCount/LoadBalancer": 7, "RequestCount/LoadBalancer/TargetGroup": 6,
		"HTTPCode_ELB_5XX_Count/LoadBalancer": 1, "HTTPCode_Target_5XX_Count/LoadBalancer/TargetGroup": 1,
		"HTTPCode_Target_2XX_Count/LoadBalancer/TargetGroup": 5, "TargetResponseTime/LoadBalancer/TargetGroup": 0.25,
		"RequestCountPerTarget/LoadBalancer/TargetGroup": 2, "RequestCountPerTarget/TargetGroup": 2,
		"HealthyHostCount/LoadBalancer/TargetGroup": 3, "UnHealthyHostCount/LoadBalancer/TargetGroup": 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["HTTPCode_Target_4XX_Count/LoadBalancer"]; ok {
		t.Error("a zero count was published")
	}
}

package ecsusage

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/model"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)

func TestDatums(t *testing.T) {
	task := func(svc string, cpuUsed, cpuRes, memUsed, memRes float64) TaskSample {
		return TaskSample{Account: "a", Region: "r", Cluster: "prod", Service: svc, CPUUsed: cpuUsed, CPUReserved: cpuRes, MemUsed: memUsed, MemReserved: memRes}
	}
	cases := []struct {
		name    string
		samples []TaskSample
		metric  string
		service string
		avg     float64
		min     float64
		max     float64
	}{
		// ECS: total units used × 100 / total units reserved.
		{"one task at half its CPU", []TaskSample{task("web", 128, 256, 32, 128)}, "CPUUtilization", "web", 50, 50, 50},
		{"two tasks, unequal reservations", []TaskSample{task("web", 256, 256, 0, 128), task("web", 0, 768, 0, 128)}, "CPUUtilization", "web", 25, 0, 100},
		{"memory", []TaskSample{task("web", 0, 256, 96, 128), task("web", 0, 256, 32, 128)}, "MemoryUtilization", "web", 50, 25, 75},
		{"cluster takes every service and standalone task", []TaskSample{task("web", 256, 256, 1, 1), task("", 0, 256, 1, 1)}, "CPUUtilization", "", 50, 0, 100},
		{"above 100% when a task exceeds its reservation", []TaskSample{task("web", 1024, 256, 1, 1)}, "CPUUtilization", "web", 400, 400, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got *metrics.Datum
			ds := Datums(c.samples, t0)
			for i := range ds {
				d := &ds[i]
				hasSvc := len(d.Dims) == 2
				if d.Name == c.metric && hasSvc == (c.service != "") {
					got = d
				}
			}
			if got == nil || got.Set == nil || got.Unit != "Percent" || got.Namespace != "AWS/ECS" {
				t.Fatalf("no %s datum for service %q in %+v", c.metric, c.service, ds)
			}
			if avg := got.Set.Sum / got.Set.SampleCount; avg != c.avg || got.Set.Min != c.min || got.Set.Max != c.max {
				t.Fatalf("avg %v min %v max %v, want %v %v %v", avg, got.Set.Min, got.Set.Max, c.avg, c.min, c.max)
			}
		})
	}
}

func TestRecordRate(t *testing.T) {
	u := &Usage{}
	rep := func(at time.Duration, cpu uint64, containers int) agentproto.StatsReport {
		return agentproto.StatsReport{Tasks: []agentproto.TaskUsage{{TaskARN: "t", CPUNanos: cpu, MemoryBytes: 64 << 20, Containers: containers, SampledAt: t0.Add(at)}}}
	}
	u.Record(rep(0, 0, 1))
	if _, ok := u.rate["t"]; ok {
		t.Fatal("a rate from one sample")
	}
	u.Record(rep(10*time.Second, 5e9, 1)) // half a CPU for 10 s
	if r := u.rate["t"]; r.CPUUnits != 512 || r.MemMiB != 64 {
		t.Fatalf("rate %+v", r)
	}
	u.Record(rep(20*time.Second, 1e9, 1)) // counter went back: a restart
	if r := u.rate["t"]; r.At != t0.Add(10*time.Second) {
		t.Fatalf("rate after a reset: %+v", r)
	}
}

func TestReservation(t *testing.T) {
	cases := []struct {
		name     string
		rec      model.TaskRecord
		cpu, mem float64
	}{
		{"task level", model.TaskRecord{Task: ecstypes.Task{Cpu: new("512"), Memory: new("1024")}}, 512, 1024},
		{"container sums", model.TaskRecord{Definition: ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Cpu: 128, Memory: new(int32(64))}, {Cpu: 64, MemoryReservation: new(int32(32))}}}}, 192, 96},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if cpu, mem := Reservation(&c.rec); cpu != c.cpu || mem != c.mem {
				t.Fatalf("got %v %v", cpu, mem)
			}
		})
	}
}

func TestInsightsDatums(t *testing.T) {
	ci := []ClusterInsights{{Account: "a", Region: "r", Cluster: "prod", Tasks: 2,
		Services: []ServiceCounts{{Service: "web", Running: 2, Pending: 0, Desired: 3}}}}
	samples := []TaskSample{
		{Account: "a", Region: "r", Cluster: "prod", Service: "web", TaskID: "t1", Family: "web", CPUUsed: 100, CPUReserved: 256, MemUsed: 30, MemReserved: 64},
		{Account: "a", Region: "r", Cluster: "prod", Service: "web", TaskID: "t2", Family: "web", CPUUsed: 50, CPUReserved: 256, MemUsed: 10, MemReserved: 64},
		{Account: "a", Region: "r", Cluster: "off", TaskID: "t3", CPUUsed: 1, CPUReserved: 1},
	}
	got := map[string]float64{}
	for _, d := range InsightsDatums(ci, samples, t0) {
		k := d.Name
		for _, dim := range d.Dims {
			k += "/" + dim.Value
		}
		got[k] = *d.Value
	}
	want := map[string]float64{
		"TaskCount/prod": 2, "ServiceCount/prod": 1, "DesiredTaskCount/prod/web": 3, "RunningTaskCount/prod/web": 2,
		"CpuUtilized/prod": 150, "CpuReserved/prod/web": 512, "MemoryUtilized/prod/web/t1": 30, "MemoryReserved/prod": 128,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["CpuUtilized/off"]; ok {
		t.Error("a cluster without Container Insights published")
	}
}

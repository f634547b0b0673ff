package scheduler

import (
	"fmt"
	"time"
)

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

var epoch = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// instance builds an ACTIVE, connected container instance number i in zone
// zones[i%3] with the given capacity and the host's own ports 22 and 51678.
func instance(i, cpu, mem int) Instance {
	itype := "t3.medium"
	if i%2 == 1 {
		itype = "m5.large"
	}
	return Instance{
		ARN:            fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:container-instance/prod/ci%03d", i),
		ID:             fmt.Sprintf("ci%03d", i),
		EC2InstanceID:  fmt.Sprintf("i-%08x", i),
		Status:         StatusActive,
		AgentConnected: true,
		AgentVersion:   "1.82.0",
		RegisteredAt:   epoch.Add(time.Duration(i) * 24 * time.Hour),
		Attributes: map[string]string{
			"ecs.availability-zone":   zones[i%3],
			"ecs.instance-type":       itype,
			"ecs.os-type":             "linux",
			"ecs.cpu-architecture":    "x86_64",
			"ecs.ami-id":              "ami-1234abcd",
			"ecs.capability.task-eni": "",
		},
		Registered: Resources{CPU: cpu, Memory: mem, Ports: []Port{{22, "tcp"}, {51678, "tcp"}}},
	}
}

// cluster builds n instances of the same capacity across three zones.
func cluster(n, cpu, mem int) []Instance {
	out := make([]Instance, n)
	for i := range out {
		out[i] = instance(i, cpu, mem)
	}
	return out
}

// with returns in with its attributes copied and changed.
func withAttrs(in Instance, kv ...string) Instance {
	attrs := make(map[string]string, len(in.Attributes)+len(kv)/2)
	for k, v := range in.Attributes {
		attrs[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		attrs[kv[i]] = kv[i+1]
	}
	in.Attributes = attrs
	return in
}

// running returns a RUNNING task of group reserving cpu and mem.
func running(arn, group string, cpu, mem int, ports ...Port) PlacedTask {
	return PlacedTask{
		ARN:               arn,
		TaskDefinitionARN: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
		Group:             group,
		Reserved:          Resources{CPU: cpu, Memory: mem, Ports: ports},
		LastStatus:        TaskRunning,
		DesiredStatus:     TaskRunning,
	}
}

func webTask(cpu, mem int, ports ...Port) Task {
	return Task{
		TaskDefinitionARN: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
		Family:            "web",
		Group:             "family:web",
		Resources:         Resources{CPU: cpu, Memory: mem, Ports: ports},
	}
}

// counts tallies placements per instance ID and per zone.
func counts(instances []Instance, ps []Placement) (perInstance, perZone map[string]int) {
	perInstance, perZone = map[string]int{}, map[string]int{}
	for _, p := range ps {
		perInstance[p.InstanceID]++
		perZone[instances[p.Index].Attributes["ecs.availability-zone"]]++
	}
	return perInstance, perZone
}

func spreadOf(m map[string]int, keys []string) (lo, hi int) {
	lo, hi = -1, -1
	for _, k := range keys {
		c := m[k]
		if lo < 0 || c < lo {
			lo = c
		}
		if c > hi {
			hi = c
		}
	}
	return lo, hi
}

func ids(instances []Instance) []string {
	out := make([]string, len(instances))
	for i, in := range instances {
		out[i] = in.ID
	}
	return out
}

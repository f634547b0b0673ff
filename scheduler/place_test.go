package scheduler

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPlaceFeasibility(t *testing.T) {
	tests := []struct {
		name      string
		instances []Instance
		task      Task
		count     int
		placed    int
		reasons   map[string]int // failure reason → instances
		summary   string
		check     func(t *testing.T, instances []Instance, r Result)
	}{
		{
			name:      "everything fits",
			instances: cluster(50, 2048, 4096),
			task:      webTask(256, 512),
			count:     10,
			placed:    10,
		},
		{
			name:      "memory exhausted",
			instances: cluster(50, 4096, 1024),
			task:      webTask(0, 600),
			count:     60,
			placed:    50,
			reasons:   map[string]int{ReasonMemory: 50},
			summary:   "50 instances with insufficient memory",
		},
		{
			name:      "cpu exhausted",
			instances: cluster(50, 1024, 8192),
			task:      webTask(512, 0),
			count:     120,
			placed:    100,
			reasons:   map[string]int{ReasonCPU: 50},
			summary:   "50 instances with insufficient CPU",
		},
		{
			name:      "fixed tcp port: one per instance",
			instances: cluster(50, 8192, 8192),
			task:      webTask(10, 10, Port{8080, "tcp"}),
			count:     60,
			placed:    50,
			reasons:   map[string]int{ReasonPorts: 50},
			check:     eachInstanceAtMostOnce,
		},
		{
			name:      "udp does not conflict with tcp",
			instances: withTasks(cluster(1, 1024, 1024), running("dns-tcp", "family:dns", 0, 0, Port{53, "tcp"})),
			task:      webTask(0, 0, Port{53, "udp"}),
			count:     1,
			placed:    1,
		},
		{
			name:      "udp conflicts with udp",
			instances: withTasks(cluster(1, 1024, 1024), running("dns-udp", "family:dns", 0, 0, Port{53, "udp"})),
			task:      webTask(0, 0, Port{53, "udp"}),
			count:     1,
			reasons:   map[string]int{ReasonPortsUDP: 1},
			summary:   "1 instance with a required UDP host port in use",
		},
		{
			name:      "tcp conflict is reported before udp",
			instances: withTasks(cluster(1, 1024, 1024), running("both", "family:dns", 0, 0, Port{53, "udp"}, Port{53, "tcp"})),
			task:      webTask(0, 0, Port{53, "udp"}, Port{53, "tcp"}),
			count:     1,
			reasons:   map[string]int{ReasonPorts: 1},
		},
		{
			name:      "the host's own ports are taken",
			instances: cluster(3, 1024, 1024),
			task:      webTask(0, 0, Port{22, ""}),
			count:     1,
			reasons:   map[string]int{ReasonPorts: 3},
		},
		{
			name:      "dynamic host ports never conflict",
			instances: cluster(1, 100000, 100000),
			task:      webTask(10, 10, Port{0, "tcp"}, Port{0, "udp"}),
			count:     100,
			placed:    100,
		},
		{
			name:      "stopped tasks hold nothing",
			instances: withTasks(cluster(1, 1024, 1024), stopped(running("old", "family:web", 1024, 1024, Port{80, "tcp"}))),
			task:      webTask(1024, 1024, Port{80, "tcp"}),
			count:     1,
			placed:    1,
		},
		{
			name:      "tasks being stopped still hold their resources",
			instances: withTasks(cluster(1, 1024, 1024), stopping(running("old", "family:web", 1024, 1024))),
			task:      webTask(1024, 1024),
			count:     1,
			reasons:   map[string]int{ReasonCPU: 1},
		},
		{
			name:      "distinctInstance: one task of the group per instance",
			instances: cluster(50, 8192, 8192),
			task:      withConstraints(webTask(1, 1), Constraint{Type: DistinctInstance}),
			count:     60,
			placed:    50,
			reasons:   map[string]int{ReasonDistinctInstance: 50},
			summary:   "50 instances already running a task of the group (distinctInstance)",
			check:     eachInstanceAtMostOnce,
		},
		{
			name:      "distinctInstance counts tasks already running",
			instances: withTasks(cluster(2, 1024, 1024), running("w0", "family:web", 1, 1)),
			task:      withConstraints(webTask(1, 1), Constraint{Type: DistinctInstance}),
			count:     2,
			placed:    1,
			reasons:   map[string]int{ReasonDistinctInstance: 2},
			check: func(t *testing.T, _ []Instance, r Result) {
				if r.Placements[0].InstanceID != "ci001" {
					t.Errorf("placed on %s, want ci001", r.Placements[0].InstanceID)
				}
			},
		},
		{
			name:      "the group defaults to family:FAMILY",
			instances: withTasks(cluster(2, 1024, 1024), running("w0", "family:web", 1, 1)),
			task: func() Task {
				t := withConstraints(webTask(1, 1), Constraint{Type: DistinctInstance})
				t.Group = ""
				return t
			}(),
			count:   2,
			placed:  1,
			reasons: map[string]int{ReasonDistinctInstance: 2},
		},
		{
			name:      "distinctInstance ignores other groups",
			instances: withTasks(cluster(1, 1024, 1024), running("db", "family:db", 1, 1)),
			task:      withConstraints(webTask(1, 1), Constraint{Type: DistinctInstance}),
			count:     1,
			placed:    1,
		},
		{
			name:      "required attribute missing",
			instances: cluster(4, 1024, 1024),
			task:      withAttributes(webTask(1, 1), Attribute{Name: "ecs.capability.task-eni"}, Attribute{Name: "com.amazonaws.ecs.capability.docker-remote-api.1.44"}),
			count:     1,
			reasons:   map[string]int{ReasonAttribute: 4},
			summary:   "4 instances missing a required attribute",
		},
		{
			name:      "required attribute with a value",
			instances: cluster(4, 1024, 1024),
			task:      withAttributes(webTask(1, 1), Attribute{Name: "ecs.instance-type", Value: "m5.large"}),
			count:     2,
			placed:    2,
			check: func(t *testing.T, instances []Instance, r Result) {
				for _, p := range r.Placements {
					if instances[p.Index].Attributes["ecs.instance-type"] != "m5.large" {
						t.Errorf("placed on %s, a %s", p.InstanceID, instances[p.Index].Attributes["ecs.instance-type"])
					}
				}
			},
		},
		{
			name: "awsvpc needs the task-eni capability",
			instances: func() []Instance {
				in := cluster(3, 1024, 1024)
				delete(in[0].Attributes, TaskENI)
				delete(in[2].Attributes, TaskENI)
				return in
			}(),
			task:    func() Task { t := webTask(1024, 1); t.NetworkMode = "awsvpc"; return t }(),
			count:   2,
			placed:  1,
			reasons: map[string]int{ReasonAttribute: 2, ReasonCPU: 1},
			check: func(t *testing.T, _ []Instance, r Result) {
				if r.Placements[0].InstanceID != "ci001" {
					t.Errorf("placed on %s", r.Placements[0].InstanceID)
				}
			},
		},
		{
			name:      "draining, disconnected, inactive and full",
			instances: mixedCluster(),
			task:      webTask(512, 512),
			count:     1,
			reasons:   map[string]int{StatusDraining: 1, ReasonInactive: 1, ReasonAgent: 1, ReasonMemory: 1},
			summary:   "1 instance DRAINING; 1 instance INACTIVE; 1 instance with the agent disconnected; 1 instance with insufficient memory",
		},
		{
			name:      "empty cluster",
			instances: nil,
			task:      webTask(1, 1),
			count:     2,
			summary:   "no container instances in the cluster",
		},
		{
			name:      "count zero places nothing",
			instances: cluster(1, 1, 1),
			task:      webTask(1, 1),
			count:     0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Place(tc.task, tc.count, tc.instances, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Placements) != tc.placed || r.Unplaced != tc.count-tc.placed {
				t.Fatalf("placed %d, unplaced %d; want %d, %d", len(r.Placements), r.Unplaced, tc.placed, tc.count-tc.placed)
			}
			got := map[string]int{}
			for _, f := range r.Failures {
				got[f.Reason]++
			}
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tc.reasons) {
				t.Errorf("failure reasons %v, want %v", got, tc.reasons)
			}
			if (r.Explanation == nil) != (r.Unplaced == 0) {
				t.Errorf("explanation %v with %d unplaced", r.Explanation, r.Unplaced)
			}
			if tc.summary != "" && r.Explanation.Summary() != tc.summary {
				t.Errorf("Summary() = %q, want %q", r.Explanation.Summary(), tc.summary)
			}
			if tc.check != nil {
				tc.check(t, tc.instances, r)
			}
		})
	}
}

func TestPlaceMemberOf(t *testing.T) {
	base := cluster(50, 4096, 4096)
	base[7] = withAttrs(base[7], "stack", "prod")
	base[8] = withAttrs(base[8], "stack", "prod")
	base[9] = withAttrs(base[9], "stack", "dev")
	base[10].Tasks = []PlacedTask{running("db", "service:db", 1, 1)}
	exprs := []string{
		"attribute:ecs.availability-zone == us-east-1b",
		"attribute:ecs.availability-zone != us-east-1b",
		"attribute:ecs.instance-type =~ t3.*",
		"attribute:ecs.instance-type !~ t3.*",
		"attribute:ecs.availability-zone in [us-east-1a, us-east-1c]",
		"attribute:ecs.availability-zone !in [us-east-1a, us-east-1c]",
		"attribute:stack exists",
		"attribute:stack !exists and attribute:ecs.availability-zone == us-east-1a",
		"attribute:stack == prod",
		"ec2InstanceId =~ i-0000002.",
		"registeredAt >= 2024-04-01",
		"registeredAt < 2024-03-05",
		"agentVersion >= 1.82.0",
		"runningTasksCount <= 0",
		"task:group == service:db",
		"not(task:group == service:db) and attribute:ecs.availability-zone == us-east-1b",
		"(attribute:stack == prod or attribute:stack == dev) && ec2InstanceId != i-00000008",
	}
	for _, expr := range exprs {
		t.Run(expr, func(t *testing.T) {
			allowed, err := FilterInstances(expr, base)
			if err != nil {
				t.Fatal(err)
			}
			task := withConstraints(webTask(1, 1), Constraint{Type: MemberOf, Expression: expr})
			r, err := Place(task, 200, base, rand.New(rand.NewPCG(3, 4)))
			if err != nil {
				t.Fatal(err)
			}
			ok := ids(allowed)
			if len(ok) == 0 {
				t.Fatalf("test expression %q matches no instance", expr)
			}
			for _, p := range r.Placements {
				if !slices.Contains(ok, p.InstanceID) {
					t.Fatalf("placed on %s, which does not match", p.InstanceID)
				}
			}
			// Every matching instance is used: the default for a family
			// group is random, and 200 copies over ≤50 instances.
			per, _ := counts(base, r.Placements)
			if len(per) != len(ok) && len(ok) <= 25 {
				t.Errorf("used %d of %d matching instances", len(per), len(ok))
			}
		})
	}

	t.Run("unmatched instances fail with MemberOf", func(t *testing.T) {
		task := withConstraints(webTask(4096, 1), Constraint{Type: MemberOf, Expression: "attribute:stack == prod"})
		r, err := Place(task, 3, base, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Placements) != 2 || r.Unplaced != 1 {
			t.Fatalf("placed %d, unplaced %d", len(r.Placements), r.Unplaced)
		}
		want := "48 instances not matching a memberOf constraint; 2 instances with insufficient CPU"
		if s := r.Explanation.Summary(); s != want {
			t.Errorf("Summary() = %q, want %q", s, want)
		}
		if r.Explanation.ClosestID != "ci007" || r.Explanation.ClosestReason != ReasonCPU {
			t.Errorf("closest %s %s, want ci007 RESOURCE:CPU", r.Explanation.ClosestID, r.Explanation.ClosestReason)
		}
	})

	t.Run("task:group affinity sees copies placed in the same call", func(t *testing.T) {
		task := withConstraints(webTask(1, 1), Constraint{Type: MemberOf, Expression: "task:group == family:web or runningTasksCount == 0"})
		task.Strategies = []Strategy{{Type: Spread, Field: "instanceId"}}
		r, err := Place(task, 3, cluster(3, 100, 100), nil)
		if err != nil || len(r.Placements) != 3 {
			t.Fatalf("Place = %+v, %v", r, err)
		}
	})
}

func TestPlaceExplainEvent(t *testing.T) {
	tests := []struct {
		reason string
		want   string
	}{
		{ReasonMemory, "has insufficient memory available."},
		{ReasonCPU, "has insufficient CPU units available."},
		{ReasonPorts, "is already using a port required by your task."},
		{ReasonPortsUDP, "is already using a port required by your task."},
		{ReasonAttribute, "is missing an attribute required by your task."},
		{ReasonAgent, `encountered error "AGENT".`},
		{ReasonMemberOf, `encountered error "MemberOf placement constraint unsatisfied.".`},
		{ReasonDistinctInstance, `encountered error "DistinctInstance placement constraint unsatisfied.".`},
		{StatusDraining, `encountered error "DRAINING".`},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			e := &Explanation{Instances: 1, ClosestID: "abc123", ClosestReason: tc.reason}
			want := "unable to place a task because no container instance met all of its requirements. The closest matching container-instance abc123 " + tc.want
			if got := e.Event(); got != want {
				t.Errorf("Event() =\n%q, want\n%q", got, want)
			}
		})
	}

	t.Run("closest is the instance that got furthest", func(t *testing.T) {
		r, err := Place(webTask(512, 512), 1, mixedCluster(), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "unable to place a task because no container instance met all of its requirements. The closest matching container-instance ci003 has insufficient memory available."
		if got := r.Explanation.Event(); got != want {
			t.Errorf("Event() = %q, want %q", got, want)
		}
		if r.Explanation.ClosestARN != mixedCluster()[3].ARN {
			t.Errorf("ClosestARN = %q", r.Explanation.ClosestARN)
		}
	})

	t.Run("no instances", func(t *testing.T) {
		r, _ := Place(webTask(1, 1), 1, nil, nil)
		want := "unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster."
		if got := r.Explanation.Event(); got != want {
			t.Errorf("Event() = %q", got)
		}
	})
}

func TestPlaceInvalid(t *testing.T) {
	tests := []struct {
		name string
		task Task
		want string
	}{
		{"memberOf without expression", withConstraints(webTask(1, 1), Constraint{Type: MemberOf}), "memberOf needs an expression"},
		{"distinctInstance with expression", withConstraints(webTask(1, 1), Constraint{Type: DistinctInstance, Expression: "a"}), "takes no expression"},
		{"unknown constraint", withConstraints(webTask(1, 1), Constraint{Type: "sameInstance"}), `unknown type "sameInstance"`},
		{"bad expression", withConstraints(webTask(1, 1), Constraint{Type: MemberOf, Expression: "attribute:a =="}), "placement constraint 1: invalid expression"},
		{"too many constraints", withConstraints(webTask(1, 1), slices.Repeat([]Constraint{{Type: DistinctInstance}}, 11)...), "at most 10"},
		{"unknown strategy", withStrategies(webTask(1, 1), Strategy{Type: "pack"}), `unknown type "pack"`},
		{"binpack field", withStrategies(webTask(1, 1), Strategy{Type: Binpack, Field: "ports"}), "cpu or memory"},
		{"spread field", withStrategies(webTask(1, 1), Strategy{Type: Spread, Field: "zone"}), "instanceId, host or attribute:NAME"},
		{"too many strategies", withStrategies(webTask(1, 1), slices.Repeat([]Strategy{{Type: Random}}, 6)...), "at most 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Place(tc.task, 1, cluster(1, 1, 1), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Place error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPlaceOn(t *testing.T) {
	instances := cluster(3, 1024, 1024)
	instances[1].Status = StatusInactive
	task := webTask(512, 512, Port{80, "tcp"})
	task.Constraints = []Constraint{{Type: MemberOf, Expression: "attribute:nothing exists"}} // StartTask ignores constraints
	r := PlaceOn(task, []string{instances[0].ARN, "ci002", "ci000", instances[1].ARN, "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/gone"}, instances)
	want := Result{
		Placements: []Placement{{instances[0].ARN, "ci000", 0}, {instances[2].ARN, "ci002", 2}},
		Unplaced:   3,
		Failures: []Failure{
			{instances[0].ARN, ReasonPorts}, // the first copy took port 80
			{instances[1].ARN, ReasonInactive},
			{"arn:aws:ecs:us-east-1:000000000000:container-instance/prod/gone", ReasonMissing},
		},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("PlaceOn =\n%+v, want\n%+v", r, want)
	}
}

// mixedCluster is ci000 DRAINING, ci001 with its agent disconnected, ci002
// INACTIVE and ci003 ACTIVE with 256 MiB.
func mixedCluster() []Instance {
	in := cluster(4, 1024, 1024)
	in[0].Status = StatusDraining
	in[1].AgentConnected = false
	in[2].Status = StatusInactive
	in[3].Registered.Memory = 256
	return in
}

func withTasks(instances []Instance, tasks ...PlacedTask) []Instance {
	instances[0].Tasks = append(instances[0].Tasks, tasks...)
	return instances
}

func stopped(t PlacedTask) PlacedTask {
	t.LastStatus, t.DesiredStatus = TaskStopped, TaskStopped
	return t
}

func stopping(t PlacedTask) PlacedTask {
	t.DesiredStatus = TaskStopped
	return t
}

func withConstraints(t Task, cs ...Constraint) Task {
	t.Constraints = append(t.Constraints, cs...)
	return t
}

func withStrategies(t Task, ss ...Strategy) Task {
	t.Strategies = append(t.Strategies, ss...)
	return t
}

func withAttributes(t Task, as ...Attribute) Task {
	t.RequiredAttributes = append(t.RequiredAttributes, as...)
	return t
}

func eachInstanceAtMostOnce(t *testing.T, instances []Instance, r Result) {
	t.Helper()
	per, _ := counts(instances, r.Placements)
	for id, n := range per {
		if n > 1 {
			t.Errorf("%s got %d copies", id, n)
		}
	}
}

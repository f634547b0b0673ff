package taskset

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestStep(t *testing.T) {
	const set = "ecs-svc/1"
	scale := "Scaling activity initiated by (deployment ecs-svc/1)"
	ok := func(arn string) Task { return Task{ARN: arn, Running: true, Healthy: true} }
	pending := func(arn string) Task { return Task{ARN: arn} }
	starting := func(arn string) Task { return Task{ARN: arn, Running: true} }
	sick := func(arn, why string) Task {
		return Task{ARN: arn, Running: true, Unhealthy: true, UnhealthyReason: why}
	}
	cases := []struct {
		name    string
		desired int
		tasks   []Task
		want    Plan
	}{
		{"a new set launches its whole count", 3, nil, Plan{Launch: 3}},
		{"a set at 0 with no task is steady", 0, nil, Plan{Steady: true}},
		{"all running and healthy is steady", 2, []Task{ok("a"), ok("b")}, Plan{Steady: true}},
		{"a task still pending is not steady", 2, []Task{ok("a"), pending("b")}, Plan{}},
		{"a running task not yet healthy is not steady", 1, []Task{starting("a")}, Plan{}},
		{"a shortfall is launched", 3, []Task{ok("a")}, Plan{Launch: 2}},
		{"scale to 0 stops everything", 0, []Task{ok("a"), pending("b")},
			Plan{Stops: []Stop{{"b", scale}, {"a", scale}}}},
		{"a surplus stops pending tasks first", 1, []Task{ok("a"), pending("b")},
			Plan{Stops: []Stop{{"b", scale}}}},
		{"then tasks not yet healthy", 1, []Task{starting("a"), ok("b")},
			Plan{Stops: []Stop{{"a", scale}}}},
		{"then the last healthy ones", 1, []Task{ok("a"), ok("b"), ok("c")},
			Plan{Stops: []Stop{{"c", scale}, {"b", scale}}}},
		{"an unhealthy task is replaced", 2, []Task{ok("a"), sick("b", "")},
			Plan{Launch: 1, Stops: []Stop{{"b", failReasonHealth}}}},
		{"with the load balancer's reason", 1, []Task{sick("a", "Task failed ELB health checks in (target-group x)")},
			Plan{Launch: 1, Stops: []Stop{{"a", "Task failed ELB health checks in (target-group x)"}}}},
		{"an unhealthy task beyond the count is not replaced", 1, []Task{ok("a"), sick("b", "")},
			Plan{Stops: []Stop{{"b", failReasonHealth}}}},
		{"a negative count is 0", -1, []Task{ok("a")}, Plan{Stops: []Stop{{"a", scale}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Step(set, c.desired, c.tasks)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Step(%d, %+v)\n got %+v\nwant %+v", c.desired, c.tasks, got, c.want)
			}
		})
	}
}

// TestStepInvariants checks Step on random sets: whatever the tasks, the
// set ends with exactly its desired count (kept + launched), every
// unhealthy task is stopped, each stop names a distinct task of the set,
// and a steady plan does nothing.
func TestStepInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		desired := r.IntN(8) - 1
		var tasks []Task
		for j := range r.IntN(10) {
			tk := Task{ARN: fmt.Sprint(j), Running: r.IntN(3) > 0}
			tk.Healthy = tk.Running && r.IntN(3) > 0
			tk.Unhealthy = tk.Running && !tk.Healthy && r.IntN(2) == 0
			tasks = append(tasks, tk)
		}
		p := Step("ecs-svc/1", desired, tasks)
		stopped := map[string]bool{}
		for _, s := range p.Stops {
			if stopped[s.ARN] || s.Reason == "" {
				t.Fatalf("case %d: stop %+v twice or without a reason", i, s)
			}
			stopped[s.ARN] = true
		}
		for _, tk := range tasks {
			if tk.Unhealthy && !stopped[tk.ARN] {
				t.Fatalf("case %d: unhealthy %s kept", i, tk.ARN)
			}
		}
		if got := len(tasks) - len(p.Stops) + p.Launch; p.Launch < 0 || got != max(desired, 0) {
			t.Fatalf("case %d: desired %d, %d tasks: plan %+v leaves %d", i, desired, len(tasks), p, got)
		}
		if p.Steady && (p.Launch != 0 || len(p.Stops) != 0) {
			t.Fatalf("case %d: steady but acting: %+v", i, p)
		}
	}
}

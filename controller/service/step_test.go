package service

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// tasks builds n tasks of a deployment, stable (healthy for the
// stabilisation window) or not yet healthy.
func tasks(dep string, n int, healthy bool) []Task {
	out := make([]Task, n)
	for i := range out {
		out[i] = Task{ARN: fmt.Sprintf("%s-%d-%v", dep, i, healthy), Deployment: dep, Live: true, Healthy: healthy, Stable: healthy}
	}
	return out
}

// young builds n tasks that are RUNNING and healthy but have not yet
// stayed up for the stabilisation window.
func young(dep string, n int) []Task {
	out := tasks(dep, n, true)
	for i := range out {
		out[i].ARN += "-young"
		out[i].Stable = false
	}
	return out
}

func join(ts ...[]Task) []Task { return slices.Concat(ts...) }

var (
	newDep    = Deployment{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutInProgress}
	oldDep    = Deployment{ID: "old", TaskDefinition: "web:1", Rollout: RolloutCompleted}
	doneDep   = Deployment{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutCompleted}
	spec4     = Spec{Name: "web", Desired: 4, MinHealthyPercent: 100, MaxPercent: 200}
	spec4half = Spec{Name: "web", Desired: 4, MinHealthyPercent: 50, MaxPercent: 100}
)

func TestStep(t *testing.T) {
	tests := []struct {
		name      string
		spec      Spec
		deps      []Deployment
		tasks     []Task
		stable    string
		launch    int
		stops     int
		completed bool
		failed    bool
		rollback  string
		steady    bool
	}{
		{"new service starts its desired count", spec4, []Deployment{newDep}, nil, "", 4, 0, false, false, "", false},
		{"pending tasks are not started twice", spec4, []Deployment{newDep}, tasks("new", 4, false), "", 0, 0, false, false, "", false},
		{"all healthy completes the deployment", spec4, []Deployment{newDep}, tasks("new", 4, true), "", 0, 0, true, false, "", true},
		{"steady stays steady", spec4, []Deployment{doneDep}, tasks("new", 4, true), "", 0, 0, false, false, "", true},
		{"a lost task is replaced", spec4, []Deployment{doneDep}, tasks("new", 3, true), "", 1, 0, false, false, "", false},
		{"desired 0 is a pause", Spec{Name: "web", Desired: 0, MinHealthyPercent: 100, MaxPercent: 200}, []Deployment{doneDep}, tasks("new", 2, true), "", 0, 2, false, false, "", false},
		// 100/200: 4 old healthy, room for 4 more; nothing old may stop until new ones are healthy.
		{"rolling 100/200 starts the new set first", spec4, []Deployment{newDep, oldDep}, tasks("old", 4, true), "", 4, 0, false, false, "", false},
		{"rolling 100/200 waits for health", spec4, []Deployment{newDep, oldDep}, join(tasks("old", 4, true), tasks("new", 4, false)), "", 0, 0, false, false, "", false},
		{"rolling 100/200 retires old as new turn healthy", spec4, []Deployment{newDep, oldDep}, join(tasks("old", 4, true), tasks("new", 2, true), tasks("new", 2, false)), "", 0, 2, false, false, "", false},
		{"rolling done when old are gone", spec4, []Deployment{newDep, oldDep}, tasks("new", 4, true), "", 0, 0, true, false, "", true},
		// 50/100: no room above 4, so stop 2 old first (keeping 2 healthy), then start new.
		{"rolling 50/100 stops half first", spec4half, []Deployment{newDep, oldDep}, tasks("old", 4, true), "", 0, 2, false, false, "", false},
		{"rolling 50/100 then starts new", spec4half, []Deployment{newDep, oldDep}, tasks("old", 2, true), "", 2, 0, false, false, "", false},
		{"unhealthy old tasks can always go", spec4, []Deployment{newDep, oldDep}, join(tasks("old", 2, false), tasks("old", 2, true)), "", 4, 2, false, false, "", false},
		{"unhealthy task is stopped and replaced", spec4, []Deployment{doneDep}, append(tasks("new", 3, true), Task{ARN: "sick", Deployment: "new", Live: true, Unhealthy: true}), "", 1, 1, false, false, "", false},
		{"scale in stops the extra", spec4, []Deployment{doneDep}, tasks("new", 6, true), "", 0, 2, false, false, "", false},
		{"draining instance's task is replaced before it stops", spec4, []Deployment{doneDep},
			append(tasks("new", 3, true), Task{ARN: "d", Deployment: "new", Live: true, Healthy: true, Stable: true, Retiring: true}), "", 1, 0, false, false, "", false},
		{"breaker trips with rollback", Spec{Name: "web", Desired: 4, MinHealthyPercent: 100, MaxPercent: 200, Breaker: true, Rollback: true},
			[]Deployment{{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutInProgress, Failed: 3}, oldDep}, tasks("old", 4, true), "web:1", 0, 0, false, true, "web:1", false},
		{"breaker trips without rollback", Spec{Name: "web", Desired: 4, MinHealthyPercent: 100, MaxPercent: 200, Breaker: true},
			[]Deployment{{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutInProgress, Failed: 3}, oldDep}, tasks("old", 4, true), "web:1", 0, 0, false, true, "", false},
		{"below the threshold the breaker holds", Spec{Name: "web", Desired: 4, MinHealthyPercent: 100, MaxPercent: 200, Breaker: true},
			[]Deployment{{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutInProgress, Failed: 2}, oldDep}, tasks("old", 4, true), "web:1", 4, 0, false, false, "", false},
		{"a failed deployment starts nothing and keeps the old tasks", spec4,
			[]Deployment{{ID: "new", Primary: true, Rollout: RolloutFailed}, oldDep}, tasks("old", 4, true), "", 0, 0, false, false, "", false},
		// A crash loop: new tasks turn RUNNING and die within the window.
		{"young new tasks do not complete a deployment", spec4, []Deployment{newDep}, young("new", 4), "", 0, 0, false, false, "", false},
		{"young new tasks retire no old task", spec4, []Deployment{newDep, oldDep}, join(tasks("old", 4, true), young("new", 4)), "", 0, 0, false, false, "", false},
		{"rolling 50/200 keeps half stable while new ones are young", Spec{Name: "web", Desired: 4, MinHealthyPercent: 50, MaxPercent: 200},
			[]Deployment{newDep, oldDep}, join(tasks("old", 4, true), young("new", 4)), "", 0, 2, false, false, "", false},
		{"young old tasks go once enough are stable", spec4, []Deployment{newDep, oldDep}, join(young("old", 2), tasks("new", 4, true)), "", 0, 2, false, false, "", false},
		{"a young old task stays while too few are stable", spec4, []Deployment{newDep, oldDep}, join(young("old", 1), tasks("old", 3, true), young("new", 4)), "", 0, 0, false, false, "", false},
		{"the throttle holds launches", Spec{Name: "web", Desired: 4, MinHealthyPercent: 100, MaxPercent: 200, HoldLaunches: true},
			[]Deployment{doneDep}, tasks("new", 2, true), "", 0, 0, false, false, "", false},
		{"a custom threshold trips sooner", Spec{Name: "web", Desired: 4, MinHealthyPercent: 100, MaxPercent: 200, Breaker: true, BreakerThreshold: 1},
			[]Deployment{{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutInProgress, Failed: 1}, oldDep}, tasks("old", 4, true), "web:1", 0, 0, false, true, "", false},
		{"a completed deployment's failures never trip the breaker", Spec{Name: "web", Desired: 4, MinHealthyPercent: 100, MaxPercent: 200, Breaker: true},
			[]Deployment{{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutCompleted, Failed: 9}}, tasks("new", 3, true), "web:1", 1, 0, false, false, "", false},
		{"a protected old task outlives the rollout", spec4, []Deployment{newDep, oldDep},
			join(tasks("new", 4, true), []Task{{ARN: "p", Deployment: "old", Live: true, Healthy: true, Stable: true, Protected: true}}), "", 0, 0, false, false, "", false},
		{"scale in skips protected tasks", spec4, []Deployment{doneDep},
			join([]Task{{ARN: "p1", Deployment: "new", Live: true, Healthy: true, Stable: true, Protected: true}}, tasks("new", 5, true)), "", 0, 2, false, false, "", false},
		{"deleting stops everything", Spec{Name: "web", Desired: 0, Draining: true}, []Deployment{doneDep}, tasks("new", 3, true), "", 0, 3, false, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Step(tt.spec, tt.deps, tt.tasks, tt.stable)
			if p.Launch != tt.launch || len(p.Stops) != tt.stops {
				t.Fatalf("launch %d stops %d (%v), want %d and %d", p.Launch, len(p.Stops), p.Stops, tt.launch, tt.stops)
			}
			if (p.Completed != "") != tt.completed || (p.Failed != "") != tt.failed || p.RollbackTo != tt.rollback || p.Steady != tt.steady {
				t.Fatalf("completed %q failed %q rollback %q steady %v; want %v %v %q %v", p.Completed, p.Failed, p.RollbackTo, p.Steady, tt.completed, tt.failed, tt.rollback, tt.steady)
			}
		})
	}
}

// TestStepBounds checks Step's invariants over many states: it never plans
// more live tasks than maxPercent allows while old tasks remain, and never
// stops healthy tasks below minHealthyPercent during a rollout.
func TestStepBounds(t *testing.T) {
	for desired := 1; desired <= 8; desired++ {
		for _, pct := range [][2]int{{100, 200}, {50, 100}, {50, 150}, {0, 100}, {100, 150}} {
			s := Spec{Name: "s", Desired: desired, MinHealthyPercent: pct[0], MaxPercent: pct[1]}
			for oldH := 0; oldH <= desired; oldH++ {
				for newH := 0; newH <= desired; newH++ {
					for newP := 0; newP+newH <= desired; newP++ {
						ts := join(tasks("old", oldH, true), tasks("new", newH, true), tasks("new", newP, false), young("new", min(newP, 1)))
						p := Step(s, []Deployment{newDep, oldDep}, ts, "")
						maxTotal := desired * pct[1] / 100
						if oldH > 0 && p.Launch > 0 && len(ts)+p.Launch > max(maxTotal, len(ts)) {
							t.Fatalf("%v old=%d new=%d+%d: launching %d exceeds max %d", pct, oldH, newH, newP, p.Launch, maxTotal)
						}
						stoppedStable := 0
						for _, st := range p.Stops {
							if i := slices.IndexFunc(ts, func(t Task) bool { return t.ARN == st.ARN }); ts[i].Stable {
								stoppedStable++
							}
						}
						healthyAfter := oldH + newH - stoppedStable
						minHealthy := (desired*pct[0] + 99) / 100
						if stoppedStable > 0 && healthyAfter < minHealthy {
							t.Fatalf("%v old=%d new=%d+%d: stopping %d leaves %d healthy < %d", pct, oldH, newH, newP, len(p.Stops), healthyAfter, minHealthy)
						}
					}
				}
			}
		}
	}
}

// TestRollbackResumes: with rollback, a tripped breaker hands the service
// back to the deployment of the stable task definition that still runs,
// so its tasks carry on.
func TestRollbackResumes(t *testing.T) {
	spec := Spec{Name: "web", Desired: 4, MinHealthyPercent: 50, MaxPercent: 200, Breaker: true, Rollback: true}
	failing := Deployment{ID: "new", TaskDefinition: "web:2", Primary: true, Rollout: RolloutInProgress, Failed: 3}
	tests := []struct {
		name   string
		deps   []Deployment
		resume string
	}{
		{"the old deployment still runs", []Deployment{failing, oldDep}, "old"},
		{"the old deployment is gone", []Deployment{failing}, ""},
		{"a failed old deployment is not resumed", []Deployment{failing, {ID: "older", TaskDefinition: "web:1", Rollout: RolloutFailed}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Step(spec, tt.deps, join(tasks("old", 2, true), young("new", 2)), "web:1")
			if p.Failed != "new" || p.RollbackTo != "web:1" || p.Resume != tt.resume {
				t.Fatalf("failed %q rollback %q resume %q; want new web:1 %q", p.Failed, p.RollbackTo, p.Resume, tt.resume)
			}
		})
	}
}

// TestScaleInSpreads: scale-in stops tasks from the instance running the
// most of the service's tasks, the least healthy first.
func TestScaleInSpreads(t *testing.T) {
	on := func(arn, inst string, stable bool) Task {
		return Task{ARN: arn, Deployment: "d", Live: true, Healthy: true, Stable: stable, Instance: inst}
	}
	tests := []struct {
		name    string
		desired int
		tasks   []Task
		want    []string
	}{
		{"from the busiest instance", 2, []Task{on("a1", "a", true), on("a2", "a", true), on("a3", "a", true), on("b1", "b", true)}, []string{"a1", "a2"}},
		{"balanced stays balanced", 2, []Task{on("a1", "a", true), on("b1", "b", true), on("a2", "a", true), on("b2", "b", true)}, []string{"a1", "b1"}},
		{"young before stable, wherever they run", 3, []Task{on("a1", "a", true), on("a2", "a", true), on("a3", "a", true), on("b1", "b", false)}, []string{"b1"}},
		{"protected tasks stay", 1, []Task{{ARN: "a1", Deployment: "d", Live: true, Healthy: true, Stable: true, Instance: "a", Protected: true}, on("a2", "a", true), on("b1", "b", true)}, []string{"a2", "b1"}},
		{"nothing to stop", 3, []Task{on("a1", "a", true)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range scaleIn(Spec{Desired: tt.desired}, tt.tasks, "d") {
				got = append(got, s.ARN)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("stops %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTally checks the counts DescribeServices reports from a pass's
// tasks: STOPPED ones and other groups' are not counted, RUNNING ones are
// running, any other status pending, by deployment.
func TestTally(t *testing.T) {
	task := func(group, last, dep string) ecstypes.Task {
		return ecstypes.Task{Group: new(group), LastStatus: new(last), StartedBy: new(dep)}
	}
	tests := []struct {
		name             string
		tasks            []ecstypes.Task
		running, pending int32
		runningBy        map[string]int32
		pendingBy        map[string]int32
		live             int
	}{
		{"none", nil, 0, 0, map[string]int32{}, map[string]int32{}, 0},
		{"running and pending by deployment", []ecstypes.Task{task("service:web", "RUNNING", "d1"), task("service:web", "PROVISIONING", "d2"),
			task("service:web", "RUNNING", "d2"), task("service:web", "DEACTIVATING", "d1")},
			2, 2, map[string]int32{"d1": 1, "d2": 1}, map[string]int32{"d1": 1, "d2": 1}, 4},
		{"stopped tasks and other groups left out", []ecstypes.Task{task("service:web", "STOPPED", "d1"), task("service:api", "RUNNING", "d1"),
			task("service:web", "PENDING", "d1")}, 0, 1, map[string]int32{}, map[string]int32{"d1": 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tally("service:web", tt.tasks)
			if c.running != tt.running || c.pending != tt.pending || c.live != tt.live ||
				!maps.Equal(c.runningBy, tt.runningBy) || !maps.Equal(c.pendingBy, tt.pendingBy) {
				t.Fatalf("tally = %+v", c)
			}
		})
	}
}

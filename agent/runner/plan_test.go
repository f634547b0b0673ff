package runner

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// ctrOpt shapes a container of a test view.
type ctrOpt func(*cview)

// ct is an essential container named name running image "img-NAME", not
// yet pulled.
func ct(name string, opts ...ctrOpt) cview {
	c := cview{Name: name, Image: "img-" + name, Essential: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func imageRef(ref string) ctrOpt { return func(c *cview) { c.Image = ref } }
func optional() ctrOpt           { return func(c *cview) { c.Essential = false } }
func pulled() ctrOpt             { return func(c *cview) { c.ImageReady = true } }
func created() ctrOpt            { return func(c *cview) { c.ImageReady, c.Phase = true, phaseCreated } }
func inFlight(o op) ctrOpt       { return func(c *cview) { c.Op = o } }
func withHealthCheck() ctrOpt    { return func(c *cview) { c.HealthCheck = true } }
func health(h string) ctrOpt     { return func(c *cview) { c.Health = h } }
func stopSent() ctrOpt           { return func(c *cview) { c.StopSent = true } }
func timeout(d time.Duration) ctrOpt {
	return func(c *cview) { c.StartTimeout = d }
}
func running() ctrOpt {
	return func(c *cview) {
		c.ImageReady, c.Phase, c.Started, c.StartedAt = true, phaseRunning, true, t0.Add(-time.Minute)
	}
}
func exited(code int) ctrOpt {
	return func(c *cview) { c.ImageReady, c.Phase, c.Started, c.ExitCode = true, phaseStopped, true, new(code) }
}
func failedWith(reason string) ctrOpt {
	return func(c *cview) { c.Phase, c.Reason = phaseStopped, reason }
}
func dependsOn(name string, cond ecstypes.ContainerCondition) ctrOpt {
	return func(c *cview) { c.DependsOn = append(c.DependsOn, dependency{Container: name, Condition: cond}) }
}

func taskView(status string, cs ...cview) view {
	return view{Now: t0, Desired: model.TaskRunning, Status: status, Containers: cs}
}

func awsvpc(v view, pause ...ctrOpt) view {
	v.Awsvpc, v.Pause = true, ct(PauseContainerName, pause...)
	return v
}

func stopTask(v view, code ecstypes.TaskStopCode, reason string) view {
	v.Desired, v.DesiredCode, v.DesiredReason = model.TaskStopped, code, reason
	return v
}

func status(s string) action { return action{Kind: actStatus, Status: s} }
func stopping(code ecstypes.TaskStopCode, reason string) action {
	return action{Kind: actStatus, Status: model.TaskStopping, StopCode: code, Reason: reason}
}
func do(k actionKind, name string) action { return action{Kind: k, Container: name} }

func TestNext(t *testing.T) {
	const (
		start    = ecstypes.ContainerConditionStart
		complete = ecstypes.ContainerConditionComplete
		success  = ecstypes.ContainerConditionSuccess
		healthy  = ecstypes.ContainerConditionHealthy
		pending  = model.TaskPending
		run      = model.TaskRunning
	)
	tests := []struct {
		name string
		v    view
		want []action
		wake time.Time
	}{
		{
			name: "a new task moves to PENDING and pulls each image once",
			v:    taskView(model.TaskProvisioning, ct("a", imageRef("shared")), ct("b", imageRef("shared")), ct("c")),
			want: []action{status(pending), do(actPull, "a"), do(actPull, "c")},
		},
		{
			name: "an image being pulled for one container is not pulled again",
			v:    taskView(pending, ct("a", imageRef("x"), inFlight(opPull)), ct("b", imageRef("x"))),
		},
		{
			name: "awsvpc provisions the pause container before anything else",
			v:    awsvpc(taskView(model.TaskProvisioning, ct("a"))),
			want: []action{do(actProvision, PauseContainerName)},
		},
		{
			name: "awsvpc waits for the pause container to be provisioned",
			v:    awsvpc(taskView(model.TaskProvisioning, ct("a")), running(), inFlight(opProvision)),
		},
		{
			name: "awsvpc with its network up moves to PENDING",
			v:    awsvpc(taskView(model.TaskProvisioning, ct("a")), running()),
			want: []action{status(pending), do(actPull, "a")},
		},
		{
			name: "pulled containers without dependencies are created, created ones started",
			v:    taskView(pending, ct("a", pulled()), ct("b", created())),
			want: []action{do(actCreate, "a"), do(actStart, "b")},
		},
		{
			name: "START waits until the dependency has started",
			v:    taskView(pending, ct("db", created()), ct("app", pulled(), dependsOn("db", start))),
			want: []action{do(actStart, "db")},
		},
		{
			name: "START is met by a running dependency",
			v:    taskView(pending, ct("db", running()), ct("app", pulled(), dependsOn("db", start))),
			want: []action{do(actCreate, "app")},
		},
		{
			name: "START is met by a dependency that ran and exited",
			v:    taskView(pending, ct("init", optional(), exited(0)), ct("app", pulled(), dependsOn("init", start))),
			want: []action{do(actCreate, "app")},
		},
		{
			name: "COMPLETE waits while the dependency runs",
			v:    taskView(pending, ct("init", optional(), running()), ct("app", pulled(), dependsOn("init", complete))),
		},
		{
			name: "COMPLETE is met by any exit",
			v:    taskView(pending, ct("init", optional(), exited(1)), ct("app", pulled(), dependsOn("init", complete))),
			want: []action{do(actCreate, "app")},
		},
		{
			name: "SUCCESS is met by exit 0",
			v:    taskView(pending, ct("init", optional(), exited(0)), ct("app", created(), dependsOn("init", success))),
			want: []action{do(actStart, "app")},
		},
		{
			name: "SUCCESS can never be met after a non-zero exit",
			v:    taskView(run, ct("init", optional(), exited(1)), ct("side", optional(), pulled(), dependsOn("init", success))),
			want: []action{{Kind: actAbandon, Container: "side", ExitCode: new(143), Reason: "CannotStartContainerError: dependency graph: " +
				"failed to resolve container ordering dependency [init(img-init) (STOPPED->STOPPED) - Exit: 1] " +
				"for target [side(img-side) (PULLED->RUNNING)] as dependency did not exit successfully."}},
		},
		{
			name: "HEALTHY waits while the dependency's health check is starting",
			v:    taskView(pending, ct("db", running(), withHealthCheck(), health("starting")), ct("app", pulled(), dependsOn("db", healthy))),
		},
		{
			name: "HEALTHY waits while the dependency is unhealthy",
			v:    taskView(pending, ct("db", running(), withHealthCheck(), health("unhealthy")), ct("app", pulled(), dependsOn("db", healthy))),
		},
		{
			name: "HEALTHY is met by a healthy dependency",
			v:    taskView(pending, ct("db", running(), withHealthCheck(), health("healthy")), ct("app", pulled(), dependsOn("db", healthy))),
			want: []action{do(actCreate, "app")},
		},
		{
			name: "HEALTHY can never be met once the dependency stopped",
			v:    taskView(run, ct("db", optional(), exited(0), withHealthCheck()), ct("app", optional(), pulled(), dependsOn("db", healthy))),
			want: []action{{Kind: actAbandon, Container: "app", ExitCode: new(143), Reason: "CannotStartContainerError: dependency graph: " +
				"failed to resolve container ordering dependency [db(img-db) (STOPPED->STOPPED) - Exit: 0] " +
				"for target [app(img-app) (PULLED->RUNNING)] as dependency stopped before it became HEALTHY."}},
		},
		{
			name: "a dependency that failed to start can never be met, whatever the condition",
			v: taskView(run, ct("db", optional(), failedWith("CannotPullContainerError: nope")),
				ct("app", optional(), pulled(), dependsOn("db", complete))),
			want: []action{{Kind: actAbandon, Container: "app", ExitCode: new(143), Reason: "CannotStartContainerError: dependency graph: " +
				"failed to resolve container ordering dependency [db(img-db) (STOPPED->STOPPED)] " +
				"for target [app(img-app) (PULLED->RUNNING)] because dependency will never start"}},
		},
		{
			name: "waiting on a dependency with a startTimeout wakes at its deadline",
			v:    taskView(pending, ct("init", optional(), running(), timeout(2*time.Minute)), ct("app", pulled(), dependsOn("init", success))),
			wake: t0.Add(time.Minute),
		},
		{
			name: "a dependency past its startTimeout can never be met",
			v:    taskView(run, ct("init", optional(), running(), timeout(time.Minute)), ct("side", optional(), pulled(), dependsOn("init", success))),
			want: []action{{Kind: actAbandon, Container: "side", ExitCode: new(143), Reason: "CannotStartContainerError: dependency graph: " +
				"container ordering dependency [init(img-init) (RUNNING->RUNNING)] for target [side(img-side) (PULLED->RUNNING)] has timed out."}},
		},
		{
			name: "an essential container that cannot meet its dependencies fails the task",
			v:    taskView(pending, ct("init", optional(), exited(3)), ct("app", dependsOn("init", success), failedWith("CannotStartContainerError: dependency graph: x"))),
			want: []action{stopping(ecstypes.TaskStopCodeTaskFailedToStart, "CannotStartContainerError: dependency graph: x"), status(model.TaskStopped)},
		},
		{
			name: "RUNNING once every essential container runs",
			v:    taskView(pending, ct("a", running()), ct("b", running())),
			want: []action{status(run)},
		},
		{
			name: "not RUNNING while an essential container is starting",
			v:    taskView(pending, ct("a", running()), ct("b", created(), inFlight(opStart))),
		},
		{
			name: "a non-essential container nobody waits for does not hold RUNNING",
			v:    taskView(pending, ct("app", running(), withHealthCheck(), health("starting")), ct("side", optional(), pulled(), dependsOn("app", healthy))),
			want: []action{status(run)},
		},
		{
			name: "a non-essential container's exit is only reported",
			v:    taskView(run, ct("app", running()), ct("job", optional(), exited(3))),
		},
		{
			name: "an essential exit stops the task: dependents first",
			v:    taskView(run, ct("db", running()), ct("app", running(), dependsOn("db", start)), ct("job", exited(3))),
			want: []action{stopping(ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited"), do(actStop, "app")},
		},
		{
			name: "stopping: a dependency stops once its dependents have stopped",
			v:    taskView(model.TaskStopping, ct("db", running()), ct("app", exited(143), dependsOn("db", start)), ct("job", exited(3))),
			want: []action{do(actStop, "db")},
		},
		{
			name: "stopping: a container is not stopped twice",
			v:    taskView(model.TaskStopping, ct("db", running(), stopSent(), inFlight(opStop))),
		},
		{
			name: "StopTask: containers not started yet are never started",
			v: stopTask(taskView(pending, ct("db", running()), ct("app", created(), dependsOn("db", healthy)), ct("side", optional())),
				ecstypes.TaskStopCodeUserInitiated, "stopped by a test"),
			want: []action{stopping(ecstypes.TaskStopCodeUserInitiated, "stopped by a test"), do(actAbandon, "app"), do(actAbandon, "side")},
		},
		{
			name: "StopTask wins over an essential failure seen at the same time",
			v:    stopTask(taskView(run, ct("a", exited(1)), ct("b", running())), ecstypes.TaskStopCodeServiceSchedulerInitiated, "scaling"),
			want: []action{stopping(ecstypes.TaskStopCodeServiceSchedulerInitiated, "scaling"), do(actStop, "b")},
		},
		{
			name: "stopping waits for an operation in flight",
			v:    taskView(model.TaskStopping, ct("a", pulled(), inFlight(opCreate))),
		},
		{
			name: "an essential image that cannot be pulled fails the task",
			v:    taskView(pending, ct("a", failedWith("CannotPullContainerError: pull access denied")), ct("b", inFlight(opPull))),
			want: []action{stopping(ecstypes.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: pull access denied")},
		},
		{
			name: "all containers stopped: STOPPED",
			v:    taskView(model.TaskStopping, ct("a", exited(0)), ct("b", failedWith(""))),
			want: []action{status(model.TaskStopped)},
		},
		{
			name: "awsvpc: the pause container stops last, in DEPROVISIONING",
			v:    awsvpc(taskView(model.TaskStopping, ct("a", exited(0))), running()),
			want: []action{status(model.TaskDeprovisioning), do(actStop, PauseContainerName)},
		},
		{
			name: "awsvpc: STOPPED once the pause container stopped",
			v:    awsvpc(taskView(model.TaskDeprovisioning, ct("a", exited(0))), exited(0)),
			want: []action{status(model.TaskStopped)},
		},
		{
			name: "awsvpc: a pause container that cannot start fails the task",
			v:    awsvpc(taskView(model.TaskProvisioning, ct("a")), failedWith("ResourceInitializationError: no bridge")),
			want: []action{stopping(ecstypes.TaskStopCodeTaskFailedToStart, "ResourceInitializationError: no bridge"), do(actAbandon, "a")},
		},
		{
			name: "a settled stop is not decided again",
			v:    stopTask(taskView(model.TaskStopping, ct("a", running(), stopSent(), inFlight(opStop))), ecstypes.TaskStopCodeUserInitiated, "later"),
		},
		{
			name: "never backwards: a RUNNING task stays RUNNING while a late container starts",
			v:    taskView(run, ct("a", running()), ct("b", optional(), created())),
			want: []action{do(actStart, "b")},
		},
		{
			name: "never backwards: an adopted task found RUNNING in PROVISIONING jumps ahead",
			v:    taskView(model.TaskProvisioning, ct("a", running())),
			want: []action{status(pending), status(run)},
		},
		{
			name: "a STOPPED task has nothing left to do",
			v:    taskView(model.TaskStopped, ct("a", running())),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, wake := next(tt.v)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("next:\n got  %s\n want %s", fmtActions(got), fmtActions(tt.want))
			}
			if !wake.Equal(tt.wake) {
				t.Errorf("wake = %v, want %v", wake, tt.wake)
			}
			rank := model.TaskStatusRank(tt.v.Status)
			for _, a := range got {
				if a.Kind == actStatus {
					if r := model.TaskStatusRank(a.Status); r <= rank {
						t.Errorf("status %s after %d: moved backwards", a.Status, rank)
					} else {
						rank = r
					}
				}
			}
		})
	}
}

// TestNextSettles applies next's decisions to a view, as the Run loop
// does with an engine that does everything at once, and checks that the
// task goes through its states in order to STOPPED.
func TestNextSettles(t *testing.T) {
	v := taskView(model.TaskProvisioning,
		ct("db", withHealthCheck()),
		ct("init", optional(), dependsOn("db", ecstypes.ContainerConditionHealthy)),
		ct("app", dependsOn("init", ecstypes.ContainerConditionSuccess), dependsOn("db", ecstypes.ContainerConditionStart)))
	v = awsvpc(v)
	var seen []string
	for step := 0; step < 50; step++ {
		if step == 20 {
			v = stopTask(v, ecstypes.TaskStopCodeUserInitiated, "done")
		}
		acts, _ := next(v)
		for _, a := range acts {
			c := &v.Pause
			for i := range v.Containers {
				if v.Containers[i].Name == a.Container {
					c = &v.Containers[i]
				}
			}
			switch a.Kind {
			case actStatus:
				v.Status = a.Status
				seen = append(seen, a.Status)
			case actProvision, actStart:
				c.Phase, c.Started = phaseRunning, true
				if c.Name == "db" {
					c.Health = "healthy"
				}
				if c.Name == "init" {
					c.Phase, c.ExitCode = phaseStopped, new(0)
				}
			case actPull:
				c.ImageReady = true
			case actCreate:
				c.Phase = phaseCreated
			case actStop:
				c.Phase, c.ExitCode = phaseStopped, new(0)
			case actAbandon:
				c.Phase = phaseStopped
			}
		}
	}
	want := []string{model.TaskPending, model.TaskRunning, model.TaskStopping, model.TaskDeprovisioning, model.TaskStopped}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("states %v, want %v", seen, want)
	}
}

func TestTaskHealth(t *testing.T) {
	h := func(name, status string, opts ...ctrOpt) cview {
		return ct(name, append([]ctrOpt{running(), withHealthCheck(), health(status)}, opts...)...)
	}
	tests := []struct {
		name string
		cs   []cview
		want ecstypes.HealthStatus
	}{
		{"no health checks", []cview{ct("a", running())}, ecstypes.HealthStatusUnknown},
		{"all essential checks healthy", []cview{h("a", "healthy"), h("b", "healthy"), ct("c", running())}, ecstypes.HealthStatusHealthy},
		{"one essential unhealthy", []cview{h("a", "healthy"), h("b", "unhealthy")}, ecstypes.HealthStatusUnhealthy},
		{"one still starting", []cview{h("a", "healthy"), h("b", "starting")}, ecstypes.HealthStatusUnknown},
		{"a non-essential unhealthy does not count", []cview{h("a", "healthy"), h("b", "unhealthy", optional())}, ecstypes.HealthStatusHealthy},
		{"only non-essential checks", []cview{h("a", "healthy", optional())}, ecstypes.HealthStatusUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := taskHealth(tt.cs); got != tt.want {
				t.Errorf("taskHealth = %s, want %s", got, tt.want)
			}
		})
	}
}

func fmtActions(as []action) string {
	var parts []string
	for _, a := range as {
		s := map[actionKind]string{actStatus: "status", actProvision: "provision", actPull: "pull", actCreate: "create",
			actStart: "start", actStop: "stop", actAbandon: "abandon"}[a.Kind] + "(" + a.Container + a.Status
		if a.StopCode != "" || a.Reason != "" {
			s += " " + string(a.StopCode) + " " + a.Reason
		}
		if a.ExitCode != nil {
			s += " exit " + strconv.Itoa(*a.ExitCode)
		}
		parts = append(parts, s+")")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

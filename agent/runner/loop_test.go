package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// The tests of this file drive the runner's loop against fakeRuntime: no
// Docker, every transition made by the test.

// fakeTask is an assignment of a task with a unique ARN, for the fake.
func fakeTask(mode ecstypes.NetworkMode, defs ...ecstypes.ContainerDefinition) agentproto.Assignment {
	scope := model.Scope{Account: "000000000000", Region: "eu-west-1"}
	return agentproto.Assignment{
		TaskARN:       scope.TaskARN("fake", randomHex()),
		ClusterARN:    scope.ClusterARN("fake"),
		DesiredStatus: model.TaskRunning,
		LaunchType:    ecstypes.LaunchTypeEc2,
		Definition: ecstypes.TaskDefinition{
			Family: new("fake"), Revision: 1, NetworkMode: mode, ContainerDefinitions: defs,
		},
		Version: 1,
	}
}

// nonEssential is def with essential false.
func nonEssential(d ecstypes.ContainerDefinition) ecstypes.ContainerDefinition {
	d.Essential = new(false)
	return d
}

// waitRunning waits until the task and all its containers are RUNNING: a
// task is RUNNING once its essential containers are.
func (h *run) waitRunning() agentproto.TaskStatus {
	h.t.Helper()
	return h.wait("all running", func(st agentproto.TaskStatus) bool {
		return st.LastStatus == model.TaskRunning && !slices.ContainsFunc(st.Containers, func(c ecstypes.Container) bool {
			return shape.Deref(c.LastStatus) != "RUNNING"
		})
	})
}

// indexOf is the position of op in the fake's log, -1 if absent.
func indexOf(ops []string, op string) int { return slices.Index(ops, op) }

func TestFakeRunAndStop(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		mode        ecstypes.NetworkMode
		stopTimeout *int32 // the container's; nil: Config.StopTimeout
		ignoreTerm  bool
		wantTimeout time.Duration
		wantExit    int32
	}{
		{name: "bridge, SIGTERM ends it", mode: ecstypes.NetworkModeBridge, wantTimeout: 5 * time.Second, wantExit: 143},
		{name: "awsvpc makes the pause container", mode: ecstypes.NetworkModeAwsvpc, wantTimeout: 5 * time.Second, wantExit: 143},
		{name: "the container's stopTimeout, then SIGKILL", mode: ecstypes.NetworkModeBridge, stopTimeout: new(int32(2)), ignoreTerm: true, wantTimeout: 2 * time.Second, wantExit: 137},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			f.ignoreTerm["main"] = tt.ignoreTerm
			main := def("main", "app:1")
			main.StopTimeout = tt.stopTimeout
			a := fakeTask(tt.mode, main)
			h := start(t, f, testConfig(), a)

			st := h.waitStatus(model.TaskRunning)
			c := container(t, st, "main")
			if shape.Deref(c.LastStatus) != "RUNNING" || shape.Deref(c.RuntimeId) == "" {
				t.Errorf("main: %s runtime %q", shape.Deref(c.LastStatus), shape.Deref(c.RuntimeId))
			}
			ops := f.ops()
			if indexOf(ops, "pull app:1") < 0 || indexOf(ops, "create main") < 0 || indexOf(ops, "start main") < 0 {
				t.Errorf("ops %q", ops)
			}
			if tt.mode == ecstypes.NetworkModeAwsvpc {
				if start := indexOf(ops, "start "+PauseContainerName); start < 0 || start > indexOf(ops, "create main") {
					t.Errorf("the pause container did not start first: %q", ops)
				}
				if len(st.Attachments) != 1 {
					t.Errorf("attachments %s", jsonOf(st.Attachments))
				}
			}

			h.stop(a, "Task stopped by the test")
			st = h.finish()
			if st.StopCode != ecstypes.TaskStopCodeUserInitiated || st.StoppedReason != "Task stopped by the test" {
				t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
			}
			if c := container(t, st, "main"); shape.Deref(c.ExitCode) != tt.wantExit || shape.Deref(c.LastStatus) != "STOPPED" {
				t.Errorf("main: %s exit %d, want STOPPED exit %d", shape.Deref(c.LastStatus), shape.Deref(c.ExitCode), tt.wantExit)
			}
			f.mu.Lock()
			timeout := f.stops["main"]
			f.mu.Unlock()
			if timeout != tt.wantTimeout {
				t.Errorf("stop timeout %v, want %v", timeout, tt.wantTimeout)
			}
			checkForward(t, h.all())
		})
	}
}

func TestFakeEssentialExit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		code int
	}{
		{name: "exit 3", code: 3},
		{name: "exit 0 stops the task too", code: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			a := fakeTask(ecstypes.NetworkModeBridge, def("main", "app:1"), nonEssential(def("side", "app:1")))
			h := start(t, f, testConfig(), a)
			h.waitRunning()
			if err := f.exit("main", tt.code); err != nil {
				t.Fatal(err)
			}
			st := h.finish()
			if st.StopCode != ecstypes.TaskStopCodeEssentialContainerExited || st.StoppedReason != reasonEssentialExited {
				t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
			}
			if c := container(t, st, "main"); shape.Deref(c.ExitCode) != int32(tt.code) || shape.Deref(c.LastStatus) != "STOPPED" {
				t.Errorf("main: %s exit %d, want STOPPED exit %d", shape.Deref(c.LastStatus), shape.Deref(c.ExitCode), tt.code)
			}
			if c := container(t, st, "side"); shape.Deref(c.LastStatus) != "STOPPED" || shape.Deref(c.ExitCode) != 143 {
				t.Errorf("side: %s exit %v, want STOPPED exit 143", shape.Deref(c.LastStatus), shape.Deref(c.ExitCode))
			}
			if ops := f.ops(); indexOf(ops, "stop side") < 0 || indexOf(ops, "stop main") >= 0 {
				t.Errorf("ops %q: want side stopped, main not (it had exited)", ops)
			}
			checkForward(t, h.all())
		})
	}
}

func TestFakeNonEssentialExitKeepsTheTask(t *testing.T) {
	t.Parallel()
	f := newFake()
	a := fakeTask(ecstypes.NetworkModeBridge, def("main", "app:1"), nonEssential(def("job", "app:1")))
	h := start(t, f, testConfig(), a)
	h.waitRunning()
	if err := f.exit("job", 5); err != nil {
		t.Fatal(err)
	}
	st := h.wait("job stopped", func(st agentproto.TaskStatus) bool { return containerIs(st, "job", "STOPPED") })
	if st.LastStatus != model.TaskRunning || shape.Deref(container(t, st, "job").ExitCode) != 5 || !containerIs(st, "main", "RUNNING") {
		t.Errorf("after a non-essential exit: %s", dump(st))
	}
}

func TestFakeDependsOn(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		condition ecstypes.ContainerCondition
		health    bool
		trigger   func(f *fakeRuntime) error // what lets app start; nil: dep's start
		after     string                     // the fake's log entry app must start after
	}{
		{name: "START", condition: ecstypes.ContainerConditionStart, after: "start dep"},
		{name: "COMPLETE after a failure", condition: ecstypes.ContainerConditionComplete,
			trigger: func(f *fakeRuntime) error { return f.exit("dep", 1) }, after: "exit dep 1"},
		{name: "SUCCESS", condition: ecstypes.ContainerConditionSuccess,
			trigger: func(f *fakeRuntime) error { return f.exit("dep", 0) }, after: "exit dep 0"},
		{name: "HEALTHY", condition: ecstypes.ContainerConditionHealthy, health: true,
			trigger: func(f *fakeRuntime) error { return f.health("dep", "healthy") }, after: "health dep healthy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			dep := nonEssential(def("dep", "app:1"))
			if tt.health {
				dep.HealthCheck = &ecstypes.HealthCheck{Command: []string{"CMD-SHELL", "true"}}
			}
			app := def("app", "app:1")
			app.DependsOn = []ecstypes.ContainerDependency{{ContainerName: new("dep"), Condition: tt.condition}}
			h := start(t, f, testConfig(), fakeTask(ecstypes.NetworkModeBridge, app, dep))

			if tt.trigger != nil {
				h.wait("dep running", func(st agentproto.TaskStatus) bool { return containerIs(st, "dep", "RUNNING") })
				if ops := f.ops(); indexOf(ops, "start app") >= 0 {
					t.Fatalf("app started before its dependency allowed: %q", ops)
				}
				if err := tt.trigger(f); err != nil {
					t.Fatal(err)
				}
			}
			st := h.waitStatus(model.TaskRunning)
			ops := f.ops()
			if i, j := indexOf(ops, tt.after), indexOf(ops, "start app"); i < 0 || j < i {
				t.Errorf("app started at %d, %q at %d: %q", j, tt.after, i, ops)
			}
			if !containerIs(st, "app", "RUNNING") {
				t.Errorf("%s", dump(st))
			}
		})
	}
}

func TestFakeUnmetDependencyFailsTheTask(t *testing.T) {
	t.Parallel()
	f := newFake()
	app := def("app", "app:1")
	app.DependsOn = []ecstypes.ContainerDependency{{ContainerName: new("init"), Condition: ecstypes.ContainerConditionSuccess}}
	h := start(t, f, testConfig(), fakeTask(ecstypes.NetworkModeBridge, nonEssential(def("init", "app:1")), app))
	h.wait("init running", func(st agentproto.TaskStatus) bool { return containerIs(st, "init", "RUNNING") })
	if err := f.exit("init", 1); err != nil {
		t.Fatal(err)
	}
	st := h.finish()
	if st.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.Contains(st.StoppedReason, "as dependency did not exit successfully") {
		t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
	}
	if c := container(t, st, "app"); c.RuntimeId != nil && indexOf(f.ops(), "start app") >= 0 {
		t.Errorf("app ran: %q", f.ops())
	}
}

func TestFakeFailuresToStart(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		fail       func(f *fakeRuntime)
		wantReason string // the stopped reason's prefix, the container's too
	}{
		{name: "pull", fail: func(f *fakeRuntime) { f.pullErr["app:1"] = errors.New("pull access denied for app") },
			wantReason: "CannotPullContainerError: pull access denied for app"},
		{name: "create", fail: func(f *fakeRuntime) { f.createErr["main"] = errors.New("invalid mount config") },
			wantReason: "CannotCreateContainerError: invalid mount config"},
		{name: "start", fail: func(f *fakeRuntime) { f.startErr["main"] = errors.New("exec: /no/such/program: not found") },
			wantReason: "CannotStartContainerError: exec: /no/such/program: not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			tt.fail(f)
			st := start(t, f, testConfig(), fakeTask(ecstypes.NetworkModeBridge, def("main", "app:1"), nonEssential(def("side", "side:1")))).finish()
			if st.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || st.StoppedReason != tt.wantReason {
				t.Errorf("stop %s %q, want TaskFailedToStart %q", st.StopCode, st.StoppedReason, tt.wantReason)
			}
			if c := container(t, st, "main"); shape.Deref(c.Reason) != tt.wantReason || shape.Deref(c.LastStatus) != "STOPPED" {
				t.Errorf("main: %s %q", shape.Deref(c.LastStatus), shape.Deref(c.Reason))
			}
			if !containerIs(st, "side", "STOPPED") {
				t.Errorf("side not stopped: %s", dump(st))
			}
			if ops := f.ops(); indexOf(ops, "start main") >= 0 {
				t.Errorf("main started: %q", ops)
			}
		})
	}
}

func TestFakeAdoption(t *testing.T) {
	t.Parallel()
	f := newFake()
	a := fakeTask(ecstypes.NetworkModeAwsvpc, def("main", "app:1"), nonEssential(def("side", "app:1")), nonEssential(def("extra", "app:1")))
	first := start(t, f, testConfig(), a)
	before := first.waitRunning()

	// wharf stops: the containers keep running.
	first.cancel()
	if err := <-first.done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	first.done <- context.Canceled
	// While no runner runs, side is killed and extra removed.
	if err := f.exit("side", 137); err != nil {
		t.Fatal(err)
	}
	extraID := shape.Deref(container(t, before, "extra").RuntimeId)
	if err := f.RemoveContainer(context.Background(), extraID, true); err != nil {
		t.Fatal(err)
	}
	mark := len(f.ops())

	second := start(t, f, testConfig(), a)
	st := second.wait("adopted", func(st agentproto.TaskStatus) bool {
		return st.LastStatus == model.TaskRunning && containerIs(st, "side", "STOPPED") && containerIs(st, "extra", "RUNNING")
	})
	if c := container(t, st, "side"); shape.Deref(c.ExitCode) != 137 || shape.Deref(c.RuntimeId) != shape.Deref(container(t, before, "side").RuntimeId) {
		t.Errorf("side: exit %d runtime %s", shape.Deref(c.ExitCode), shape.Deref(c.RuntimeId))
	}
	if c := container(t, st, "extra"); shape.Deref(c.RuntimeId) == extraID {
		t.Errorf("extra: still the removed container")
	}
	if main := container(t, st, "main"); shape.Deref(main.RuntimeId) != shape.Deref(container(t, before, "main").RuntimeId) {
		t.Errorf("main not adopted: %s", dump(st))
	}
	after := f.ops()[mark:]
	for _, name := range []string{"main", "side", PauseContainerName} {
		if indexOf(after, "create "+name) >= 0 || indexOf(after, "start "+name) >= 0 {
			t.Errorf("%s made again after the restart: %q", name, after)
		}
	}
	if indexOf(after, "create extra") < 0 {
		t.Errorf("extra not made again: %q", after)
	}
	if !jsonEqual(st.Attachments, before.Attachments) {
		t.Errorf("attachment changed:\n %s\n %s", jsonOf(st.Attachments), jsonOf(before.Attachments))
	}
	second.stop(a, "test done")
	second.finish()
}

func jsonEqual(a, b any) bool { return jsonOf(a) == jsonOf(b) }

// A task the agent knows to be new starts without listing the engine's
// containers; any other task looks for its containers first (adoption).
func TestFakeNewTaskSkipsTheSearch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		isNew     bool
		wantLists bool
	}{
		{name: "new task", isNew: true, wantLists: false},
		{name: "task that may have containers", isNew: false, wantLists: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			cfg := testConfig()
			cfg.New = tt.isNew
			h := start(t, f, cfg, fakeTask(ecstypes.NetworkModeBridge, def("main", "app:1")))
			h.waitStatus(model.TaskRunning)
			f.mu.Lock()
			lists := f.lists
			f.mu.Unlock()
			if (lists > 0) != tt.wantLists {
				t.Errorf("ListContainers called %d times; want calls: %v", lists, tt.wantLists)
			}
		})
	}
}

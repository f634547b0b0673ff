package runner

import (
	"github.com/wharfhq/wharf/agentproto"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// The engine's events say most of what the runner needs; these tests check
// that it takes their word and inspects a container only when something is
// missing.

func TestFakeExitFromTheEvent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		bareEvents   bool                       // events without attributes
		end          func(f *fakeRuntime) error // how main ends
		wantExit     int32
		wantReason   string
		wantInspects int // of main, the start's included
	}{
		{name: "exit code from the die event", end: func(f *fakeRuntime) error { return f.exit("main", 3) },
			wantExit: 3, wantInspects: 1},
		{name: "die without exitCode: inspected", bareEvents: true, end: func(f *fakeRuntime) error { return f.exit("main", 3) },
			wantExit: 3, wantInspects: 2},
		{name: "oom then die: OOM without inspecting", end: func(f *fakeRuntime) error { return f.oomKill("main", true, false) },
			wantExit: 137, wantReason: reasonOOM, wantInspects: 1},
		{name: "137 without an oom event: the inspect's OOMKilled", end: func(f *fakeRuntime) error { return f.oomKill("main", false, false) },
			wantExit: 137, wantReason: reasonOOM, wantInspects: 2},
		{name: "die before oom: the inspect's OOMKilled", end: func(f *fakeRuntime) error { return f.oomKill("main", true, true) },
			wantExit: 137, wantReason: reasonOOM, wantInspects: 2},
		{name: "137 from a SIGKILL: inspected, no OOM", end: func(f *fakeRuntime) error { return f.exit("main", 137) },
			wantExit: 137, wantInspects: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			f.bareEvents = tt.bareEvents
			a := fakeTask(ecstypes.NetworkModeBridge, def("main", "app:1"))
			h := start(t, f, testConfig(), a)
			h.waitRunning()
			if n := f.inspected("main"); n != 1 {
				t.Errorf("main inspected %d times until RUNNING, want 1 (after its start)", n)
			}
			if err := tt.end(f); err != nil {
				t.Fatal(err)
			}
			st := h.finish()
			c := container(t, st, "main")
			if shape.Deref(c.ExitCode) != tt.wantExit || shape.Deref(c.Reason) != tt.wantReason || shape.Deref(c.LastStatus) != "STOPPED" {
				t.Errorf("main: %s exit %d reason %q, want STOPPED exit %d reason %q",
					shape.Deref(c.LastStatus), shape.Deref(c.ExitCode), shape.Deref(c.Reason), tt.wantExit, tt.wantReason)
			}
			if st.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
				t.Errorf("stop code %s", st.StopCode)
			}
			if n := f.inspected("main"); n != tt.wantInspects {
				t.Errorf("main inspected %d times, want %d", n, tt.wantInspects)
			}
		})
	}
}

func TestFakeHealthFromTheEvent(t *testing.T) {
	t.Parallel()
	f := newFake()
	main := def("main", "app:1")
	main.HealthCheck = &ecstypes.HealthCheck{Command: []string{"CMD", "true"}}
	a := fakeTask(ecstypes.NetworkModeBridge, main)
	h := start(t, f, testConfig(), a)
	h.waitRunning()
	if err := f.health("main", "healthy"); err != nil {
		t.Fatal(err)
	}
	st := h.wait("main healthy", func(st agentproto.TaskStatus) bool {
		return len(st.Containers) == 1 && st.Containers[0].HealthStatus == ecstypes.HealthStatusHealthy
	})
	if st.HealthStatus != ecstypes.HealthStatusHealthy {
		t.Errorf("task health %s", st.HealthStatus)
	}
	if n := f.inspected("main"); n != 1 {
		t.Errorf("main inspected %d times, want 1 (after its start)", n)
	}
}

// An event that comes while an operation is in flight is left to the
// operation's inspect; when that inspect fails, the start is still known
// and the event still counts: a container that exited as it started is
// not started again, and its exit code is the die event's.
func TestFakeEventDuringAFailedInspect(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		failures int
	}{
		{name: "the inspect fails once: tried again", failures: 1},
		{name: "every inspect of the start fails", failures: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exitAtOnce(t, tt.failures)
		})
	}
}

func exitAtOnce(t *testing.T, inspectFailures int) {
	f := newFake()
	f.exitAtOnce["main"] = 4
	f.inspectErr["main"] = inspectFailures
	a := fakeTask(ecstypes.NetworkModeBridge, def("main", "app:1"))
	h := start(t, f, testConfig(), a)
	st := h.finish()
	if c := container(t, st, "main"); shape.Deref(c.ExitCode) != 4 || shape.Deref(c.LastStatus) != "STOPPED" {
		t.Errorf("main: %s exit %d, want STOPPED exit 4", shape.Deref(c.LastStatus), shape.Deref(c.ExitCode))
	}
	if st.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
		t.Errorf("stop code %s %q", st.StopCode, st.StoppedReason)
	}
	starts := 0
	for _, op := range f.ops() {
		if op == "start main" {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("main started %d times, want once: %q", starts, f.ops())
	}
}

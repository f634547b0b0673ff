package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestEnsureImageLocal(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	ctx := context.Background()
	start := time.Now()
	if err := rt.EnsureImage(ctx, img.App, false); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("local image took %v", took)
	}
	// wharf-test/app is in no registry: the pull fails, the local image is used.
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := rt.EnsureImage(ctx, img.Busybox, true); err != nil {
		t.Errorf("pull=true with a local image: %v", err)
	}
}

func TestEnsureImagePullError(t *testing.T) {
	t.Parallel()
	rt := testRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err := rt.EnsureImage(ctx, "wharf-test/does-not-exist:"+strings.TrimPrefix(uniqueName(t), "wharf-test-"), false)
	var pe *PullError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *PullError", err, err)
	}
	if !strings.HasPrefix(err.Error(), "CannotPullContainerError: ") || pe.Err == nil {
		t.Errorf("text %q", err.Error())
	}
	t.Logf("pull failed after %v: %v", time.Since(start), err)
}

func TestEventsDie(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	mark := uniqueName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*slow)
	defer cancel()
	evc, errc := rt.Events(ctx, map[string]string{"wharf.test.mark": mark})
	id := run(t, rt, ContainerSpec{
		Image: img.App, Labels: map[string]string{"wharf.test.mark": mark},
		Command: []string{"-listen", ":8080"},
		Healthcheck: &Healthcheck{Test: []string{"CMD", "/testapp", "check", "http://127.0.0.1:8080/health"},
			Interval: 200 * time.Millisecond, Retries: 3},
	})
	var got []string
	for ev := range evc {
		if ev.ID != id {
			t.Errorf("event for another container: %+v", ev)
			continue
		}
		got = append(got, ev.Action+ev.Health)
		if ev.Attributes["wharf.test.mark"] != mark { // the agent routes events by label
			t.Errorf("%s event without the container's labels: %v", ev.Action, ev.Attributes)
		}
		if ev.Action == "health_status" && ev.Health == "healthy" {
			if err := rt.KillContainer(ctx, id, ""); err != nil {
				t.Fatal(err)
			}
		}
		if ev.Action == "die" {
			if ev.ExitCode != 137 || ev.Name == "" || ev.Time.IsZero() {
				t.Errorf("die event = %+v", ev)
			}
			break
		}
	}
	select {
	case err := <-errc:
		t.Fatalf("events error: %v (got %v)", err, got)
	default:
	}
	want := []string{"start", "health_statushealthy", "die"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events = %v, want %v", got, want)
	}
	cancel()
	for range evc { // the channel closes once ctx ends
	}
}

func TestLogs(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	id := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-print", "6", "-print-interval", "20ms", "-stderr", "-exit-code", "0"}})

	// Follow until the container exits.
	rc, err := rt.Logs(ctx, id, true, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, NewLogReader(rc))
	rc.Close()
	// Timestamps are in order within a stream (stdout and stderr are read
	// by separate goroutines in the engine, so not necessarily across them).
	byStream := map[string][]LogRecord{}
	for _, r := range recs {
		if r.Time.Before(before) || r.Time.After(time.Now()) {
			t.Errorf("record %+v: bad time", r)
		}
		if prev := byStream[r.Stream]; len(prev) > 0 && r.Time.Before(prev[len(prev)-1].Time) {
			t.Errorf("%s record %q out of order", r.Stream, r.Line)
		}
		byStream[r.Stream] = append(byStream[r.Stream], r)
	}
	stdout, stderr := byStream["stdout"], byStream["stderr"]
	if len(stdout) != 7 || len(stderr) != 6 || len(recs) != 13 { // 6 lines + "exiting" on stdout
		t.Fatalf("stdout %d, stderr %d records:\n%s", len(stdout), len(stderr), logText(recs))
	}
	if stdout[0].Line != "testapp line 1" || stderr[0].Line != "stderr testapp line 1" {
		t.Errorf("first lines %q, %q", stdout[0].Line, stderr[0].Line)
	}
	var js struct{ Level, Msg string }
	if err := json.Unmarshal([]byte(stdout[1].Line), &js); err != nil || js.Level != "error" || js.Msg != "testapp line 2" {
		t.Errorf("line 2 %q is not a JSON error line (%v)", stdout[1].Line, err)
	}

	// since skips the older lines.
	cut := stdout[3].Time
	rc, err = rt.Logs(ctx, id, false, cut)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	later := readAll(t, NewLogReader(rc))
	if len(later) == 0 || len(later) >= len(recs) || later[0].Time.Before(cut) {
		t.Errorf("since %v: %d of %d records", cut, len(later), len(recs))
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	id := run(t, rt, ContainerSpec{Image: img.App, Memory: 128 << 20, Command: []string{"-cpu-load", "1", "-alloc-mb", "16"}})
	waitFor(t, rt, id, slow, "running", func(s ContainerState) bool { return s.Running })
	// The program allocates its 16 MiB after it starts: on a loaded machine
	// that takes a while, so read until it shows (bounded).
	var s Stats
	for deadline := time.Now().Add(slow); ; time.Sleep(200 * time.Millisecond) {
		var err error
		if s, err = rt.Stats(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		if s.MemoryUsage >= 16<<20 && s.CPUUsage > 0 || time.Now().After(deadline) {
			break
		}
	}
	if s.CPUUsage == 0 || s.SystemCPUUsage == 0 || s.OnlineCPUs == 0 || s.Read.IsZero() {
		t.Errorf("cpu stats = %+v", s)
	}
	if s.MemoryUsage < 16<<20 || s.MemoryLimit != 128<<20 {
		t.Errorf("memory usage %d, limit %d", s.MemoryUsage, s.MemoryLimit)
	}
	var raw map[string]any
	if err := json.Unmarshal(s.Raw, &raw); err != nil || raw["cpu_stats"] == nil {
		t.Errorf("raw stats: %v", err)
	}
	t.Logf("cpu %d ns, system %d ns, %d cpus, memory %s", s.CPUUsage, s.SystemCPUUsage, s.OnlineCPUs, fmt.Sprintf("%d/%d", s.MemoryUsage, s.MemoryLimit))
}

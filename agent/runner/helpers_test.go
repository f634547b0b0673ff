package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/runtime/docker"
	"github.com/wharfhq/wharf/testkit/dockertest"
	"github.com/wharfhq/wharf/testkit/images"
)

// slow bounds waits that are quick on an idle machine but may take long on
// a loaded one.
const slow = 45 * time.Second

// setup connects to the local engine and builds (or finds) the test
// images (dockertest.Images).
func setup(t *testing.T) (*docker.Runtime, images.Images) {
	t.Helper()
	return dockertest.Images(t)
}

var nonName = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// newTask is an assignment of a task with a unique ARN in eu-west-1 and a
// family named after the test; every container carries wharf.test=1. The
// task's containers and volumes are removed when the test ends.
func newTask(t *testing.T, rt *docker.Runtime, mode ecstypes.NetworkMode, defs ...ecstypes.ContainerDefinition) agentproto.Assignment {
	t.Helper()
	var id [16]byte
	_, _ = rand.Read(id[:])
	family := "wharftest-" + strings.ToLower(strings.Trim(nonName.ReplaceAllString(t.Name(), "-"), "-"))
	if len(family) > 60 {
		family = family[:60]
	}
	for i := range defs {
		if defs[i].DockerLabels == nil {
			defs[i].DockerLabels = map[string]string{}
		}
		defs[i].DockerLabels[images.TestLabel] = "1"
	}
	scope := model.Scope{Account: "000000000000", Region: "eu-west-1"}
	a := agentproto.Assignment{
		TaskARN:       scope.TaskARN("wharf-test", hex.EncodeToString(id[:])),
		ClusterARN:    scope.ClusterARN("wharf-test"),
		DesiredStatus: model.TaskRunning,
		LaunchType:    ecstypes.LaunchTypeEc2,
		Definition: ecstypes.TaskDefinition{
			Family: new(family), Revision: 1, NetworkMode: mode, ContainerDefinitions: defs,
		},
		Version: 1,
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), slow)
		defer cancel()
		if err := Cleanup(ctx, rt, a.TaskARN); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return a
}

// def is a container definition running image with command.
func def(name, image string, command ...string) ecstypes.ContainerDefinition {
	return ecstypes.ContainerDefinition{Name: new(name), Image: new(image), Command: command}
}

// run is a runner under test: its reports, and its Run on a goroutine.
type run struct {
	t      *testing.T
	r      *Runner
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	reports []agentproto.TaskStatus
	changed chan struct{}
	logs    bytes.Buffer
}

// testConfig is the runner configuration of the tests: every container,
// the pause container included, carries wharf.test=1.
func testConfig() Config {
	return Config{BindIP: "127.0.0.1", StopTimeout: 5 * time.Second, Labels: map[string]string{images.TestLabel: "1"}}
}

// start runs a runner for a; the test's end cancels it.
func start(t *testing.T, rt Runtime, cfg Config, a agentproto.Assignment) *run {
	t.Helper()
	h := &run{t: t, done: make(chan error, 1), changed: make(chan struct{}, 1)}
	cfg.Log = slog.New(slog.NewTextHandler(lockedWriter{&h.mu, &h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.r = New(rt, cfg, a, func(st agentproto.TaskStatus) {
		h.mu.Lock()
		h.reports = append(h.reports, st)
		h.mu.Unlock()
		select {
		case h.changed <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(slow):
			t.Errorf("Run did not return after its context ended")
		}
		if t.Failed() || os.Getenv("RUNNER_LOG") != "" {
			h.mu.Lock()
			t.Logf("runner log:\n%s", h.logs.String())
			h.mu.Unlock()
		}
	})
	return h
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// wait waits until a report satisfies cond and returns it.
func (h *run) wait(what string, cond func(agentproto.TaskStatus) bool) agentproto.TaskStatus {
	h.t.Helper()
	deadline := time.After(slow)
	for seen := 0; ; {
		h.mu.Lock()
		reports := h.reports[seen:]
		h.mu.Unlock()
		for _, st := range reports {
			seen++
			if cond(st) {
				return st
			}
		}
		select {
		case <-h.changed:
		case err := <-h.done:
			h.done <- err
			h.mu.Lock()
			more := len(h.reports) > seen
			h.mu.Unlock()
			if !more {
				h.t.Fatalf("Run returned (%v) before the task was %s; last status %s", err, what, dump(h.r.Status()))
			}
		case <-deadline:
			h.t.Fatalf("task not %s after %v; last status %s", what, slow, dump(h.r.Status()))
		}
	}
}

func (h *run) waitStatus(status string) agentproto.TaskStatus {
	h.t.Helper()
	return h.wait(status, func(st agentproto.TaskStatus) bool { return st.LastStatus == status })
}

// stop asks for the task to stop, as StopTask does.
func (h *run) stop(a agentproto.Assignment, reason string) {
	a.DesiredStatus, a.StopCode, a.StoppedReason = model.TaskStopped, ecstypes.TaskStopCodeUserInitiated, reason
	a.Version++
	h.r.Update(a)
}

// finish waits for Run to return after the task STOPPED.
func (h *run) finish() agentproto.TaskStatus {
	h.t.Helper()
	st := h.waitStatus(model.TaskStopped)
	select {
	case err := <-h.done:
		h.done <- err
		if err != nil {
			h.t.Errorf("Run = %v, want nil after STOPPED", err)
		}
	case <-time.After(slow):
		h.t.Fatal("Run did not return after STOPPED")
	}
	return st
}

// all returns every report so far.
func (h *run) all() []agentproto.TaskStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]agentproto.TaskStatus(nil), h.reports...)
}

// container is the named container of a status.
func container(t *testing.T, st agentproto.TaskStatus, name string) ecstypes.Container {
	t.Helper()
	for _, c := range st.Containers {
		if shape.Deref(c.Name) == name {
			return c
		}
	}
	t.Fatalf("no container %s in %s", name, dump(st))
	return ecstypes.Container{}
}

func containerIs(st agentproto.TaskStatus, name, status string) bool {
	for _, c := range st.Containers {
		if shape.Deref(c.Name) == name {
			return shape.Deref(c.LastStatus) == status
		}
	}
	return false
}

func dump(st agentproto.TaskStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s health=%s stop=%s %q", st.LastStatus, st.HealthStatus, st.StopCode, st.StoppedReason)
	for _, c := range st.Containers {
		fmt.Fprintf(&b, "\n  %s %s exit=%v reason=%q health=%s", shape.Deref(c.Name), shape.Deref(c.LastStatus), shape.Deref(c.ExitCode), shape.Deref(c.Reason), c.HealthStatus)
	}
	return b.String()
}

// hostPort is where the container publishes containerPort.
func hostPort(t *testing.T, c ecstypes.Container, containerPort int32) int32 {
	t.Helper()
	for _, b := range c.NetworkBindings {
		if shape.Deref(b.ContainerPort) == containerPort && shape.Deref(b.BindIP) == "127.0.0.1" && shape.Deref(b.HostPort) != 0 {
			return shape.Deref(b.HostPort)
		}
	}
	t.Fatalf("%s: no binding of port %d: %+v", shape.Deref(c.Name), containerPort, c.NetworkBindings)
	return 0
}

// get fetches url until it answers 200 (a server may take a moment to
// listen) and returns the body.
func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(slow)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			err = fmt.Errorf("%s: %s", resp.Status, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inspectName inspects the container the task reports under name.
func inspectName(t *testing.T, rt *docker.Runtime, st agentproto.TaskStatus, name string) docker.ContainerState {
	t.Helper()
	s, err := rt.InspectContainer(context.Background(), shape.Deref(container(t, st, name).RuntimeId))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawEngine is a plain engine client, for tests that check what
// runtime/docker does not report (host configuration, names).
func rawEngine(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

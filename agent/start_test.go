package agent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{min: time.Second, max: 30 * time.Second}
	var got []time.Duration
	for range 8 {
		got = append(got, b.next())
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
}

// flakyEngine fails its first fails pings with err, then works.
type flakyEngine struct {
	fails int
	err   error
	pings int
	gw    string
}

func (e *flakyEngine) Ping(context.Context) error {
	e.pings++
	if e.pings <= e.fails {
		return e.err
	}
	return nil
}

func (e *flakyEngine) BridgeGateway(context.Context) (string, error) {
	if e.gw == "" {
		return "", errors.New("docker: the bridge network has no IPv4 gateway or subnet")
	}
	return e.gw, nil
}

func testAgent(t *testing.T, eng dockerProbe) *Agent {
	t.Helper()
	a, err := New(Config{Server: "http://127.0.0.1:1", DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a.probe = eng
	return a
}

// TestStartRetriesWithBackoff: an agent whose Docker does not answer
// retries with doubling waits, and its Health names the cause meanwhile.
func TestStartRetriesWithBackoff(t *testing.T) {
	eng := &flakyEngine{fails: 7, err: errors.New("docker: ping: Cannot connect to the Docker daemon at unix:///nowhere.sock"), gw: "127.0.0.1"}
	a := testAgent(t, eng)
	var waits []time.Duration
	a.sleep = func(_ context.Context, d time.Duration) bool {
		waits = append(waits, d)
		h := a.Health()
		if h == nil || !strings.HasPrefix(h.Error(), "agent: cannot reach Docker") || !strings.Contains(h.Error(), "unix:///nowhere.sock") {
			t.Errorf("while Docker is out of reach, Health is %v", h)
		}
		return true
	}
	gw, err := a.start(context.Background())
	if err != nil || gw != "127.0.0.1" {
		t.Fatalf("start: %q, %v", gw, err)
	}
	t.Cleanup(func() { _ = a.meta.ln.Close() })
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	if h := a.Health(); h == nil || h.Error() != "the local agent has not registered yet" {
		t.Fatalf("started but not registered: Health is %v", h)
	}
	if !strings.HasPrefix(a.meta.base, "http://127.0.0.1:") {
		t.Fatalf("metadata endpoint at %q", a.meta.base)
	}
}

// TestStartNamesEachCause: each step that can fail says which it was.
func TestStartNamesEachCause(t *testing.T) {
	tests := []struct {
		name string
		eng  *flakyEngine
		want string
	}{
		{"no Docker", &flakyEngine{fails: 1 << 30, err: errors.New("docker: ping: connection refused"), gw: "127.0.0.1"},
			"agent: cannot reach Docker (start dockerd, or run wharf with --no-agent): docker: ping: connection refused"},
		{"no bridge address", &flakyEngine{}, "agent: cannot find the host's address on Docker's bridge: docker: the bridge network has no IPv4 gateway or subnet"},
		{"bridge address not on this host", &flakyEngine{gw: "192.0.2.1"}, "agent: cannot serve the task metadata endpoint on 192.0.2.1: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := testAgent(t, tc.eng)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a.sleep = func(context.Context, time.Duration) bool { cancel(); return false }
			if _, err := a.start(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("start after its context ended: %v", err)
			}
			if h := a.Health(); h == nil || !strings.HasPrefix(h.Error(), tc.want) {
				t.Fatalf("Health is %v, want %q…", h, tc.want)
			}
		})
	}
}

// TestCheckDocker: a running agent whose Docker goes away says so in
// Health; the check is rate-limited.
func TestCheckDocker(t *testing.T) {
	eng := &flakyEngine{fails: 1, err: errors.New("docker: ping: connection refused")}
	a := testAgent(t, eng)
	if a.checkDocker(context.Background()) {
		t.Fatal("checkDocker with Docker gone reports it fine")
	}
	if h := a.Health(); h == nil || !strings.Contains(h.Error(), "agent: cannot reach Docker: docker: ping: connection refused") {
		t.Fatalf("Health is %v", h)
	}
	if a.checkDocker(context.Background()) || eng.pings != 1 {
		t.Fatalf("a second check within %v pinged again (%d pings)", dockerCheckEvery, eng.pings)
	}
	a.dockerAt = time.Time{}
	if !a.checkDocker(context.Background()) {
		t.Fatal("checkDocker with Docker back reports it gone")
	}
}

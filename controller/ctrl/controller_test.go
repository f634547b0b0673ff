package ctrl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sourceFunc adapts a function to Source.
type sourceFunc func(ctx context.Context, q *Queue) error

func (f sourceFunc) Run(ctx context.Context, q *Queue) error { return f(ctx, q) }

// adds is a source that queues keys once and then waits for ctx.
func adds(keys ...string) Source {
	return sourceFunc(func(ctx context.Context, q *Queue) error {
		for _, k := range keys {
			q.Add(k)
		}
		<-ctx.Done()
		return nil
	})
}

// logBuffer is a slog destination tests read while controllers write.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// start runs c in the background and returns a stop function that cancels
// it and returns Run's error.
func start(t *testing.T, r Runner) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestControllerSyncsEveryKey(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	c := &Controller{Name: "test", Workers: 3, Sources: []Source{adds("a", "b", "c", "a")},
		Sync: func(_ context.Context, key string) error {
			mu.Lock()
			defer mu.Unlock()
			calls[key]++
			return nil
		}}
	stop := start(t, c)
	eventually(t, "three keys synced", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(calls) == 3
	})
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

// TestControllerNeverSyncsOneKeyTwiceAtOnce hammers one key from a source
// while several workers run: the key is synced again after each change,
// but never by two workers at the same time.
func TestControllerNeverSyncsOneKeyTwiceAtOnce(t *testing.T) {
	var inFlight, overlap, synced atomic.Int64
	started, release := make(chan struct{}), make(chan struct{})
	c := &Controller{Name: "test", Workers: 4,
		Sources: []Source{sourceFunc(func(ctx context.Context, q *Queue) error {
			q.Add("k")
			<-started
			for range 200 { // changes while the first sync runs
				q.Add("k")
			}
			close(release)
			<-ctx.Done()
			return nil
		})},
		Sync: func(context.Context, string) error {
			if inFlight.Add(1) > 1 {
				overlap.Add(1)
			}
			if synced.Add(1) == 1 {
				close(started)
				<-release
			}
			inFlight.Add(-1)
			return nil
		}}
	stop := start(t, c)
	eventually(t, "the key re-synced after its change", func() bool { return synced.Load() >= 2 })
	_ = stop()
	if overlap.Load() != 0 {
		t.Fatalf("one key synced by two workers at once %d times", overlap.Load())
	}
	if n := synced.Load(); n != 2 {
		t.Fatalf("synced %d times, want 2 (200 adds during a sync make one more)", n)
	}
}

// TestControllerRetriesWithBackoffThenDrops checks that a failing key is
// retried MaxRetries times, each after its backoff, then dropped with a
// log line, while other keys go on being synced.
func TestControllerRetriesWithBackoffThenDrops(t *testing.T) {
	clock := NewFakeClock(t0)
	var logs logBuffer
	var bad, good atomic.Int64
	c := &Controller{Name: "test", Clock: clock, MaxRetries: 3, Log: logs.logger(),
		Backoff: Backoff{Base: time.Second, Max: time.Minute},
		Sources: []Source{adds("bad", "good")},
		Sync: func(_ context.Context, key string) error {
			if key == "bad" {
				bad.Add(1)
				return errors.New("boom")
			}
			good.Add(1)
			return nil
		}}
	start(t, c)
	eventually(t, "the good key synced despite the bad one", func() bool { return good.Load() == 1 })
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		eventually(t, fmt.Sprintf("failure %d", i+1), func() bool { return bad.Load() == int64(i+1) })
		if !clock.BlockUntil(1, 5*time.Second) {
			t.Fatal("no retry is waiting")
		}
		clock.Advance(wait - time.Millisecond)
		if n := bad.Load(); n != int64(i+1) {
			t.Fatalf("retried before the %v backoff: %d syncs", wait, n)
		}
		clock.Advance(time.Millisecond)
	}
	eventually(t, "the drop logged", func() bool { return strings.Contains(logs.String(), "dropping the key") })
	if n := bad.Load(); n != 4 {
		t.Fatalf("bad synced %d times, want 1 + 3 retries", n)
	}
	if w := clock.Waiters(); w != 0 {
		t.Fatalf("%d waits pending after the drop; want none", w)
	}
}

func TestControllerRecoversPanickingSync(t *testing.T) {
	var calls atomic.Int64
	c := &Controller{Name: "test", Backoff: Backoff{Base: time.Millisecond, Max: time.Millisecond},
		Log:     slog.New(slog.DiscardHandler),
		Sources: []Source{adds("k")},
		Sync: func(context.Context, string) error {
			if calls.Add(1) == 1 {
				panic("bad record")
			}
			return nil
		}}
	start(t, c)
	eventually(t, "a retry after the panic", func() bool { return calls.Load() == 2 })
}

func TestControllerReturnsSourceError(t *testing.T) {
	boom := errors.New("store closed")
	c := &Controller{Name: "test", Sources: []Source{sourceFunc(func(context.Context, *Queue) error { return boom })},
		Sync: func(context.Context, string) error { return nil }}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Fatalf("Run = %v, want the source's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a failed source did not end Run")
	}
}

func TestEveryAndSignal(t *testing.T) {
	clock := NewFakeClock(t0)
	var mu sync.Mutex
	calls := map[string]int{}
	count := func(k string) int {
		mu.Lock()
		defer mu.Unlock()
		return calls[k]
	}
	nudge := make(chan struct{}, 1)
	c := &Controller{Name: "test", Clock: clock,
		Sources: []Source{&Every{Period: time.Minute, Keys: []string{"sweep"}, Clock: clock}, &Signal{C: nudge, Keys: []string{"sweep"}}},
		Sync: func(_ context.Context, key string) error {
			mu.Lock()
			defer mu.Unlock()
			calls[key]++
			return nil
		}}
	start(t, c)
	eventually(t, "the first pass at start", func() bool { return count("sweep") == 1 })
	nudge <- struct{}{}
	eventually(t, "a pass on the nudge", func() bool { return count("sweep") == 2 })
	if !clock.BlockUntil(1, 5*time.Second) {
		t.Fatal("Every is not waiting")
	}
	clock.Advance(time.Minute)
	eventually(t, "a pass after the period", func() bool { return count("sweep") == 3 })
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

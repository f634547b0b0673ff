package logretention

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

type fakeLogs struct {
	sweeps atomic.Int64
	failAt int64 // this sweep fails
	nudge  chan struct{}
}

func (f *fakeLogs) Sweep(context.Context) error {
	if f.sweeps.Add(1) == f.failAt {
		return errors.New("disk full")
	}
	return nil
}

func (f *fakeLogs) Nudges() <-chan struct{} { return f.nudge }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestJanitor: a sweep at start, one on each nudge, and a failed sweep
// retried after its backoff rather than at the next period.
func TestJanitor(t *testing.T) {
	f := &fakeLogs{failAt: 2, nudge: make(chan struct{}, 1)}
	c := New(f, slog.New(slog.DiscardHandler))
	c.Backoff = ctrl.Backoff{Base: time.Millisecond, Max: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitFor(t, "the sweep at start", func() bool { return f.sweeps.Load() == 1 })
	f.nudge <- struct{}{}
	waitFor(t, "the nudged sweep, failing, then its retry", func() bool { return f.sweeps.Load() == 3 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

package ctrl

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type runnerFunc func(ctx context.Context) error

func (f runnerFunc) Run(ctx context.Context) error { return f(ctx) }

// TestSupervisorRestartsWithBackoff: a runner that fails is restarted
// after 1s, then 2s, and not before; once it runs it stays up until the
// supervisor's ctx ends.
func TestSupervisorRestartsWithBackoff(t *testing.T) {
	tests := []struct {
		name string
		fail func() error // how the first two runs fail
	}{
		{"error", func() error { return errors.New("watch broke") }},
		{"returned early", func() error { return nil }},
		{"panic", func() error { panic("bad") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewFakeClock(t0)
			var logs logBuffer
			var runs atomic.Int64
			s := &Supervisor{Clock: clock, Log: logs.logger(), Backoff: Backoff{Base: time.Second, Max: time.Minute}}
			s.Add("flaky", runnerFunc(func(ctx context.Context) error {
				if runs.Add(1) <= 2 {
					return tt.fail()
				}
				<-ctx.Done()
				return nil
			}))
			stop := start(t, s)
			for i, wait := range []time.Duration{time.Second, 2 * time.Second} {
				if !clock.BlockUntil(1, 5*time.Second) {
					t.Fatal("the supervisor is not waiting to restart")
				}
				clock.Advance(wait - time.Millisecond)
				if n := runs.Load(); n != int64(i+1) {
					t.Fatalf("restarted before the %v backoff: %d runs", wait, n)
				}
				clock.Advance(time.Millisecond)
				eventually(t, "a restart", func() bool { return runs.Load() == int64(i+2) })
			}
			eventually(t, "the third run", func() bool { return runs.Load() == 3 })
			if err := stop(); err != nil {
				t.Fatalf("Run = %v", err)
			}
			if got := strings.Count(logs.String(), "restarting after a backoff"); got != 2 {
				t.Fatalf("%d restart lines logged, want 2:\n%s", got, logs.String())
			}
			if n := runs.Load(); n != 3 {
				t.Fatalf("%d runs after stop, want 3", n)
			}
		})
	}
}

// TestSupervisorStopsAll: cancelling the supervisor's ctx stops every
// runner, including one waiting for its restart, and Run returns after.
func TestSupervisorStopsAll(t *testing.T) {
	clock := NewFakeClock(t0)
	var stopped atomic.Int64
	s := &Supervisor{Clock: clock, Log: slogDiscard()}
	for _, name := range []string{"a", "b"} {
		s.Add(name, runnerFunc(func(ctx context.Context) error {
			<-ctx.Done()
			stopped.Add(1)
			return ctx.Err()
		}))
	}
	s.Add("failing", runnerFunc(func(context.Context) error { return errors.New("down") }))
	if got := strings.Join(s.Names(), ","); got != "a,b,failing" {
		t.Fatalf("Names = %s", got)
	}
	stop := start(t, s)
	if !clock.BlockUntil(1, 5*time.Second) {
		t.Fatal("the failing runner is not waiting to restart")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := stopped.Load(); n != 2 {
		t.Fatalf("%d runners stopped, want 2", n)
	}
}

// TestSupervisorBackoffResetsAfterALongRun: a failure after a long healthy
// run waits the base delay again, not the grown one.
func TestSupervisorBackoffResetsAfterALongRun(t *testing.T) {
	clock := NewFakeClock(t0)
	var runs atomic.Int64
	healthy := make(chan struct{})
	s := &Supervisor{Clock: clock, Log: slogDiscard(), Backoff: Backoff{Base: time.Second, Max: time.Minute}}
	s.Add("r", runnerFunc(func(ctx context.Context) error {
		switch runs.Add(1) {
		case 1:
			return errors.New("first")
		case 2:
			<-healthy // runs for a long while, then fails
			return errors.New("second")
		}
		<-ctx.Done()
		return nil
	}))
	start(t, s)
	if !clock.BlockUntil(1, 5*time.Second) {
		t.Fatal("not waiting")
	}
	clock.Advance(time.Second)
	eventually(t, "the second run", func() bool { return runs.Load() == 2 })
	clock.Advance(time.Hour)
	close(healthy)
	if !clock.BlockUntil(1, 5*time.Second) {
		t.Fatal("not waiting")
	}
	clock.Advance(time.Second) // the base again, not 2s
	eventually(t, "the third run", func() bool { return runs.Load() == 3 })
}

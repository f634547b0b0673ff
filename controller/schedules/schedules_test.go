package schedules

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// fakeFirer fires ticks every period on the controller's clock.
type fakeFirer struct {
	mu     sync.Mutex
	clock  ctrl.Clock
	next   time.Time
	period time.Duration
	fired  []time.Time
	fail   int // fail this many passes first
	nudges chan struct{}
}

func (f *fakeFirer) FireDue(context.Context) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return time.Time{}, errors.New("store unavailable")
	}
	now := f.clock.Now()
	for !f.next.After(now) {
		f.fired = append(f.fired, f.next)
		f.next = f.next.Add(f.period)
	}
	return f.next, nil
}

func (f *fakeFirer) Nudges() <-chan struct{} { return f.nudges }

func (f *fakeFirer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.fired)
}

func TestControllerWakesAtTheNextTick(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail int
	}{
		{"healthy", 0},
		{"retries a failed pass", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := ctrl.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			f := &fakeFirer{clock: clock, next: clock.Now().Add(time.Minute), period: time.Minute, fail: tc.fail, nudges: make(chan struct{})}
			c := &Controller{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock, Firers: []Firer{f}}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = c.Run(ctx) }()
			defer func() { cancel(); <-done }()
			for i := 1; i <= 3; i++ {
				// Advance to each tick only once the controller waits on
				// the clock; a failing pass waits its backoff first.
				for f.count() < i {
					if !clock.BlockUntil(1, 5*time.Second) {
						t.Fatalf("controller is not waiting (fired %d)", f.count())
					}
					clock.Advance(time.Minute)
					waitFor(t, func() bool { return clock.Waiters() > 0 || f.count() >= i })
				}
			}
			if got := f.count(); got != 3 {
				t.Fatalf("fired %d ticks, want 3", got)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

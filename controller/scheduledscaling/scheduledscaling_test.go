package scheduledscaling

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// fakeScheduler reports each pass's time and plans the next one.
type fakeScheduler struct {
	passes  chan time.Time
	nothing atomic.Bool // plan nothing
	nudge   chan struct{}
}

func (f *fakeScheduler) RunDue(_ context.Context, now time.Time) (time.Time, error) {
	nothing := f.nothing.Load() // read before reporting the pass, which lets the test go on
	f.passes <- now
	if nothing {
		return time.Time{}, nil
	}
	// Every 20 seconds on the 20.
	return now.Truncate(20 * time.Second).Add(20 * time.Second), nil
}

func (f *fakeScheduler) Nudges() <-chan struct{} { return f.nudge }

func TestPassesOnTime(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := ctrl.NewFakeClock(start)
	s := &fakeScheduler{passes: make(chan time.Time, 10), nudge: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- New(s, slog.New(slog.DiscardHandler), clock).Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	pass := func(name string, want time.Time) {
		t.Helper()
		select {
		case got := <-s.passes:
			if !got.Equal(want) {
				t.Fatalf("%s: pass at %v, want %v", name, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no pass", name)
		}
	}
	// settle waits until the source waits on the clock for the planned
	// time (its earlier waits may still be registered too).
	settle := func() {
		t.Helper()
		if !clock.BlockUntil(1, 5*time.Second) {
			t.Fatal("the controller never waited on the clock")
		}
		time.Sleep(10 * time.Millisecond) // let a replan register its wait
	}
	pass("at start", start)
	settle()
	clock.Advance(19 * time.Second)
	select {
	case got := <-s.passes:
		t.Fatalf("a pass at %v, before the planned time", got)
	case <-time.After(50 * time.Millisecond):
	}
	clock.Advance(time.Second)
	pass("at the planned time", start.Add(20*time.Second))
	settle()
	s.nudge <- struct{}{}
	pass("on a nudge", start.Add(20*time.Second))

	// With nothing planned, the resync still comes.
	s.nothing.Store(true)
	settle()
	clock.Advance(20 * time.Second)
	pass("planned before the change", start.Add(40*time.Second))
	settle()
	clock.Advance(Resync)
	pass("resync", start.Add(40*time.Second+Resync))
}

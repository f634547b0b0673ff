package ctrl

import (
	"sync"
	"time"
)

// Clock is the time source of queues, sources and the supervisor. Tests
// inject a FakeClock so that backoffs, delays and resyncs need no sleeps.
type Clock interface {
	Now() time.Time
	// Until returns a channel that receives once the clock reaches t, at
	// once when t has passed. It takes an absolute time, not a duration, so
	// that a fake clock advanced between a caller's Now and its Until
	// cannot leave the caller waiting for a moment that already came.
	Until(t time.Time) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) Until(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

func orReal(c Clock) Clock {
	if c == nil {
		return RealClock{}
	}
	return c
}

// after is a wait of d on c.
func after(c Clock, d time.Duration) <-chan time.Time { return c.Until(c.Now().Add(d)) }

// FakeClock is a Clock that moves only when told (Advance).
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	changed chan struct{} // closed and replaced whenever a waiter registers
}

type fakeWaiter struct {
	at time.Time
	c  chan time.Time
}

// NewFakeClock returns a clock standing at now.
func NewFakeClock(now time.Time) *FakeClock {
	return &FakeClock{now: now, changed: make(chan struct{})}
}

func (f *FakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *FakeClock) Until(t time.Time) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(chan time.Time, 1)
	if !t.After(f.now) {
		c <- f.now
		return c
	}
	f.waiters = append(f.waiters, fakeWaiter{at: t, c: c})
	close(f.changed)
	f.changed = make(chan struct{})
	return c
}

// Advance moves the clock by d and fires every wait that is due.
func (f *FakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if w.at.After(f.now) {
			kept = append(kept, w)
			continue
		}
		w.c <- f.now
	}
	f.waiters = kept
}

// Waiters is how many waits are pending.
func (f *FakeClock) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// BlockUntil returns once at least n waits are pending, or false after
// timeout (real time): a test uses it to know that the code under test
// is waiting on the clock before it advances it.
func (f *FakeClock) BlockUntil(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		f.mu.Lock()
		ok, changed := len(f.waiters) >= n, f.changed
		f.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}

package ctrl

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func newTestQueue(t *testing.T) (*Queue, *FakeClock) {
	t.Helper()
	clock := NewFakeClock(t0)
	q := NewQueue(clock, Backoff{Base: 5 * time.Millisecond, Max: 1000 * time.Second})
	t.Cleanup(q.ShutDown)
	return q, clock
}

// get takes a key or fails the test after a few seconds: Get itself would
// block forever on a bug.
func get(t *testing.T, q *Queue) (string, bool) {
	t.Helper()
	type res struct {
		key  string
		quit bool
	}
	c := make(chan res, 1)
	go func() { k, quit := q.Get(); c <- res{k, quit} }()
	select {
	case r := <-c:
		return r.key, r.quit
	case <-time.After(5 * time.Second):
		t.Fatal("Get did not return")
		return "", false
	}
}

func TestQueueAddDedups(t *testing.T) {
	q, _ := newTestQueue(t)
	for _, k := range []string{"a", "b", "a", "a", "c", "b"} {
		q.Add(k)
	}
	if n := q.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	for _, want := range []string{"a", "b", "c"} {
		if got, _ := get(t, q); got != want {
			t.Fatalf("Get = %q, want %q (first in, first out)", got, want)
		}
	}
}

func TestQueueProcessingExclusive(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add("a")
	key, _ := get(t, q)
	q.Add("a") // changed while a worker holds it
	q.Add("a")
	if n := q.Len(); n != 0 {
		t.Fatalf("a key being processed was handed out again: Len = %d", n)
	}
	q.Add("b")
	if got, _ := get(t, q); got != "b" {
		t.Fatalf("Get = %q, want b while a is processed", got)
	}
	q.Done(key)
	if got, _ := get(t, q); got != "a" {
		t.Fatalf("after Done, Get = %q, want a re-queued once", got)
	}
	q.Done("a")
	q.Done("b")
	if n := q.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0: a was queued once more than added", n)
	}
}

func TestQueueDoneWithoutReAdd(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add("a")
	k, _ := get(t, q)
	q.Done(k)
	if n := q.Len(); n != 0 {
		t.Fatalf("Len = %d after Done of a key not re-added", n)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 5 * time.Millisecond, Max: 1000 * time.Second}
	tests := []struct {
		name     string
		failures int
		want     time.Duration
	}{
		{"first failure waits base", 0, 5 * time.Millisecond},
		{"second doubles", 1, 10 * time.Millisecond},
		{"tenth", 9, 2560 * time.Millisecond},
		{"just under the cap", 17, 655360 * time.Millisecond},
		{"capped", 18, 1000 * time.Second},
		{"far past the cap does not overflow", 500, 1000 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Delay(tt.failures); got != tt.want {
				t.Fatalf("Delay(%d) = %v, want %v", tt.failures, got, tt.want)
			}
		})
	}
}

// TestQueueRateLimitBackoff checks that each AddRateLimited waits twice as
// long as the one before, and that Forget starts again at the base.
func TestQueueRateLimitBackoff(t *testing.T) {
	q, clock := newTestQueue(t)
	for i, wait := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond} {
		q.AddRateLimited("a")
		if n := q.NumRequeues("a"); n != i+1 {
			t.Fatalf("NumRequeues = %d, want %d", n, i+1)
		}
		if !clock.BlockUntil(1, 5*time.Second) {
			t.Fatal("the delay loop is not waiting")
		}
		clock.Advance(wait - time.Millisecond)
		if q.Len() != 0 {
			t.Fatalf("retry %d ready before its %v backoff", i+1, wait)
		}
		clock.Advance(time.Millisecond)
		if k, _ := get(t, q); k != "a" {
			t.Fatalf("Get = %q", k)
		}
		q.Done("a")
	}
	q.Forget("a")
	if n := q.NumRequeues("a"); n != 0 {
		t.Fatalf("NumRequeues after Forget = %d", n)
	}
	q.AddRateLimited("a")
	clock.Advance(5 * time.Millisecond)
	if k, _ := get(t, q); k != "a" {
		t.Fatalf("after Forget the backoff is not back at its base: Get = %q", k)
	}
}

func TestQueueAddAfter(t *testing.T) {
	q, clock := newTestQueue(t)
	q.AddAfter("late", time.Minute)
	q.AddAfter("soon", time.Second)
	q.AddAfter("late", time.Hour) // a later delay does not postpone an earlier one
	q.AddAfter("now", 0)
	if k, _ := get(t, q); k != "now" {
		t.Fatalf("Get = %q, want now (no delay)", k)
	}
	clock.Advance(time.Second)
	if k, _ := get(t, q); k != "soon" {
		t.Fatalf("Get = %q, want soon", k)
	}
	if !clock.BlockUntil(1, 5*time.Second) {
		t.Fatal("the delay loop is not waiting for late")
	}
	clock.Advance(58 * time.Second)
	if q.Len() != 0 {
		t.Fatal("late is ready before its minute")
	}
	clock.Advance(time.Second)
	if k, _ := get(t, q); k != "late" {
		t.Fatalf("Get = %q, want late", k)
	}
}

func TestQueueShutDownDrains(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add("a")
	q.Add("b")
	q.AddAfter("delayed", time.Hour)
	q.ShutDown()
	q.Add("after")
	for _, want := range []string{"a", "b"} {
		if k, quit := get(t, q); quit || k != want {
			t.Fatalf("Get = %q, %v; want %q: keys queued before ShutDown are still handed out", k, quit, want)
		}
	}
	if k, quit := get(t, q); !quit {
		t.Fatalf("Get = %q, want shutdown", k)
	}
	q.ShutDown() // twice is fine
}

func TestQueueShutDownWakesWaiters(t *testing.T) {
	q, _ := newTestQueue(t)
	done := make(chan bool)
	for range 3 {
		go func() { _, quit := q.Get(); done <- quit }()
	}
	q.ShutDown()
	for range 3 {
		select {
		case quit := <-done:
			if !quit {
				t.Fatal("a blocked Get returned a key from an empty queue")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("ShutDown left a Get blocked")
		}
	}
}

package service

import (
	"fmt"
	"time"
)

// taskLife is what the breaker and the throttle need of one task: when it
// started RUNNING (zero if it never did), when it stopped (zero while
// live), and whether its stop counts as a failure.
type taskLife struct {
	deployment string
	started    time.Time
	stopped    time.Time
	failed     bool
	// healthy: a live task that passes its checks now.
	healthy bool
}

// ranFor reports whether the task stayed RUNNING for window: until it
// stopped, or until now while it lives.
func (l taskLife) ranFor(now time.Time, window time.Duration) bool {
	if l.started.IsZero() {
		return false
	}
	end := now
	if !l.stopped.IsZero() {
		end = l.stopped
	}
	return end.Sub(l.started) >= window
}

// failures is one deployment's failed tasks as the circuit breaker and the
// launch throttle count them.
type failures struct {
	// count is the failures in a row since resetAt.
	count int
	// resetAt is when a task of the deployment last completed the
	// stabilisation window (zero if none did).
	resetAt time.Time
	// last is when the newest counted failure stopped; neverRan tells
	// whether that task ever reached RUNNING.
	last     time.Time
	neverRan bool
}

// countFailures counts each deployment's failed tasks since one of its
// tasks last stayed up for window (with resetOnHealthy; otherwise every
// failure counts). A task that crashes a moment after RUNNING never
// resets the count, so a crash loop trips the breaker however fast it
// flaps.
func countFailures(lives []taskLife, now time.Time, window time.Duration, resetOnHealthy bool) map[string]failures {
	out := map[string]failures{}
	if resetOnHealthy {
		for _, l := range lives {
			// A stopped task's health is no longer known: having run the
			// window before it stopped is taken as having been healthy.
			if (l.healthy || !l.stopped.IsZero()) && l.ranFor(now, window) {
				f := out[l.deployment]
				if at := l.started.Add(window); at.After(f.resetAt) {
					f.resetAt = at
				}
				out[l.deployment] = f
			}
		}
	}
	for _, l := range lives {
		f := out[l.deployment]
		if !l.failed || !l.stopped.After(f.resetAt) {
			continue
		}
		f.count++
		if l.stopped.After(f.last) {
			f.last, f.neverRan = l.stopped, l.started.IsZero()
		}
		out[l.deployment] = f
	}
	return out
}

// MaxLaunchDelay is the longest the throttle waits between launches, as
// ECS documents for its service throttle logic.
const MaxLaunchDelay = 27 * time.Minute

// LaunchDelay is how long the throttle waits after the newest of n failures
// in a row before starting another task: nothing for the first failure,
// then 5 s doubling up to MaxLaunchDelay (2: 5 s, 3: 10 s, 4: 20 s, …,
// 11 and more: 27 min).
func LaunchDelay(n int) time.Duration {
	if n < 2 {
		return 0
	}
	d := 5 * time.Second
	for i := 2; i < n && d < MaxLaunchDelay; i++ {
		d *= 2
	}
	return min(d, MaxLaunchDelay)
}

// throttle is the launch throttle's verdict for one pass.
type throttle struct {
	held     bool
	until    time.Time
	neverRan bool
}

// throttle holds launches until LaunchDelay has passed since the newest
// failure.
func (f failures) throttle(now time.Time) throttle {
	until := f.last.Add(LaunchDelay(f.count))
	return throttle{held: f.count >= 2 && now.Before(until), until: until, neverRan: f.neverRan}
}

// event is what the service says while the throttle holds its launches:
// ECS's words when tasks fail to reach RUNNING; when they reach it and die
// before the stabilisation window, wharf says so too (ECS does not
// throttle those, but without a circuit breaker nothing else bounds them).
func (t throttle) event(service string) string {
	if t.neverRan {
		return fmt.Sprintf("(service %s) is unable to consistently start tasks successfully.", service)
	}
	return fmt.Sprintf("(service %s) is unable to consistently start tasks successfully: its tasks keep stopping soon after they start; the next launch waits until %s.",
		service, t.until.UTC().Format(time.RFC3339))
}

package ctrl

import "time"

// Backoff is an exponential delay: Base after the first failure, doubled
// after each further one, never more than Max.
//
//	Backoff{Base: 5ms, Max: 1000s}: 5ms, 10ms, 20ms, … 1.28s after 9
//	failures, 1000s (the cap) from the 19th on.
type Backoff struct {
	Base, Max time.Duration
}

// Delay is the wait after `failures` earlier failures (0 for the first).
func (b Backoff) Delay(failures int) time.Duration {
	d := b.Base
	for range failures {
		if d >= b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}

func (b Backoff) orDefault(def Backoff) Backoff {
	if b.Base <= 0 || b.Max <= 0 {
		return def
	}
	return b
}

var (
	// DefaultKeyBackoff spaces the retries of a key whose sync failed,
	// as Kubernetes' default per-item limiter does.
	DefaultKeyBackoff = Backoff{Base: 5 * time.Millisecond, Max: 1000 * time.Second}
	// DefaultWatchBackoff spaces relists after failed watches.
	DefaultWatchBackoff = Backoff{Base: 100 * time.Millisecond, Max: 30 * time.Second}
	// DefaultRestartBackoff spaces restarts of a failed controller.
	DefaultRestartBackoff = Backoff{Base: time.Second, Max: time.Minute}
)

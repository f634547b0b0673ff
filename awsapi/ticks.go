package awsapi

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/store"
)

// FireDueTicks is the firing pass that EventBridge's schedule rules and
// EventBridge Scheduler's schedules share. It reads every tick record T
// under prefix; a tick whose due time is after now only counts towards
// the answer, when the next pass is due (zero when no tick waits). A due
// tick is claimed first — claim moves its record on to the following
// tick in one transaction and returns that tick's due time — and only
// then fired (fire is nil when another pass claimed it first or its
// schedule changed), so a tick fires at most once whatever restarts.
func FireDueTicks[T any](ctx context.Context, db store.Backend, prefix string, now time.Time,
	due func(T) time.Time, claim func(T) (next time.Time, fire func(), err error)) (time.Time, error) {
	var ticks []T
	err := db.View(ctx, func(tx store.ReadTx) (err error) {
		ticks, err = store.List[T](tx, prefix)
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	var soonest time.Time
	for _, t := range ticks {
		if due(t).After(now) {
			soonest = Earliest(soonest, due(t))
			continue
		}
		next, fire, err := claim(t)
		if err != nil {
			return time.Time{}, err
		}
		soonest = Earliest(soonest, next)
		if fire != nil {
			fire()
		}
	}
	return soonest, nil
}

// Earliest is the earlier of two times, a zero time meaning "none".
func Earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// Package schedules fires EventBridge schedule rules and EventBridge
// Scheduler schedules on time. The services own their schedules and how a
// tick is claimed (recorded in the store before its targets run, so that a
// restart never fires one tick twice); this controller only decides when
// to ask them: at the soonest tick any of them reported, when one signals
// a change, and at least every Resync.
//
// It declares the two methods it needs (Firer) and imports only
// controller/ctrl's clock: never awsapi; the server wires the services in.
package schedules

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// Resync bounds the wait between passes, so that a tick written by
// another server (or a lost nudge) is not waited for longer.
const Resync = 30 * time.Second

// Firer is a service whose schedules fire.
type Firer interface {
	// FireDue fires every due tick and returns when the next is due
	// (zero: none).
	FireDue(ctx context.Context) (time.Time, error)
	// Nudges receives when a schedule changed.
	Nudges() <-chan struct{}
}

// Controller runs the passes.
type Controller struct {
	Log    *slog.Logger
	Clock  ctrl.Clock
	Firers []Firer
}

// New returns the controller over the services' schedules.
func New(log *slog.Logger, firers ...Firer) *Controller {
	return &Controller{Log: log, Clock: ctrl.RealClock{}, Firers: firers}
}

// Run fires schedules until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	nudged := make(chan struct{}, 1)
	for _, f := range c.Firers {
		go forward(ctx, f.Nudges(), nudged)
	}
	backoff := time.Duration(0)
	for {
		wake := c.Clock.Now().Add(Resync)
		failed := false
		for _, f := range c.Firers {
			next, err := f.FireDue(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				c.Log.Error("schedules: pass failed", "err", err)
				failed = true
				continue
			}
			if !next.IsZero() && next.Before(wake) {
				wake = next
			}
		}
		if failed {
			backoff = min(max(2*backoff, time.Second), Resync)
			wake = c.Clock.Now().Add(backoff)
		} else {
			backoff = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.Clock.Until(wake):
		case <-nudged:
		}
	}
}

func forward(ctx context.Context, from <-chan struct{}, to chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-from:
			select {
			case to <- struct{}{}:
			default:
			}
		}
	}
}

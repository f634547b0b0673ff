// Package scheduledscaling runs Application Auto Scaling's scheduled
// actions on time, as a controller: each pass asks the service to fire
// what came due (RunDue) and sleeps until the next action comes due, a
// minute at most, or until a scheduled action is put (a nudge).
//
// Firing once per tick is the service's business (it records the fire in
// the store before acting), so a pass repeated after a crash or a restart
// fires nothing twice; a tick missed while wharf was down fires once on
// return, as AWS does.
//
// It declares what it needs (Scheduler) and imports only controller/ctrl:
// never awsapi; the server wires awsapi/applicationautoscaling in.
package scheduledscaling

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// Resync is the longest wait between passes.
const Resync = time.Minute

// Scheduler is what the controller needs from Application Auto Scaling.
type Scheduler interface {
	// RunDue fires what is due at now and answers when the next action
	// comes due (zero when none is planned).
	RunDue(ctx context.Context, now time.Time) (next time.Time, err error)
	// Nudges receives when a scheduled action was put.
	Nudges() <-chan struct{}
}

const key = "scheduled actions"

// New returns the scheduled scaling controller on clock (nil: the wall
// clock).
func New(s Scheduler, log *slog.Logger, clock ctrl.Clock) *ctrl.Controller {
	if clock == nil {
		clock = ctrl.RealClock{}
	}
	w := &wakeup{clock: clock, nudges: s.Nudges(), replan: make(chan struct{}, 1)}
	return &ctrl.Controller{
		Name:    "scheduled scaling",
		Log:     log,
		Clock:   clock,
		Backoff: ctrl.Backoff{Base: time.Second, Max: Resync},
		Sources: []ctrl.Source{w},
		Sync: func(ctx context.Context, _ string) error {
			next, err := s.RunDue(ctx, clock.Now())
			w.plan(next)
			return err
		},
	}
}

// wakeup is the controller's source: it queues a pass at start, when the
// planned time comes, on a nudge, and at least every Resync.
type wakeup struct {
	clock  ctrl.Clock
	nudges <-chan struct{}
	replan chan struct{}
	mu     sync.Mutex
	next   time.Time
}

// plan sets the time of the next pass (zero: only the resync).
func (w *wakeup) plan(t time.Time) {
	w.mu.Lock()
	w.next = t
	w.mu.Unlock()
	select {
	case w.replan <- struct{}{}:
	default:
	}
}

func (w *wakeup) Run(ctx context.Context, q *ctrl.Queue) error {
	for {
		q.Add(key)
		for waiting := true; waiting; {
			w.mu.Lock()
			at := w.next
			w.mu.Unlock()
			if limit := w.clock.Now().Add(Resync); at.IsZero() || at.After(limit) {
				at = limit
			}
			select {
			case <-ctx.Done():
				return nil
			case <-w.nudges:
				waiting = false
			case <-w.replan:
			case <-w.clock.Until(at):
				// The plan that fired is spent: until the pass plans
				// anew, only the resync stands (a pass's plan is always
				// after the time it ran, so never equal to this one).
				w.mu.Lock()
				if w.next.Equal(at) {
					w.next = time.Time{}
				}
				w.mu.Unlock()
				waiting = false
			}
		}
	}
}

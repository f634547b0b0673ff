// Package reaper is the stopped-task reaper: a controller that deletes the
// records of tasks that have been STOPPED for longer than ECS keeps them
// describable, and forgets clusters an hour after they were deleted. The
// rule is one pure function, Expired; a pass finds the tasks it holds for
// through state's index of STOPPED tasks by stop time (the same stop time
// Expired reads), so it never scans the key space. The controller runs a
// pass at start and every Interval on the controller runtime, retrying a
// failed pass with backoff.
//
// It imports store, state, model and controller/ctrl; never awsapi, the
// agent or another controller.
package reaper

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/controller/ctrl"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// StoppedTaskRetention is how long a STOPPED task stays describable; ECS
// documents "at least an hour".
const StoppedTaskRetention = time.Hour

// Interval is how often the reaper looks for expired tasks.
const Interval = time.Minute

// Expired reports whether t has been STOPPED for longer than retention at
// now. A stopped task without a stop time is kept: there is no telling
// how old it is.
func Expired(t ecstypes.Task, now time.Time, retention time.Duration) bool {
	return t.LastStatus != nil && *t.LastStatus == model.TaskStopped &&
		!t.StoppedAt.IsZero() && t.StoppedAt.Before(now.Add(-retention))
}

// Reaper deletes expired task records in every account and region.
type Reaper struct {
	db  store.Backend
	log *slog.Logger
	now func() time.Time
}

// New returns a reaper; Run starts it.
func New(db store.Backend, log *slog.Logger) *Reaper {
	return &Reaper{db: db, log: log, now: time.Now}
}

// Run reaps at start and every Interval until ctx ends.
func (r *Reaper) Run(ctx context.Context) error {
	return (&ctrl.Controller{
		Name:    "stopped-task reaper",
		Log:     r.log,
		Sources: []ctrl.Source{&ctrl.Every{Period: Interval, Keys: []string{"stopped tasks"}}},
		Sync: func(ctx context.Context, _ string) error {
			n, err := r.Reap(ctx)
			if n > 0 {
				r.log.Debug("reaped stopped tasks", "count", n)
			}
			if err != nil {
				return err
			}
			n, err = r.ReapClusters(ctx)
			if n > 0 {
				r.log.Debug("reaped inactive clusters", "count", n)
			}
			return err
		},
	}).Run(ctx)
}

// ReapClusters forgets the clusters deleted more than an hour ago
// (model.InactiveClusterRetention) and returns how many.
func (r *Reaper) ReapClusters(ctx context.Context) (int, error) {
	n := 0
	_, err := r.db.Update(ctx, func(tx store.Tx) (err error) {
		n, err = state.ReapInactiveClusters(tx, r.now(), model.InactiveClusterRetention)
		return err
	})
	return n, err
}

// reapBatch bounds one pass's transaction: a large backlog is reaped a
// batch at a time, each a small write. Deleting a stopped task writes at
// most four keys (its record, its group and stopped-index entries, its
// node assignment), so a batch fits etcd's bound of 128 keys per
// transaction, which the store enforces.
const reapBatch = 30

// Reap deletes the records of tasks that stopped more than
// StoppedTaskRetention ago and returns how many. It reads the index of
// stopped tasks by stop time, so a pass costs what it deletes, not the
// key space.
func (r *Reaper) Reap(ctx context.Context) (int, error) {
	now := r.now()
	cutoff := now.Add(-StoppedTaskRetention).UnixNano()
	total := 0
	for {
		found, deleted := 0, 0
		_, err := r.db.Update(ctx, func(tx store.Tx) error {
			old, err := state.StoppedBefore(tx, cutoff, reapBatch)
			if err != nil {
				return err
			}
			found, deleted = len(old), 0
			for _, o := range old {
				// The index finds candidates; Expired decides on the record
				// itself, so an index entry that disagrees deletes nothing.
				rec, ok, err := store.Get[model.TaskRecord](tx, o.Key)
				if err != nil {
					return err
				}
				if !ok || !Expired(rec.Task, now, StoppedTaskRetention) {
					continue
				}
				if err := state.DeleteTaskKey(tx, o.Key); err != nil {
					return err
				}
				deleted++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += deleted
		// A short batch was the last; a batch that deleted nothing would
		// only find the same entries again.
		if found < reapBatch || deleted == 0 {
			return total, nil
		}
	}
}

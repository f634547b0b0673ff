package ecs

import (
	"context"
	"strings"
	"time"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// StoppedTaskRetention is how long a STOPPED task stays describable; ECS
// documents "at least an hour".
const StoppedTaskRetention = time.Hour

// ReapStoppedTasks deletes the records of tasks that stopped more than
// retention ago, in every account and region, and returns how many.
func (a *API) ReapStoppedTasks(ctx context.Context, retention time.Duration) (int, error) {
	cutoff := a.now().Add(-retention)
	var old []string
	err := a.db.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List("ecs/", "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if !strings.Contains(kv.Key, "/tasks/") {
				continue
			}
			rec, ok, err := store.Get[model.TaskRecord](tx, kv.Key)
			if err != nil || !ok {
				return err
			}
			t := rec.Task
			if derefStr(t.LastStatus) == model.TaskStopped && !t.StoppedAt.IsZero() && t.StoppedAt.Before(cutoff) {
				old = append(old, kv.Key)
			}
		}
		return nil
	})
	if err != nil || len(old) == 0 {
		return 0, err
	}
	_, err = a.db.Update(ctx, func(tx store.Tx) error {
		for _, k := range old {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return len(old), err
}

// RunReaper reaps stopped tasks and INACTIVE clusters every interval until
// ctx ends.
func (a *API) RunReaper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.ReapStoppedTasks(ctx, StoppedTaskRetention); err != nil {
				a.log.Warn("reap stopped tasks", "err", err)
			} else if n > 0 {
				a.log.Debug("reaped stopped tasks", "count", n)
			}
			if n, err := a.ReapInactiveClusters(ctx, model.InactiveClusterRetention); err != nil {
				a.log.Warn("reap inactive clusters", "err", err)
			} else if n > 0 {
				a.log.Debug("reaped inactive clusters", "count", n)
			}
		}
	}
}

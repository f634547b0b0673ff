package taskset

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Controller runs the task sets of EXTERNAL and CODE_DEPLOY services.
type Controller struct {
	db     store.Backend
	log    *slog.Logger
	now    func() time.Time
	resync time.Duration
}

// New returns a controller; Run starts it.
func New(db store.Backend, log *slog.Logger) *Controller {
	return &Controller{db: db, log: log, now: time.Now, resync: 2 * time.Second}
}

// Run reconciles task-set services until ctx ends, then returns nil. It is
// level-triggered: store events mark services dirty, and every resync
// period every task-set service is looked at again (grace periods and
// placement retries depend on time; a missed event heals on the next pass).
func (c *Controller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := c.watchLoop(ctx)
		if ctx.Err() != nil {
			break
		}
		c.log.Warn("task-set controller: watch ended; resyncing", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(c.resync):
		}
	}
	return nil
}

func (c *Controller) watchLoop(ctx context.Context) error {
	var rev int64
	if err := c.db.View(ctx, func(tx store.ReadTx) error { rev = tx.Rev(); return nil }); err != nil {
		return err
	}
	w, err := c.db.Watch(ctx, "ecs/", rev)
	if err != nil {
		return err
	}
	tick := time.NewTicker(c.resync)
	defer tick.Stop()
	dirty := map[string]bool{}
	if err := c.markAll(ctx, dirty); err != nil {
		return err
	}
	for {
		c.reconcileDirty(ctx, dirty)
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.C:
			if !ok {
				if err := w.Err(); err != nil {
					return err
				}
				return errors.New("watch closed")
			}
			markEvent(ev, dirty)
			// Take whatever else is queued, so a burst costs one pass.
			for more := true; more; {
				select {
				case ev, ok := <-w.C:
					if !ok {
						more = false
						break
					}
					markEvent(ev, dirty)
				default:
					more = false
				}
			}
		case <-tick.C:
			if err := c.markAll(ctx, dirty); err != nil {
				return err
			}
		}
	}
}

// markEvent marks the service a change concerns: the service, one of its
// task sets, or one of its tasks (group "service:NAME"). Whether the
// service uses task sets is reconcile's question.
func markEvent(ev store.Event, dirty map[string]bool) {
	parts := strings.Split(ev.KV.Key, "/")
	if len(parts) < 6 || parts[0] != "ecs" {
		return
	}
	sc := model.Scope{Account: parts[1], Region: parts[2]}
	cluster := parts[4]
	switch {
	case parts[3] == "services" && len(parts) == 6:
		dirty[ev.KV.Key] = true
	case parts[3] == "tasksets" && len(parts) == 7:
		dirty[state.ServiceKey(sc, cluster, parts[5])] = true
	case parts[3] == "tasks" && len(parts) == 6 && len(ev.KV.Value) > 0:
		var rec model.TaskRecord
		if json.Unmarshal(ev.KV.Value, &rec) != nil {
			return
		}
		if name, ok := strings.CutPrefix(deref(rec.Task.Group), "service:"); ok {
			dirty[state.ServiceKey(sc, cluster, name)] = true
		}
	}
}

// markAll marks every service that uses task sets, cluster by cluster
// through the index of ACTIVE clusters.
func (c *Controller) markAll(ctx context.Context, dirty map[string]bool) error {
	return c.db.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List(state.ActiveClustersPrefix(), "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			a, ok := model.ParseARN(strings.TrimPrefix(kv.Key, state.ActiveClustersPrefix()))
			name, isCluster := strings.CutPrefix(a.Resource, "cluster/")
			if !ok || !isCluster {
				continue
			}
			sc := model.Scope{Account: a.Account, Region: a.Region}
			svcs, err := store.List[model.ServiceRecord](tx, state.ServicesPrefix(sc, name))
			if err != nil {
				return err
			}
			for _, s := range svcs {
				if state.UsesTaskSets(&s.Service) && deref(s.Service.Status) != model.ServiceInactive {
					dirty[state.ServiceKey(sc, name, deref(s.Service.ServiceName))] = true
				}
			}
		}
		return nil
	})
}

func (c *Controller) reconcileDirty(ctx context.Context, dirty map[string]bool) {
	for key := range dirty {
		delete(dirty, key)
		if err := c.reconcile(ctx, key); err != nil && ctx.Err() == nil {
			c.log.Error("task-set controller: reconcile failed", "service", key, "err", err)
			dirty[key] = true // retried on the next pass
			return
		}
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

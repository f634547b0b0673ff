package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Controller runs the service scheduler over the store.
type Controller struct {
	db     store.Backend
	log    *slog.Logger
	now    func() time.Time
	resync time.Duration
	// window is the stabilisation window: how long a new task must stay
	// RUNNING and healthy before it counts towards a deployment.
	window time.Duration
}

// DefaultStabilizationWindow is how long a new task must stay up before it
// counts towards its deployment (wharf up --stabilization-window).
const DefaultStabilizationWindow = 10 * time.Second

// New returns a controller with the given stabilisation window (0 means
// DefaultStabilizationWindow); Run starts it.
func New(db store.Backend, log *slog.Logger, window time.Duration) *Controller {
	if window <= 0 {
		window = DefaultStabilizationWindow
	}
	return &Controller{db: db, log: log, now: time.Now, resync: 2 * time.Second, window: window}
}

// Run reconciles services until ctx ends. It is level-triggered: store
// events mark services dirty, and every resync period all services are
// looked at again (grace periods and retries depend on time, and a missed
// event heals on the next pass).
func (c *Controller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := c.watchLoop(ctx)
		if err == nil || ctx.Err() != nil {
			break
		}
		c.log.Warn("service scheduler: watch ended; resyncing", "err", err)
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
				if err := w.Err(); err != nil && !errors.Is(err, store.ErrCompacted) {
					return err
				}
				return errors.New("watch closed")
			}
			c.markEvent(ev, dirty)
			// Take whatever else is queued before reconciling, so a burst
			// of task reports costs one pass.
			for drained := false; !drained; {
				select {
				case ev, ok := <-w.C:
					if !ok {
						drained = true
						break
					}
					c.markEvent(ev, dirty)
				default:
					drained = true
				}
			}
		case <-tick.C:
			if err := c.markAll(ctx, dirty); err != nil {
				return err
			}
		}
	}
}

// markEvent marks the service a change concerns: the service itself, one
// of its tasks, or a container instance of its cluster.
func (c *Controller) markEvent(ev store.Event, dirty map[string]bool) {
	parts := strings.Split(ev.KV.Key, "/")
	if len(parts) != 6 {
		return
	}
	sc := model.Scope{Account: parts[1], Region: parts[2]}
	cluster := parts[4]
	switch parts[3] {
	case "services":
		dirty[ev.KV.Key] = true
	case "tasks":
		rec, err := decodeTask(ev.KV.Value)
		if err == nil {
			if name, ok := strings.CutPrefix(deref(rec.Task.Group), "service:"); ok {
				dirty[state.ServiceKey(sc, cluster, name)] = true
			}
		}
	case "instances":
		// Draining or a new instance concerns every service of the cluster.
		dirty[state.ServicesPrefix(sc, cluster)] = true
	}
}

// markAll marks every cluster's services, through the index of ACTIVE
// clusters (a cluster with services cannot be deleted), so a resync reads
// service records only, not every task.
func (c *Controller) markAll(ctx context.Context, dirty map[string]bool) error {
	return c.db.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List(state.ActiveClustersPrefix(), "", 0)
		for _, kv := range kvs {
			a, ok := model.ParseARN(strings.TrimPrefix(kv.Key, state.ActiveClustersPrefix()))
			if name, isCluster := strings.CutPrefix(a.Resource, "cluster/"); ok && isCluster {
				dirty[state.ServicesPrefix(model.Scope{Account: a.Account, Region: a.Region}, name)] = true
			}
		}
		return err
	})
}

func (c *Controller) reconcileDirty(ctx context.Context, dirty map[string]bool) {
	// A cluster-wide mark expands into that cluster's services.
	for key := range dirty {
		if !strings.HasSuffix(key, "/") {
			continue
		}
		delete(dirty, key)
		_ = c.db.View(ctx, func(tx store.ReadTx) error {
			kvs, err := tx.List(key, "", 0)
			for _, kv := range kvs {
				dirty[kv.Key] = true
			}
			return err
		})
	}
	for key := range dirty {
		delete(dirty, key)
		if err := c.reconcile(ctx, key); err != nil && ctx.Err() == nil {
			c.log.Error("service scheduler: reconcile failed", "service", key, "err", err)
			dirty[key] = true // retried on the next pass
			return
		}
	}
}

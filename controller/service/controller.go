package service

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/controller/ctrl"
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

// Run reconciles services until ctx ends, on the controller runtime. It is
// level-triggered: the queue holds service keys, not events; a store event
// queues the services it concerns, and every resync period all services
// are queued again (grace periods and retries depend on time, and a missed
// event heals on the next pass). A service whose reconcile fails is
// retried with backoff while the others go on. Run returns an error only
// when the store is closed.
func (c *Controller) Run(ctx context.Context) error {
	return (&ctrl.Controller{
		Name: "service scheduler",
		Sync: c.reconcile,
		Log:  c.log,
		Sources: []ctrl.Source{&ctrl.Informer{
			DB: c.db, Prefix: "ecs/", List: c.services, Map: c.servicesOf, Resync: c.resync, Log: c.log,
		}},
	}).Run(ctx)
}

// servicesOf returns the services a change concerns: the service itself,
// the service of a task, or every service of a container instance's
// cluster (draining or a new instance concerns them all).
func (c *Controller) servicesOf(ctx context.Context, ev store.Event) ([]string, error) {
	parts := strings.Split(ev.KV.Key, "/")
	if len(parts) != 6 {
		return nil, nil
	}
	sc := model.Scope{Account: parts[1], Region: parts[2]}
	cluster := parts[4]
	switch parts[3] {
	case "services":
		return []string{ev.KV.Key}, nil
	case "tasks":
		rec, err := decodeTask(ev.KV.Value)
		if err != nil {
			return nil, nil // not a task the scheduler can act on; reconcile reports bad records
		}
		if name, ok := strings.CutPrefix(shape.Deref(rec.Task.Group), "service:"); ok {
			return []string{state.ServiceKey(sc, cluster, name)}, nil
		}
	case "instances":
		var keys []string
		err := c.db.View(ctx, func(tx store.ReadTx) error {
			var err error
			keys, err = keysUnder(tx, state.ServicesPrefix(sc, cluster))
			return err
		})
		return keys, err
	}
	return nil, nil
}

// services lists every service through the index of ACTIVE clusters (a
// cluster with services cannot be deleted), so a resync reads service
// records only, not every task.
func (c *Controller) services(tx store.ReadTx) ([]string, error) {
	var keys []string
	err := state.EachActiveCluster(tx, func(sc model.Scope, cluster string) error {
		ks, err := keysUnder(tx, state.ServicesPrefix(sc, cluster))
		keys = append(keys, ks...)
		return err
	})
	return keys, err
}

func keysUnder(tx store.ReadTx, prefix string) ([]string, error) {
	kvs, err := tx.List(prefix, "", 0)
	keys := make([]string, len(kvs))
	for i, kv := range kvs {
		keys[i] = kv.Key
	}
	return keys, err
}

package taskset

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/controller/ctrl"
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

// Run reconciles task-set services until ctx ends, on the controller
// runtime. It is level-triggered: a store event queues the service it
// concerns, and every resync period every task-set service is queued
// again (grace periods and placement retries depend on time; a missed
// event heals on the next pass). A failing service is retried with
// backoff while the others go on.
func (c *Controller) Run(ctx context.Context) error {
	return (&ctrl.Controller{
		Name: "task-set controller",
		Sync: c.reconcile,
		Log:  c.log,
		Sources: []ctrl.Source{&ctrl.Informer{
			DB: c.db, Prefix: "ecs/", List: c.services, Map: servicesOf, Resync: c.resync, Log: c.log,
		}},
	}).Run(ctx)
}

// servicesOf returns the service a change concerns: the service, one of its
// task sets, or one of its tasks (group "service:NAME"). Whether the
// service uses task sets is reconcile's question.
func servicesOf(_ context.Context, ev store.Event) ([]string, error) {
	parts := strings.Split(ev.KV.Key, "/")
	if len(parts) < 6 || parts[0] != "ecs" {
		return nil, nil
	}
	sc := model.Scope{Account: parts[1], Region: parts[2]}
	cluster := parts[4]
	switch {
	case parts[3] == "services" && len(parts) == 6:
		return []string{ev.KV.Key}, nil
	case parts[3] == "tasksets" && len(parts) == 7:
		return []string{state.ServiceKey(sc, cluster, parts[5])}, nil
	case parts[3] == "tasks" && len(parts) == 6 && len(ev.KV.Value) > 0:
		var rec model.TaskRecord
		if json.Unmarshal(ev.KV.Value, &rec) != nil {
			return nil, nil
		}
		if name, ok := strings.CutPrefix(shape.Deref(rec.Task.Group), "service:"); ok {
			return []string{state.ServiceKey(sc, cluster, name)}, nil
		}
	}
	return nil, nil
}

// services lists every service that uses task sets, cluster by cluster
// through the index of ACTIVE clusters.
func (c *Controller) services(tx store.ReadTx) ([]string, error) {
	var keys []string
	err := state.EachActiveCluster(tx, func(sc model.Scope, cluster string) error {
		svcs, err := store.List[model.ServiceRecord](tx, state.ServicesPrefix(sc, cluster))
		for _, s := range svcs {
			if state.UsesTaskSets(&s.Service) && shape.Deref(s.Service.Status) != model.ServiceInactive {
				keys = append(keys, state.ServiceKey(sc, cluster, shape.Deref(s.Service.ServiceName)))
			}
		}
		return err
	})
	return keys, err
}

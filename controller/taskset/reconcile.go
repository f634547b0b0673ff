package taskset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/controller/traffic"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// reconcile is one pass over one service's task sets: read, decide (Step
// per set), place, apply. As for the service scheduler, the pass is
// rehearsed on a snapshot (placement without the store's write lock) and
// committed in a short transaction that runs it again with the
// rehearsal's placements, checked unchanged (state.Rehearse): the commit
// being one transaction is what keeps a task from being started twice.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	now := c.now()
	return state.RehearseServicePass(ctx, c.db, key, func(tx store.Tx, sc model.Scope, cluster string, rec *model.ServiceRecord, ps *state.Placements, quiet bool) error {
		if !state.UsesTaskSets(&rec.Service) {
			return nil
		}
		p := &pass{c: c, tx: tx, sc: sc, cluster: cluster, rec: rec, now: now, places: ps, quiet: quiet, changes: maxTaskChanges}
		return p.run()
	})
}

// maxTaskChanges is the most tasks one pass starts and stops, over all of
// a service's sets, so that its commit fits a store transaction's bound
// (etcd's 128 keys; a started task writes five, a stopped one two and its
// targets' deregistration). The rest wait for the next pass, which the
// pass's own writes queue.
const maxTaskChanges = 20

// pass is one reconcile pass's context.
type pass struct {
	c       *Controller
	tx      store.Tx
	sc      model.Scope
	cluster string
	rec     *model.ServiceRecord
	now     time.Time
	places  *state.Placements
	quiet   bool
	// changes is how many more tasks the pass may start or stop; budget
	// counts the keys it wrote.
	changes int
	budget  *state.Budget
}

func (p *pass) svc() *ecstypes.Service { return &p.rec.Service }
func (p *pass) name() string           { return shape.Deref(p.svc().ServiceName) }

func (p *pass) run() error {
	// Counted writes: traffic work, stops and launches that would not fit
	// the transaction wait for the next pass.
	p.budget = state.NewBudget(p.tx)
	p.tx = p.budget
	// The service's tasks, through the group index: a pass costs the
	// service, not the cluster.
	all, err := state.GroupTasks(p.tx, p.sc, p.cluster, "service:"+p.name())
	if err != nil {
		return err
	}
	bySet := map[string][]model.TaskRecord{}
	for _, t := range all {
		id := shape.Deref(t.Task.StartedBy)
		bySet[id] = append(bySet[id], t)
	}
	sets, err := state.ListTaskSets(p.tx, p.sc, p.cluster, p.name())
	if err != nil {
		return err
	}
	var running, pending int32
	for i := range sets {
		r, pd, err := p.set(&sets[i], bySet[shape.Deref(sets[i].TaskSet.Id)])
		if err != nil {
			return fmt.Errorf("task set %s: %w", shape.Deref(sets[i].TaskSet.Id), err)
		}
		running, pending = running+r, pending+pd
	}
	svc := p.svc()
	svc.RunningCount, svc.PendingCount = running, pending
	if err := state.SyncServiceTaskSets(p.tx, p.sc, p.cluster, p.rec); err != nil {
		return err
	}
	// A deleted service turns INACTIVE once its last set is gone.
	if shape.Deref(svc.Status) == model.ServiceDraining && len(svc.TaskSets) == 0 && running+pending == 0 {
		svc.Status = new(model.ServiceInactive)
	}
	return nil
}

// set reconciles one task set and returns its running and pending counts.
func (p *pass) set(rec *state.TaskSetRecord, tasks []model.TaskRecord) (running, pending int32, err error) {
	ts := &rec.TaskSet
	id := shape.Deref(ts.Id)
	key := state.TaskSetKey(p.sc, p.cluster, p.name(), id)
	before, _ := json.Marshal(rec)
	if shape.Deref(p.svc().Status) != model.ServiceActive && shape.Deref(ts.Status) != state.TaskSetDraining {
		ts.Status = new(state.TaskSetDraining) // the service is being deleted
	}
	desired := state.ComputedDesiredCount(ts.Scale, p.svc().DesiredCount)
	if shape.Deref(ts.Status) == state.TaskSetDraining {
		desired = 0
	}
	ts.ComputedDesiredCount = desired
	b := p.binding(ts)
	view, live, err := p.view(b, tasks)
	if err != nil {
		return 0, 0, err
	}
	plan := p.capPlan(Step(id, int(desired), view))
	launched, err := p.apply(rec, b, plan, tasks)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range tasks {
		switch last := shape.Deref(t.Task.LastStatus); {
		case last == model.TaskRunning:
			running++
		case last != model.TaskStopped:
			pending++
		}
	}
	pending += int32(launched)
	ts.RunningCount, ts.PendingCount = running, pending
	status := ecstypes.StabilityStatusStabilizing
	if plan.Steady {
		status = ecstypes.StabilityStatusSteadyState
	}
	if status != ts.StabilityStatus {
		ts.StabilityStatus, ts.StabilityStatusAt = status, shape.TimeOf(p.now)
	}
	if shape.Deref(ts.Status) == state.TaskSetDraining && live == 0 && launched == 0 {
		p.event(fmt.Sprintf("(service %s, taskSet %s) has been deleted.", p.name(), id))
		return running, pending, p.tx.Delete(key)
	}
	if after, _ := json.Marshal(rec); string(after) == string(before) {
		return running, pending, nil
	}
	ts.UpdatedAt = shape.TimeOf(p.now)
	return running, pending, store.Put(p.tx, key, *rec)
}

// capPlan keeps as many of plan's stops and launches as the pass's
// budget allows, stops first; a cut plan is not steady.
func (p *pass) capPlan(plan Plan) Plan {
	if len(plan.Stops)+plan.Launch > p.changes {
		plan.Stops = plan.Stops[:min(len(plan.Stops), p.changes)]
		plan.Launch = min(plan.Launch, p.changes-len(plan.Stops))
		plan.Steady = false
	}
	p.changes -= len(plan.Stops) + plan.Launch
	return plan
}

// room reports whether one more task's traffic change or stop fits the
// pass's transaction.
func (p *pass) room(b *traffic.Binding) bool {
	return p.budget.Room(state.KeysPerTaskChange(len(b.LoadBalancers) + len(b.Registries)))
}

// binding is where a set's tasks send their traffic.
func (p *pass) binding(ts *ecstypes.TaskSet) *traffic.Binding {
	b := &traffic.Binding{Tx: p.tx, Scope: p.sc, Cluster: p.cluster, Service: p.name(),
		LoadBalancers: ts.LoadBalancers, Registries: ts.ServiceRegistries, Now: p.now}
	if ext := shape.Deref(ts.ExternalId); ext != "" {
		b.Attributes = map[string]string{"ECS_TASK_SET_EXTERNAL_ID": ext}
	}
	return b
}

// view turns a set's task records into Step's inputs, keeping their
// traffic in step on the way: a running task is registered, a stopping or
// stopped one deregistered, and a task waiting for its drain is stopped
// once the drain is over. live counts the tasks not yet STOPPED.
func (p *pass) view(b *traffic.Binding, tasks []model.TaskRecord) (view []Task, live int, err error) {
	grace := time.Duration(shape.Deref(p.svc().HealthCheckGracePeriodSeconds)) * time.Second
	for i := range tasks {
		rec := &tasks[i]
		t := rec.Task
		last, desired := shape.Deref(t.LastStatus), shape.Deref(t.DesiredStatus)
		if last != model.TaskStopped {
			live++
		}
		var ts []traffic.Target
		// Traffic work that would not fit the transaction waits for the
		// next pass.
		room := p.room(b)
		if b.HasTraffic() {
			if ts, err = b.Targets(*rec); err != nil {
				return nil, 0, err
			}
			if last == model.TaskStopped || desired != state.DesiredRunning {
				if !room {
					continue
				}
				if _, err := b.Deregister(*rec, ts); err != nil {
					return nil, 0, err
				}
				continue
			}
			if rec.PendingStop != nil {
				if !room {
					continue
				}
				if err := p.finishDrain(b, rec, ts); err != nil {
					return nil, 0, err
				}
				continue
			}
		}
		if last == model.TaskStopped || desired != state.DesiredRunning {
			continue
		}
		running := last == model.TaskRunning
		checked := hasHealthCheck(rec.Definition)
		inGrace := !t.StartedAt.IsZero() && p.now.Sub(t.StartedAt.Time) < grace
		task := Task{
			ARN:       shape.Deref(t.TaskArn),
			Running:   running,
			Healthy:   running && (!checked || t.HealthStatus == ecstypes.HealthStatusHealthy),
			Unhealthy: running && checked && t.HealthStatus == ecstypes.HealthStatusUnhealthy && !inGrace,
		}
		if running && b.HasTraffic() {
			if room {
				if err := b.Register(*rec, ts); err != nil {
					return nil, 0, err
				}
			}
			if len(ts) > 0 {
				lbHealthy, lbUnhealthy, why, err := b.Health(ts)
				if err != nil {
					return nil, 0, err
				}
				task.Healthy = task.Healthy && lbHealthy
				if lbUnhealthy && !inGrace && !task.Unhealthy {
					task.Unhealthy, task.UnhealthyReason = true, why
				}
			}
			if room {
				if err := b.SetRegistryHealth(*rec, task.Healthy); err != nil {
					return nil, 0, err
				}
			}
		}
		view = append(view, task)
	}
	return view, live, nil
}

// finishDrain stops a task waiting for its drain once its targets are gone.
func (p *pass) finishDrain(b *traffic.Binding, rec *model.TaskRecord, ts []traffic.Target) error {
	still, err := b.Deregister(*rec, ts)
	if err != nil || still {
		return err
	}
	ps := rec.PendingStop
	rec.PendingStop = nil
	return state.RequestStop(p.tx, p.sc, p.cluster, rec, ps.Code, ps.Reason, p.now)
}

func hasHealthCheck(td ecstypes.TaskDefinition) bool {
	return slices.ContainsFunc(td.ContainerDefinitions, func(c ecstypes.ContainerDefinition) bool {
		return c.HealthCheck != nil && (c.Essential == nil || *c.Essential)
	})
}

// apply carries out a set's plan, records service events, and returns how
// many tasks it started.
func (p *pass) apply(rec *state.TaskSetRecord, b *traffic.Binding, plan Plan, tasks []model.TaskRecord) (int, error) {
	who := fmt.Sprintf("(service %s, taskSet %s)", p.name(), shape.Deref(rec.TaskSet.Id))
	var stopped, drained []string
	for n, s := range plan.Stops {
		if !p.room(b) {
			plan.Stops, plan.Launch = plan.Stops[:n], 0 // the rest on the next pass
			break
		}
		i := slices.IndexFunc(tasks, func(t model.TaskRecord) bool { return shape.Deref(t.Task.TaskArn) == s.ARN })
		if i < 0 {
			continue
		}
		t := &tasks[i]
		if b.HasTraffic() {
			ts, err := b.Targets(*t)
			if err != nil {
				return 0, err
			}
			draining, err := b.Deregister(*t, ts)
			if err != nil {
				return 0, err
			}
			if draining {
				// Stopped by finishDrain once requests in flight are done.
				t.PendingStop = &model.PendingStop{Code: ecstypes.TaskStopCodeServiceSchedulerInitiated, Reason: s.Reason}
				if err := state.PutTask(p.tx, p.sc, p.cluster, t); err != nil {
					return 0, err
				}
				drained = append(drained, s.ARN)
				continue
			}
		}
		if err := state.RequestStop(p.tx, p.sc, p.cluster, t, ecstypes.TaskStopCodeServiceSchedulerInitiated, s.Reason, p.now); err != nil {
			return 0, err
		}
		stopped = append(stopped, s.ARN)
	}
	if len(drained) > 0 {
		p.event(fmt.Sprintf("%s has begun draining connections on %d tasks.", who, len(drained)))
	}
	if len(stopped) > 0 {
		p.event(fmt.Sprintf("%s has stopped %d running tasks: %s.", who, len(stopped), state.TaskList(stopped)))
	}
	if n := min(plan.Launch, p.budget.Left()/state.KeysPerLaunch); n > 0 {
		return p.launch(rec, n, who)
	}
	return 0, nil
}

// launch places and creates n tasks of a set.
func (p *pass) launch(rec *state.TaskSetRecord, n int, who string) (int, error) {
	ts := &rec.TaskSet
	svc := p.svc()
	l := &state.Launch{
		Scope: p.sc, Cluster: p.cluster, Definition: rec.Definition, LaunchType: ts.LaunchType, Count: n,
		Group: "service:" + p.name(), StartedBy: shape.Deref(ts.Id), Network: ts.NetworkConfiguration,
		EnableExecuteCommand: svc.EnableExecuteCommand, Constraints: svc.PlacementConstraints, Strategies: svc.PlacementStrategy,
	}
	if len(ts.CapacityProviderStrategy) > 0 {
		l.LaunchType = ecstypes.LaunchTypeFargate
		l.Provider = shape.Deref(ts.CapacityProviderStrategy[0].CapacityProvider)
	}
	if svc.PropagateTags == ecstypes.PropagateTagsService {
		l.Tags = svc.Tags
	}
	pl, err := p.places.Place(p.tx, l, nil, p.now)
	if errors.Is(err, store.ErrConflict) {
		return 0, err
	}
	if err != nil {
		p.throttledEvent("place:"+shape.Deref(ts.Id), fmt.Sprintf("%s was unable to place a task: %v", who, err))
		return 0, nil
	}
	var started []string
	for _, t := range pl.Targets {
		task, err := state.CreateTask(p.tx, l, t, p.now)
		if err != nil {
			return 0, err
		}
		started = append(started, shape.Deref(task.TaskArn))
	}
	if len(started) > 0 {
		p.event(fmt.Sprintf("%s has started %d tasks: %s.", who, len(started), state.TaskList(started)))
	}
	if len(started) < n {
		msg := "was unable to place a task because no container instance met all of its requirements."
		if pl.Explanation != nil {
			msg = "was " + pl.Explanation.Event()
		} else if len(pl.Failures) > 0 {
			msg = "was unable to place a task: " + shape.Deref(pl.Failures[0].Reason) + ": " + shape.Deref(pl.Failures[0].Detail)
		}
		p.throttledEvent("place:"+shape.Deref(ts.Id), who+" "+msg)
	}
	return len(started), nil
}

// event prepends a service event.
func (p *pass) event(msg string) { state.PassEvent(p.rec, "", msg, p.now, p.quiet, p.c.log) }

// throttledEvent says a repeated condition at most once a minute.
func (p *pass) throttledEvent(kind, msg string) {
	state.PassEvent(p.rec, kind, msg, p.now, p.quiet, p.c.log)
}

package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// failReasonHealth is the reason the scheduler gives when it replaces a
// task that failed its health checks; such stops count towards the
// circuit breaker.
const failReasonHealth = "Task failed container health checks"

// reconcile is one pass over one service: read, decide (Step), place,
// apply. The pass is rehearsed on a snapshot, where placement reads the
// cluster's instances without the store's write lock, and committed in a
// short transaction that runs it again on the current records with the
// rehearsal's placements, checked unchanged (state.Rehearse): the commit
// being one transaction that sees every task is what keeps a task from
// being started twice, even across a control plane restart. A pass with
// nothing to do takes no write transaction.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	now := c.now()
	return state.RehearseServicePass(ctx, c.db, key, func(tx store.Tx, sc model.Scope, cluster string, rec *model.ServiceRecord, ps *state.Placements, quiet bool) error {
		if shape.Deref(rec.Service.Status) == model.ServiceInactive {
			return nil
		}
		r := &run{c: c, tx: tx, sc: sc, cluster: cluster, rec: rec, now: now, places: ps, quiet: quiet}
		return r.pass()
	})
}

// maxTaskChanges is the most tasks one pass starts and stops together.
// A commit must fit a store transaction's bound (etcd's 128 keys): a
// started task writes five keys (state.KeysPerLaunch), a stopped one its
// record and instance entry plus its targets' deregistration; a scale-out
// of hundreds goes in passes of this many, each pass's writes queueing
// the next (the service record changes with its "has started" event), as
// ECS launches in batches. apply also counts the keys it writes
// (state.Budget) and leaves traffic work, stops and launches that would
// not fit to the next pass.
const maxTaskChanges = 20

// capPlan keeps at most n of p's stops and launches, stops first. A cut
// plan is not the whole step: the deployment neither completes nor
// retires and the service is not steady until a pass does all it has to.
func capPlan(p Plan, n int) Plan {
	if len(p.Stops)+p.Launch <= n {
		return p
	}
	p.Stops = p.Stops[:min(len(p.Stops), n)]
	p.Launch = min(p.Launch, n-len(p.Stops))
	p.Completed, p.Retire, p.Steady = "", nil, false
	return p
}

// cut keeps the first stops of p and launch launches, because the rest
// would not fit the pass's transaction: like capPlan's, a cut plan
// neither completes nor retires a deployment nor is steady.
func cut(p Plan, stops, launch int) Plan {
	p.Stops, p.Launch = p.Stops[:stops], min(p.Launch, launch)
	p.Completed, p.Retire, p.Steady = "", nil, false
	return p
}

// run is one reconcile pass's context.
type run struct {
	// traffic is the traffic work view planned for apply.
	traffic []trafficWork
	c       *Controller
	tx      store.Tx
	sc      model.Scope
	cluster string
	rec     *model.ServiceRecord
	now     time.Time
	// places places the pass's launches: on the snapshot when rehearsing,
	// from the rehearsal when committing.
	places *state.Placements
	quiet  bool
	// mine are the service's task records as read at the start of the
	// pass (haveMine once read) and changed in place by apply; created
	// are the tasks the pass started. count tallies both.
	mine     []model.TaskRecord
	haveMine bool
	created  []ecstypes.Task
}

func (r *run) svc() *ecstypes.Service { return &r.rec.Service }

func (r *run) pass() error {
	svc := r.svc()
	if t := svc.DeploymentController; t != nil && t.Type != ecstypes.DeploymentControllerTypeEcs {
		return r.count()
	}
	name := shape.Deref(svc.ServiceName)
	// The service's own tasks, through the group index: a pass costs the
	// service, not the cluster.
	mine, err := state.GroupTasks(r.tx, r.sc, r.cluster, "service:"+name)
	if err != nil {
		return err
	}
	r.mine, r.haveMine = mine, true
	if svc.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon {
		return r.daemonPass(mine)
	}
	draining, err := r.drainingInstances(mine)
	if err != nil {
		return err
	}
	spec := Spec{
		Name:              name,
		Desired:           int(svc.DesiredCount),
		MinHealthyPercent: 100,
		MaxPercent:        200,
		Draining:          shape.Deref(svc.Status) == model.ServiceDraining,
	}
	resetOnHealthy := true
	if dc := svc.DeploymentConfiguration; dc != nil {
		spec.MinHealthyPercent = int(shape.Deref(dc.MinimumHealthyPercent))
		spec.MaxPercent = int(shape.Deref(dc.MaximumPercent))
		if cb := dc.DeploymentCircuitBreaker; cb != nil {
			spec.Breaker, spec.Rollback = cb.Enable, cb.Rollback
			spec.BreakerThreshold, resetOnHealthy = breakerConfig(cb, spec.Desired)
		}
		if al := dc.Alarms; al != nil && al.Enable {
			if spec.InAlarm, err = inAlarm(r.tx, r.sc, al.AlarmNames); err != nil {
				return err
			}
			spec.AlarmRollback = al.Rollback
		}
	}
	deps, tasks, failures, err := r.view(mine, draining, resetOnHealthy)
	if err != nil {
		return err
	}
	var hold throttle
	if p := primaryOf(deps); p != nil {
		hold = failures[p.ID].throttle(r.now)
		spec.HoldLaunches = hold.held
	}
	plan := Step(spec, deps, tasks, r.rec.StableTaskDefinition)
	if plan.Held > 0 {
		r.throttledEvent("throttle", hold.event(shape.Deref(svc.ServiceName)))
	}
	return r.apply(plan, mine)
}

// drainingInstances is the set of DRAINING instances among those the
// service's tasks that are not STOPPED run on: only their tasks retire, so
// a pass reads those instances' records, not the cluster's.
func (r *run) drainingInstances(mine []model.TaskRecord) (map[string]bool, error) {
	var on []string
	for _, t := range mine {
		if shape.Deref(t.Task.LastStatus) != model.TaskStopped {
			on = append(on, shape.Deref(t.Task.ContainerInstanceArn))
		}
	}
	status, err := state.InstanceStatuses(r.tx, r.sc, r.cluster, on)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for arn, s := range status {
		if s == "DRAINING" {
			out[arn] = true
		}
	}
	return out, nil
}

// view turns records into Step's inputs, counting each deployment's failed
// tasks for the circuit breaker and the launch throttle, and plans each
// task's traffic (trafficStep) for apply to carry out. It only reads.
func (r *run) view(mine []model.TaskRecord, draining map[string]bool, resetOnHealthy bool) ([]Deployment, []Task, map[string]failures, error) {
	svc := r.svc()
	grace := time.Duration(shape.Deref(svc.HealthCheckGracePeriodSeconds)) * time.Second
	withTraffic := r.hasTraffic()
	var tasks []Task
	var lives []taskLife
	for i := range mine {
		rec := &mine[i]
		t := rec.Task
		last, desired := shape.Deref(t.LastStatus), shape.Deref(t.DesiredStatus)
		life := taskLife{deployment: shape.Deref(t.StartedBy), started: t.StartedAt.Time}
		if last == model.TaskStopped {
			life.stopped, life.failed = stoppedAt(t), taskFailed(t)
		}
		running := last == model.TaskRunning
		obs := trafficTask{stopped: last == model.TaskStopped, wantRunning: desired == state.DesiredRunning, running: running, pendingStop: rec.PendingStop != nil}
		work := trafficWork{task: i, act: trafficStep(obs)}
		if withTraffic {
			var err error
			if work.targets, err = r.targetsOf(*rec); err != nil {
				return nil, nil, nil, err
			}
		}
		// A drain finishes even if the service has since lost its traffic.
		if work.act.finishDrain || withTraffic && work.act.deregister {
			r.traffic = append(r.traffic, work)
		}
		if work.act.finishDrain {
			continue // stopped by apply once drained; no longer the service's
		}
		if last == model.TaskStopped {
			lives = append(lives, life)
			continue
		}
		checked := hasHealthCheck(rec.Definition)
		inGrace := !t.StartedAt.IsZero() && r.now.Sub(t.StartedAt.Time) < grace
		task := Task{
			ARN:        shape.Deref(t.TaskArn),
			Deployment: life.deployment,
			Live:       desired == state.DesiredRunning,
			Healthy:    running && (!checked || t.HealthStatus == ecstypes.HealthStatusHealthy),
			Unhealthy:  running && checked && t.HealthStatus == ecstypes.HealthStatusUnhealthy && !inGrace,
			Retiring:   draining[shape.Deref(t.ContainerInstanceArn)],
			Protected:  state.TaskProtected(*rec, r.now),
			Instance:   shape.Deref(t.ContainerInstanceArn),
		}
		if withTraffic && work.act.register && len(work.targets) > 0 {
			lbHealthy, lbUnhealthy, why, err := r.lbHealth(work.targets)
			if err != nil {
				return nil, nil, nil, err
			}
			task.Healthy = task.Healthy && lbHealthy
			if lbUnhealthy && !inGrace && !task.Unhealthy {
				task.Unhealthy, task.UnhealthyReason = true, why
			}
		}
		task.Stable = task.Healthy && life.ranFor(r.now, r.c.window)
		if withTraffic && work.act.register {
			work.healthy = task.Healthy
			r.traffic = append(r.traffic, work)
		}
		life.healthy = task.Healthy
		lives = append(lives, life)
		tasks = append(tasks, task)
	}
	counted := countFailures(lives, r.now, r.c.window, resetOnHealthy)
	var deps []Deployment
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		id := shape.Deref(d.Id)
		f := counted[id]
		// Stopped tasks are reaped after an hour: the count only falls when
		// a task stayed up (a reset), not when old records go.
		if prev, ok := r.rec.BreakerResets[id]; ok && !f.resetAt.After(prev) {
			f.count = max(f.count, int(d.FailedTasks))
			counted[id] = f
		}
		d.FailedTasks = int32(f.count)
		if r.rec.BreakerResets == nil {
			r.rec.BreakerResets = map[string]time.Time{}
		}
		r.rec.BreakerResets[id] = f.resetAt
		deps = append(deps, Deployment{ID: id, TaskDefinition: shape.Deref(d.TaskDefinition), Primary: shape.Deref(d.Status) == model.DeploymentPrimary,
			Rollout: string(d.RolloutState), Failed: f.count})
	}
	return deps, tasks, counted, nil
}

// stoppedAt is when a stopped task stopped.
func stoppedAt(t ecstypes.Task) time.Time {
	if !t.ExecutionStoppedAt.IsZero() {
		return t.ExecutionStoppedAt.Time
	}
	return t.StoppedAt.Time
}

// finishDrain stops a task waiting for its drain once its targets are gone.
func (r *run) finishDrain(rec *model.TaskRecord, ts []target) error {
	still, err := r.deregister(*rec, ts)
	if err != nil || still {
		return err
	}
	ps := rec.PendingStop
	rec.PendingStop = nil
	if err := state.RequestStop(r.tx, r.sc, r.cluster, rec, ps.Code, ps.Reason, r.now); err != nil {
		return err
	}
	r.event(fmt.Sprintf("(service %s) has stopped 1 running tasks: %s.", shape.Deref(r.svc().ServiceName), state.TaskList([]string{shape.Deref(rec.Task.TaskArn)})))
	return nil
}

// taskFailed: the task stopped without anyone asking, or was replaced for
// failing its health checks.
func taskFailed(t ecstypes.Task) bool {
	switch t.StopCode {
	case ecstypes.TaskStopCodeUserInitiated:
		return false
	case ecstypes.TaskStopCodeServiceSchedulerInitiated:
		reason := shape.Deref(t.StoppedReason)
		return reason == failReasonHealth || strings.HasPrefix(reason, "Task failed ELB health checks")
	}
	return true
}

func hasHealthCheck(td ecstypes.TaskDefinition) bool {
	return slices.ContainsFunc(td.ContainerDefinitions, func(c ecstypes.ContainerDefinition) bool {
		return c.HealthCheck != nil && (c.Essential == nil || *c.Essential)
	})
}

// apply carries out a plan and records what happened: first each task's
// traffic work, then the stops and launches.
func (r *run) apply(p Plan, mine []model.TaskRecord) error {
	svc := r.svc()
	p = capPlan(p, maxTaskChanges)
	budget := state.NewBudget(r.tx)
	r.tx = budget // the rest of the pass writes through it
	perTask := state.KeysPerTaskChange(len(svc.LoadBalancers) + len(svc.ServiceRegistries))
	for _, w := range r.traffic {
		if !budget.Room(perTask) {
			break // the rest on the next pass
		}
		if err := r.applyTraffic(&mine[w.task], w); err != nil {
			return err
		}
	}
	var stopped, drained []string
	for i, s := range p.Stops {
		if !budget.Room(perTask) {
			p = cut(p, i, 0)
			break
		}
		i := slices.IndexFunc(mine, func(t model.TaskRecord) bool { return shape.Deref(t.Task.TaskArn) == s.ARN })
		if i < 0 {
			continue
		}
		rec := &mine[i]
		if r.hasTraffic() {
			ts, err := r.targetsOf(*rec)
			if err != nil {
				return err
			}
			draining, err := r.deregister(*rec, ts)
			if err != nil {
				return err
			}
			if draining {
				// Stop once the requests in flight are done (finishDrain).
				rec.PendingStop = &model.PendingStop{Code: ecstypes.TaskStopCodeServiceSchedulerInitiated, Reason: s.Reason}
				if err := state.PutTask(r.tx, r.sc, r.cluster, rec); err != nil {
					return err
				}
				drained = append(drained, s.ARN)
				continue
			}
		}
		if err := state.RequestStop(r.tx, r.sc, r.cluster, rec, ecstypes.TaskStopCodeServiceSchedulerInitiated, s.Reason, r.now); err != nil {
			return err
		}
		stopped = append(stopped, s.ARN)
	}
	if len(drained) > 0 {
		r.event(fmt.Sprintf("(service %s) has begun draining connections on %d tasks.", shape.Deref(svc.ServiceName), len(drained)))
	}
	if len(stopped) > 0 {
		r.event(fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", shape.Deref(svc.ServiceName), len(stopped), state.TaskList(stopped)))
	}
	if p.Failed != "" {
		r.failDeployment(p)
	}
	if room := budget.Left() / state.KeysPerLaunch; p.Launch > room {
		p = cut(p, len(p.Stops), room)
	}
	if p.Launch > 0 {
		if err := r.launch(p.Launch, mine); err != nil {
			return err
		}
	}
	if p.Completed != "" {
		for i := range svc.Deployments {
			if d := &svc.Deployments[i]; shape.Deref(d.Id) == p.Completed {
				d.RolloutState = ecstypes.DeploymentRolloutStateCompleted
				d.RolloutStateReason = new("ECS deployment " + p.Completed + " completed.")
				d.UpdatedAt = shape.TimeOf(r.now)
				r.rec.StableTaskDefinition = shape.Deref(d.TaskDefinition)
			}
		}
		r.event(fmt.Sprintf("(service %s) (deployment %s) deployment completed.", shape.Deref(svc.ServiceName), p.Completed))
	}
	if len(p.Retire) > 0 {
		svc.Deployments = slices.DeleteFunc(svc.Deployments, func(d ecstypes.Deployment) bool { return slices.Contains(p.Retire, shape.Deref(d.Id)) })
		for _, id := range p.Retire {
			delete(r.rec.Definitions, id)
			delete(r.rec.BreakerResets, id)
		}
	}
	if p.Steady && !r.rec.Steady {
		r.event(fmt.Sprintf("(service %s) has reached a steady state.", shape.Deref(svc.ServiceName)))
	}
	r.rec.Steady = p.Steady
	return r.count()
}

// failDeployment marks the primary FAILED and, with rollback, starts a new
// primary deployment of the last stable task definition.
func (r *run) failDeployment(p Plan) {
	svc := r.svc()
	name := shape.Deref(svc.ServiceName)
	for i := range svc.Deployments {
		if d := &svc.Deployments[i]; shape.Deref(d.Id) == p.Failed {
			d.RolloutState = ecstypes.DeploymentRolloutStateFailed
			d.RolloutStateReason = new(p.FailReason)
			d.UpdatedAt = shape.TimeOf(r.now)
		}
	}
	what := "tasks failed to start."
	if strings.HasPrefix(p.FailReason, "ECS deployment alarms") {
		what = "alarm detected."
	}
	r.event(fmt.Sprintf("(service %s) (deployment %s) deployment failed: %s", name, p.Failed, what))
	if p.RollbackTo == "" {
		return
	}
	if p.Resume != "" && r.resume(p.Resume) {
		r.event(fmt.Sprintf("(service %s) rolling back to deployment %s.", name, p.Resume))
		return
	}
	ref, ok := model.ParseTaskDefRef(p.RollbackTo)
	if !ok {
		return
	}
	td, found, err := store.Get[state.TaskDefRecord](r.tx, state.TaskDefKey(r.sc, ref.Family, ref.Revision))
	if err != nil || !found {
		r.event(fmt.Sprintf("(service %s) could not roll back: task definition %s is gone.", name, p.RollbackTo))
		return
	}
	id := state.NewDeployment(svc, r.rec, td.TaskDefinition, r.now)
	r.event(fmt.Sprintf("(service %s) rolling back to deployment %s.", name, id))
}

// resume makes deployment id primary again, keeping its running tasks; the
// failed primary becomes ACTIVE and its tasks are retired as the rollback
// proceeds.
func (r *run) resume(id string) bool {
	svc := r.svc()
	i := slices.IndexFunc(svc.Deployments, func(d ecstypes.Deployment) bool { return shape.Deref(d.Id) == id })
	td, ok := r.rec.Definitions[id]
	if i < 0 || !ok {
		return false
	}
	for j := range svc.Deployments {
		svc.Deployments[j].Status = new(model.DeploymentActive)
	}
	d := svc.Deployments[i]
	d.Status = new(model.DeploymentPrimary)
	d.DesiredCount = svc.DesiredCount
	d.FailedTasks = 0
	d.RolloutState = ecstypes.DeploymentRolloutStateInProgress
	d.RolloutStateReason = new("ECS deployment circuit breaker: rolling back to deploymentId " + id + ".")
	d.UpdatedAt = shape.TimeOf(r.now)
	// The primary leads the list, as after UpdateService.
	svc.Deployments = append([]ecstypes.Deployment{d}, slices.Delete(svc.Deployments, i, i+1)...)
	svc.TaskDefinition = td.TaskDefinitionArn
	r.rec.Steady = false
	return true
}

// launch places and creates n tasks of the primary deployment. mine are
// the service's tasks as apply left them: placement counts them one by one
// and the rest of the cluster by instance (state.Launch.GroupTasks).
func (r *run) launch(n int, mine []model.TaskRecord) error {
	svc := r.svc()
	var primary *ecstypes.Deployment
	for i := range svc.Deployments {
		if shape.Deref(svc.Deployments[i].Status) == model.DeploymentPrimary {
			primary = &svc.Deployments[i]
		}
	}
	if primary == nil {
		return nil
	}
	td, ok := r.rec.Definitions[shape.Deref(primary.Id)]
	if !ok {
		return fmt.Errorf("deployment %s has no task definition", shape.Deref(primary.Id))
	}
	l := &state.Launch{
		Scope: r.sc, Cluster: r.cluster, Definition: td, LaunchType: primary.LaunchType, Count: n,
		Group: "service:" + shape.Deref(svc.ServiceName), StartedBy: shape.Deref(primary.Id), Network: primary.NetworkConfiguration,
		EnableExecuteCommand: svc.EnableExecuteCommand, Constraints: svc.PlacementConstraints, Strategies: svc.PlacementStrategy,
	}
	if len(primary.CapacityProviderStrategy) > 0 {
		l.Provider = shape.Deref(primary.CapacityProviderStrategy[0].CapacityProvider)
		l.LaunchType = model.ProviderLaunchType(l.Provider)
	}
	if svc.PropagateTags == ecstypes.PropagateTagsService {
		l.Tags = svc.Tags
	}
	p, err := r.places.Place(r.tx, l, nil, r.now)
	if errors.Is(err, store.ErrConflict) {
		return err
	}
	if err != nil {
		r.throttledEvent("place", fmt.Sprintf("(service %s) was unable to place a task: %v", shape.Deref(svc.ServiceName), err))
		return nil
	}
	started, err := r.createTasks(l, p.Targets)
	if err != nil {
		return err
	}
	if len(started) > 0 {
		r.event(fmt.Sprintf("(service %s) has started %d tasks: %s.", shape.Deref(svc.ServiceName), len(started), state.TaskList(started)))
	}
	if len(started) < n {
		msg := "no container instance met all of its requirements."
		if p.Explanation != nil {
			msg = p.Explanation.Event()
		} else if len(p.Failures) > 0 {
			msg = shape.Deref(p.Failures[0].Reason) + ": " + shape.Deref(p.Failures[0].Detail)
		}
		r.throttledEvent("place", fmt.Sprintf("(service %s) was %s", shape.Deref(svc.ServiceName), strings.TrimPrefix(msg, "was ")))
	}
	return nil
}

// count refreshes the service's and deployments' task counts from the
// service's tasks as this pass left them (the records it read, changed in
// place, and the tasks it created), so a pass reads them once.
func (r *run) count() error {
	svc := r.svc()
	if !r.haveMine {
		mine, err := state.GroupTasks(r.tx, r.sc, r.cluster, "service:"+shape.Deref(svc.ServiceName))
		if err != nil {
			return err
		}
		r.mine, r.haveMine = mine, true
	}
	tasks := make([]ecstypes.Task, 0, len(r.mine)+len(r.created))
	for i := range r.mine {
		tasks = append(tasks, r.mine[i].Task)
	}
	tasks = append(tasks, r.created...)
	c := tally("service:"+shape.Deref(svc.ServiceName), tasks)
	svc.RunningCount, svc.PendingCount = c.running, c.pending
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		id := shape.Deref(d.Id)
		if d.RunningCount != c.runningBy[id] || d.PendingCount != c.pendingBy[id] {
			d.RunningCount, d.PendingCount = c.runningBy[id], c.pendingBy[id]
			d.UpdatedAt = shape.TimeOf(r.now)
		}
		if shape.Deref(d.Status) == model.DeploymentPrimary {
			d.DesiredCount = svc.DesiredCount
		}
	}
	if shape.Deref(svc.Status) == model.ServiceDraining && c.live == 0 {
		svc.Status = new(model.ServiceInactive)
		svc.Deployments = []ecstypes.Deployment{}
	}
	return nil
}

// counts are a service's tasks that are not STOPPED: RUNNING ones and the
// rest (pending), in all and by deployment (startedBy).
type counts struct {
	running, pending     int32
	runningBy, pendingBy map[string]int32
	live                 int
}

// tally counts the tasks of group among tasks.
func tally(group string, tasks []ecstypes.Task) counts {
	c := counts{runningBy: map[string]int32{}, pendingBy: map[string]int32{}}
	for _, t := range tasks {
		if shape.Deref(t.Group) != group || shape.Deref(t.LastStatus) == model.TaskStopped {
			continue
		}
		c.live++
		dep := shape.Deref(t.StartedBy)
		if shape.Deref(t.LastStatus) == model.TaskRunning {
			c.runningBy[dep]++
			c.running++
		} else {
			c.pendingBy[dep]++
			c.pending++
		}
	}
	return c
}

// createTasks creates the tasks of l placed on targets, in the pass's
// transaction, and returns their ARNs.
func (r *run) createTasks(l *state.Launch, targets []state.Target) ([]string, error) {
	var arns []string
	for _, t := range targets {
		task, err := state.CreateTask(r.tx, l, t, r.now)
		if err != nil {
			return arns, err
		}
		arns = append(arns, shape.Deref(task.TaskArn))
		r.created = append(r.created, task)
	}
	return arns, nil
}

// event prepends a service event.
func (r *run) event(msg string) { state.PassEvent(r.rec, "", msg, r.now, r.quiet, r.c.log) }

// throttledEvent says a repeated condition at most once a minute.
func (r *run) throttledEvent(kind, msg string) {
	state.PassEvent(r.rec, kind, msg, r.now, r.quiet, r.c.log)
}

func decodeTask(b []byte) (model.TaskRecord, error) {
	var rec model.TaskRecord
	err := json.Unmarshal(b, &rec)
	return rec, err
}

// breakerConfig reads a circuit breaker's threshold (thresholdConfiguration,
// ECS's default when absent) and whether a task that stays up resets its
// failure count (resetOnHealthyTask, default true).
func breakerConfig(cb *ecstypes.DeploymentCircuitBreaker, desired int) (threshold int, resetOnHealthy bool) {
	threshold = model.CircuitBreakerThreshold(desired)
	if tc := cb.ThresholdConfiguration; tc != nil {
		threshold = model.BreakerThreshold(desired, string(tc.Type), int(tc.Value))
	}
	return threshold, cb.ResetOnHealthyTask == nil || *cb.ResetOnHealthyTask
}

// inAlarm is which of a service's deployment alarms (CloudWatch alarms of
// its account and region) are in ALARM now; an alarm that does not exist
// is not.
func inAlarm(tx store.ReadTx, sc model.Scope, names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		al, ok, err := store.Get[metrics.Alarm](tx, metrics.AlarmKey(sc.Account, sc.Region, n))
		if err != nil {
			return nil, fmt.Errorf("read deployment alarm %s: %w", n, err)
		}
		if ok && al.State == metrics.StateAlarm {
			out = append(out, n)
		}
	}
	return out, nil
}

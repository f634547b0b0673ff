package service

import (
	"fmt"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// daemonPass keeps one task of the primary deployment on each ACTIVE
// container instance that meets the service's constraints (scheduling
// strategy DAEMON). A new deployment replaces the tasks instance by
// instance: the old task stops, then the new one starts (ECS's daemon
// defaults, minimumHealthyPercent 0 and maximumPercent 100).
func (r *run) daemonPass(mine []model.TaskRecord) error {
	svc := r.svc()
	name := shape.Deref(svc.ServiceName)
	var primary *ecstypes.Deployment
	for i := range svc.Deployments {
		if shape.Deref(svc.Deployments[i].Status) == model.DeploymentPrimary {
			primary = &svc.Deployments[i]
		}
	}
	if primary == nil {
		return r.count()
	}
	var plan Plan
	old := 0
	for _, t := range mine {
		task := t.Task
		if shape.Deref(task.LastStatus) == model.TaskStopped || shape.Deref(task.DesiredStatus) != state.DesiredRunning {
			continue
		}
		switch {
		case shape.Deref(svc.Status) == model.ServiceDraining:
			plan.Stops = append(plan.Stops, Stop{shape.Deref(task.TaskArn), "Service is being deleted"})
		case shape.Deref(task.StartedBy) != shape.Deref(primary.Id):
			old++
			plan.Stops = append(plan.Stops, Stop{shape.Deref(task.TaskArn), fmt.Sprintf("Task replaced by a new deployment (from %s)", shape.Deref(task.StartedBy))})
		}
	}
	if shape.Deref(svc.Status) == model.ServiceDraining {
		return r.apply(plan, mine)
	}
	td := r.rec.Definitions[shape.Deref(primary.Id)]
	insts, err := r.instances()
	if err != nil {
		return err
	}
	res, err := scheduler.PlaceDaemon(scheduler.Task{
		TaskDefinitionARN:  shape.Deref(td.TaskDefinitionArn),
		Family:             shape.Deref(td.Family),
		Group:              "service:" + name,
		NetworkMode:        string(td.NetworkMode),
		Resources:          scheduler.Requirements(td, nil),
		RequiredAttributes: scheduler.AttributesFrom(td.RequiresAttributes),
		Constraints:        scheduler.ConstraintsFrom(td.PlacementConstraints, svc.PlacementConstraints),
	}, insts)
	if err != nil {
		r.throttledEvent("place", fmt.Sprintf("(service %s) was unable to place a task: %v", name, err))
		return r.count()
	}
	for _, arn := range res.Stop {
		plan.Stops = append(plan.Stops, Stop{arn, "Task no longer meets the service's placement constraints"})
	}
	eligible := len(insts) - len(res.Ineligible)
	svc.DesiredCount = int32(eligible)
	// At most maxTaskChanges stops and starts a pass, as for replicas.
	plan.Stops = plan.Stops[:min(len(plan.Stops), maxTaskChanges)]
	placements := res.Placements[:min(len(res.Placements), maxTaskChanges-len(plan.Stops))]
	if err := r.apply(Plan{Stops: plan.Stops}, mine); err != nil {
		return err
	}
	// apply left r.tx counting its writes: start what still fits.
	if b, ok := r.tx.(*state.Budget); ok {
		placements = placements[:min(len(placements), max(0, b.Left()/state.KeysPerLaunch))]
	}
	var started []string
	for _, p := range placements {
		l := &state.Launch{Scope: r.sc, Cluster: r.cluster, Definition: td, LaunchType: ecstypes.LaunchTypeEc2, Count: 1,
			Group: "service:" + name, StartedBy: shape.Deref(primary.Id), Network: primary.NetworkConfiguration}
		pl, err := r.places.Place(r.tx, l, []string{p.InstanceARN}, r.now)
		if err != nil {
			return err
		}
		arns, err := r.createTasks(l, pl.Targets)
		if err != nil {
			return err
		}
		started = append(started, arns...)
	}
	if len(started) > 0 {
		r.event(fmt.Sprintf("(service %s) has started %d tasks: %s.", name, len(started), state.TaskList(started)))
	}
	if err := r.count(); err != nil {
		return err
	}
	steady := old == 0 && len(res.Placements) == 0 && len(res.Stop) == 0 && int(svc.RunningCount) == eligible
	if steady && primary.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
		primary.RolloutState = ecstypes.DeploymentRolloutStateCompleted
		primary.RolloutStateReason = new("ECS deployment " + shape.Deref(primary.Id) + " completed.")
		primary.UpdatedAt = shape.TimeOf(r.now)
		r.rec.StableTaskDefinition = shape.Deref(primary.TaskDefinition)
		r.event(fmt.Sprintf("(service %s) (deployment %s) deployment completed.", name, shape.Deref(primary.Id)))
		var keep []ecstypes.Deployment
		for _, d := range svc.Deployments {
			if shape.Deref(d.Status) == model.DeploymentPrimary {
				keep = append(keep, d)
			}
		}
		svc.Deployments = keep
	}
	if steady && !r.rec.Steady {
		r.event(fmt.Sprintf("(service %s) has reached a steady state.", name))
	}
	r.rec.Steady = steady
	return nil
}

// instances is the cluster's container instances as the scheduler sees
// them, with their tasks and their agents' connection.
func (r *run) instances() ([]scheduler.Instance, error) {
	recs, err := store.List[state.InstanceRecord](r.tx, state.InstancesPrefix(r.sc, r.cluster))
	if err != nil {
		return nil, err
	}
	byInstance, err := state.ClusterTasksByInstance(r.tx, r.sc, r.cluster)
	if err != nil {
		return nil, err
	}
	var out []scheduler.Instance
	for _, rec := range recs {
		if shape.Deref(rec.Instance.Status) == "INACTIVE" {
			continue
		}
		ci := rec.Instance
		if ci.AgentConnected, err = state.NodeConnected(r.tx, rec.NodeID, r.now); err != nil {
			return nil, err
		}
		in := scheduler.InstanceFromECS(ci)
		in.Tasks = byInstance[in.ARN]
		out = append(out, in)
	}
	return out, nil
}

package ecs

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Task scale-in protection (GetTaskProtection, UpdateTaskProtection). The
// protection is stored on the task record; the service scheduler honours it
// through state.TaskProtected. Only a service's tasks can be protected:
// ECS answers a standalone task with the failure TASK_NOT_VALID, and an
// unknown one with MISSING, in failures[] rather than as an error.

const (
	failureTaskNotValid = "TASK_NOT_VALID"
	failureMissing      = "MISSING"
)

// protectionTarget is one task of a protection call, found or failed.
type protectionTarget struct {
	rec     model.TaskRecord
	failure *ecstypes.Failure
}

// findProtectionTargets resolves the task references of a protection call
// in cluster, which must be ACTIVE.
func findProtectionTargets(tx store.ReadTx, sc model.Scope, cluster string, refs []string) ([]protectionTarget, error) {
	if err := requireCluster(tx, sc, cluster); err != nil {
		return nil, err
	}
	out := make([]protectionTarget, 0, len(refs))
	for _, ref := range refs {
		arn := ref
		if a, ok := model.ParseARN(ref); ok {
			// A task ARN of another cluster is not in this one.
			if c, _, found := state.CutTaskResource(a.Resource); !found || c != cluster {
				out = append(out, protectionTarget{failure: &ecstypes.Failure{Arn: new(ref), Reason: new(failureMissing),
					Detail: new("The task was not found in cluster " + cluster + ".")}})
				continue
			}
		} else {
			arn = sc.TaskARN(cluster, ref)
		}
		rec, ok, err := state.FindTask(tx, sc, cluster, ref)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok:
			out = append(out, protectionTarget{failure: &ecstypes.Failure{Arn: new(arn), Reason: new(failureMissing),
				Detail: new("The task was not found in cluster " + cluster + ".")}})
		default:
			if _, inService := state.TaskService(rec); !inService {
				out = append(out, protectionTarget{failure: &ecstypes.Failure{Arn: new(arn), Reason: new(failureTaskNotValid),
					Detail: new("Task protection is only supported for tasks that belong to an Amazon ECS service; this task was not started by a service.")}})
				continue
			}
			out = append(out, protectionTarget{rec: rec})
		}
	}
	return out, nil
}

// protectedTask reports a task's protection as ECS does: an expired
// protection is reported as off, with no expiration date.
func protectedTask(rec model.TaskRecord, now time.Time) ecstypes.ProtectedTask {
	pt := ecstypes.ProtectedTask{TaskArn: rec.Task.TaskArn}
	if state.TaskProtected(rec, now) {
		pt.ProtectionEnabled = true
		pt.ExpirationDate = shape.TimeOf(rec.Protection.ExpiresAt)
	}
	return pt
}

// GetTaskProtection reports the scale-in protection of up to 100 tasks.
func (a *API) GetTaskProtection(ctx context.Context, in *ecstypes.GetTaskProtectionRequest) (*ecstypes.GetTaskProtectionResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	if len(in.Tasks) == 0 {
		return nil, invalidParam("tasks must name at least one task (up to 100).")
	}
	if len(in.Tasks) > 100 {
		return nil, invalidParam("tasks can have at most 100 entries, got %d.", len(in.Tasks))
	}
	cluster := model.ClusterName(*in.Cluster)
	now := a.Now()
	out := &ecstypes.GetTaskProtectionResponse{ProtectedTasks: []ecstypes.ProtectedTask{}, Failures: []ecstypes.Failure{}}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		targets, err := findProtectionTargets(tx, sc, cluster, in.Tasks)
		if err != nil {
			return err
		}
		for _, t := range targets {
			if t.failure != nil {
				out.Failures = append(out.Failures, *t.failure)
				continue
			}
			out.ProtectedTasks = append(out.ProtectedTasks, protectedTask(t.rec, now))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateTaskProtection turns the scale-in protection of up to 10 service
// tasks on (for expiresInMinutes, 2 hours by default, at most 48 hours;
// every call restarts the clock) or off.
func (a *API) UpdateTaskProtection(ctx context.Context, in *ecstypes.UpdateTaskProtectionRequest) (*ecstypes.UpdateTaskProtectionResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	if len(in.Tasks) == 0 || len(in.Tasks) > 10 {
		return nil, invalidParam("tasks must name between 1 and 10 tasks, got %d.", len(in.Tasks))
	}
	minutes := state.DefaultProtectionMinutes
	if in.ExpiresInMinutes != nil {
		minutes = int(*in.ExpiresInMinutes)
		if minutes < 1 || minutes > state.MaxProtectionMinutes {
			return nil, invalidParam("expiresInMinutes must be between 1 and %d (48 hours), got %d.", state.MaxProtectionMinutes, minutes)
		}
	}
	cluster := model.ClusterName(*in.Cluster)
	out := &ecstypes.UpdateTaskProtectionResponse{ProtectedTasks: []ecstypes.ProtectedTask{}, Failures: []ecstypes.Failure{}}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		out.ProtectedTasks, out.Failures = out.ProtectedTasks[:0], out.Failures[:0]
		now := a.Now()
		targets, err := findProtectionTargets(tx, sc, cluster, in.Tasks)
		if err != nil {
			return err
		}
		for _, t := range targets {
			if t.failure != nil {
				out.Failures = append(out.Failures, *t.failure)
				continue
			}
			rec := t.rec
			if derefStr(rec.Task.LastStatus) == model.TaskStopped {
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: rec.Task.TaskArn, Reason: new(failureTaskNotValid),
					Detail: new("The task is stopped; only a running service task can be protected.")})
				continue
			}
			state.SetTaskProtection(&rec, in.ProtectionEnabled, minutes, now)
			if err := state.PutTask(tx, sc, cluster, &rec); err != nil {
				return err
			}
			out.ProtectedTasks = append(out.ProtectedTasks, protectedTask(rec, now))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

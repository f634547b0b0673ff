package ecs

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// SubmitTaskStateChange is how an agent reports a task's state. wharf's own
// agent adds the full status in the "wharf" member; other callers send the
// plain ECS shape.
func (a *API) SubmitTaskStateChange(ctx context.Context, in *agentproto.TaskStateChange) (*ecstypes.SubmitTaskStateChangeResponse, error) {
	st := statusFromStandard(&in.SubmitTaskStateChangeRequest)
	if in.Wharf != nil {
		st = *in.Wharf
	}
	if err := a.applyReport(ctx, derefStr(in.Cluster), derefStr(in.Task), func(rec *model.TaskRecord, now time.Time) bool {
		return applyStatus(rec, st, now)
	}); err != nil {
		return nil, err
	}
	return &ecstypes.SubmitTaskStateChangeResponse{Acknowledgment: new("ACK")}, nil
}

// SubmitContainerStateChange reports one container's state.
func (a *API) SubmitContainerStateChange(ctx context.Context, in *ecstypes.SubmitContainerStateChangeRequest) (*ecstypes.SubmitContainerStateChangeResponse, error) {
	change := containerFromChange(ecstypes.ContainerStateChange{ContainerName: in.ContainerName, RuntimeId: in.RuntimeId,
		Status: in.Status, ExitCode: in.ExitCode, Reason: in.Reason, NetworkBindings: in.NetworkBindings})
	if err := a.applyReport(ctx, derefStr(in.Cluster), derefStr(in.Task), func(rec *model.TaskRecord, _ time.Time) bool {
		return mergeContainer(rec, change)
	}); err != nil {
		return nil, err
	}
	return &ecstypes.SubmitContainerStateChangeResponse{Acknowledgment: new("ACK")}, nil
}

// applyReport finds the task a report is about and applies it in one
// transaction.
func (a *API) applyReport(ctx context.Context, clusterRef, taskRef string, apply func(*model.TaskRecord, time.Time) bool) error {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(clusterRef)
	if arn, ok := model.ParseARN(taskRef); ok {
		if c, _, found := cutTaskResource(arn.Resource); found {
			cluster = c
		}
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, ok, err := state.FindTask(tx, sc, cluster, taskRef)
		if err != nil {
			return err
		}
		if !ok {
			return invalidParam("The referenced task was not found.")
		}
		if !apply(&rec, a.Now()) {
			return nil
		}
		return state.PutTask(tx, sc, cluster, &rec)
	})
	return err
}

// cutTaskResource splits "task/CLUSTER/ID".
func cutTaskResource(res string) (cluster, id string, ok bool) {
	const p = "task/"
	if len(res) <= len(p) || res[:len(p)] != p {
		return "", "", false
	}
	rest := res[len(p):]
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] == '/' {
			return rest[:i], rest[i+1:], true
		}
	}
	return "", "", false
}

func statusFromStandard(in *ecstypes.SubmitTaskStateChangeRequest) agentproto.TaskStatus {
	st := agentproto.TaskStatus{
		TaskARN: derefStr(in.Task), LastStatus: derefStr(in.Status), StoppedReason: derefStr(in.Reason),
		PullStartedAt: in.PullStartedAt.Time, PullStoppedAt: in.PullStoppedAt.Time, ExecutionStoppedAt: in.ExecutionStoppedAt.Time,
	}
	for _, c := range in.Containers {
		st.Containers = append(st.Containers, containerFromChange(c))
	}
	return st
}

func containerFromChange(c ecstypes.ContainerStateChange) ecstypes.Container {
	return ecstypes.Container{Name: c.ContainerName, RuntimeId: c.RuntimeId, ImageDigest: c.ImageDigest,
		LastStatus: c.Status, ExitCode: c.ExitCode, Reason: c.Reason, NetworkBindings: c.NetworkBindings}
}

// containerRank orders container states; reports never move one back.
func containerRank(s string) int {
	switch s {
	case "PENDING":
		return 0
	case "RUNNING":
		return 1
	case "STOPPED":
		return 2
	}
	return -1
}

// applyStatus folds an agent's report into a task record. It is the one
// place that moves a task's actual state: states only advance, a STOPPED
// task takes no more reports, and the first stop code and reason win (a
// user's StopTask reason is not replaced by the agent's). It reports
// whether anything changed.
func applyStatus(rec *model.TaskRecord, st agentproto.TaskStatus, now time.Time) bool {
	t := &rec.Task
	if derefStr(t.LastStatus) == model.TaskStopped {
		return false
	}
	before := snapshot(t)
	for _, c := range st.Containers {
		mergeContainer(rec, c)
	}
	if st.HealthStatus != "" {
		t.HealthStatus = st.HealthStatus
	}
	if len(st.Attachments) > 0 {
		t.Attachments = st.Attachments
	}
	setOnce(&t.PullStartedAt, st.PullStartedAt)
	setOnce(&t.PullStoppedAt, st.PullStoppedAt)
	setOnce(&t.ExecutionStoppedAt, st.ExecutionStoppedAt)
	if model.TaskStatusAdvances(derefStr(t.LastStatus), st.LastStatus) {
		t.LastStatus = new(st.LastStatus)
		rank := model.TaskStatusRank(st.LastStatus)
		if rank >= model.TaskStatusRank(model.TaskRunning) {
			setOnce(&t.StartedAt, firstNonZero(st.StartedAt, now))
		}
		if rank >= model.TaskStatusRank(model.TaskDeactivating) {
			// The task is on its way out, whoever decided it.
			t.DesiredStatus = new(state.DesiredStopped)
			if t.StopCode == "" {
				t.StopCode = st.StopCode
			}
			if derefStr(t.StoppedReason) == "" && st.StoppedReason != "" {
				t.StoppedReason = new(st.StoppedReason)
			}
			setOnce(&t.StoppingAt, firstNonZero(st.StoppingAt, now))
		}
		if st.LastStatus == model.TaskStopped {
			t.StoppedAt = shape.TimeOf(now)
			setOnce(&t.ExecutionStoppedAt, now)
		}
	}
	if snapshot(t) == before {
		return false
	}
	t.Version++
	return true
}

// mergeContainer applies one container report by name.
func mergeContainer(rec *model.TaskRecord, c ecstypes.Container) bool {
	for i := range rec.Task.Containers {
		cur := &rec.Task.Containers[i]
		if derefStr(cur.Name) != derefStr(c.Name) {
			continue
		}
		if derefStr(cur.LastStatus) == "STOPPED" {
			return false
		}
		before := containerSnapshot(*cur)
		if containerRank(derefStr(c.LastStatus)) > containerRank(derefStr(cur.LastStatus)) {
			cur.LastStatus = c.LastStatus
		}
		if c.RuntimeId != nil {
			cur.RuntimeId = c.RuntimeId
		}
		if c.ImageDigest != nil {
			cur.ImageDigest = c.ImageDigest
		}
		if c.ExitCode != nil {
			cur.ExitCode = c.ExitCode
		}
		if c.Reason != nil {
			cur.Reason = c.Reason
		}
		if c.HealthStatus != "" {
			cur.HealthStatus = c.HealthStatus
		}
		if c.NetworkBindings != nil {
			cur.NetworkBindings = c.NetworkBindings
		}
		if c.NetworkInterfaces != nil {
			cur.NetworkInterfaces = c.NetworkInterfaces
		}
		return containerSnapshot(*cur) != before
	}
	return false
}

func setOnce(ts *shape.Timestamp, t time.Time) {
	if ts.IsZero() && !t.IsZero() {
		*ts = shape.TimeOf(t)
	}
}

func firstNonZero(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}

package ecs

import (
	"context"
	"errors"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/state"
)

// The agent's state reports. The state machine they drive lives in state
// (taskstatus.go); here they are decoded into its plain values and its
// errors mapped to ECS's codes.

// SubmitTaskStateChange is how an agent reports a task's state. wharf's own
// agent adds the full status in the "wharf" member; other callers send the
// plain ECS shape.
func (a *API) SubmitTaskStateChange(ctx context.Context, in *agentproto.TaskStateChange) (*ecstypes.SubmitTaskStateChangeResponse, error) {
	st := statusFromStandard(&in.SubmitTaskStateChangeRequest)
	if in.Wharf != nil {
		st = *in.Wharf
	}
	err := state.ReportTaskStatus(ctx, a.DB, awsapi.ScopeOf(ctx), derefStr(in.Cluster), derefStr(in.Task), st, a.Now())
	if err != nil {
		return nil, stateErr(err)
	}
	return &ecstypes.SubmitTaskStateChangeResponse{Acknowledgment: new("ACK")}, nil
}

// SubmitContainerStateChange reports one container's state.
func (a *API) SubmitContainerStateChange(ctx context.Context, in *ecstypes.SubmitContainerStateChangeRequest) (*ecstypes.SubmitContainerStateChangeResponse, error) {
	change := containerFromChange(ecstypes.ContainerStateChange{ContainerName: in.ContainerName, RuntimeId: in.RuntimeId,
		Status: in.Status, ExitCode: in.ExitCode, Reason: in.Reason, NetworkBindings: in.NetworkBindings})
	if err := state.ReportContainer(ctx, a.DB, awsapi.ScopeOf(ctx), derefStr(in.Cluster), derefStr(in.Task), change); err != nil {
		return nil, stateErr(err)
	}
	return &ecstypes.SubmitContainerStateChangeResponse{Acknowledgment: new("ACK")}, nil
}

// stateErr maps the core's typed errors to ECS's codes; anything else is
// a failure of the store and stays as it is (a ServerException).
func stateErr(err error) error {
	var inv *state.InvalidError
	switch {
	case errors.As(err, &inv):
		return invalidParam("%s", inv.Message)
	case errors.Is(err, state.ErrClusterNotFound):
		return clusterNotFound("")
	}
	return err
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

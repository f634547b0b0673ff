package ecs

import (
	"context"
	"slices"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// The two agent-facing calls that wharf's own agent does not need, answered
// for third-party agents and for users as ECS answers them.

const (
	codeNoUpdateAvailable = "NoUpdateAvailableException"
	codeMissingVersion    = "MissingVersionException"
)

// attachmentStatuses are the states ECS knows for a task attachment.
var attachmentStatuses = []string{"PRECREATED", "ATTACHING", "ATTACHED", "DETACHING", "DETACHED", "DELETED", "FAILED"}

// SubmitAttachmentStateChanges records the status an agent reports for
// task attachments (an awsvpc task's ENI), found by attachment ARN or id
// among the cluster's tasks, and acknowledges like the other state calls.
func (a *API) SubmitAttachmentStateChanges(ctx context.Context, in *ecstypes.SubmitAttachmentStateChangesRequest) (*ecstypes.SubmitAttachmentStateChangesResponse, error) {
	changes := make([]state.AttachmentChange, 0, len(in.Attachments))
	for _, ch := range in.Attachments {
		if !slices.Contains(attachmentStatuses, *ch.Status) {
			return nil, invalidParam("Invalid attachment status %q for %s: one of %v.", *ch.Status, *ch.AttachmentArn, attachmentStatuses)
		}
		changes = append(changes, state.AttachmentChange{AttachmentARN: *ch.AttachmentArn, Status: *ch.Status})
	}
	if err := state.SetAttachmentStatus(ctx, a.DB, awsapi.ScopeOf(ctx), model.ClusterName(derefStr(in.Cluster)), changes); err != nil {
		return nil, stateErr(err)
	}
	return &ecstypes.SubmitAttachmentStateChangesResponse{Acknowledgment: new("ACK")}, nil
}

// UpdateContainerAgent asks ECS to update an instance's agent. wharf's
// agent is the wharf binary itself, always the version the control plane
// expects, so ECS's answer for an agent already on the latest version is
// the one wharf gives: NoUpdateAvailableException. An instance whose agent
// reported no version (a third-party agent) gets MissingVersionException,
// as ECS answers agents that do not use its version information.
func (a *API) UpdateContainerAgent(ctx context.Context, in *ecstypes.UpdateContainerAgentRequest) (*ecstypes.UpdateContainerAgentResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, cluster); err != nil {
			return err
		}
		rec, ok, err := findInstance(tx, sc, cluster, *in.ContainerInstance)
		if err != nil {
			return err
		}
		if !ok {
			return invalidParam("Container instance %s is not registered in cluster %s.", *in.ContainerInstance, cluster)
		}
		switch rec.Instance.AgentUpdateStatus {
		case ecstypes.AgentUpdateStatusPending, ecstypes.AgentUpdateStatusStaging, ecstypes.AgentUpdateStatusStaged, ecstypes.AgentUpdateStatusUpdating:
			return awsapi.Errorf(codeUpdateInProgress, "There's already an update in progress for the container agent on %s.", *in.ContainerInstance)
		}
		if vi := rec.Instance.VersionInfo; vi == nil || derefStr(vi.AgentVersion) == "" {
			return awsapi.Errorf(codeMissingVersion, "Amazon ECS can't determine the current version of the container agent on %s and doesn't have enough information to proceed with an update. The agent did not report its version when it registered.", *in.ContainerInstance)
		}
		return awsapi.Errorf(codeNoUpdateAvailable, "There's no update available for the container agent on %s: it is already running the latest version (%s).",
			*in.ContainerInstance, derefStr(rec.Instance.VersionInfo.AgentVersion))
	})
	return nil, err
}

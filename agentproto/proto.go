// Package agentproto is the narrow protocol between the control plane and
// the agents that run tasks on hosts. It holds wire types only, no I/O, so
// that both sides (awsapi/ecs on the control plane, agent on a host) import
// it and neither imports the other.
//
// An agent speaks three calls, all to the control plane's one HTTP port:
//
//  1. RegisterContainerInstance (the ECS operation, unchanged) once per
//     cluster it serves, with attribute NodeAttribute = its node id, and
//     containerInstanceArn set when it re-registers after a restart; or
//     POST RegisterPath (wharf's own) for a batch of clusters at once.
//  2. POST PollPath (wharf's own): a long poll that returns every task
//     assigned to the node that the agent has not yet reported STOPPED, and
//     the clusters it should serve. Each poll is also the node's heartbeat.
//     Level-triggered: the answer is the whole desired state, never a diff.
//  3. SubmitTaskStateChange (the ECS operation) with the standard members
//     filled in, plus the wharf member carrying what the standard shape
//     cannot (container health, network interfaces, the ENI attachment).
//
// A remote agent (a later issue) uses the same three calls over the network.
package agentproto

import (
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// PollPath is the agent's long-poll endpoint.
const PollPath = "/_wharf/agent/v1/poll"

// NodeAttribute is the container instance attribute naming the agent's node.
const NodeAttribute = "wharf.node-id"

// PollRequest asks for the node's assignments.
type PollRequest struct {
	NodeID string `json:"nodeId"`
	// AfterRevision: answer at once if anything relevant to the node
	// changed after this store revision (0: answer at once), otherwise wait
	// up to WaitSeconds for a change.
	AfterRevision int64 `json:"afterRevision"`
	WaitSeconds   int   `json:"waitSeconds"`
}

// PollResponse is the node's whole desired state at Revision.
type PollResponse struct {
	Revision int64 `json:"revision"`
	// Clusters are the ARNs of the ACTIVE clusters the node should serve as
	// a container instance (every region's, for the embedded agent).
	Clusters []string `json:"clusters"`
	// Tasks are the tasks assigned to the node that it has not reported
	// STOPPED yet.
	Tasks []Assignment `json:"tasks"`
}

// Assignment is one task as the agent needs it: everything to run it.
type Assignment struct {
	TaskARN              string `json:"taskArn"`
	ClusterARN           string `json:"clusterArn"`
	ContainerInstanceARN string `json:"containerInstanceArn,omitempty"` // "" for FARGATE
	// DesiredStatus is RUNNING or STOPPED.
	DesiredStatus string `json:"desiredStatus"`
	// StopCode and StoppedReason say why the control plane wants the task
	// stopped (UserInitiated, ServiceSchedulerInitiated, …).
	StopCode      ecstypes.TaskStopCode          `json:"stopCode,omitempty"`
	StoppedReason string                         `json:"stoppedReason,omitempty"`
	LaunchType    ecstypes.LaunchType            `json:"launchType"`
	Definition    ecstypes.TaskDefinition        `json:"definition"`
	Overrides     *ecstypes.TaskOverride         `json:"overrides,omitempty"`
	Network       *ecstypes.NetworkConfiguration `json:"networkConfiguration,omitempty"`
	Group         string                         `json:"group,omitempty"`
	StartedBy     string                         `json:"startedBy,omitempty"`
	// Version is the task record's revision; it grows with every change the
	// control plane makes to the task.
	Version int64 `json:"version"`
}

// TaskStatus is what an agent knows of a task it runs.
type TaskStatus struct {
	TaskARN    string `json:"taskArn"`
	ClusterARN string `json:"clusterArn"`
	// LastStatus is one of the task states, PROVISIONING through STOPPED.
	LastStatus    string                `json:"lastStatus"`
	HealthStatus  ecstypes.HealthStatus `json:"healthStatus,omitempty"`
	StopCode      ecstypes.TaskStopCode `json:"stopCode,omitempty"`
	StoppedReason string                `json:"stoppedReason,omitempty"`

	PullStartedAt      time.Time `json:"pullStartedAt,omitzero"`
	PullStoppedAt      time.Time `json:"pullStoppedAt,omitzero"`
	StartedAt          time.Time `json:"startedAt,omitzero"`
	StoppingAt         time.Time `json:"stoppingAt,omitzero"`
	ExecutionStoppedAt time.Time `json:"executionStoppedAt,omitzero"`

	// Containers as DescribeTasks reports them: name, runtimeId, image,
	// imageDigest, lastStatus (PENDING, RUNNING, STOPPED), exitCode,
	// reason, healthStatus, networkBindings, networkInterfaces.
	Containers []ecstypes.Container `json:"containers"`
	// Attachments holds the ENI of an awsvpc task (type
	// ElasticNetworkInterface, details privateIPv4Address, …).
	Attachments []ecstypes.Attachment `json:"attachments,omitempty"`
}

// TaskStateChange is the body of the agent's SubmitTaskStateChange: the
// ECS shape (so any ECS tooling reads it) plus the full status.
type TaskStateChange struct {
	ecstypes.SubmitTaskStateChangeRequest
	Wharf *TaskStatus `json:"wharf,omitempty"`
}

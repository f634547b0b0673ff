package model

import (
	"slices"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// Task states in the order ECS moves through them.
const (
	TaskProvisioning   = "PROVISIONING"
	TaskPending        = "PENDING"
	TaskActivating     = "ACTIVATING"
	TaskRunning        = "RUNNING"
	TaskDeactivating   = "DEACTIVATING"
	TaskStopping       = "STOPPING"
	TaskDeprovisioning = "DEPROVISIONING"
	TaskStopped        = "STOPPED"
)

var taskOrder = []string{TaskProvisioning, TaskPending, TaskActivating, TaskRunning,
	TaskDeactivating, TaskStopping, TaskDeprovisioning, TaskStopped}

// TaskStatusRank orders task states; -1 for an unknown state.
func TaskStatusRank(s string) int { return slices.Index(taskOrder, s) }

// TaskStatusAdvances reports whether a task may move from → to: states only
// move forward (a late or repeated report never moves a task back), and
// any state may jump ahead (a task that fails to start goes straight to
// STOPPED).
func TaskStatusAdvances(from, to string) bool {
	f, t := TaskStatusRank(from), TaskStatusRank(to)
	return t >= 0 && t > f
}

// TaskRecord is a task as the control plane stores it, under
// ecs/ACCOUNT/REGION/tasks/CLUSTER/ID. In memory it holds the wire shapes
// the API answers with; stored, it takes its own versioned form
// (taskrecord.go: MarshalJSON and UnmarshalJSON), which reads back records
// written before that form existed.
type TaskRecord struct {
	// Task is what DescribeTasks returns.
	Task ecstypes.Task `json:"task"`
	// Definition is the task definition as it was when the task was
	// launched, so a later deregistration changes nothing for the task.
	Definition ecstypes.TaskDefinition `json:"definition"`
	// NodeID is the agent host the task is assigned to.
	NodeID string `json:"nodeId"`
	// Network is the network configuration the task was launched with.
	Network *ecstypes.NetworkConfiguration `json:"network,omitempty"`
	// PendingStop is set by the service scheduler on a task it means to stop
	// once its load balancer targets have drained; until then the task keeps
	// serving the requests in flight.
	PendingStop *PendingStop `json:"pendingStop,omitempty"`
	// Protection is the task's scale-in protection, set by
	// UpdateTaskProtection; state.TaskProtected says whether it holds now.
	Protection *TaskProtection `json:"protection,omitempty"`
}

// TaskProtection keeps a service's task from being stopped by scale-in and
// deployments until ExpiresAt.
type TaskProtection struct {
	Enabled   bool      `json:"enabled"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// PendingStop is a stop waiting for a drain.
type PendingStop struct {
	Code   ecstypes.TaskStopCode `json:"code"`
	Reason string                `json:"reason"`
}

package agentproto

import "time"

// StatsPath is where an agent reports its tasks' resource usage (wharf's
// own, beside the three calls in the package doc): raw cgroup counters,
// from which the control plane derives the AWS/ECS CPUUtilization and
// MemoryUtilization metrics.
const StatsPath = "/_wharf/agent/v1/stats"

// StatsReport is one sample of every running task on a node.
type StatsReport struct {
	NodeID string      `json:"nodeId"`
	Tasks  []TaskUsage `json:"tasks"`
}

// TaskUsage is one task's usage, summed over its containers.
type TaskUsage struct {
	TaskARN string `json:"taskArn"`
	// CPUNanos is the CPU time the task's containers used since they
	// started (cumulative, ns): the control plane takes the rate between
	// two reports.
	CPUNanos uint64 `json:"cpuNanos"`
	// MemoryBytes is the memory in use now.
	MemoryBytes uint64 `json:"memoryBytes"`
	// Containers is how many containers were sampled: a change resets the
	// rate (a container restarted).
	Containers int       `json:"containers"`
	SampledAt  time.Time `json:"sampledAt"`
	// PerContainer is the same figures by container, for Container
	// Insights' Container performance events (older agents omit it).
	PerContainer []ContainerUsage `json:"perContainer,omitempty"`
}

// ContainerUsage is one container's share of a TaskUsage.
type ContainerUsage struct {
	Name        string `json:"name"`
	CPUNanos    uint64 `json:"cpuNanos"`
	MemoryBytes uint64 `json:"memoryBytes"`
}

package model

import (
	"crypto/rand"
	"math/big"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// Service status values.
const (
	ServiceActive   = "ACTIVE"
	ServiceDraining = "DRAINING"
	ServiceInactive = "INACTIVE"
)

// Deployment status values.
const (
	DeploymentPrimary  = "PRIMARY"
	DeploymentActive   = "ACTIVE"
	DeploymentInactive = "INACTIVE"
)

// MaxServiceEvents is how many events DescribeServices keeps, newest first.
const MaxServiceEvents = 100

// ServiceRecord is a service as the control plane stores it, under
// ecs/ACCOUNT/REGION/services/CLUSTER/NAME.
type ServiceRecord struct {
	// Service is what DescribeServices returns: the spec, deployments[],
	// counts and events.
	Service ecstypes.Service `json:"service"`
	// Definitions are the task definitions of the live deployments, by
	// deployment id, as they were when each deployment began.
	Definitions map[string]ecstypes.TaskDefinition `json:"definitions"`
	// StableTaskDefinition is the task definition of the last deployment
	// that completed: what a circuit-breaker rollback returns to.
	StableTaskDefinition string `json:"stableTaskDefinition,omitempty"`
	// Steady remembers that the steady-state event was said, so it is said
	// once per arrival.
	Steady bool `json:"steady,omitempty"`
	// Throttled holds when each kind of repeated event was last said.
	Throttled map[string]int64 `json:"throttled,omitempty"`
}

// NewDeploymentID returns an id in ECS's shape: "ecs-svc/" and 19 digits.
func NewDeploymentID() string {
	n, _ := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(19), nil))
	s := n.String()
	for len(s) < 19 {
		s = "0" + s
	}
	return "ecs-svc/" + s
}

// CircuitBreakerThreshold is how many failed tasks trip a deployment's
// circuit breaker: half the desired count, at least 3 and at most 200.
func CircuitBreakerThreshold(desired int) int {
	return min(max((desired+1)/2, 3), 200)
}

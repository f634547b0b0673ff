package model

import (
	"crypto/rand"
	"math/big"
	"time"

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
	// BreakerResets holds, per deployment, when one of its tasks last
	// stayed up for the stabilisation window: the breaker counts failures
	// after that moment only.
	BreakerResets map[string]time.Time `json:"breakerResets,omitempty"`
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
	return BreakerThreshold(desired, "", 0)
}

// BreakerThreshold is the circuit breaker's threshold for a
// thresholdConfiguration of kind ("COUNT", "UNBOUNDED_PERCENT" or
// "BOUNDED_PERCENT", the default) and value (default 50): a percentage of
// the desired count rounded up — bounded to [3, 200] for BOUNDED_PERCENT —
// or the count itself. Desired 10 at the defaults: 5; desired 1: 3;
// UNBOUNDED_PERCENT 10 of 4: 1; COUNT 7: 7.
func BreakerThreshold(desired int, kind string, value int) int {
	if value <= 0 {
		value = 50
	}
	pct := max((desired*value+99)/100, 1)
	switch kind {
	case "COUNT":
		return value
	case "UNBOUNDED_PERCENT":
		return pct
	}
	return min(max(pct, 3), 200)
}

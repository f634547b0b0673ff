package state

import (
	"math"
	"slices"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Task sets: the units of an EXTERNAL or CODE_DEPLOY service. Each is its
// own record beside its service, so the API and the task-set controller
// change one set without rewriting the others:
//
//	ecs/ACCOUNT/REGION/tasksets/CLUSTER/SERVICE/DIGITS   TaskSetRecord
//
// DIGITS is the id without its "ecs-svc/" prefix (ids contain a slash).

// Task set statuses, as ECS reports them.
const (
	TaskSetPrimary  = "PRIMARY"
	TaskSetActive   = "ACTIVE"
	TaskSetDraining = "DRAINING"
)

// TaskSetRecord is a task set as stored.
type TaskSetRecord struct {
	// TaskSet is what DescribeTaskSets returns.
	TaskSet ecstypes.TaskSet `json:"taskSet"`
	// Definition is the task definition the set's tasks run, as it was
	// when the set was created.
	Definition ecstypes.TaskDefinition `json:"definition"`
	// ClientToken makes CreateTaskSet idempotent.
	ClientToken string `json:"clientToken,omitempty"`
}

// TaskSetsPrefix holds one service's task sets.
func TaskSetsPrefix(s model.Scope, cluster, service string) string {
	return Root(s) + "tasksets/" + cluster + "/" + service + "/"
}

// TaskSetKey is the key of a task set given its id or ARN.
func TaskSetKey(s model.Scope, cluster, service, ref string) string {
	return TaskSetsPrefix(s, cluster, service) + LastSegment(ref)
}

// TaskSetARN is arn:aws:ecs:REGION:ACCOUNT:task-set/CLUSTER/SERVICE/ID.
func TaskSetARN(s model.Scope, cluster, service, id string) string {
	return s.ARN("task-set/" + cluster + "/" + service + "/" + id)
}

// ComputedDesiredCount is a task set's share of the service's desired
// count: scale percent of it, rounded up as ECS documents (1.2 → 2).
// For example 50% of 3 is 2, 100% of 3 is 3, 0% is 0.
func ComputedDesiredCount(scale *ecstypes.Scale, desired int32) int32 {
	if scale == nil || desired <= 0 || scale.Value <= 0 {
		return 0
	}
	// The small epsilon keeps float noise (10% × 10 = 1.0000000000000002)
	// from rounding a whole number up.
	return int32(math.Ceil(scale.Value*float64(desired)/100 - 1e-9))
}

// UsesTaskSets reports whether a service's tasks are scheduled by task
// sets (EXTERNAL or CODE_DEPLOY controller) rather than by the rolling
// service scheduler.
func UsesTaskSets(svc *ecstypes.Service) bool {
	dc := svc.DeploymentController
	return dc != nil && dc.Type != "" && dc.Type != ecstypes.DeploymentControllerTypeEcs
}

// ListTaskSets reads a service's task sets, PRIMARY first, then the newest.
func ListTaskSets(tx store.ReadTx, s model.Scope, cluster, service string) ([]TaskSetRecord, error) {
	recs, err := store.List[TaskSetRecord](tx, TaskSetsPrefix(s, cluster, service))
	slices.SortStableFunc(recs, func(a, b TaskSetRecord) int {
		ap, bp := shape.Deref(a.TaskSet.Status) == TaskSetPrimary, shape.Deref(b.TaskSet.Status) == TaskSetPrimary
		if ap != bp {
			if ap {
				return -1
			}
			return 1
		}
		return b.TaskSet.CreatedAt.Compare(a.TaskSet.CreatedAt.Time)
	})
	return recs, err
}

// SyncServiceTaskSets writes a service's task sets into its record, as
// DescribeServices shows them: taskSets[], and the primary set's task
// definition, launch type, network configuration, load balancers and
// registries as the service's own (null while no set is primary).
func SyncServiceTaskSets(tx store.ReadTx, s model.Scope, cluster string, rec *model.ServiceRecord) error {
	svc := &rec.Service
	name := shape.Deref(svc.ServiceName)
	sets, err := ListTaskSets(tx, s, cluster, name)
	if err != nil {
		return err
	}
	svc.TaskSets = make([]ecstypes.TaskSet, 0, len(sets))
	var primary *ecstypes.TaskSet
	for i := range sets {
		ts := sets[i].TaskSet
		ts.Tags = nil // DescribeServices does not carry task set tags
		svc.TaskSets = append(svc.TaskSets, ts)
		if shape.Deref(ts.Status) == TaskSetPrimary {
			primary = &sets[i].TaskSet
		}
	}
	if primary == nil {
		if svc.DeploymentController != nil && svc.DeploymentController.Type == ecstypes.DeploymentControllerTypeExternal {
			svc.TaskDefinition, svc.LaunchType, svc.CapacityProviderStrategy, svc.PlatformVersion = nil, "", nil, nil
			svc.NetworkConfiguration, svc.LoadBalancers, svc.ServiceRegistries = nil, nil, nil
		}
		return nil
	}
	svc.TaskDefinition = primary.TaskDefinition
	svc.LaunchType = primary.LaunchType
	svc.CapacityProviderStrategy = primary.CapacityProviderStrategy
	svc.PlatformVersion = primary.PlatformVersion
	svc.PlatformFamily = primary.PlatformFamily
	svc.NetworkConfiguration = primary.NetworkConfiguration
	svc.LoadBalancers = shape.OrEmpty(primary.LoadBalancers)
	svc.ServiceRegistries = shape.OrEmpty(primary.ServiceRegistries)
	return nil
}

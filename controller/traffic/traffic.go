// Package traffic keeps a group of ECS tasks in step with the load
// balancers and Cloud Map services they serve: a running task is a target
// of its target groups and an instance of its registries; a task about to
// stop is deregistered first and stopped only once its targets drained.
//
// It is shared by the controllers that own tasks (the rolling service
// scheduler and the task-set controller); it works inside their store
// transaction and imports store, state, model, dataplane/lbstate and
// dataplane/sdstate only — never a controller, awsapi or the agent.
package traffic

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Binding is where one group of tasks (a service, or one task set of it)
// sends its traffic, with the transaction and clock of the caller's pass.
type Binding struct {
	Tx      store.Tx
	Scope   model.Scope
	Cluster string
	// Service is the ECS service name, a Cloud Map attribute.
	Service       string
	LoadBalancers []ecstypes.LoadBalancer
	Registries    []ecstypes.ServiceRegistry
	// Attributes are added to every Cloud Map instance (a task set's
	// ECS_TASK_SET_EXTERNAL_ID).
	Attributes map[string]string
	Now        time.Time
}

// Target is one registration of a task in one target group.
type Target struct {
	Group lbstate.TargetGroup
	ID    lbstate.TargetID
}

// HasTraffic reports whether the group has load balancers or registries.
func (b *Binding) HasTraffic() bool { return len(b.LoadBalancers) > 0 || len(b.Registries) > 0 }

// Targets works out a task's targets from where it runs: awsvpc tasks by
// private IP and container port (ip target groups), others by their
// container instance and published host port (instance target groups).
func (b *Binding) Targets(rec model.TaskRecord) ([]Target, error) {
	var out []Target
	for _, lb := range b.LoadBalancers {
		arn := shape.Deref(lb.TargetGroupArn)
		if arn == "" {
			continue
		}
		tg, ok, err := lbstate.GetTargetGroup(b.Tx, arn)
		if err != nil || !ok {
			return out, err
		}
		id, ok, err := b.targetID(rec, tg.TG.TargetType, shape.Deref(lb.ContainerName), shape.Deref(lb.ContainerPort))
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, Target{tg, id})
		}
	}
	return out, nil
}

func (b *Binding) targetID(rec model.TaskRecord, typ elbv2types.TargetTypeEnum, container string, port int32) (lbstate.TargetID, bool, error) {
	if typ == elbv2types.TargetTypeEnumIp {
		ip := PrivateIP(rec.Task)
		return lbstate.TargetID{ID: ip, Port: port}, ip != "", nil
	}
	host := HostPort(rec.Task, container, port)
	ci := shape.Deref(rec.Task.ContainerInstanceArn)
	if host == 0 || ci == "" {
		return lbstate.TargetID{}, false, nil
	}
	inst, ok, err := store.Get[state.InstanceRecord](b.Tx, state.InstanceKey(b.Scope, b.Cluster, state.LastSegment(ci)))
	if err != nil || !ok {
		return lbstate.TargetID{}, false, err
	}
	return lbstate.TargetID{ID: shape.Deref(inst.Instance.Ec2InstanceId), Port: host}, true, nil
}

// PrivateIP is the task's ENI address (awsvpc), if it has one yet.
func PrivateIP(t ecstypes.Task) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if shape.Deref(d.Name) == "privateIPv4Address" {
				return shape.Deref(d.Value)
			}
		}
	}
	return ""
}

// HostPort is the host port a container's port is published on.
func HostPort(t ecstypes.Task, container string, port int32) int32 {
	for _, c := range t.Containers {
		if shape.Deref(c.Name) != container {
			continue
		}
		for _, nb := range c.NetworkBindings {
			if shape.Deref(nb.ContainerPort) == port {
				return shape.Deref(nb.HostPort)
			}
		}
	}
	return 0
}

// Health is what the target groups say of a task: healthy in all, or
// unhealthy in one (with its reason for the stop).
func (b *Binding) Health(ts []Target) (healthy, unhealthy bool, why string, err error) {
	healthy = true
	for _, t := range ts {
		used, err := lbstate.Usage(b.Tx, t.Group.Scope)
		if err != nil {
			return false, false, "", err
		}
		h, err := lbstate.TargetHealth(b.Tx, t.Group, t.ID, len(used[shape.Deref(t.Group.TG.TargetGroupArn)]) > 0)
		if err != nil {
			return false, false, "", err
		}
		switch h.State {
		case elbv2types.TargetHealthStateEnumHealthy:
		case elbv2types.TargetHealthStateEnumUnhealthy:
			healthy, unhealthy = false, true
			why = "Task failed ELB health checks in (target-group " + shape.Deref(t.Group.TG.TargetGroupArn) + ")"
		default:
			healthy = false
		}
	}
	return healthy, unhealthy, why, nil
}

// Register makes a running task a target of its groups and an instance of
// its Cloud Map services (idempotent).
func (b *Binding) Register(rec model.TaskRecord, ts []Target) error {
	for _, t := range ts {
		if err := lbstate.RegisterTargets(b.Tx, t.Group, []lbstate.Registration{{TargetID: t.ID, AvailabilityZone: shape.Deref(rec.Task.AvailabilityZone)}}, b.Now); err != nil {
			return fmt.Errorf("register %s in %s: %w", t.ID, shape.Deref(t.Group.TG.TargetGroupName), err)
		}
	}
	return b.eachRegistry(rec, func(sc model.Scope, serviceID, id string, attrs map[string]string) error {
		if _, ok, err := store.Get[sdstate.Instance](b.Tx, sdstate.InstanceKey(sc, serviceID, id)); err != nil || ok {
			return err
		}
		_, err := sdstate.RegisterInstance(b.Tx, sc, serviceID, id, "", attrs, b.Now)
		return err
	})
}

// Deregister takes a task out of its groups (they start draining) and out
// of Cloud Map. It reports whether any target is still draining.
func (b *Binding) Deregister(rec model.TaskRecord, ts []Target) (draining bool, err error) {
	for _, t := range ts {
		cur, ok, err := store.Get[lbstate.Target](b.Tx, lbstate.TargetKey(t.Group.Scope, t.Group.ID, t.ID))
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		if cur.State == lbstate.TargetRegistered {
			if err := lbstate.DeregisterTargets(b.Tx, t.Group, []lbstate.TargetID{t.ID}, b.Now); err != nil && !errors.Is(err, lbstate.ErrNotRegistered) {
				return false, err
			}
			_, still, err := store.Get[lbstate.Target](b.Tx, lbstate.TargetKey(t.Group.Scope, t.Group.ID, t.ID))
			if err != nil {
				return false, err
			}
			draining = draining || still
			continue
		}
		draining = true
	}
	err = b.eachRegistry(rec, func(sc model.Scope, serviceID, id string, _ map[string]string) error {
		if _, ok, err := store.Get[sdstate.Instance](b.Tx, sdstate.InstanceKey(sc, serviceID, id)); err != nil || !ok {
			return err
		}
		_, err := sdstate.DeregisterInstance(b.Tx, sc, serviceID, id, b.Now)
		return err
	})
	return draining, err
}

// SetRegistryHealth reports a task's health to Cloud Map services that use
// custom health checks.
func (b *Binding) SetRegistryHealth(rec model.TaskRecord, healthy bool) error {
	status := servicediscoverytypes.CustomHealthStatusUnhealthy
	if healthy {
		status = servicediscoverytypes.CustomHealthStatusHealthy
	}
	return b.eachRegistry(rec, func(sc model.Scope, serviceID, id string, _ map[string]string) error {
		inst, ok, err := store.Get[sdstate.Instance](b.Tx, sdstate.InstanceKey(sc, serviceID, id))
		// An empty Health means the Cloud Map service has no custom health
		// check: nothing to report.
		if err != nil || !ok || inst.Health == "" || inst.Health == servicediscoverytypes.HealthStatus(status) {
			return err
		}
		return sdstate.SetInstanceHealth(b.Tx, sc, serviceID, id, servicediscoverytypes.HealthStatus(status))
	})
}

// eachRegistry calls fn for each Cloud Map service of the group with the
// task's instance id and attributes (address and port).
func (b *Binding) eachRegistry(rec model.TaskRecord, fn func(sc model.Scope, serviceID, id string, attrs map[string]string) error) error {
	for _, reg := range b.Registries {
		sc, serviceID, ok := sdstate.ParseServiceRef(b.Scope, shape.Deref(reg.RegistryArn))
		if !ok {
			continue
		}
		attrs := map[string]string{"ECS_CLUSTER_NAME": b.Cluster, "ECS_SERVICE_NAME": b.Service,
			"ECS_TASK_DEFINITION_FAMILY": shape.Deref(rec.Definition.Family), "AVAILABILITY_ZONE": shape.Deref(rec.Task.AvailabilityZone)}
		for k, v := range b.Attributes {
			attrs[k] = v
		}
		if ip := PrivateIP(rec.Task); ip != "" {
			attrs["AWS_INSTANCE_IPV4"] = ip
			if p := shape.Deref(reg.ContainerPort); p != 0 {
				attrs["AWS_INSTANCE_PORT"] = strconv.Itoa(int(p))
			} else if p := shape.Deref(reg.Port); p != 0 {
				attrs["AWS_INSTANCE_PORT"] = strconv.Itoa(int(p))
			}
		} else if p := HostPort(rec.Task, shape.Deref(reg.ContainerName), shape.Deref(reg.ContainerPort)); p != 0 {
			attrs["AWS_INSTANCE_IPV4"] = "127.0.0.1"
			attrs["AWS_INSTANCE_PORT"] = strconv.Itoa(int(p))
		} else {
			continue // not reachable yet
		}
		if err := fn(sc, serviceID, state.LastSegment(shape.Deref(rec.Task.TaskArn)), attrs); err != nil {
			return fmt.Errorf("service registry %s: %w", shape.Deref(reg.RegistryArn), err)
		}
	}
	return nil
}

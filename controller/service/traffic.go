package service

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// A service's traffic: each of its tasks is a target of the service's
// target groups and an instance of its Cloud Map services while it runs.
// Registration waits for the task to run; a planned stop deregisters first
// and stops the task only once its targets have drained, so no request in
// flight is dropped.

// target is one registration of a task in one target group.
type target struct {
	tg lbstate.TargetGroup
	id lbstate.TargetID
}

// targetsOf works out a task's targets from where it runs: awsvpc tasks by
// private IP and container port (ip target groups), others by their
// container instance and published host port (instance target groups).
func (r *run) targetsOf(rec model.TaskRecord) ([]target, error) {
	var out []target
	for _, lb := range r.svc().LoadBalancers {
		arn := deref(lb.TargetGroupArn)
		if arn == "" {
			continue
		}
		tg, ok, err := lbstate.GetTargetGroup(r.tx, arn)
		if err != nil || !ok {
			return out, err
		}
		id, ok, err := r.targetID(rec, tg.TG.TargetType, deref(lb.ContainerName), deref(lb.ContainerPort))
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, target{tg, id})
		}
	}
	return out, nil
}

func (r *run) targetID(rec model.TaskRecord, typ elbv2types.TargetTypeEnum, container string, port int32) (lbstate.TargetID, bool, error) {
	if typ == elbv2types.TargetTypeEnumIp {
		ip := privateIP(rec.Task)
		return lbstate.TargetID{ID: ip, Port: port}, ip != "", nil
	}
	host := hostPort(rec.Task, container, port)
	ci := deref(rec.Task.ContainerInstanceArn)
	if host == 0 || ci == "" {
		return lbstate.TargetID{}, false, nil
	}
	inst, ok, err := store.Get[state.InstanceRecord](r.tx, state.InstanceKey(r.sc, r.cluster, state.LastSegment(ci)))
	if err != nil || !ok {
		return lbstate.TargetID{}, false, err
	}
	return lbstate.TargetID{ID: deref(inst.Instance.Ec2InstanceId), Port: host}, true, nil
}

// privateIP is the task's ENI address (awsvpc), if it has one yet.
func privateIP(t ecstypes.Task) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if deref(d.Name) == "privateIPv4Address" {
				return deref(d.Value)
			}
		}
	}
	return ""
}

// hostPort is the host port a container's port is published on.
func hostPort(t ecstypes.Task, container string, port int32) int32 {
	for _, c := range t.Containers {
		if deref(c.Name) != container {
			continue
		}
		for _, b := range c.NetworkBindings {
			if deref(b.ContainerPort) == port {
				return deref(b.HostPort)
			}
		}
	}
	return 0
}

// lbHealth is what the target groups say of a task: healthy in all, or
// unhealthy in one (with its reason for the stop).
func (r *run) lbHealth(ts []target) (healthy, unhealthy bool, why string, err error) {
	healthy = true
	for _, t := range ts {
		used, err := lbstate.Usage(r.tx, t.tg.Scope)
		if err != nil {
			return false, false, "", err
		}
		h, err := lbstate.TargetHealth(r.tx, t.tg, t.id, len(used[deref(t.tg.TG.TargetGroupArn)]) > 0)
		if err != nil {
			return false, false, "", err
		}
		switch h.State {
		case elbv2types.TargetHealthStateEnumHealthy:
		case elbv2types.TargetHealthStateEnumUnhealthy:
			healthy, unhealthy = false, true
			why = "Task failed ELB health checks in (target-group " + deref(t.tg.TG.TargetGroupArn) + ")"
		default:
			healthy = false
		}
	}
	return healthy, unhealthy, why, nil
}

// register makes a running task a target of its groups and an instance of
// its Cloud Map services (idempotent).
func (r *run) register(rec model.TaskRecord, ts []target) error {
	for _, t := range ts {
		if err := lbstate.RegisterTargets(r.tx, t.tg, []lbstate.Registration{{TargetID: t.id, AvailabilityZone: deref(rec.Task.AvailabilityZone)}}, r.now); err != nil {
			return fmt.Errorf("register %s in %s: %w", t.id, deref(t.tg.TG.TargetGroupName), err)
		}
	}
	return r.eachRegistry(rec, func(sc model.Scope, serviceID, id string, attrs map[string]string) error {
		if _, ok, err := store.Get[sdstate.Instance](r.tx, sdstate.InstanceKey(sc, serviceID, id)); err != nil || ok {
			return err
		}
		_, err := sdstate.RegisterInstance(r.tx, sc, serviceID, id, "", attrs, r.now)
		return err
	})
}

// deregister takes a task out of its groups (they start draining) and out
// of Cloud Map. It reports whether any target is still draining.
func (r *run) deregister(rec model.TaskRecord, ts []target) (draining bool, err error) {
	for _, t := range ts {
		cur, ok, err := store.Get[lbstate.Target](r.tx, lbstate.TargetKey(t.tg.Scope, t.tg.ID, t.id))
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		if cur.State == lbstate.TargetRegistered {
			if err := lbstate.DeregisterTargets(r.tx, t.tg, []lbstate.TargetID{t.id}, r.now); err != nil && !errors.Is(err, lbstate.ErrNotRegistered) {
				return false, err
			}
			_, still, err := store.Get[lbstate.Target](r.tx, lbstate.TargetKey(t.tg.Scope, t.tg.ID, t.id))
			if err != nil {
				return false, err
			}
			draining = draining || still
			continue
		}
		draining = true
	}
	err = r.eachRegistry(rec, func(sc model.Scope, serviceID, id string, _ map[string]string) error {
		if _, ok, err := store.Get[sdstate.Instance](r.tx, sdstate.InstanceKey(sc, serviceID, id)); err != nil || !ok {
			return err
		}
		_, err := sdstate.DeregisterInstance(r.tx, sc, serviceID, id, r.now)
		return err
	})
	return draining, err
}

// setRegistryHealth reports a task's health to Cloud Map services that use
// custom health checks.
func (r *run) setRegistryHealth(rec model.TaskRecord, healthy bool) error {
	status := servicediscoverytypes.CustomHealthStatusUnhealthy
	if healthy {
		status = servicediscoverytypes.CustomHealthStatusHealthy
	}
	return r.eachRegistry(rec, func(sc model.Scope, serviceID, id string, _ map[string]string) error {
		inst, ok, err := store.Get[sdstate.Instance](r.tx, sdstate.InstanceKey(sc, serviceID, id))
		// An empty Health means the Cloud Map service has no custom health
		// check: nothing to report.
		if err != nil || !ok || inst.Health == "" || inst.Health == servicediscoverytypes.HealthStatus(status) {
			return err
		}
		return sdstate.SetInstanceHealth(r.tx, sc, serviceID, id, servicediscoverytypes.HealthStatus(status))
	})
}

// eachRegistry calls fn for each Cloud Map service of the ECS service with
// the task's instance id and attributes (address and port).
func (r *run) eachRegistry(rec model.TaskRecord, fn func(sc model.Scope, serviceID, id string, attrs map[string]string) error) error {
	for _, reg := range r.svc().ServiceRegistries {
		sc, serviceID, ok := sdstate.ParseServiceRef(r.sc, deref(reg.RegistryArn))
		if !ok {
			continue
		}
		attrs := map[string]string{"ECS_CLUSTER_NAME": r.cluster, "ECS_SERVICE_NAME": deref(r.svc().ServiceName),
			"ECS_TASK_DEFINITION_FAMILY": deref(rec.Definition.Family), "AVAILABILITY_ZONE": deref(rec.Task.AvailabilityZone)}
		if ip := privateIP(rec.Task); ip != "" {
			attrs["AWS_INSTANCE_IPV4"] = ip
			if p := deref(reg.ContainerPort); p != 0 {
				attrs["AWS_INSTANCE_PORT"] = strconv.Itoa(int(p))
			} else if p := deref(reg.Port); p != 0 {
				attrs["AWS_INSTANCE_PORT"] = strconv.Itoa(int(p))
			}
		} else if p := hostPort(rec.Task, deref(reg.ContainerName), deref(reg.ContainerPort)); p != 0 {
			attrs["AWS_INSTANCE_IPV4"] = "127.0.0.1"
			attrs["AWS_INSTANCE_PORT"] = strconv.Itoa(int(p))
		} else {
			continue // not reachable yet
		}
		if err := fn(sc, serviceID, state.LastSegment(deref(rec.Task.TaskArn)), attrs); err != nil {
			return fmt.Errorf("service registry %s: %w", deref(reg.RegistryArn), err)
		}
	}
	return nil
}

// hasTraffic reports whether the service has load balancers or registries.
func (r *run) hasTraffic() bool {
	return len(r.svc().LoadBalancers) > 0 || len(r.svc().ServiceRegistries) > 0
}

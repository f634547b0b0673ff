package lbstate

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// The transactions below are what the ELBv2 API runs for RegisterTargets,
// DeregisterTargets and DescribeTargetHealth, and what an ECS service with
// loadBalancers runs for its tasks: register a task's address when it
// runs, deregister it before stopping it (then wait for its Target record
// to disappear: the drain is over), and read its health.

// ErrNotRegistered is DeregisterTargets' error for a target the group does
// not have.
var ErrNotRegistered = errors.New("target is not registered")

// Registration is a target to register: its id and port, and optionally
// its availability zone.
type Registration struct {
	TargetID
	AvailabilityZone string
}

// GetTargetGroup reads a target group by ARN (in the ARN's own scope); ok
// is false when there is none.
func GetTargetGroup(tx store.ReadTx, arn string) (tg TargetGroup, ok bool, err error) {
	r, parsed := ParseARN(arn)
	if !parsed || r.Kind != "targetgroup" {
		return tg, false, nil
	}
	tg, ok, err = store.Get[TargetGroup](tx, TGKey(r.Scope, r.Name))
	if err != nil || !ok || tg.ID != r.ID {
		return TargetGroup{}, false, err
	}
	return tg, true, nil
}

// Usage maps each target group ARN of a scope to the load balancers whose
// listeners or rules forward to it; a group absent from it is unused (its
// targets are not health-checked and take no traffic).
func Usage(tx store.ReadTx, sc model.Scope) (map[string][]string, error) {
	listeners, err := store.List[Listener](tx, ListenersPrefix(sc))
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	add := func(tgs []string, lb string) {
		for _, tg := range tgs {
			if !slices.Contains(out[tg], lb) {
				out[tg] = append(out[tg], lb)
			}
		}
	}
	for _, l := range listeners {
		lb := shape.ToString(l.L.LoadBalancerArn)
		add(ActionTargetGroups(l.L.DefaultActions), lb)
		rules, err := store.List[Rule](tx, RulesPrefix(sc, l.ID))
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			add(ActionTargetGroups(r.R.Actions), lb)
		}
	}
	return out, nil
}

// RegisterTargets registers targets in tg. A registered target stays as it
// is; a draining one is registered anew (initial health).
func RegisterTargets(tx store.Tx, tg TargetGroup, regs []Registration, now time.Time) error {
	for _, r := range regs {
		key := TargetKey(tg.Scope, tg.ID, r.TargetID)
		cur, ok, err := store.Get[Target](tx, key)
		if err != nil {
			return err
		}
		if ok && cur.State == TargetRegistered {
			continue
		}
		t := Target{TargetID: r.TargetID, AvailabilityZone: r.AvailabilityZone, State: TargetRegistered, RegisteredAt: now}
		if err := store.Put(tx, key, t); err != nil {
			return err
		}
	}
	return nil
}

// DeregisterTargets starts draining targets for the group's
// deregistration delay; the data plane ends the drain sooner when no
// request is left in flight. In a group no listener uses (or with a delay
// of 0) they go at once. A target not registered is ErrNotRegistered.
func DeregisterTargets(tx store.Tx, tg TargetGroup, ids []TargetID, now time.Time) error {
	used, err := Usage(tx, tg.Scope)
	if err != nil {
		return err
	}
	inUse := len(used[shape.ToString(tg.TG.TargetGroupArn)]) > 0
	delay := tg.DeregistrationDelay()
	for _, id := range ids {
		key := TargetKey(tg.Scope, tg.ID, id)
		cur, ok, err := store.Get[Target](tx, key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s in target group %s", ErrNotRegistered, id, shape.ToString(tg.TG.TargetGroupName))
		}
		if cur.State == TargetDraining {
			continue
		}
		if !inUse || delay == 0 {
			if err := tx.Delete(key); err != nil {
				return err
			}
			if err := tx.Delete(HealthKey(tg.Scope, tg.ID, id)); err != nil {
				return err
			}
			continue
		}
		cur.State, cur.DrainUntil = TargetDraining, now.Add(delay)
		if err := store.Put(tx, key, cur); err != nil {
			return err
		}
	}
	return nil
}

// TargetHealth is a target's health as DescribeTargetHealth reports it
// (Reason and Description empty when healthy).
func TargetHealth(tx store.ReadTx, tg TargetGroup, id TargetID, inUse bool) (Health, error) {
	h := func(state elbv2types.TargetHealthStateEnum, reason elbv2types.TargetHealthReasonEnum, desc string) Health {
		return Health{State: state, Reason: reason, Description: desc}
	}
	t, ok, err := store.Get[Target](tx, TargetKey(tg.Scope, tg.ID, id))
	if err != nil {
		return Health{}, err
	}
	switch {
	case !ok:
		return h(elbv2types.TargetHealthStateEnumUnused, elbv2types.TargetHealthReasonEnumNotRegistered, "Target is not registered to the target group"), nil
	case t.State == TargetDraining:
		return h(elbv2types.TargetHealthStateEnumDraining, elbv2types.TargetHealthReasonEnumDeregistrationInProgress, "Target deregistration is in progress"), nil
	case !inUse:
		return h(elbv2types.TargetHealthStateEnumUnused, elbv2types.TargetHealthReasonEnumNotInUse, "Target group is not configured to receive traffic from the load balancer"), nil
	case tg.TG.HealthCheckEnabled != nil && !*tg.TG.HealthCheckEnabled:
		return h(elbv2types.TargetHealthStateEnumUnavailable, elbv2types.TargetHealthReasonEnumHealthCheckDisabled, "Health checks are disabled"), nil
	}
	stored, ok, err := store.Get[Health](tx, HealthKey(tg.Scope, tg.ID, id))
	if err != nil {
		return Health{}, err
	}
	if !ok || !stored.RegisteredAt.Equal(t.RegisteredAt) {
		return h(elbv2types.TargetHealthStateEnumInitial, elbv2types.TargetHealthReasonEnumRegistrationInProgress, "Target registration is in progress"), nil
	}
	return stored, nil
}

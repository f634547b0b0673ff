package elbv2

import (
	"context"
	"errors"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// maxTargets is ELB's limit of targets in one target group.
const maxTargets = 1000

// instanceRE accepts EC2 instance ids (the ec2InstanceId of a wharf
// container instance) and wharf's container instance ids.
var instanceRE = regexp.MustCompile(`^(i-[0-9a-zA-Z]{1,32}|[0-9a-f]{32})$`)

// targetIDs resolves a call's targets to registrations keys: the port
// defaults to the group's, and the id must fit the group's target type.
func targetIDs(tg lbstate.TargetGroup, in []elbv2types.TargetDescription) ([]lbstate.TargetID, error) {
	out := make([]lbstate.TargetID, 0, len(in))
	for _, t := range in {
		id := strings.TrimSpace(awsapi.Deref(t.Id))
		port := awsapi.Deref(tg.TG.Port)
		if t.Port != nil {
			port = *t.Port
		}
		if port < 1 || port > 65535 {
			return nil, validation("Target port must be from 1 to 65535, got %d (target %q).", port, id)
		}
		switch tg.TG.TargetType {
		case elbv2types.TargetTypeEnumIp:
			ip, err := netip.ParseAddr(id)
			if err != nil || ip.IsUnspecified() || ip.IsMulticast() || ip.Zone() != "" {
				return nil, apiError(codeInvalidTarget, "The IP address %q is not a valid target: ip target groups take IPv4 or IPv6 addresses.", id)
			}
			id = ip.String()
		default:
			if !instanceRE.MatchString(id) {
				return nil, apiError(codeInvalidTarget, "The following targets are not valid instances: %q (instance target groups take an instance id such as i-0123456789abcdef0, or a container instance id).", id)
			}
		}
		out = append(out, lbstate.TargetID{ID: id, Port: port})
	}
	return out, nil
}

// targetBatch is how many targets one transaction changes: a target is
// up to two keys (its record and its health), inside the store's bound on
// keys written per transaction.
const targetBatch = 50

// changeTargets runs change on the targets of a request, in its target
// group: in one transaction for up to targetBatch targets, else in
// batches of targetBatch, every target's id checked before the first.
func (a *API) changeTargets(ctx context.Context, tgARN *string, targets []elbv2types.TargetDescription,
	change func(tx store.Tx, sc model.Scope, tg lbstate.TargetGroup, ids []lbstate.TargetID, batch []elbv2types.TargetDescription) error) error {
	sc := awsapi.ScopeOf(ctx)
	if len(targets) > targetBatch {
		err := a.DB.View(ctx, func(tx store.ReadTx) error {
			tg, err := getTG(tx, sc, awsapi.Deref(tgARN))
			if err != nil {
				return err
			}
			_, err = targetIDs(tg, targets)
			return err
		})
		if err != nil {
			return err
		}
	}
	for batch := range slices.Chunk(targets, targetBatch) {
		_, err := a.DB.Update(ctx, func(tx store.Tx) error {
			tg, err := getTG(tx, sc, awsapi.Deref(tgARN))
			if err != nil {
				return err
			}
			ids, err := targetIDs(tg, batch)
			if err != nil {
				return err
			}
			return change(tx, sc, tg, ids, batch)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// RegisterTargets registers targets; registering a registered target again
// changes nothing, and registering a draining one starts it anew.
func (a *API) RegisterTargets(ctx context.Context, in *elbv2types.RegisterTargetsInput) (*elbv2types.RegisterTargetsOutput, error) {
	err := a.changeTargets(ctx, in.TargetGroupArn, in.Targets, func(tx store.Tx, sc model.Scope, tg lbstate.TargetGroup, ids []lbstate.TargetID, batch []elbv2types.TargetDescription) error {
		existing, err := store.List[lbstate.Target](tx, lbstate.TargetsPrefix(sc, tg.ID))
		if err != nil {
			return err
		}
		count := len(existing)
		regs := make([]lbstate.Registration, len(ids))
		for i, id := range ids {
			regs[i] = lbstate.Registration{TargetID: id, AvailabilityZone: awsapi.Deref(batch[i].AvailabilityZone)}
			if !slices.ContainsFunc(existing, func(t lbstate.Target) bool { return t.TargetID == id }) {
				count++
			}
		}
		if count > maxTargets {
			return apiError(codeTooManyTargets, "A target group can have at most %d targets.", maxTargets)
		}
		return lbstate.RegisterTargets(tx, tg, regs, a.Now())
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.RegisterTargetsOutput{}, nil
}

// DeregisterTargets starts draining targets: the load balancer sends them no
// new requests and lets in-flight ones finish for the group's
// deregistration delay (less when they finish sooner). A group no listener
// uses has nothing to drain, so its targets go at once.
func (a *API) DeregisterTargets(ctx context.Context, in *elbv2types.DeregisterTargetsInput) (*elbv2types.DeregisterTargetsOutput, error) {
	err := a.changeTargets(ctx, in.TargetGroupArn, in.Targets, func(tx store.Tx, _ model.Scope, tg lbstate.TargetGroup, ids []lbstate.TargetID, _ []elbv2types.TargetDescription) error {
		err := lbstate.DeregisterTargets(tx, tg, ids, a.Now())
		if errors.Is(err, lbstate.ErrNotRegistered) {
			return apiError(codeInvalidTarget, "%s.", err.Error())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.DeregisterTargetsOutput{}, nil
}

// DescribeTargetHealth reports each target's health as the data plane last
// judged it, with ELB's states and reason codes.
func (a *API) DescribeTargetHealth(ctx context.Context, in *elbv2types.DescribeTargetHealthInput) (*elbv2types.DescribeTargetHealthOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	out := []elbv2types.TargetHealthDescription{}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		tg, err := getTG(tx, sc, awsapi.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		used, err := lbstate.Usage(tx, sc)
		if err != nil {
			return err
		}
		inUse := len(used[awsapi.Deref(tg.TG.TargetGroupArn)]) > 0
		var ids []lbstate.TargetID
		if len(in.Targets) > 0 {
			if ids, err = targetIDs(tg, in.Targets); err != nil {
				return err
			}
		} else {
			all, err := store.List[lbstate.Target](tx, lbstate.TargetsPrefix(sc, tg.ID))
			if err != nil {
				return err
			}
			for _, t := range all {
				ids = append(ids, t.TargetID)
			}
		}
		for _, id := range ids {
			h, err := lbstate.TargetHealth(tx, tg, id, inUse)
			if err != nil {
				return err
			}
			out = append(out, describeHealth(tx, tg, id, h))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.DescribeTargetHealthOutput{TargetHealthDescriptions: out}, nil
}

func describeHealth(tx store.ReadTx, tg lbstate.TargetGroup, id lbstate.TargetID, h lbstate.Health) elbv2types.TargetHealthDescription {
	port := awsapi.Deref(tg.TG.HealthCheckPort)
	if port == "traffic-port" || port == "" {
		port = strconv.Itoa(int(id.Port))
	}
	d := elbv2types.TargetHealthDescription{
		Target:          &elbv2types.TargetDescription{Id: new(id.ID), Port: new(id.Port)},
		HealthCheckPort: new(port),
		TargetHealth:    &elbv2types.TargetHealth{State: h.State, Reason: h.Reason},
	}
	if h.Description != "" {
		d.TargetHealth.Description = new(h.Description)
	}
	if t, ok, err := store.Get[lbstate.Target](tx, lbstate.TargetKey(tg.Scope, tg.ID, id)); err == nil && ok && t.AvailabilityZone != "" {
		d.Target.AvailabilityZone = new(t.AvailabilityZone)
	}
	return d
}

package elbv2

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// maxListeners is ELB's limit of listeners on one load balancer.
const maxListeners = 50

// checkListenerProtocol accepts HTTP listeners: HTTPS needs certificates
// from ACM, which wharf does not serve.
func checkListenerProtocol(p elbv2types.ProtocolEnum) error {
	switch p {
	case elbv2types.ProtocolEnumHttp:
		return nil
	case "":
		return validation("A listener protocol must be specified.")
	case elbv2types.ProtocolEnumHttps:
		return apiError(codeUnsupportedProto, "wharf serves HTTP listeners only: HTTPS needs ACM certificates, which wharf does not manage.")
	}
	return apiError(codeUnsupportedProto, "Protocol %q is not supported by application load balancer listeners; use HTTP.", p)
}

// listenerPlan is what CreateListener and ModifyListener check before they
// bind a port: the load balancer, and the listener as it will be stored.
type listenerPlan struct {
	lb       lbstate.LoadBalancer
	listener lbstate.Listener
	// existing is set when an identical listener already exists
	// (CreateListener is idempotent).
	existing bool
}

// planListener validates a listener on lb (new when cur is nil) listening
// on port and forwarding with actions.
func planListener(tx store.ReadTx, sc model.Scope, lb lbstate.LoadBalancer, cur *lbstate.Listener, port int32, proto elbv2types.ProtocolEnum, actions []elbv2types.Action) (listenerPlan, error) {
	p := listenerPlan{lb: lb}
	if port < 1 || port > 65535 {
		return p, validation("Listener port must be from 1 to 65535, got %d.", port)
	}
	if err := checkListenerProtocol(proto); err != nil {
		return p, err
	}
	lbARN := awsapi.Deref(lb.LB.LoadBalancerArn)
	norm, err := checkActions(tx, sc, lbARN, actions)
	if err != nil {
		return p, err
	}
	others, err := store.List[lbstate.Listener](tx, lbstate.LBListenersPrefix(sc, lb.ID))
	if err != nil {
		return p, err
	}
	for _, o := range others {
		if cur != nil && o.ID == cur.ID || awsapi.Deref(o.L.Port) != port {
			continue
		}
		if cur == nil && o.L.Protocol == proto && reflect.DeepEqual(o.L.DefaultActions, norm) {
			return listenerPlan{lb: lb, listener: o, existing: true}, nil
		}
		return p, apiError(codeDuplicateListener, "A listener already exists on port %d of load balancer %q.", port, awsapi.Deref(lb.LB.LoadBalancerName))
	}
	if cur == nil && len(others) >= maxListeners {
		return p, apiError("TooManyListeners", "A load balancer can have at most %d listeners.", maxListeners)
	}
	if cur != nil {
		p.listener = *cur
	} else {
		id := lbstate.NewID()
		name := awsapi.Deref(lb.LB.LoadBalancerName)
		p.listener = lbstate.Listener{ID: id, LBID: lb.ID, LBName: name, DefaultRuleID: lbstate.NewID(), Scope: sc,
			L: elbv2types.Listener{ListenerArn: new(lbstate.ListenerARN(sc, name, lb.ID, id)), LoadBalancerArn: new(lbARN)}}
	}
	p.listener.L.Port, p.listener.L.Protocol, p.listener.L.DefaultActions = new(port), proto, norm
	return p, nil
}

// reserve binds the listener's port through the data plane; nothing is
// bound when the listener already listens there.
func (a *API) reserve(ctx context.Context, p listenerPlan, oldPort int32) (release func(), err error) {
	port := awsapi.Deref(p.listener.L.Port)
	if p.existing || oldPort == port || a.ports == nil {
		return func() {}, nil
	}
	release, err = a.ports.Reserve(ctx, awsapi.Deref(p.listener.L.ListenerArn), p.lb.Addr, int(port))
	if err != nil {
		return nil, apiError(codeInvalidConfig, "wharf cannot listen on %s port %d for this listener: %v. Choose another port, or stop what uses it.", p.lb.Addr, port, err)
	}
	return release, nil
}

// planAndReserve reads a listener's plan and binds its port (unless it
// keeps oldPort). The caller runs plan again in its writing transaction:
// the store may change while the port is bound.
func (a *API) planAndReserve(ctx context.Context, plan func(store.ReadTx) (listenerPlan, error), oldPort int32) (listenerPlan, func(), error) {
	p, err := awsapi.Read(ctx, a.DB, plan)
	if err != nil {
		return p, nil, err
	}
	release, err := a.reserve(ctx, p, oldPort)
	return p, release, err
}

// CreateListener creates an HTTP listener. Its port is bound on the load
// balancer's address before the listener is stored, so a busy port fails
// the call and nothing is written.
func (a *API) CreateListener(ctx context.Context, in *elbv2types.CreateListenerInput) (*elbv2types.CreateListenerOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	plan := func(tx store.ReadTx) (listenerPlan, error) {
		lb, err := getLB(tx, sc, awsapi.Deref(in.LoadBalancerArn))
		if err != nil {
			return listenerPlan{}, err
		}
		if in.Port == nil {
			return listenerPlan{}, validation("A listener port must be specified.")
		}
		return planListener(tx, sc, lb, nil, *in.Port, in.Protocol, in.DefaultActions)
	}
	p, release, err := a.planAndReserve(ctx, plan, 0)
	if err != nil {
		return nil, err
	}
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		// Check again: the store may have changed while the port was bound.
		again, err := plan(tx)
		if err != nil {
			return err
		}
		if again.existing {
			p = again
			return nil
		}
		// Keep the ids of the first plan: its ARN is the one reserved.
		p.listener.L.DefaultActions = again.listener.L.DefaultActions
		p.listener.Tags = in.Tags
		return store.Put(tx, lbstate.ListenerKey(sc, p.lb.ID, p.listener.ID), p.listener)
	})
	if err != nil || p.existing {
		release()
	}
	if err != nil {
		return nil, err
	}
	return &elbv2types.CreateListenerOutput{Listeners: []elbv2types.Listener{p.listener.L}}, nil
}

// ModifyListener changes a listener's port, protocol or default actions.
func (a *API) ModifyListener(ctx context.Context, in *elbv2types.ModifyListenerInput) (*elbv2types.ModifyListenerOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	var oldPort int32
	plan := func(tx store.ReadTx) (listenerPlan, error) {
		l, err := getListener(tx, sc, awsapi.Deref(in.ListenerArn))
		if err != nil {
			return listenerPlan{}, err
		}
		lb, err := getLB(tx, sc, awsapi.Deref(l.L.LoadBalancerArn))
		if err != nil {
			return listenerPlan{}, err
		}
		oldPort = awsapi.Deref(l.L.Port)
		port, proto, actions := oldPort, l.L.Protocol, l.L.DefaultActions
		if in.Port != nil {
			port = *in.Port
		}
		if in.Protocol != "" {
			proto = in.Protocol
		}
		if len(in.DefaultActions) > 0 {
			actions = in.DefaultActions
		}
		return planListener(tx, sc, lb, &l, port, proto, actions)
	}
	p, release, err := a.planAndReserve(ctx, plan, oldPort)
	if err != nil {
		return nil, err
	}
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		again, err := plan(tx)
		if err != nil {
			return err
		}
		p = again
		return store.Put(tx, lbstate.ListenerKey(sc, p.lb.ID, p.listener.ID), p.listener)
	})
	if err != nil {
		release()
		return nil, err
	}
	return &elbv2types.ModifyListenerOutput{Listeners: []elbv2types.Listener{p.listener.L}}, nil
}

// DescribeListeners describes a load balancer's listeners, or the named ones.
func (a *API) DescribeListeners(ctx context.Context, in *elbv2types.DescribeListenersInput) (*elbv2types.DescribeListenersOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	if in.LoadBalancerArn == nil && len(in.ListenerArns) == 0 {
		return nil, validation("You must specify either a load balancer ARN or one or more listener ARNs.")
	}
	var ls []elbv2types.Listener
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		if len(in.ListenerArns) > 0 {
			for _, arn := range in.ListenerArns {
				l, err := getListener(tx, sc, arn)
				if err != nil {
					return err
				}
				ls = append(ls, l.L)
			}
			return nil
		}
		lb, err := getLB(tx, sc, awsapi.Deref(in.LoadBalancerArn))
		if err != nil {
			return err
		}
		all, err := store.List[lbstate.Listener](tx, lbstate.LBListenersPrefix(sc, lb.ID))
		for _, l := range all {
			ls = append(ls, l.L)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// By port; the marker's sort key must follow the same order, so it is
	// the zero-padded port (then the ARN, for listeners of several load
	// balancers on one port).
	key := func(l elbv2types.Listener) string {
		return fmt.Sprintf("%05d/%s", awsapi.Deref(l.Port), awsapi.Deref(l.ListenerArn))
	}
	slices.SortStableFunc(ls, func(x, y elbv2types.Listener) int { return strings.Compare(key(x), key(y)) })
	page, next, err := pageOf(ls, key, "listeners", in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &elbv2types.DescribeListenersOutput{Listeners: page, NextMarker: next}, nil
}

// DeleteListener deletes a listener and its rules; the data plane closes
// its port.
//
// The rules go at most store.DeleteBatch a transaction (a listener may
// have more rules than a backend writes in one), the listener with the
// last batch. A delete stopped between batches leaves the listener with
// fewer rules, still a valid listener (its default actions are its own);
// no rule outlives its listener, whose ID a new listener never reuses.
func (a *API) DeleteListener(ctx context.Context, in *elbv2types.DeleteListenerInput) (*elbv2types.DeleteListenerOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	var l lbstate.Listener
	err := store.DeleteTree(ctx, a.DB, func(tx store.Tx) ([]string, error) {
		var err error
		if l, err = getListener(tx, sc, awsapi.Deref(in.ListenerArn)); err != nil {
			return nil, err
		}
		return []string{lbstate.RulesPrefix(sc, l.ID)}, nil
	}, func(tx store.Tx) error {
		return tx.Delete(lbstate.ListenerKey(sc, l.LBID, l.ID))
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.DeleteListenerOutput{}, nil
}

package elbv2

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// defaultVPC is the VPC wharf reports when a call names none: everything
// runs on one host network.
const defaultVPC = "vpc-local"

// hostedZoneID is the CanonicalHostedZoneId wharf reports for every
// load balancer.
const hostedZoneID = "ZWHARF0LOCAL0ELB"

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)

// checkName applies ELB's naming rule for load balancers and target groups:
// 1 to 32 alphanumerics and hyphens, not starting or ending with a hyphen.
func checkName(kind, name string) error {
	if len(name) > 32 {
		return validation("%s name cannot be longer than '32' characters", kind)
	}
	if !nameRE.MatchString(name) {
		return validation("%s name %q can only contain characters that are alphanumeric characters or hyphens(-), and must not begin or end with a hyphen", kind, name)
	}
	return nil
}

// CreateLoadBalancer creates an application load balancer; creating one
// again with the same settings answers the existing one, as in AWS.
func (a *API) CreateLoadBalancer(ctx context.Context, in *elbv2types.CreateLoadBalancerInput) (*elbv2types.CreateLoadBalancerOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	name := awsapi.Deref(in.Name)
	if err := checkName("LoadBalancer", name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.ToLower(name), "internal-") {
		return nil, validation("Load balancer name %q must not begin with 'internal-'.", name)
	}
	switch in.Type {
	case "", elbv2types.LoadBalancerTypeEnumApplication:
	default:
		return nil, validation("wharf serves application load balancers only; Type %q is not supported.", in.Type)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	scheme := in.Scheme
	if scheme == "" {
		scheme = elbv2types.LoadBalancerSchemeEnumInternetFacing
	}
	ipType := in.IpAddressType
	if ipType == "" {
		ipType = elbv2types.IpAddressTypeIpv4
	}
	var out elbv2types.LoadBalancer
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		cur, ok, err := store.Get[lbstate.LoadBalancer](tx, lbstate.LBKey(sc, name))
		if err != nil {
			return err
		}
		if ok {
			if cur.LB.Scheme != scheme || cur.LB.IpAddressType != ipType {
				return apiError(codeDuplicateLB, "A load balancer with the name %q already exists with other settings.", name)
			}
			out = cur.LB
			return nil
		}
		id := lbstate.NewID()
		lb := elbv2types.LoadBalancer{
			LoadBalancerArn:       new(lbstate.LBARN(sc, name, id)),
			DNSName:               new(lbstate.DNSName(sc, name, lbstate.NewDNSID(), scheme == elbv2types.LoadBalancerSchemeEnumInternal)),
			CanonicalHostedZoneId: new(hostedZoneID),
			CreatedTime:           shape.TimeOf(a.Now().Truncate(1e6)),
			LoadBalancerName:      new(name),
			Scheme:                scheme,
			VpcId:                 new(defaultVPC),
			State:                 &elbv2types.LoadBalancerState{Code: elbv2types.LoadBalancerStateEnumActive},
			Type:                  elbv2types.LoadBalancerTypeEnumApplication,
			AvailabilityZones:     zones(sc, in),
			SecurityGroups:        in.SecurityGroups,
			IpAddressType:         ipType,
		}
		out = lb
		return store.Put(tx, lbstate.LBKey(sc, name), lbstate.LoadBalancer{
			LB: lb, ID: id, Scope: sc, Addr: a.addr, Tags: in.Tags, Attributes: lbstate.DefaultLBAttributes(),
		})
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.CreateLoadBalancerOutput{LoadBalancers: []elbv2types.LoadBalancer{out}}, nil
}

// zones reports one availability zone per subnet named (or one, for a call
// naming none), all in the region's "a" zone: wharf has one host.
func zones(sc model.Scope, in *elbv2types.CreateLoadBalancerInput) []elbv2types.AvailabilityZone {
	subnets := slices.Clone(in.Subnets)
	for _, m := range in.SubnetMappings {
		subnets = append(subnets, awsapi.Deref(m.SubnetId))
	}
	if len(subnets) == 0 {
		subnets = []string{"subnet-local"}
	}
	out := make([]elbv2types.AvailabilityZone, 0, len(subnets))
	for _, s := range subnets {
		out = append(out, elbv2types.AvailabilityZone{ZoneName: new(sc.Region + "a"), SubnetId: new(s)})
	}
	return out
}

// DescribeLoadBalancers describes the named load balancers, or all of them
// a page at a time (read from the store in name order).
func (a *API) DescribeLoadBalancers(ctx context.Context, in *elbv2types.DescribeLoadBalancersInput) (*elbv2types.DescribeLoadBalancersOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	var lbs []elbv2types.LoadBalancer
	var next *string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		switch {
		case len(in.LoadBalancerArns) > 0:
			for _, arn := range in.LoadBalancerArns {
				lb, err := getLB(tx, sc, arn)
				if err != nil {
					return err
				}
				lbs = append(lbs, lb.LB)
			}
		case len(in.Names) > 0:
			for _, n := range in.Names {
				lb, ok, err := store.Get[lbstate.LoadBalancer](tx, lbstate.LBKey(sc, n))
				if err != nil {
					return err
				}
				if !ok {
					return lbNotFound(n)
				}
				lbs = append(lbs, lb.LB)
			}
		default:
			c, n, err := paging("lbs", in.Marker, in.PageSize)
			if err != nil {
				return err
			}
			// Keyed by name: the store's order is the answer's order.
			page, more, err := awsapi.StorePage[lbstate.LoadBalancer](tx, lbstate.LBsPrefix(sc), "", c, n, nil)
			for _, lb := range page {
				lbs = append(lbs, lb.LB)
			}
			next = more
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(in.LoadBalancerArns) > 0 || len(in.Names) > 0 {
		sort.SliceStable(lbs, func(i, j int) bool {
			return awsapi.Deref(lbs[i].LoadBalancerName) < awsapi.Deref(lbs[j].LoadBalancerName)
		})
		lbs, next, err = pageOf(lbs, func(l elbv2types.LoadBalancer) string { return awsapi.Deref(l.LoadBalancerName) }, "lbs", in.Marker, in.PageSize)
		if err != nil {
			return nil, err
		}
	}
	return &elbv2types.DescribeLoadBalancersOutput{LoadBalancers: lbs, NextMarker: next}, nil
}

// DeleteLoadBalancer deletes a load balancer with its listeners and rules;
// its target groups stay. Deleting one that does not exist succeeds.
//
// Rules, then listeners, go at most store.DeleteBatch a transaction (a
// load balancer's listeners may have more rules than a backend writes in
// one), each batch checking again that the load balancer exists and is
// not protected from deletion; the load balancer goes with the last
// batch. A delete stopped between batches leaves the load balancer with
// fewer rules or listeners, each remaining listener whole but for rules
// (its default actions are its own). No rule or listener outlives its
// load balancer; both are keyed by IDs a new one never reuses.
func (a *API) DeleteLoadBalancer(ctx context.Context, in *elbv2types.DeleteLoadBalancerInput) (*elbv2types.DeleteLoadBalancerOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	arn := awsapi.Deref(in.LoadBalancerArn)
	var lb lbstate.LoadBalancer
	err := store.DeleteTree(ctx, a.DB, func(tx store.Tx) ([]string, error) {
		var err error
		if lb, err = getLB(tx, sc, arn); err != nil {
			return nil, err
		}
		if lb.Attributes[lbstate.AttrDeletionProtection] == "true" {
			return nil, apiError(codeOperationNotPermit, "Load balancer %q cannot be deleted because deletion protection is enabled.", arn)
		}
		listeners, err := store.List[lbstate.Listener](tx, lbstate.LBListenersPrefix(sc, lb.ID))
		if err != nil {
			return nil, err
		}
		// Every listener's rules before the listeners themselves: a
		// listener goes only once its rules are gone.
		var prefixes []string
		for _, l := range listeners {
			prefixes = append(prefixes, lbstate.RulesPrefix(sc, l.ID))
		}
		return append(prefixes, lbstate.LBListenersPrefix(sc, lb.ID)), nil
	}, func(tx store.Tx) error {
		return tx.Delete(lbstate.LBKey(sc, awsapi.Deref(lb.LB.LoadBalancerName)))
	})
	if err != nil && !awsapi.IsCode(err, codeLBNotFound) {
		return nil, err
	}
	return &elbv2types.DeleteLoadBalancerOutput{}, nil
}

// DescribeLoadBalancerAttributes lists a load balancer's attributes.
func (a *API) DescribeLoadBalancerAttributes(ctx context.Context, in *elbv2types.DescribeLoadBalancerAttributesInput) (*elbv2types.DescribeLoadBalancerAttributesOutput, error) {
	lb, err := awsapi.ReadRef(ctx, a.DB, getLB, awsapi.Deref(in.LoadBalancerArn))
	if err != nil {
		return nil, err
	}
	return &elbv2types.DescribeLoadBalancerAttributesOutput{Attributes: lbAttributes(lb.Attributes)}, nil
}

// ModifyLoadBalancerAttributes changes attributes and answers all of them.
func (a *API) ModifyLoadBalancerAttributes(ctx context.Context, in *elbv2types.ModifyLoadBalancerAttributesInput) (*elbv2types.ModifyLoadBalancerAttributesOutput, error) {
	for _, at := range in.Attributes {
		if err := lbstate.CheckLBAttribute(awsapi.Deref(at.Key), awsapi.Deref(at.Value)); err != nil {
			return nil, validation("%s", err.Error())
		}
	}
	sc := awsapi.ScopeOf(ctx)
	var attrs map[string]string
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		lb, err := getLB(tx, sc, awsapi.Deref(in.LoadBalancerArn))
		if err != nil {
			return err
		}
		if lb.Attributes == nil {
			lb.Attributes = lbstate.DefaultLBAttributes()
		}
		for _, at := range in.Attributes {
			lb.Attributes[awsapi.Deref(at.Key)] = awsapi.Deref(at.Value)
		}
		attrs = lb.Attributes
		return store.Put(tx, lbstate.LBKey(sc, awsapi.Deref(lb.LB.LoadBalancerName)), lb)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.ModifyLoadBalancerAttributesOutput{Attributes: lbAttributes(attrs)}, nil
}

func lbAttributes(m map[string]string) []elbv2types.LoadBalancerAttribute {
	out := []elbv2types.LoadBalancerAttribute{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, elbv2types.LoadBalancerAttribute{Key: new(k), Value: new(m[k])})
	}
	return out
}

package elbv2

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// healthSettings are the health check members CreateTargetGroup and
// ModifyTargetGroup share.
type healthSettings struct {
	protocol           elbv2types.ProtocolEnum
	port, path         *string
	enabled            *bool
	interval, timeout  *int32
	healthy, unhealthy *int32
	matcher            *elbv2types.Matcher
}

// apply overlays the given settings on tg and checks the result.
func (h healthSettings) apply(tg *elbv2types.TargetGroup) error {
	if h.protocol != "" {
		if h.protocol != elbv2types.ProtocolEnumHttp && h.protocol != elbv2types.ProtocolEnumHttps {
			return validation("Health check protocol %q is not supported by application load balancers; use HTTP or HTTPS.", h.protocol)
		}
		tg.HealthCheckProtocol = h.protocol
	}
	set := func(dst **int32, v *int32) {
		if v != nil {
			*dst = new(*v)
		}
	}
	if h.port != nil {
		tg.HealthCheckPort = new(*h.port)
	}
	if h.path != nil {
		tg.HealthCheckPath = new(*h.path)
	}
	if h.enabled != nil {
		tg.HealthCheckEnabled = new(*h.enabled)
	}
	set(&tg.HealthCheckIntervalSeconds, h.interval)
	set(&tg.HealthCheckTimeoutSeconds, h.timeout)
	set(&tg.HealthyThresholdCount, h.healthy)
	set(&tg.UnhealthyThresholdCount, h.unhealthy)
	if h.matcher != nil {
		if h.matcher.GrpcCode != nil {
			return validation("wharf does not serve gRPC target groups; use Matcher.HttpCode.")
		}
		tg.Matcher = &elbv2types.Matcher{HttpCode: h.matcher.HttpCode}
	}
	return checkHealth(tg)
}

// checkHealth applies ELB's limits to an application target group's
// health check.
func checkHealth(tg *elbv2types.TargetGroup) error {
	if p := awsapi.Deref(tg.HealthCheckPort); p != "traffic-port" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return validation("Health check port must be 'traffic-port' or a port from 1 to 65535, got %q.", p)
		}
	}
	if p := awsapi.Deref(tg.HealthCheckPath); p == "" || p[0] != '/' || len(p) > 1024 {
		return validation("Health check path must start with '/' and be at most 1024 characters, got %q.", p)
	}
	interval, timeout := awsapi.Deref(tg.HealthCheckIntervalSeconds), awsapi.Deref(tg.HealthCheckTimeoutSeconds)
	switch {
	case interval < 5 || interval > 300:
		return validation("Health check interval must be from 5 to 300 seconds, got %d.", interval)
	case timeout < 2 || timeout > 120:
		return validation("Health check timeout must be from 2 to 120 seconds, got %d.", timeout)
	case timeout >= interval:
		return validation("Health check timeout (%d) must be smaller than the interval (%d).", timeout, interval)
	}
	if n := awsapi.Deref(tg.HealthyThresholdCount); n < 2 || n > 10 {
		return validation("Healthy threshold count must be from 2 to 10, got %d.", n)
	}
	if n := awsapi.Deref(tg.UnhealthyThresholdCount); n < 2 || n > 10 {
		return validation("Unhealthy threshold count must be from 2 to 10, got %d.", n)
	}
	if _, err := lbstate.ParseMatcher(awsapi.Deref(tg.Matcher.HttpCode)); err != nil {
		return validation("Health check matcher HttpCode %q: %s", awsapi.Deref(tg.Matcher.HttpCode), err.Error())
	}
	return nil
}

// defaultHealthTimeout is ELB's HealthCheckTimeoutSeconds for a target
// group of instance or ip targets that sets none: 6 s for HTTP, 10 s for
// HTTPS (and TCP, TLS), as the API reference documents.
func defaultHealthTimeout(protocol elbv2types.ProtocolEnum) int32 {
	if protocol == elbv2types.ProtocolEnumHttp {
		return 6
	}
	return 10
}

// CreateTargetGroup creates a target group of instance or ip targets;
// creating one again with the same settings answers the existing one.
func (a *API) CreateTargetGroup(ctx context.Context, in *elbv2types.CreateTargetGroupInput) (*elbv2types.CreateTargetGroupOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	name := awsapi.Deref(in.Name)
	if err := checkName("Target group", name); err != nil {
		return nil, err
	}
	targetType := in.TargetType
	switch targetType {
	case "":
		targetType = elbv2types.TargetTypeEnumInstance
	case elbv2types.TargetTypeEnumInstance, elbv2types.TargetTypeEnumIp:
	default:
		return nil, validation("wharf supports target types 'instance' and 'ip'; %q is not supported.", targetType)
	}
	switch in.Protocol {
	case elbv2types.ProtocolEnumHttp, elbv2types.ProtocolEnumHttps:
	case "":
		return nil, validation("A protocol must be specified for target groups of type %q.", targetType)
	default:
		return nil, apiError(codeUnsupportedProto, "Protocol %q is not supported by application load balancer target groups; use HTTP or HTTPS.", in.Protocol)
	}
	if pv := awsapi.Deref(in.ProtocolVersion); pv != "" && pv != "HTTP1" {
		return nil, validation("wharf proxies HTTP/1.1 to targets; ProtocolVersion %q is not supported.", pv)
	}
	if in.Port == nil {
		return nil, validation("A port must be specified for target groups of type %q.", targetType)
	}
	if p := *in.Port; p < 1 || p > 65535 {
		return nil, validation("Port must be from 1 to 65535, got %d.", p)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	tg := elbv2types.TargetGroup{
		TargetGroupName: new(name), Protocol: in.Protocol, Port: new(*in.Port),
		VpcId: new(defaultVPC), ProtocolVersion: new("HTTP1"), TargetType: targetType,
		IpAddressType:       elbv2types.TargetGroupIpAddressTypeEnumIpv4,
		HealthCheckProtocol: in.Protocol, HealthCheckPort: new("traffic-port"), HealthCheckEnabled: new(true),
		HealthCheckPath: new("/"), HealthCheckIntervalSeconds: new(int32(30)), HealthCheckTimeoutSeconds: new(defaultHealthTimeout(in.Protocol)),
		HealthyThresholdCount: new(int32(5)), UnhealthyThresholdCount: new(int32(2)),
		Matcher: &elbv2types.Matcher{HttpCode: new("200")},
	}
	if v := awsapi.Deref(in.VpcId); v != "" {
		tg.VpcId = new(v)
	}
	hs := healthSettings{protocol: in.HealthCheckProtocol, port: in.HealthCheckPort, path: in.HealthCheckPath,
		enabled: in.HealthCheckEnabled, interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
		healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher}
	if err := hs.apply(&tg); err != nil {
		return nil, err
	}
	var out elbv2types.TargetGroup
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		cur, ok, err := store.Get[lbstate.TargetGroup](tx, lbstate.TGKey(sc, name))
		if err != nil {
			return err
		}
		if ok {
			want := tg
			want.TargetGroupArn, want.LoadBalancerArns = cur.TG.TargetGroupArn, cur.TG.LoadBalancerArns
			if !reflect.DeepEqual(want, cur.TG) {
				return apiError(codeDuplicateTG, "A target group with the name %q already exists with other settings.", name)
			}
			out = cur.TG
			return nil
		}
		id := lbstate.NewID()
		tg.TargetGroupArn = new(lbstate.TGARN(sc, name, id))
		out = tg
		return store.Put(tx, lbstate.TGKey(sc, name), lbstate.TargetGroup{
			TG: tg, ID: id, Scope: sc, Tags: in.Tags, Attributes: lbstate.DefaultTGAttributes(),
		})
	})
	if err != nil {
		return nil, err
	}
	out.LoadBalancerArns = []string{}
	return &elbv2types.CreateTargetGroupOutput{TargetGroups: []elbv2types.TargetGroup{out}}, nil
}

// usage maps each target group ARN of a scope to the load balancers that
// use it.
func usage(tx store.ReadTx, sc model.Scope) (map[string][]string, error) {
	return lbstate.Usage(tx, sc)
}

// DescribeTargetGroups describes the named target groups, those of a load
// balancer, or all of them, a page at a time (read from the store in name
// order).
func (a *API) DescribeTargetGroups(ctx context.Context, in *elbv2types.DescribeTargetGroupsInput) (*elbv2types.DescribeTargetGroupsOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	var tgs []elbv2types.TargetGroup
	var next *string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		used, err := usage(tx, sc)
		if err != nil {
			return err
		}
		var recs []lbstate.TargetGroup
		switch {
		case len(in.TargetGroupArns) > 0:
			for _, arn := range in.TargetGroupArns {
				tg, err := getTG(tx, sc, arn)
				if err != nil {
					return err
				}
				recs = append(recs, tg)
			}
		case len(in.Names) > 0:
			for _, n := range in.Names {
				tg, ok, err := store.Get[lbstate.TargetGroup](tx, lbstate.TGKey(sc, n))
				if err != nil {
					return err
				}
				if !ok {
					return tgNotFound(n)
				}
				recs = append(recs, tg)
			}
		default:
			lbARN := awsapi.Deref(in.LoadBalancerArn)
			if lbARN != "" {
				if _, err := getLB(tx, sc, lbARN); err != nil {
					return err
				}
			}
			c, n, err := paging("tgs", in.Marker, in.PageSize)
			if err != nil {
				return err
			}
			// Keyed by name: the store's order is the answer's order.
			recs, next, err = awsapi.StorePage(tx, lbstate.TGsPrefix(sc), "", c, n, func(tg *lbstate.TargetGroup) bool {
				return lbARN == "" || slices.Contains(used[awsapi.Deref(tg.TG.TargetGroupArn)], lbARN)
			})
			if err != nil {
				return err
			}
		}
		for _, r := range recs {
			tg := r.TG
			tg.LoadBalancerArns = append([]string{}, used[awsapi.Deref(tg.TargetGroupArn)]...)
			tgs = append(tgs, tg)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(in.TargetGroupArns) > 0 || len(in.Names) > 0 {
		sort.SliceStable(tgs, func(i, j int) bool {
			return awsapi.Deref(tgs[i].TargetGroupName) < awsapi.Deref(tgs[j].TargetGroupName)
		})
		tgs, next, err = pageOf(tgs, func(t elbv2types.TargetGroup) string { return awsapi.Deref(t.TargetGroupName) }, "tgs", in.Marker, in.PageSize)
		if err != nil {
			return nil, err
		}
	}
	return &elbv2types.DescribeTargetGroupsOutput{TargetGroups: tgs, NextMarker: next}, nil
}

// ModifyTargetGroup changes a target group's health check.
func (a *API) ModifyTargetGroup(ctx context.Context, in *elbv2types.ModifyTargetGroupInput) (*elbv2types.ModifyTargetGroupOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	var out elbv2types.TargetGroup
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, err := getTG(tx, sc, awsapi.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		hs := healthSettings{protocol: in.HealthCheckProtocol, port: in.HealthCheckPort, path: in.HealthCheckPath,
			enabled: in.HealthCheckEnabled, interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
			healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher}
		if err := hs.apply(&rec.TG); err != nil {
			return err
		}
		used, err := usage(tx, sc)
		if err != nil {
			return err
		}
		out = rec.TG
		out.LoadBalancerArns = append([]string{}, used[awsapi.Deref(out.TargetGroupArn)]...)
		return store.Put(tx, lbstate.TGKey(sc, awsapi.Deref(rec.TG.TargetGroupName)), rec)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.ModifyTargetGroupOutput{TargetGroups: []elbv2types.TargetGroup{out}}, nil
}

// DeleteTargetGroup deletes a target group no listener or rule uses, with
// its registrations. Deleting one that does not exist succeeds.
//
// The target and health records go at most store.DeleteBatch a
// transaction (a target group may have more targets than a backend writes
// in one), each batch checking again that the group exists and is not in
// use; the group goes with the last batch. A delete stopped between
// batches (a crash, or a listener made to use the group meanwhile) leaves
// the group with fewer targets, as if they had been deregistered. Records
// are keyed by the group's ID, never reused by a group created again
// under the name, and no record outlives its group anyway.
func (a *API) DeleteTargetGroup(ctx context.Context, in *elbv2types.DeleteTargetGroupInput) (*elbv2types.DeleteTargetGroupOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	arn := awsapi.Deref(in.TargetGroupArn)
	var rec lbstate.TargetGroup
	err := store.DeleteTree(ctx, a.DB, func(tx store.Tx) ([]string, error) {
		var err error
		if rec, err = getTG(tx, sc, arn); err != nil {
			return nil, err
		}
		used, err := usage(tx, sc)
		if err != nil {
			return nil, err
		}
		if lbs := used[arn]; len(lbs) > 0 {
			return nil, apiError(codeResourceInUse, "Target group %q is currently in use by a listener or a rule of %s.", arn, strings.Join(lbs, ", "))
		}
		return []string{lbstate.TargetsPrefix(sc, rec.ID), lbstate.HealthPrefix(sc, rec.ID)}, nil
	}, func(tx store.Tx) error {
		return tx.Delete(lbstate.TGKey(sc, awsapi.Deref(rec.TG.TargetGroupName)))
	})
	if err != nil && !awsapi.IsCode(err, codeTGNotFound) {
		return nil, err
	}
	return &elbv2types.DeleteTargetGroupOutput{}, nil
}

// DescribeTargetGroupAttributes lists a target group's attributes.
func (a *API) DescribeTargetGroupAttributes(ctx context.Context, in *elbv2types.DescribeTargetGroupAttributesInput) (*elbv2types.DescribeTargetGroupAttributesOutput, error) {
	rec, err := awsapi.ReadRef(ctx, a.DB, getTG, awsapi.Deref(in.TargetGroupArn))
	if err != nil {
		return nil, err
	}
	return &elbv2types.DescribeTargetGroupAttributesOutput{Attributes: tgAttributes(rec.Attributes)}, nil
}

// ModifyTargetGroupAttributes changes attributes and answers all of them.
func (a *API) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2types.ModifyTargetGroupAttributesInput) (*elbv2types.ModifyTargetGroupAttributesOutput, error) {
	for _, at := range in.Attributes {
		if err := lbstate.CheckTGAttribute(awsapi.Deref(at.Key), awsapi.Deref(at.Value)); err != nil {
			return nil, validation("%s", err.Error())
		}
	}
	sc := awsapi.ScopeOf(ctx)
	var attrs map[string]string
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, err := getTG(tx, sc, awsapi.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		if rec.Attributes == nil {
			rec.Attributes = lbstate.DefaultTGAttributes()
		}
		for _, at := range in.Attributes {
			rec.Attributes[awsapi.Deref(at.Key)] = awsapi.Deref(at.Value)
		}
		attrs = rec.Attributes
		return store.Put(tx, lbstate.TGKey(sc, awsapi.Deref(rec.TG.TargetGroupName)), rec)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.ModifyTargetGroupAttributesOutput{Attributes: tgAttributes(attrs)}, nil
}

func tgAttributes(m map[string]string) []elbv2types.TargetGroupAttribute {
	out := []elbv2types.TargetGroupAttribute{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, elbv2types.TargetGroupAttribute{Key: new(k), Value: new(m[k])})
	}
	return out
}

package ecs

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// wharf runs Fargate tasks on its own hosts, so the two AWS-managed
// capacity providers exist in every region of every account. Auto Scaling
// group providers (capacityproviders.go) are stored per region; their
// tasks run on the cluster's container instances (launch type EC2).
var builtinProviders = model.FargateProviders

func isBuiltinProvider(name string) bool { return slices.Contains(builtinProviders, name) }

// providerName is the short name of a capacity provider given by name or ARN.
func providerName(ref string) string {
	if arn, ok := model.ParseARN(ref); ok {
		if name, found := strings.CutPrefix(arn.Resource, "capacity-provider/"); found {
			return name
		}
	}
	return ref
}

// DescribeCapacityProviders describes FARGATE, FARGATE_SPOT and the Auto
// Scaling group providers of the region, by name or ARN, or all of them.
func (a *API) DescribeCapacityProviders(ctx context.Context, in *ecstypes.DescribeCapacityProvidersRequest) (*ecstypes.DescribeCapacityProvidersResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	size, err := pageSize(in.MaxResults, 10, 10)
	if err != nil {
		return nil, err
	}
	c, err := awsapi.ParseCursor("capacity-providers", in.NextToken, badToken())
	if err != nil {
		return nil, err
	}
	withTags := slices.Contains(in.Include, ecstypes.CapacityProviderFieldTags)
	out := &ecstypes.DescribeCapacityProvidersResponse{CapacityProviders: []ecstypes.CapacityProvider{}, Failures: []ecstypes.Failure{}}
	var found []ecstypes.CapacityProvider
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if len(in.CapacityProviders) == 0 {
			for _, name := range builtinProviders {
				found = append(found, builtinProvider(sc, name, withTags))
			}
			stored, err := store.List[state.CapacityProviderRecord](tx, state.CapacityProvidersPrefix(sc))
			if err != nil {
				return err
			}
			for _, rec := range stored {
				found = append(found, presentProvider(rec.Provider, withTags))
			}
			sort.Slice(found, func(i, j int) bool { return *found[i].Name < *found[j].Name })
			return nil
		}
		for _, ref := range in.CapacityProviders {
			name := providerName(ref)
			if isBuiltinProvider(name) {
				found = append(found, builtinProvider(sc, name, withTags))
				continue
			}
			rec, ok, err := store.Get[state.CapacityProviderRecord](tx, state.CapacityProviderKey(sc, name))
			if err != nil {
				return err
			}
			if !ok {
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(sc.CapacityProviderARN(name)), Reason: new("MISSING")})
				continue
			}
			found = append(found, presentProvider(rec.Provider, withTags))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Named providers keep the order they were asked in; paging then walks
	// that list by position rather than by name.
	if len(in.CapacityProviders) > 0 {
		start := 0
		if c.After != "" {
			n, err := strconv.Atoi(c.After)
			if err != nil || n < 0 {
				return nil, badToken()
			}
			start = min(n, len(found))
		}
		end := min(start+size, len(found))
		out.CapacityProviders = append(out.CapacityProviders, found[start:end]...)
		if end < len(found) {
			out.NextToken = c.Next(strconv.Itoa(end))
		}
		return out, nil
	}
	// The builtin providers are not records: the page is cut from them
	// merged with the stored ones.
	items, next := awsapi.SlicePage(found, func(c ecstypes.CapacityProvider) string { return *c.Name }, c, size)
	out.CapacityProviders = append(out.CapacityProviders, items...)
	out.NextToken = next
	return out, nil
}

func builtinProvider(sc model.Scope, name string, withTags bool) ecstypes.CapacityProvider {
	cp := ecstypes.CapacityProvider{
		CapacityProviderArn: new(sc.CapacityProviderARN(name)),
		Name:                new(name),
		Status:              ecstypes.CapacityProviderStatusActive,
	}
	if withTags {
		cp.Tags = []ecstypes.Tag{}
	}
	return cp
}

// presentProvider drops the tags unless the caller asked for them.
func presentProvider(cp ecstypes.CapacityProvider, withTags bool) ecstypes.CapacityProvider {
	if withTags {
		cp.Tags = awsapi.OrEmpty(cp.Tags)
	} else {
		cp.Tags = nil
	}
	return cp
}

// validateCapacityProviders checks a cluster's providers and its default
// strategy the way CreateCluster and PutClusterCapacityProviders do:
// builtin or ACTIVE providers of the region, each at most once, an Auto
// Scaling group provider in no other cluster, and a valid strategy.
func validateCapacityProviders(tx store.ReadTx, sc model.Scope, cluster string, providers []string, strategy []ecstypes.CapacityProviderStrategyItem) error {
	if len(providers) > 20 {
		return invalidParam("The maximum number of capacity providers per cluster has been exceeded: at most 20, got %d.", len(providers))
	}
	var custom []string
	for i, p := range providers {
		if slices.Contains(providers[:i], p) {
			return invalidParam("The capacity provider %q is listed twice.", p)
		}
		if isBuiltinProvider(p) {
			continue
		}
		ok, err := state.ActiveCapacityProvider(tx, sc, p)
		if err != nil {
			return err
		}
		if !ok {
			return invalidParam("The specified capacity provider was not found: %s. Specify a valid capacity provider and try again.", p)
		}
		custom = append(custom, p)
	}
	if len(custom) > 0 {
		clusters, err := store.List[ecstypes.Cluster](tx, state.ClustersPrefix(sc))
		if err != nil {
			return err
		}
		for _, c := range clusters {
			if derefStr(c.ClusterName) == cluster || derefStr(c.Status) != clusterActive {
				continue
			}
			for _, p := range custom {
				if slices.Contains(c.CapacityProviders, p) {
					return invalidParam("The capacity provider %s is already associated with cluster %s; an Auto Scaling group capacity provider can be associated with one cluster only.", p, derefStr(c.ClusterName))
				}
			}
		}
	}
	return validateStrategy(strategy, providers)
}

// checkProvidersRemovable refuses to take from a cluster a provider that an
// ACTIVE service's strategy names or that a task not yet stopped runs on.
func checkProvidersRemovable(tx store.ReadTx, sc model.Scope, cluster string, current, next []string) error {
	var removed []string
	for _, p := range current {
		if !slices.Contains(next, p) {
			removed = append(removed, p)
		}
	}
	if len(removed) == 0 {
		return nil
	}
	inUse := func(p string) error {
		return awsapi.Errorf(codeResourceInUse, "The specified capacity provider is in use and cannot be removed: %s.", p)
	}
	services, err := store.List[model.ServiceRecord](tx, state.ServicesPrefix(sc, cluster))
	if err != nil {
		return err
	}
	for _, s := range services {
		if derefStr(s.Service.Status) == model.ServiceInactive {
			continue
		}
		for _, it := range s.Service.CapacityProviderStrategy {
			if slices.Contains(removed, derefStr(it.CapacityProvider)) {
				return inUse(derefStr(it.CapacityProvider))
			}
		}
	}
	tasks, err := store.List[model.TaskRecord](tx, state.TasksPrefix(sc, cluster))
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if p := derefStr(t.Task.CapacityProviderName); slices.Contains(removed, p) && derefStr(t.Task.LastStatus) != model.TaskStopped {
			return inUse(p)
		}
	}
	return nil
}

// validateStrategy applies ECS's rules to a capacity provider strategy:
// providers from the cluster's list, weights 0..1000, base 0..100000 on at
// most one item, at least one positive weight, and either Fargate or Auto
// Scaling group providers, not both.
func validateStrategy(strategy []ecstypes.CapacityProviderStrategyItem, available []string) error {
	if len(strategy) == 0 {
		return nil
	}
	if len(strategy) > 20 {
		return invalidParam("A capacity provider strategy can have at most 20 items, got %d.", len(strategy))
	}
	bases, positive, fargate, asg := 0, false, false, false
	seen := map[string]bool{}
	for _, it := range strategy {
		name := derefStr(it.CapacityProvider)
		if !slices.Contains(available, name) {
			return invalidParam("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster (%s). Associate the capacity provider with the cluster or specify a valid capacity provider and try again.", name)
		}
		if seen[name] {
			return invalidParam("The capacity provider %q appears twice in the strategy.", name)
		}
		seen[name] = true
		if isBuiltinProvider(name) {
			fargate = true
		} else {
			asg = true
		}
		if it.Weight < 0 || it.Weight > 1000 {
			return invalidParam("The weight of %s must be between 0 and 1000, got %d.", name, it.Weight)
		}
		if it.Base < 0 || it.Base > 100000 {
			return invalidParam("The base of %s must be between 0 and 100000, got %d.", name, it.Base)
		}
		if it.Base > 0 {
			bases++
		}
		positive = positive || it.Weight > 0
	}
	if fargate && asg {
		return invalidParam("The specified capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.")
	}
	if bases > 1 {
		return invalidParam("Only one capacity provider in a strategy can have a base defined.")
	}
	if !positive {
		return invalidParam("At least one capacity provider in the strategy must have a weight greater than 0.")
	}
	return nil
}

package ecs

import (
	"context"
	"slices"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
)

// wharf runs Fargate tasks on its own hosts, so the two AWS-managed
// capacity providers exist in every region of every account. Auto Scaling
// group providers (CreateCapacityProvider) have no meaning without EC2.
var builtinProviders = []string{"FARGATE", "FARGATE_SPOT"}

func isBuiltinProvider(name string) bool { return slices.Contains(builtinProviders, name) }

// DescribeCapacityProviders describes FARGATE and FARGATE_SPOT.
func (a *API) DescribeCapacityProviders(ctx context.Context, in *ecstypes.DescribeCapacityProvidersRequest) (*ecstypes.DescribeCapacityProvidersResponse, error) {
	sc := scope(ctx)
	size, err := pageSize(in.MaxResults, 10, 10)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken("capacity-providers", in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ecstypes.DescribeCapacityProvidersResponse{CapacityProviders: []ecstypes.CapacityProvider{}, Failures: []ecstypes.Failure{}}
	names := in.CapacityProviders
	if len(names) == 0 {
		names = builtinProviders
	}
	var found []ecstypes.CapacityProvider
	for _, ref := range names {
		name := ref
		if arn, ok := model.ParseARN(ref); ok {
			name = arn.Resource[len("capacity-provider/"):min(len(arn.Resource), len("capacity-provider/")+len(arn.Resource))]
		}
		if !isBuiltinProvider(name) {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(sc.CapacityProviderARN(name)), Reason: new("MISSING")})
			continue
		}
		cp := ecstypes.CapacityProvider{
			CapacityProviderArn: new(sc.CapacityProviderARN(name)),
			Name:                new(name),
			Status:              ecstypes.CapacityProviderStatusActive,
		}
		if slices.Contains(in.Include, ecstypes.CapacityProviderFieldTags) {
			cp.Tags = []ecstypes.Tag{}
		}
		found = append(found, cp)
	}
	items, next := page(found, func(c ecstypes.CapacityProvider) string { return *c.Name }, after, size)
	out.CapacityProviders = append(out.CapacityProviders, items...)
	if next != "" {
		out.NextToken = new(awsapi.PageToken("capacity-providers", next))
	}
	return out, nil
}

// validateCapacityProviders checks a cluster's providers and its default
// strategy the way PutClusterCapacityProviders does.
func validateCapacityProviders(providers []string, strategy []ecstypes.CapacityProviderStrategyItem) error {
	if len(providers) > 20 {
		return invalidParam("A cluster can have at most 20 capacity providers, got %d.", len(providers))
	}
	for i, p := range providers {
		if !isBuiltinProvider(p) {
			return invalidParam("The capacity provider %q does not exist. wharf provides FARGATE and FARGATE_SPOT.", p)
		}
		if slices.Contains(providers[:i], p) {
			return invalidParam("The capacity provider %q is listed twice.", p)
		}
	}
	return validateStrategy(strategy, providers)
}

// validateStrategy applies ECS's rules to a capacity provider strategy:
// providers from the cluster's list, weights 0..1000, base 0..100000 on at
// most one item, and at least one positive weight.
func validateStrategy(strategy []ecstypes.CapacityProviderStrategyItem, available []string) error {
	if len(strategy) == 0 {
		return nil
	}
	if len(strategy) > 20 {
		return invalidParam("A capacity provider strategy can have at most 20 items, got %d.", len(strategy))
	}
	bases, positive := 0, false
	seen := map[string]bool{}
	for _, it := range strategy {
		name := derefStr(it.CapacityProvider)
		if !slices.Contains(available, name) {
			return invalidParam("The capacity provider strategy names %q, which is not associated with the cluster. Add it with PutClusterCapacityProviders first.", name)
		}
		if seen[name] {
			return invalidParam("The capacity provider %q appears twice in the strategy.", name)
		}
		seen[name] = true
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
	if bases > 1 {
		return invalidParam("Only one capacity provider in a strategy can have a base defined.")
	}
	if !positive {
		return invalidParam("At least one capacity provider in the strategy must have a weight greater than 0.")
	}
	return nil
}

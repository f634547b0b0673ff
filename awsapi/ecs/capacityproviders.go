package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Auto Scaling group capacity providers. wharf has no EC2 Auto Scaling to
// drive, so a provider is its stored settings: it can be associated with a
// cluster and named in strategies, and its tasks are placed on the cluster's
// registered container instances. Managed scaling, termination protection
// and draining are kept and reported as given (with AWS's defaults filled
// in) but scale nothing.

// AWS's defaults for an omitted managedScaling member.
const (
	defaultTargetCapacity  = 100
	defaultMinScalingStep  = 1
	defaultMaxScalingStep  = 10000
	defaultInstanceWarmupS = 300
)

const (
	errProviderNameInvalid = "The specified capacity provider name is invalid. Up to 255 characters are allowed, including letters (upper and lowercase), numbers, underscores, and hyphens. The name cannot be prefixed with \"aws\", \"ecs\", or \"fargate\". Specify a valid name and try again."
	errProviderExists      = "The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider."
	errASGInUse            = "The specified Auto Scaling group ARN is already being used by another capacity provider. Specify a unique Auto Scaling group ARN and try again."
)

func providerNotFound(name string) error {
	return clientError("The specified capacity provider does not exist: %s. Specify a valid name or ARN and try again.", name)
}

// validProviderName applies CreateCapacityProvider's name rule; the
// reserved prefixes are refused whatever their case.
func validProviderName(name string) bool {
	if !model.ValidName(name) {
		return false
	}
	lower := strings.ToLower(name)
	for _, p := range []string{"aws", "ecs", "fargate"} {
		if strings.HasPrefix(lower, p) {
			return false
		}
	}
	return true
}

// withScalingDefaults is managedScaling as ECS stores it: every member set.
func withScalingDefaults(ms *ecstypes.ManagedScaling) *ecstypes.ManagedScaling {
	out := ecstypes.ManagedScaling{Status: ecstypes.ManagedScalingStatusDisabled}
	if ms != nil {
		out = *ms
	}
	if out.Status == "" {
		out.Status = ecstypes.ManagedScalingStatusDisabled
	}
	if out.TargetCapacity == nil {
		out.TargetCapacity = new(int32(defaultTargetCapacity))
	}
	if out.MinimumScalingStepSize == nil {
		out.MinimumScalingStepSize = new(int32(defaultMinScalingStep))
	}
	if out.MaximumScalingStepSize == nil {
		out.MaximumScalingStepSize = new(int32(defaultMaxScalingStep))
	}
	if out.InstanceWarmupPeriod == nil {
		out.InstanceWarmupPeriod = new(int32(defaultInstanceWarmupS))
	}
	return &out
}

func validateScaling(ms *ecstypes.ManagedScaling) error {
	if *ms.MinimumScalingStepSize > *ms.MaximumScalingStepSize {
		return invalidParam("The managed scaling minimumScalingStepSize (%d) cannot be greater than maximumScalingStepSize (%d).", *ms.MinimumScalingStepSize, *ms.MaximumScalingStepSize)
	}
	return nil
}

// CreateCapacityProvider stores a new Auto Scaling group capacity provider.
func (a *API) CreateCapacityProvider(ctx context.Context, in *ecstypes.CreateCapacityProviderRequest) (*ecstypes.CreateCapacityProviderResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := *in.Name
	if !validProviderName(name) {
		return nil, clientError("%s", errProviderNameInvalid)
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	asg := *in.AutoScalingGroupProvider
	if derefStr(asg.AutoScalingGroupArn) == "" {
		return nil, invalidParam("autoScalingGroupArn must name an Auto Scaling group by ARN or name.")
	}
	asg.ManagedScaling = withScalingDefaults(asg.ManagedScaling)
	if err := validateScaling(asg.ManagedScaling); err != nil {
		return nil, err
	}
	if asg.ManagedTerminationProtection == "" {
		asg.ManagedTerminationProtection = ecstypes.ManagedTerminationProtectionDisabled
	}
	if asg.ManagedDraining == "" {
		asg.ManagedDraining = ecstypes.ManagedDrainingEnabled
	}
	cp := ecstypes.CapacityProvider{
		CapacityProviderArn:      new(sc.CapacityProviderARN(name)),
		Name:                     new(name),
		Status:                   ecstypes.CapacityProviderStatusActive,
		AutoScalingGroupProvider: &asg,
		Tags:                     awsapi.OrEmpty(in.Tags),
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		all, err := store.List[state.CapacityProviderRecord](tx, state.CapacityProvidersPrefix(sc))
		if err != nil {
			return err
		}
		for _, rec := range all {
			p := rec.Provider
			if p.Status != ecstypes.CapacityProviderStatusActive {
				continue
			}
			if derefStr(p.Name) == name {
				return clientError("%s", errProviderExists)
			}
			if derefStr(p.AutoScalingGroupProvider.AutoScalingGroupArn) == derefStr(asg.AutoScalingGroupArn) {
				return clientError("%s", errASGInUse)
			}
		}
		// An INACTIVE provider of the same name is replaced: its name is
		// free again once it is deleted.
		return store.Put(tx, state.CapacityProviderKey(sc, name), state.CapacityProviderRecord{Provider: cp})
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.CreateCapacityProviderResponse{CapacityProvider: &cp}, nil
}

// UpdateCapacityProvider changes an ACTIVE provider's managed scaling,
// termination protection or draining; members left out keep their value.
func (a *API) UpdateCapacityProvider(ctx context.Context, in *ecstypes.UpdateCapacityProviderRequest) (*ecstypes.UpdateCapacityProviderResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := providerName(*in.Name)
	if isBuiltinProvider(name) {
		return nil, clientError("The FARGATE and FARGATE_SPOT capacity providers are reserved and can't be updated.")
	}
	out, err := a.changeProvider(ctx, sc, name, func(_ store.Tx, p *ecstypes.CapacityProvider) error {
		asg := *p.AutoScalingGroupProvider
		up := in.AutoScalingGroupProvider
		if ms := up.ManagedScaling; ms != nil {
			cur := *asg.ManagedScaling
			if ms.Status != "" {
				cur.Status = ms.Status
			}
			for _, f := range []struct{ dst, src **int32 }{
				{&cur.TargetCapacity, &ms.TargetCapacity},
				{&cur.MinimumScalingStepSize, &ms.MinimumScalingStepSize},
				{&cur.MaximumScalingStepSize, &ms.MaximumScalingStepSize},
				{&cur.InstanceWarmupPeriod, &ms.InstanceWarmupPeriod},
			} {
				if *f.src != nil {
					*f.dst = *f.src
				}
			}
			if err := validateScaling(&cur); err != nil {
				return err
			}
			asg.ManagedScaling = &cur
		}
		if up.ManagedTerminationProtection != "" {
			asg.ManagedTerminationProtection = up.ManagedTerminationProtection
		}
		if up.ManagedDraining != "" {
			asg.ManagedDraining = up.ManagedDraining
		}
		p.AutoScalingGroupProvider = &asg
		// Nothing outside wharf has to apply the change, so it is complete
		// at once (ECS reports UPDATE_IN_PROGRESS while it adjusts the ASG).
		p.UpdateStatus = ecstypes.CapacityProviderUpdateStatusUpdateComplete
		p.UpdateStatusReason = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.UpdateCapacityProviderResponse{CapacityProvider: &out}, nil
}

// DeleteCapacityProvider deletes a provider no ACTIVE cluster has: it
// becomes INACTIVE with updateStatus DELETE_COMPLETE. While a cluster still
// has it, ECS answers with the provider unchanged but for updateStatus
// DELETE_FAILED and a reason naming the cluster, not with an error.
func (a *API) DeleteCapacityProvider(ctx context.Context, in *ecstypes.DeleteCapacityProviderRequest) (*ecstypes.DeleteCapacityProviderResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := providerName(*in.CapacityProvider)
	if isBuiltinProvider(name) {
		return nil, clientError("The FARGATE and FARGATE_SPOT capacity providers are reserved and can't be deleted. Disassociate them from a cluster with PutClusterCapacityProviders or by deleting the cluster.")
	}
	out, err := a.changeProvider(ctx, sc, name, func(tx store.Tx, p *ecstypes.CapacityProvider) error {
		clusters, err := store.List[ecstypes.Cluster](tx, state.ClustersPrefix(sc))
		if err != nil {
			return err
		}
		holder := ""
		for _, c := range clusters {
			if derefStr(c.Status) == clusterActive && slices.Contains(c.CapacityProviders, name) {
				holder = derefStr(c.ClusterName)
				break
			}
		}
		if holder != "" {
			p.UpdateStatus = ecstypes.CapacityProviderUpdateStatusDeleteFailed
			p.UpdateStatusReason = new("The capacity provider cannot be deleted because it is associated with cluster: " + holder +
				". Remove the capacity provider from the cluster and try again.")
		} else {
			p.Status = ecstypes.CapacityProviderStatusInactive
			p.UpdateStatus = ecstypes.CapacityProviderUpdateStatusDeleteComplete
			p.UpdateStatusReason = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.DeleteCapacityProviderResponse{CapacityProvider: &out}, nil
}

// providerTaggable lets TagResource and its kin reach a stored provider;
// FARGATE and FARGATE_SPOT belong to AWS and take no tags.
func providerTaggable(sc model.Scope, name string) taggable {
	key := state.CapacityProviderKey(sc, name)
	load := func(tx store.ReadTx) (state.CapacityProviderRecord, error) { return activeProvider(tx, sc, name) }
	return taggable{
		get: func(tx store.ReadTx) ([]ecstypes.Tag, error) {
			rec, err := load(tx)
			return rec.Provider.Tags, err
		},
		set: func(tx store.Tx, tags []ecstypes.Tag) error {
			rec, err := load(tx)
			if err != nil {
				return err
			}
			rec.Provider.Tags = tags
			return store.Put(tx, key, rec)
		},
	}
}

// activeProvider reads a stored provider that is ACTIVE; an INACTIVE
// (deleted) one is not found, as in ECS.
func activeProvider(tx store.ReadTx, sc model.Scope, name string) (state.CapacityProviderRecord, error) {
	rec, ok, err := store.Get[state.CapacityProviderRecord](tx, state.CapacityProviderKey(sc, name))
	if err == nil && (!ok || rec.Provider.Status != ecstypes.CapacityProviderStatusActive) {
		err = providerNotFound(name)
	}
	return rec, err
}

// changeProvider applies change to an ACTIVE stored provider in one
// transaction and returns the provider as ECS shows it.
func (a *API) changeProvider(ctx context.Context, sc model.Scope, name string, change func(store.Tx, *ecstypes.CapacityProvider) error) (ecstypes.CapacityProvider, error) {
	var out ecstypes.CapacityProvider
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, err := activeProvider(tx, sc, name)
		if err != nil {
			return err
		}
		if err := change(tx, &rec.Provider); err != nil {
			return err
		}
		out = rec.Provider
		return store.Put(tx, state.CapacityProviderKey(sc, name), rec)
	})
	return presentProvider(out, false), err
}

package ecs

import (
	"context"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Services whose tasks are run by task sets (deploymentController EXTERNAL
// or CODE_DEPLOY). An EXTERNAL service holds only what is common to its
// sets (desired count, placement, grace period, tags): task definition,
// launch, network and load balancers belong to each task set. A
// CODE_DEPLOY service is created with them, and ECS makes its first task
// set (PRIMARY, 100%) from them; wharf has no CodeDeploy, so further sets
// come through CreateTaskSet, as a CodeDeploy deployment would make them.

// createTaskSetService is CreateService for the EXTERNAL and CODE_DEPLOY
// deployment controllers.
func (a *API) createTaskSetService(ctx context.Context, in *ecstypes.CreateServiceRequest) (*ecstypes.CreateServiceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	name := derefStr(in.ServiceName)
	typ := in.DeploymentController.Type
	external := typ == ecstypes.DeploymentControllerTypeExternal
	if !model.ValidName(name) {
		return nil, invalidParam("Invalid service name %q: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", name)
	}
	switch {
	case typ != ecstypes.DeploymentControllerTypeExternal && typ != ecstypes.DeploymentControllerTypeCodeDeploy:
		return nil, invalidParam("deploymentController type must be ECS, CODE_DEPLOY or EXTERNAL, got %s.", typ)
	case in.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon:
		return nil, invalidParam("The %s deployment controller does not support the DAEMON scheduling strategy.", typ)
	case external && in.TaskDefinition != nil:
		return nil, invalidParam("TaskDefinition must be blank.")
	case external && len(in.LoadBalancers) > 0:
		return nil, invalidParam("LoadBalancers must be empty or null.")
	case external && in.NetworkConfiguration != nil:
		return nil, invalidParam("NetworkConfiguration must be null.")
	case external && (in.LaunchType != "" || len(in.CapacityProviderStrategy) > 0):
		return nil, invalidParam("LaunchType and CapacityProviderStrategy must be null: an EXTERNAL service's task sets choose them.")
	case external && len(in.ServiceRegistries) > 0:
		return nil, invalidParam("ServiceRegistries must be empty or null.")
	case !external && in.TaskDefinition == nil:
		return nil, invalidParam("taskDefinition is required for the CODE_DEPLOY deployment controller.")
	}
	dc, err := checkNewService(in, !external, false)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	var out ecstypes.Service
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireCluster(tx, sc, cluster); err != nil {
			return err
		}
		key := state.ServiceKey(sc, cluster, name)
		if exists, err := serviceExists(tx, key); err != nil || exists {
			return orErr(err, invalidParam("Creation of service was not idempotent: service %s already exists in cluster %s.", name, cluster))
		}
		svc := newService(sc, cluster, name, in, typ, dc, a.Now())
		svc.TaskSets = []ecstypes.TaskSet{}
		rec := model.ServiceRecord{Service: svc}
		if !external {
			first := &ecstypes.CreateTaskSetRequest{Cluster: in.Cluster, Service: in.ServiceName, TaskDefinition: in.TaskDefinition,
				LaunchType: in.LaunchType, CapacityProviderStrategy: in.CapacityProviderStrategy, PlatformVersion: in.PlatformVersion,
				NetworkConfiguration: in.NetworkConfiguration, LoadBalancers: in.LoadBalancers, ServiceRegistries: in.ServiceRegistries}
			if _, err := a.newTaskSet(tx, sc, cluster, &rec.Service, first, state.TaskSetPrimary); err != nil {
				return err
			}
		}
		if err := a.putTaskSetService(tx, sc, cluster, key, &rec); err != nil {
			return err
		}
		out = rec.Service
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.CreateServiceResponse{Service: &out}, nil
}

// updateTaskSetService is UpdateService for a service run by task sets:
// only what the sets share can change here; a new task definition, launch,
// network or load balancer is a new task set.
func (a *API) updateTaskSetService(tx store.Tx, key string, rec *model.ServiceRecord, in *ecstypes.UpdateServiceRequest) error {
	svc := &rec.Service
	typ := svc.DeploymentController.Type
	switch {
	case in.TaskDefinition != nil && typ == ecstypes.DeploymentControllerTypeCodeDeploy:
		return invalidParam("Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
	case in.TaskDefinition != nil || in.NetworkConfiguration != nil || in.LoadBalancers != nil || in.ServiceRegistries != nil ||
		in.CapacityProviderStrategy != nil || in.PlatformVersion != nil || in.ForceNewDeployment:
		return invalidParam("Unable to update the task definition, launch, network configuration, load balancers or service registries of a service with the %s deployment controller: create a new task set (CreateTaskSet) instead.", typ)
	}
	if in.DesiredCount != nil {
		svc.DesiredCount = *in.DesiredCount
	}
	dc, err := deploymentConfig(in.DeploymentConfiguration, false, svc.DeploymentConfiguration)
	if err != nil {
		return err
	}
	svc.DeploymentConfiguration = dc
	updateSettings(svc, in)
	if in.PlacementConstraints != nil {
		svc.PlacementConstraints = in.PlacementConstraints
	}
	if in.PlacementStrategy != nil {
		svc.PlacementStrategy = in.PlacementStrategy
	}
	// Each set's share follows the new desired count at once; the
	// controller starts or stops the difference.
	sc, cluster := scopeOfService(svc)
	sets, err := state.ListTaskSets(tx, sc, cluster, derefStr(svc.ServiceName))
	if err != nil {
		return err
	}
	for _, r := range sets {
		ts := &r.TaskSet
		if derefStr(ts.Status) == state.TaskSetDraining {
			continue
		}
		if n := state.ComputedDesiredCount(ts.Scale, svc.DesiredCount); n != ts.ComputedDesiredCount {
			ts.ComputedDesiredCount = n
			setStability(ts, a.Now())
			if err := store.Put(tx, state.TaskSetKey(sc, cluster, derefStr(svc.ServiceName), derefStr(ts.Id)), r); err != nil {
				return err
			}
		}
	}
	return a.putTaskSetService(tx, sc, cluster, key, rec)
}

// scopeOfService is the account, region and cluster name of a stored
// service, from its cluster ARN.
func scopeOfService(svc *ecstypes.Service) (model.Scope, string) {
	a, _ := model.ParseARN(derefStr(svc.ClusterArn))
	return model.Scope{Account: a.Account, Region: a.Region}, state.LastSegment(a.Resource)
}

package ecs

import (
	"context"
	"reflect"
	"slices"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

const codeServiceNotActive = "ServiceNotActiveException"

// serviceNotFound is ECS's answer for a service that does not exist; ECS
// does not name it.
func serviceNotFound(string) error {
	return awsapi.Errorf(codeServiceNotFound, "%s", msgServiceNotFound)
}

// CreateService stores a service and its first deployment; the service
// scheduler starts its tasks.
func (a *API) CreateService(ctx context.Context, in *ecstypes.CreateServiceRequest) (*ecstypes.CreateServiceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	name := derefStr(in.ServiceName)
	if !model.ValidName(name) {
		return nil, invalidParam("Invalid service name %q: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", name)
	}
	if err := a.checkPassRole(ctx, derefStr(in.TaskDefinition), nil); err != nil {
		return nil, err
	}
	daemon := in.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon
	if dc := in.DeploymentController; dc != nil && dc.Type != "" && dc.Type != ecstypes.DeploymentControllerTypeEcs {
		return a.createTaskSetService(ctx, in) // EXTERNAL, CODE_DEPLOY: taskset_services.go
	}
	if in.TaskDefinition == nil {
		return nil, invalidParam("taskDefinition is required for the ECS deployment controller.")
	}
	switch {
	case daemon && len(in.PlacementStrategy) > 0:
		return nil, invalidParam("Placement strategies are not supported with DAEMON scheduling strategy.")
	case daemon && len(in.CapacityProviderStrategy) > 0:
		return nil, invalidParam("Specifying a capacity provider strategy is not supported when you create a service using the DAEMON scheduling strategy.")
	case daemon && in.LaunchType == ecstypes.LaunchTypeFargate:
		return nil, invalidParam("The DAEMON scheduling strategy does not support the FARGATE launch type.")
	}
	dc, err := checkNewService(in, !daemon, daemon)
	if err != nil {
		return nil, err
	}
	run := &ecstypes.RunTaskRequest{Cluster: in.Cluster, TaskDefinition: in.TaskDefinition, LaunchType: in.LaunchType,
		CapacityProviderStrategy: in.CapacityProviderStrategy, NetworkConfiguration: in.NetworkConfiguration, Tags: in.Tags}
	var out ecstypes.Service
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		l, err := a.resolveLaunch(tx, sc, cluster, run, 1)
		if err != nil {
			return err
		}
		if err := checkLoadBalancers(tx, l.Definition, in.LoadBalancers); err != nil {
			return err
		}
		key := state.ServiceKey(sc, cluster, name)
		if exists, err := serviceExists(tx, key); err != nil || exists {
			return orErr(err, invalidParam("Creation of service was not idempotent."))
		}
		now := a.Now()
		svc := newService(sc, cluster, name, in, ecstypes.DeploymentControllerTypeEcs, dc, now)
		svc.LaunchType = l.LaunchType
		svc.CapacityProviderStrategy = in.CapacityProviderStrategy
		svc.TaskDefinition = l.Definition.TaskDefinitionArn
		svc.NetworkConfiguration = in.NetworkConfiguration
		svc.LoadBalancers = awsapi.OrEmpty(in.LoadBalancers)
		svc.ServiceRegistries = awsapi.OrEmpty(in.ServiceRegistries)
		svc.AvailabilityZoneRebalancing = in.AvailabilityZoneRebalancing
		if daemon {
			svc.SchedulingStrategy = ecstypes.SchedulingStrategyDaemon
		}
		if svc.AvailabilityZoneRebalancing == "" && !daemon {
			// ECS turns it on for new services that can use it.
			svc.AvailabilityZoneRebalancing = ecstypes.AvailabilityZoneRebalancingEnabled
		}
		if l.LaunchType == ecstypes.LaunchTypeFargate {
			svc.PlatformVersion = new("LATEST")
			svc.PlatformFamily = new("Linux")
		}
		if in.PlatformVersion != nil {
			svc.PlatformVersion = in.PlatformVersion
		}
		if len(in.CapacityProviderStrategy) > 0 {
			svc.LaunchType = ""
		}
		rec := model.ServiceRecord{}
		state.NewDeployment(&svc, &rec, l.Definition, now)
		deploymentSettings{in.ServiceConnectConfiguration, in.VolumeConfigurations, in.VpcLatticeConfigurations}.apply(&svc)
		rec.Service = svc
		out = svc
		return store.Put(tx, key, rec)
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.CreateServiceResponse{Service: &out}, nil
}

// checkNewService checks what CreateService checks whatever the
// deployment controller: the desired count (required when countRequired),
// the deployment configuration and the placement; it returns the
// deployment configuration with ECS's defaults.
func checkNewService(in *ecstypes.CreateServiceRequest, countRequired, daemon bool) (*ecstypes.DeploymentConfiguration, error) {
	switch {
	case countRequired && in.DesiredCount == nil:
		return nil, invalidParam("desiredCount is required when schedulingStrategy is REPLICA.")
	case in.DesiredCount != nil && *in.DesiredCount < 0:
		return nil, invalidParam("desiredCount must be 0 or more, got %d.", *in.DesiredCount)
	}
	dc, err := deploymentConfig(in.DeploymentConfiguration, daemon, nil)
	if err != nil {
		return nil, err
	}
	return dc, checkPlacement(in.PlacementConstraints, in.PlacementStrategy)
}

// serviceExists reports whether the service at key exists and is not
// INACTIVE: a name is free again once its service is deleted.
func serviceExists(tx store.ReadTx, key string) (bool, error) {
	prev, ok, err := store.Get[model.ServiceRecord](tx, key)
	return ok && derefStr(prev.Service.Status) != model.ServiceInactive, err
}

// orErr is err when there is one, else alt.
func orErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// newService is a new ACTIVE REPLICA service of controller typ with what
// every deployment controller takes from CreateService; the caller adds
// what is its own (task definition, launch, network, load balancers).
func newService(sc model.Scope, cluster, name string, in *ecstypes.CreateServiceRequest, typ ecstypes.DeploymentControllerType,
	dc *ecstypes.DeploymentConfiguration, now time.Time) ecstypes.Service {
	svc := ecstypes.Service{
		ServiceArn:                    new(sc.ServiceARN(cluster, name)),
		ServiceName:                   new(name),
		ClusterArn:                    new(sc.ClusterARN(cluster)),
		Status:                        new(model.ServiceActive),
		DesiredCount:                  shape.Deref(in.DesiredCount),
		DeploymentConfiguration:       dc,
		Deployments:                   []ecstypes.Deployment{},
		Events:                        []ecstypes.ServiceEvent{},
		CreatedAt:                     shape.TimeOf(now),
		CreatedBy:                     new(sc.RootPrincipal()),
		PlacementConstraints:          awsapi.OrEmpty(in.PlacementConstraints),
		PlacementStrategy:             awsapi.OrEmpty(in.PlacementStrategy),
		HealthCheckGracePeriodSeconds: in.HealthCheckGracePeriodSeconds,
		SchedulingStrategy:            ecstypes.SchedulingStrategyReplica,
		DeploymentController:          &ecstypes.DeploymentController{Type: typ},
		Tags:                          awsapi.OrEmpty(in.Tags),
		EnableECSManagedTags:          in.EnableECSManagedTags,
		PropagateTags:                 in.PropagateTags,
		EnableExecuteCommand:          in.EnableExecuteCommand,
		RoleArn:                       in.Role,
	}
	if svc.PropagateTags == "" {
		svc.PropagateTags = ecstypes.PropagateTagsNone
	}
	return svc
}

// checkLoadBalancers refuses what ECS refuses: a target group that does
// not exist, a container or port the task definition does not have, and an
// instance target group for an awsvpc task (which needs ip targets).
func checkLoadBalancers(tx store.ReadTx, td ecstypes.TaskDefinition, lbs []ecstypes.LoadBalancer) error {
	for _, lb := range lbs {
		arn, name, port := derefStr(lb.TargetGroupArn), derefStr(lb.ContainerName), shape.Deref(lb.ContainerPort)
		if arn == "" {
			return invalidParam("loadBalancers: targetGroupArn is required (classic load balancers are not served).")
		}
		tg, ok, err := lbstate.GetTargetGroup(tx, arn)
		if err != nil {
			return err
		}
		if !ok {
			return invalidParam("Unable to assume the target group %s: it does not exist.", arn)
		}
		i := slices.IndexFunc(td.ContainerDefinitions, func(c ecstypes.ContainerDefinition) bool { return derefStr(c.Name) == name })
		if i < 0 {
			return invalidParam("The container %s does not exist in the task definition.", name)
		}
		if !slices.ContainsFunc(td.ContainerDefinitions[i].PortMappings, func(pm ecstypes.PortMapping) bool { return shape.Deref(pm.ContainerPort) == port }) {
			return invalidParam("The container %s did not have a container port %d defined.", name, port)
		}
		if td.NetworkMode == ecstypes.NetworkModeAwsvpc && tg.TG.TargetType != elbv2types.TargetTypeEnumIp {
			return invalidParam("The provided target group %s has target type %s, which is incompatible with the awsvpc network mode specified in the task definition.", arn, tg.TG.TargetType)
		}
	}
	return nil
}

// deploymentConfig fills ECS's defaults (100/200 for REPLICA, 0/100 for
// DAEMON, breaker off) over cur, and checks the bounds.
func deploymentConfig(in *ecstypes.DeploymentConfiguration, daemon bool, cur *ecstypes.DeploymentConfiguration) (*ecstypes.DeploymentConfiguration, error) {
	out := &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: new(int32(100)), MaximumPercent: new(int32(200)),
		DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{}}
	if daemon {
		out.MinimumHealthyPercent, out.MaximumPercent = new(int32(0)), new(int32(100))
	}
	if cur != nil {
		c := *cur
		out = &c
	}
	if in != nil {
		overlaySent(out, in)
	}
	minH, maxP := *out.MinimumHealthyPercent, *out.MaximumPercent
	if minH < 0 || minH > 100 {
		return nil, invalidParam("minimumHealthyPercent must be between 0 and 100, got %d.", minH)
	}
	if maxP < 100 {
		return nil, invalidParam("maximumPercent must be at least 100, got %d.", maxP)
	}
	return out, nil
}

// overlaySent copies onto dst every member of src that was sent (is not
// the zero value): what UpdateService does with a structure it merges.
// Reflection keeps it whole as the generated shape gains members.
func overlaySent[T any](dst, src *T) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range s.NumField() {
		if f := s.Field(i); !f.IsZero() {
			d.Field(i).Set(f)
		}
	}
}

// deploymentSettings are the service settings ECS keeps per deployment
// (DescribeServices returns them on deployments[], not on the service), as
// a request names them (nil: not named).
type deploymentSettings struct {
	serviceConnect *ecstypes.ServiceConnectConfiguration
	volumes        []ecstypes.ServiceVolumeConfiguration
	vpcLattice     []ecstypes.VpcLatticeConfiguration
}

// named reports whether the request names any of them: a new deployment.
func (ds deploymentSettings) named() bool {
	return ds.serviceConnect != nil || ds.volumes != nil || ds.vpcLattice != nil
}

// apply stores the named settings on the deployment state.NewDeployment
// just put first; the others stay as it carried them over.
func (ds deploymentSettings) apply(svc *ecstypes.Service) {
	d := &svc.Deployments[0]
	if ds.serviceConnect != nil {
		d.ServiceConnectConfiguration = ds.serviceConnect
	}
	if ds.volumes != nil {
		d.VolumeConfigurations = ds.volumes
	}
	if ds.vpcLattice != nil {
		d.VpcLatticeConfigurations = ds.vpcLattice
	}
}

func checkPlacement(cs []ecstypes.PlacementConstraint, ss []ecstypes.PlacementStrategy) error {
	if err := scheduler.ValidateConstraints(scheduler.ConstraintsFrom(nil, cs)); err != nil {
		return invalidParam("%v", err)
	}
	if err := scheduler.ValidateStrategies(scheduler.StrategiesFrom(ss)); err != nil {
		return invalidParam("%v", err)
	}
	return nil
}

// UpdateService changes a service. A new task definition, network
// configuration, capacity provider strategy, placement or
// forceNewDeployment starts a new deployment; a desired count alone does not.
func (a *API) UpdateService(ctx context.Context, in *ecstypes.UpdateServiceRequest) (*ecstypes.UpdateServiceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	name := state.LastSegment(*in.Service)
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, invalidParam("desiredCount must be 0 or more, got %d.", *in.DesiredCount)
	}
	if err := checkPlacement(in.PlacementConstraints, in.PlacementStrategy); err != nil {
		return nil, err
	}
	if err := a.checkPassRole(ctx, derefStr(in.TaskDefinition), nil); err != nil {
		return nil, err
	}
	var out ecstypes.Service
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key, rec, err := loadService(tx, sc, cluster, name)
		if err != nil {
			return err
		}
		svc := &rec.Service
		if derefStr(svc.Status) != model.ServiceActive {
			return awsapi.Errorf(codeServiceNotActive, "Service was not ACTIVE.")
		}
		if state.UsesTaskSets(svc) {
			err := a.updateTaskSetService(tx, key, &rec, in) // taskset_services.go
			out = rec.Service
			return err
		}
		daemon := svc.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon
		if in.DesiredCount != nil {
			if daemon {
				return invalidParam("The desired count of a DAEMON service cannot be set: it runs one task on each instance.")
			}
			svc.DesiredCount = *in.DesiredCount
		}
		dc, err := deploymentConfig(in.DeploymentConfiguration, daemon, svc.DeploymentConfiguration)
		if err != nil {
			return err
		}
		svc.DeploymentConfiguration = dc
		updateSettings(svc, in)
		if c := in.DeploymentController; c != nil && c.Type != "" {
			if c.Type != ecstypes.DeploymentControllerTypeEcs {
				return invalidParam("wharf supports the ECS deployment controller only, not %s.", c.Type)
			}
			svc.DeploymentController = c
		}
		settings := deploymentSettings{in.ServiceConnectConfiguration, in.VolumeConfigurations, in.VpcLatticeConfigurations}
		redeploy := in.ForceNewDeployment || settings.named()
		if in.PlatformVersion != nil && *in.PlatformVersion != derefStr(svc.PlatformVersion) {
			svc.PlatformVersion, redeploy = in.PlatformVersion, true
		}
		if in.NetworkConfiguration != nil && !reflect.DeepEqual(in.NetworkConfiguration, svc.NetworkConfiguration) {
			svc.NetworkConfiguration, redeploy = in.NetworkConfiguration, true
		}
		if in.CapacityProviderStrategy != nil && !reflect.DeepEqual(in.CapacityProviderStrategy, svc.CapacityProviderStrategy) {
			svc.CapacityProviderStrategy, redeploy = in.CapacityProviderStrategy, true
			if len(svc.CapacityProviderStrategy) > 0 {
				// ECS moves a launch-type service to the strategy.
				svc.LaunchType = ""
			}
		}
		if in.PlacementConstraints != nil {
			svc.PlacementConstraints, redeploy = in.PlacementConstraints, true
		}
		if in.PlacementStrategy != nil {
			svc.PlacementStrategy, redeploy = in.PlacementStrategy, true
		}
		if in.LoadBalancers != nil {
			svc.LoadBalancers, redeploy = in.LoadBalancers, true
		}
		if in.ServiceRegistries != nil {
			svc.ServiceRegistries, redeploy = in.ServiceRegistries, true
		}
		ref := derefStr(svc.TaskDefinition)
		if in.TaskDefinition != nil {
			ref = *in.TaskDefinition
		}
		run := &ecstypes.RunTaskRequest{Cluster: in.Cluster, TaskDefinition: &ref, LaunchType: svc.LaunchType,
			CapacityProviderStrategy: svc.CapacityProviderStrategy, NetworkConfiguration: svc.NetworkConfiguration}
		l, err := a.resolveLaunch(tx, sc, cluster, run, 1)
		if err != nil {
			return err
		}
		if derefStr(l.Definition.TaskDefinitionArn) != derefStr(svc.TaskDefinition) {
			redeploy = true
		}
		if redeploy {
			if l.LaunchType == ecstypes.LaunchTypeFargate {
				// A service moved onto Fargate gets what CreateService gives one.
				if svc.PlatformVersion == nil {
					svc.PlatformVersion = new("LATEST")
				}
				if svc.PlatformFamily == nil {
					svc.PlatformFamily = new("Linux")
				}
			}
			state.NewDeployment(svc, &rec, l.Definition, a.Now())
			settings.apply(svc)
		}
		rec.Steady = false
		out = *svc
		return store.Put(tx, key, rec)
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.UpdateServiceResponse{Service: &out}, nil
}

// loadService reads a service of an ACTIVE cluster.
func loadService(tx store.ReadTx, sc model.Scope, cluster, name string) (string, model.ServiceRecord, error) {
	if err := requireCluster(tx, sc, cluster); err != nil {
		return "", model.ServiceRecord{}, err
	}
	key := state.ServiceKey(sc, cluster, name)
	rec, ok, err := store.Get[model.ServiceRecord](tx, key)
	if err == nil && !ok {
		err = serviceNotFound(name)
	}
	return key, rec, err
}

// DeleteService drains a service: its tasks are stopped and it turns
// INACTIVE. Unless force is set, it must be scaled to 0 first, as in ECS.
func (a *API) DeleteService(ctx context.Context, in *ecstypes.DeleteServiceRequest) (*ecstypes.DeleteServiceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	name := state.LastSegment(*in.Service)
	var out ecstypes.Service
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key, rec, err := loadService(tx, sc, cluster, name)
		if err != nil {
			return err
		}
		if derefStr(rec.Service.Status) == model.ServiceInactive {
			return serviceNotFound(name)
		}
		svc := &rec.Service
		if svc.DesiredCount > 0 && !shape.Deref(in.Force) && svc.SchedulingStrategy != ecstypes.SchedulingStrategyDaemon {
			return invalidParam("%s", msgServiceScaledAboveZero)
		}
		svc.Status = new(model.ServiceDraining)
		svc.DesiredCount = 0
		out = *svc
		return store.Put(tx, key, rec)
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.DeleteServiceResponse{Service: &out}, nil
}

// DescribeServices describes up to 10 services; unknown ones are MISSING.
func (a *API) DescribeServices(ctx context.Context, in *ecstypes.DescribeServicesRequest) (*ecstypes.DescribeServicesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	if len(in.Services) > 10 {
		return nil, invalidParam("services can have at most 10 entries, got %d.", len(in.Services))
	}
	out := &ecstypes.DescribeServicesResponse{Services: []ecstypes.Service{}, Failures: []ecstypes.Failure{}}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, cluster); err != nil {
			return err
		}
		for _, ref := range in.Services {
			name := state.LastSegment(ref)
			rec, ok, err := store.Get[model.ServiceRecord](tx, state.ServiceKey(sc, cluster, name))
			if err != nil {
				return err
			}
			if !ok {
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(sc.ServiceARN(cluster, name)), Reason: new("MISSING")})
				continue
			}
			svc := rec.Service
			if !slices.Contains(in.Include, ecstypes.ServiceFieldTags) {
				svc.Tags = nil
			}
			out.Services = append(out.Services, svc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListServices lists the ARNs of a cluster's services that are not INACTIVE.
func (a *API) ListServices(ctx context.Context, in *ecstypes.ListServicesRequest) (*ecstypes.ListServicesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	c, size, err := openPage("services", in.NextToken, in.MaxResults, 10, 100)
	if err != nil {
		return nil, err
	}
	keep := func(r *model.ServiceRecord) bool {
		s := &r.Service
		return derefStr(s.Status) != model.ServiceInactive &&
			(in.LaunchType == "" || s.LaunchType == in.LaunchType) &&
			(in.SchedulingStrategy == "" || s.SchedulingStrategy == in.SchedulingStrategy)
	}
	var recs []model.ServiceRecord
	var next *string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, cluster); err != nil {
			return err
		}
		recs, next, err = awsapi.StorePage(tx, state.ServicesPrefix(sc, cluster), "", c, size, keep)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ecstypes.ListServicesResponse{ServiceArns: []string{}, NextToken: next}
	for _, r := range recs {
		out.ServiceArns = append(out.ServiceArns, *r.Service.ServiceArn)
	}
	return out, nil
}

// updateSettings applies the members of UpdateService that start no
// deployment, for every deployment controller.
func updateSettings(svc *ecstypes.Service, in *ecstypes.UpdateServiceRequest) {
	if in.HealthCheckGracePeriodSeconds != nil {
		svc.HealthCheckGracePeriodSeconds = in.HealthCheckGracePeriodSeconds
	}
	if in.EnableExecuteCommand != nil {
		svc.EnableExecuteCommand = *in.EnableExecuteCommand
	}
	if in.PropagateTags != "" {
		svc.PropagateTags = in.PropagateTags
	}
	if in.EnableECSManagedTags != nil {
		svc.EnableECSManagedTags = *in.EnableECSManagedTags
	}
	if in.AvailabilityZoneRebalancing != "" {
		// As in ECS, this alone starts no deployment.
		svc.AvailabilityZoneRebalancing = in.AvailabilityZoneRebalancing
	}
}

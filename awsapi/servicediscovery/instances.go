package servicediscovery

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// RegisterInstance registers or updates an instance.
func (a *API) RegisterInstance(ctx context.Context, in *sdtypes.RegisterInstanceRequest) (*sdtypes.RegisterInstanceResponse, error) {
	opID, err := a.instanceOp(ctx, awsapi.Deref(in.ServiceId), func(tx store.Tx, sc model.Scope, svcID string) (string, error) {
		return sdstate.RegisterInstance(tx, sc, svcID, awsapi.Deref(in.InstanceId), awsapi.Deref(in.CreatorRequestId), in.Attributes, a.Now())
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.RegisterInstanceResponse{OperationId: opID}, nil
}

// instanceOp runs change, one of sdstate's operations on the instances of
// a service, in a transaction and answers the operation's id.
func (a *API) instanceOp(ctx context.Context, serviceID string, change func(tx store.Tx, sc model.Scope, svcID string) (string, error)) (*string, error) {
	return a.operation(ctx, func(tx store.Tx, sc model.Scope) (string, error) {
		svc, err := getService(tx, sc, serviceID)
		if err != nil {
			return "", err
		}
		opID, err := change(tx, sc, awsapi.Deref(svc.Svc.Id))
		return opID, mapErr(err)
	})
}

// operation runs change in a transaction in the caller's scope and
// answers the id of the Cloud Map operation change recorded.
func (a *API) operation(ctx context.Context, change func(tx store.Tx, sc model.Scope) (string, error)) (*string, error) {
	sc := awsapi.ScopeOf(ctx)
	var opID string
	_, err := a.DB.Update(ctx, func(tx store.Tx) (err error) {
		opID, err = change(tx, sc)
		return err
	})
	if err != nil {
		return nil, err
	}
	return new(opID), nil
}

// recordedOp is operation for a change of one namespace or service:
// change makes it and returns the resource's id, and the operation (of
// type typ, its target of kind target, "NAMESPACE" or "SERVICE") is
// recorded in the same transaction.
func (a *API) recordedOp(ctx context.Context, typ sdtypes.OperationType, target string, change func(tx store.Tx, sc model.Scope) (string, error)) (*string, error) {
	return a.operation(ctx, func(tx store.Tx, sc model.Scope) (string, error) {
		id, err := change(tx, sc)
		if err != nil {
			return "", err
		}
		return sdstate.RecordOperation(tx, sc, typ, map[string]string{target: id}, a.Now())
	})
}

// DeregisterInstance removes an instance.
func (a *API) DeregisterInstance(ctx context.Context, in *sdtypes.DeregisterInstanceRequest) (*sdtypes.DeregisterInstanceResponse, error) {
	opID, err := a.instanceOp(ctx, awsapi.Deref(in.ServiceId), func(tx store.Tx, sc model.Scope, svcID string) (string, error) {
		return sdstate.DeregisterInstance(tx, sc, svcID, awsapi.Deref(in.InstanceId), a.Now())
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.DeregisterInstanceResponse{OperationId: opID}, nil
}

// GetInstance describes an instance.
func (a *API) GetInstance(ctx context.Context, in *sdtypes.GetInstanceRequest) (*sdtypes.GetInstanceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	var inst sdstate.Instance
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		svc, err := getService(tx, sc, awsapi.Deref(in.ServiceId))
		if err != nil {
			return err
		}
		v, ok, err := store.Get[sdstate.Instance](tx, sdstate.InstanceKey(sc, awsapi.Deref(svc.Svc.Id), awsapi.Deref(in.InstanceId)))
		if err == nil && !ok {
			err = apiError(codeInstanceNotFound, "No instance %q is registered with service %s.", awsapi.Deref(in.InstanceId), awsapi.Deref(svc.Svc.Id))
		}
		inst = v
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.GetInstanceResponse{Instance: &inst.Inst}, nil
}

// ListInstances lists a service's instances.
func (a *API) ListInstances(ctx context.Context, in *sdtypes.ListInstancesRequest) (*sdtypes.ListInstancesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	var pg []sdstate.Instance
	var next *string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		svc, err := getService(tx, sc, awsapi.Deref(in.ServiceId))
		if err != nil {
			return err
		}
		c, limit, err := paging("instances", in.NextToken, in.MaxResults, 100)
		if err != nil {
			return err
		}
		pg, next, err = awsapi.StorePage[sdstate.Instance](tx, sdstate.InstancesPrefix(sc, awsapi.Deref(svc.Svc.Id)), "", c, limit, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]sdtypes.InstanceSummary, 0, len(pg))
	for _, i := range pg {
		out = append(out, sdtypes.InstanceSummary{Id: i.Inst.Id, Attributes: i.Inst.Attributes})
	}
	return &sdtypes.ListInstancesResponse{Instances: out, NextToken: next}, nil
}

// healthOf is an instance's status as Cloud Map reports it: UNKNOWN for a
// service without health checks.
func healthOf(svc sdstate.Service, i sdstate.Instance) sdtypes.HealthStatus {
	if !svc.HasCustomHealth() || i.Health == "" {
		return sdtypes.HealthStatusUnknown
	}
	return i.Health
}

// findService resolves a namespace's HTTP name and a service name.
func findService(tx store.ReadTx, sc model.Scope, nsName, svcName string) (sdstate.Service, error) {
	namespaces, err := store.List[sdstate.Namespace](tx, sdstate.NamespacesPrefix(sc))
	if err != nil {
		return sdstate.Service{}, err
	}
	nsID := ""
	for _, ns := range namespaces {
		http := awsapi.Deref(ns.NS.Name)
		if p := ns.NS.Properties; p != nil && p.HttpProperties != nil {
			http = awsapi.Deref(p.HttpProperties.HttpName)
		}
		if strings.EqualFold(http, nsName) {
			nsID = awsapi.Deref(ns.NS.Id)
		}
	}
	if nsID == "" {
		return sdstate.Service{}, apiError(codeNamespaceNotFound, "No namespace named %q exists.", nsName)
	}
	services, err := store.List[sdstate.Service](tx, sdstate.ServicesPrefix(sc))
	if err != nil {
		return sdstate.Service{}, err
	}
	for _, s := range services {
		if awsapi.Deref(s.Svc.NamespaceId) == nsID && strings.EqualFold(awsapi.Deref(s.Svc.Name), svcName) {
			return s, nil
		}
	}
	return sdstate.Service{}, apiError(codeServiceNotFound, "No service named %q exists in namespace %q.", svcName, nsName)
}

// DiscoverInstances answers the instances of a service by namespace and
// service name, filtered by health and attributes, in random order.
func (a *API) DiscoverInstances(ctx context.Context, in *sdtypes.DiscoverInstancesRequest) (*sdtypes.DiscoverInstancesResponse, error) {
	limit := 100
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, invalid("MaxResults must be from 1 to 1000, got %d.", *in.MaxResults)
		}
		limit = int(*in.MaxResults)
	}
	sc := awsapi.ScopeOf(ctx)
	var svc sdstate.Service
	var all []sdstate.Instance
	err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		if svc, err = findService(tx, awsapi.ScopeOf(ctx), awsapi.Deref(in.NamespaceName), awsapi.Deref(in.ServiceName)); err != nil {
			return err
		}
		all, err = store.List[sdstate.Instance](tx, sdstate.InstancesPrefix(sc, awsapi.Deref(svc.Svc.Id)))
		return err
	})
	if err != nil {
		return nil, err
	}
	matches := func(i sdstate.Instance, params map[string]string) bool {
		for k, v := range params {
			if i.Inst.Attributes[k] != v {
				return false
			}
		}
		return true
	}
	var picked []sdstate.Instance
	for _, i := range all {
		if matches(i, in.QueryParameters) {
			picked = append(picked, i)
		}
	}
	if len(in.OptionalParameters) > 0 {
		var opt []sdstate.Instance
		for _, i := range picked {
			if matches(i, in.OptionalParameters) {
				opt = append(opt, i)
			}
		}
		if len(opt) > 0 {
			picked = opt
		}
	}
	if svc.HasCustomHealth() {
		filter := in.HealthStatus
		if filter == "" {
			filter = sdtypes.HealthStatusFilterHealthy
		}
		var healthy, unhealthy []sdstate.Instance
		for _, i := range picked {
			if svc.Healthy(i) {
				healthy = append(healthy, i)
			} else {
				unhealthy = append(unhealthy, i)
			}
		}
		switch filter {
		case sdtypes.HealthStatusFilterHealthy:
			picked = healthy
		case sdtypes.HealthStatusFilterUnhealthy:
			picked = unhealthy
		case sdtypes.HealthStatusFilterHealthyOrElseAll:
			if len(healthy) > 0 {
				picked = healthy
			}
		}
	}
	rand.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	out := []sdtypes.HttpInstanceSummary{}
	for _, i := range picked[:min(limit, len(picked))] {
		out = append(out, sdtypes.HttpInstanceSummary{InstanceId: i.Inst.Id, NamespaceName: in.NamespaceName, ServiceName: svc.Svc.Name,
			HealthStatus: healthOf(svc, i), Attributes: maps.Clone(i.Inst.Attributes)})
	}
	return &sdtypes.DiscoverInstancesResponse{Instances: out, InstancesRevision: new(svc.Revision)}, nil
}

// DiscoverInstancesRevision answers the revision of a service's instances,
// which grows with every registration, deregistration and health change.
func (a *API) DiscoverInstancesRevision(ctx context.Context, in *sdtypes.DiscoverInstancesRevisionRequest) (*sdtypes.DiscoverInstancesRevisionResponse, error) {
	svc, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (sdstate.Service, error) {
		return findService(tx, awsapi.ScopeOf(ctx), awsapi.Deref(in.NamespaceName), awsapi.Deref(in.ServiceName))
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.DiscoverInstancesRevisionResponse{InstancesRevision: new(svc.Revision)}, nil
}

// GetInstancesHealthStatus reports the health of a service's instances.
func (a *API) GetInstancesHealthStatus(ctx context.Context, in *sdtypes.GetInstancesHealthStatusRequest) (*sdtypes.GetInstancesHealthStatusResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	var svc sdstate.Service
	var pg []sdstate.Instance
	var next *string
	err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		if svc, err = getService(tx, sc, awsapi.Deref(in.ServiceId)); err != nil {
			return err
		}
		c, limit, err := paging("health", in.NextToken, in.MaxResults, 100)
		if err != nil {
			return err
		}
		pg, next, err = awsapi.StorePage(tx, sdstate.InstancesPrefix(sc, awsapi.Deref(svc.Svc.Id)), "", c, limit, func(i *sdstate.Instance) bool {
			return len(in.Instances) == 0 || slices.Contains(in.Instances, awsapi.Deref(i.Inst.Id))
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	status := map[string]sdtypes.HealthStatus{}
	for _, i := range pg {
		status[awsapi.Deref(i.Inst.Id)] = healthOf(svc, i)
	}
	return &sdtypes.GetInstancesHealthStatusResponse{Status: status, NextToken: next}, nil
}

// UpdateInstanceCustomHealthStatus sets the health of an instance of a
// service with HealthCheckCustomConfig; DNS answers follow at once.
func (a *API) UpdateInstanceCustomHealthStatus(ctx context.Context, in *sdtypes.UpdateInstanceCustomHealthStatusRequest) (*sdtypes.UpdateInstanceCustomHealthStatusOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		svc, err := getService(tx, sc, awsapi.Deref(in.ServiceId))
		if err != nil {
			return err
		}
		return mapErr(sdstate.SetInstanceHealth(tx, sc, awsapi.Deref(svc.Svc.Id), awsapi.Deref(in.InstanceId), sdtypes.HealthStatus(in.Status)))
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.UpdateInstanceCustomHealthStatusOutput{}, nil
}

package ecs

import (
	"context"
	"slices"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Task sets: the EXTERNAL and CODE_DEPLOY deployment controllers schedule
// a service's tasks in task sets, each with its own task definition, load
// balancers and scale (a percent of the service's desired count). The API
// writes the sets; the task-set controller (controller/taskset) runs and
// stops their tasks and keeps their counts.

const (
	codeTaskSetNotFound = "TaskSetNotFoundException"
	// maxTaskSets is ECS's quota of task sets per service.
	maxTaskSets = 5
)

func taskSetNotFound(ref string) error {
	return awsapi.Errorf(codeTaskSetNotFound, "The specified task set could not be found: %s. You can view your available task sets with DescribeTaskSets. Task sets are specific to each cluster, service and Region.", ref)
}

// taskSetService reads an ACTIVE service whose tasks are run by task sets.
func taskSetService(tx store.ReadTx, sc model.Scope, cluster, ref string) (string, model.ServiceRecord, error) {
	name := state.LastSegment(ref)
	key, rec, err := loadService(tx, sc, cluster, name)
	if err != nil {
		return key, rec, err
	}
	if s := derefStr(rec.Service.Status); s != model.ServiceActive {
		return key, rec, awsapi.Errorf(codeServiceNotActive, "Service was not ACTIVE: %s is %s.", name, s)
	}
	if !state.UsesTaskSets(&rec.Service) {
		return key, rec, invalidParam("Amazon ECS only supports task set management on services configured to use external deployment controllers.")
	}
	return key, rec, nil
}

// loadTaskSet reads one task set of a service by id or ARN.
func loadTaskSet(tx store.ReadTx, sc model.Scope, cluster, service, ref string) (string, state.TaskSetRecord, error) {
	key := state.TaskSetKey(sc, cluster, service, ref)
	rec, ok, err := store.Get[state.TaskSetRecord](tx, key)
	if err == nil && !ok {
		err = taskSetNotFound(ref)
	}
	return key, rec, err
}

// checkScale fills ECS's default scale (100 PERCENT) and checks its range.
func checkScale(in *ecstypes.Scale) (*ecstypes.Scale, error) {
	if in == nil {
		return &ecstypes.Scale{Value: 100, Unit: ecstypes.ScaleUnitPercent}, nil
	}
	out := *in
	if out.Unit == "" {
		out.Unit = ecstypes.ScaleUnitPercent
	}
	if out.Value < 0 || out.Value > 100 {
		return nil, invalidParam("scale value must be between 0 and 100 (a percent of the service's desired count), got %g.", out.Value)
	}
	return &out, nil
}

// stability is STEADY_STATE when a set runs what it should, as far as the
// API knows when it writes the set; the controller keeps it current.
func stability(ts *ecstypes.TaskSet) ecstypes.StabilityStatus {
	if ts.RunningCount == ts.ComputedDesiredCount && ts.PendingCount == 0 {
		return ecstypes.StabilityStatusSteadyState
	}
	return ecstypes.StabilityStatusStabilizing
}

// newTaskSet resolves and stores a new task set of svc: the task definition
// and launch as RunTask resolves them, the load balancers as CreateService
// checks them.
func (a *API) newTaskSet(tx store.Tx, sc model.Scope, cluster string, svc *ecstypes.Service, in *ecstypes.CreateTaskSetRequest, status string) (state.TaskSetRecord, error) {
	if in.TaskDefinition == nil || derefStr(in.TaskDefinition) == "" {
		return state.TaskSetRecord{}, invalidParam("taskDefinition is required.")
	}
	if len(in.LoadBalancers) > 1 {
		return state.TaskSetRecord{}, invalidParam("CreateTaskSet cannot have more than 1 load balancer.")
	}
	scale, err := checkScale(in.Scale)
	if err != nil {
		return state.TaskSetRecord{}, err
	}
	run := &ecstypes.RunTaskRequest{Cluster: in.Cluster, TaskDefinition: in.TaskDefinition, LaunchType: in.LaunchType,
		CapacityProviderStrategy: in.CapacityProviderStrategy, NetworkConfiguration: in.NetworkConfiguration, Tags: in.Tags}
	l, err := a.resolveLaunch(tx, sc, cluster, run, 1)
	if err != nil {
		return state.TaskSetRecord{}, err
	}
	if err := checkLoadBalancers(tx, l.Definition, in.LoadBalancers); err != nil {
		return state.TaskSetRecord{}, err
	}
	now := shape.TimeOf(a.Now())
	id := model.NewDeploymentID()
	name := derefStr(svc.ServiceName)
	ts := ecstypes.TaskSet{
		Id:                       new(id),
		TaskSetArn:               new(state.TaskSetARN(sc, cluster, name, id)),
		ServiceArn:               svc.ServiceArn,
		ClusterArn:               svc.ClusterArn,
		ExternalId:               in.ExternalId,
		Status:                   new(status),
		TaskDefinition:           l.Definition.TaskDefinitionArn,
		ComputedDesiredCount:     state.ComputedDesiredCount(scale, svc.DesiredCount),
		CreatedAt:                now,
		UpdatedAt:                now,
		LaunchType:               l.LaunchType,
		CapacityProviderStrategy: in.CapacityProviderStrategy,
		NetworkConfiguration:     in.NetworkConfiguration,
		LoadBalancers:            awsapi.OrEmpty(in.LoadBalancers),
		ServiceRegistries:        awsapi.OrEmpty(in.ServiceRegistries),
		Scale:                    scale,
		StabilityStatusAt:        now,
		Tags:                     awsapi.OrEmpty(in.Tags),
	}
	if len(in.CapacityProviderStrategy) > 0 {
		ts.LaunchType = ""
	}
	if l.LaunchType == ecstypes.LaunchTypeFargate {
		ts.PlatformVersion, ts.PlatformFamily = new("LATEST"), new("Linux")
		if in.PlatformVersion != nil {
			ts.PlatformVersion = in.PlatformVersion
		}
	}
	ts.StabilityStatus = stability(&ts)
	rec := state.TaskSetRecord{TaskSet: ts, Definition: l.Definition, ClientToken: derefStr(in.ClientToken)}
	return rec, store.Put(tx, state.TaskSetKey(sc, cluster, name, id), rec)
}

// CreateTaskSet adds a task set to an EXTERNAL (or CODE_DEPLOY) service. It
// starts ACTIVE; UpdateServicePrimaryTaskSet makes a set PRIMARY.
func (a *API) CreateTaskSet(ctx context.Context, in *ecstypes.CreateTaskSetRequest) (*ecstypes.CreateTaskSetResponse, error) {
	if err := a.checkPassRole(ctx, derefStr(in.TaskDefinition), nil); err != nil {
		return nil, err
	}
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	var out ecstypes.TaskSet
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key, svc, err := taskSetService(tx, sc, cluster, derefStr(in.Service))
		if err != nil {
			return err
		}
		name := derefStr(svc.Service.ServiceName)
		sets, err := state.ListTaskSets(tx, sc, cluster, name)
		if err != nil {
			return err
		}
		if tok := derefStr(in.ClientToken); tok != "" {
			if i := slices.IndexFunc(sets, func(r state.TaskSetRecord) bool { return r.ClientToken == tok }); i >= 0 {
				out = sets[i].TaskSet
				return nil
			}
		}
		if len(sets) >= maxTaskSets {
			return invalidParam("%d deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.", len(sets))
		}
		rec, err := a.newTaskSet(tx, sc, cluster, &svc.Service, in, state.TaskSetActive)
		if err != nil {
			return err
		}
		out = rec.TaskSet
		return a.putTaskSetService(tx, sc, cluster, key, &svc)
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.CreateTaskSetResponse{TaskSet: &out}, nil
}

// putTaskSetService refreshes a service's view of its task sets and
// stores it.
func (a *API) putTaskSetService(tx store.Tx, sc model.Scope, cluster, key string, rec *model.ServiceRecord) error {
	if err := state.SyncServiceTaskSets(tx, sc, cluster, rec); err != nil {
		return err
	}
	return store.Put(tx, key, *rec)
}

// DescribeTaskSets describes a service's task sets (all of them when none
// is named); unknown ones are MISSING failures.
func (a *API) DescribeTaskSets(ctx context.Context, in *ecstypes.DescribeTaskSetsRequest) (*ecstypes.DescribeTaskSetsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	out := &ecstypes.DescribeTaskSetsResponse{TaskSets: []ecstypes.TaskSet{}, Failures: []ecstypes.Failure{}}
	tags := slices.Contains(in.Include, ecstypes.TaskSetFieldTags)
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		_, svc, err := loadService(tx, sc, cluster, state.LastSegment(derefStr(in.Service)))
		if err != nil {
			return err
		}
		if !state.UsesTaskSets(&svc.Service) {
			return invalidParam("Amazon ECS only supports task set management on services configured to use external deployment controllers.")
		}
		name := derefStr(svc.Service.ServiceName)
		var recs []state.TaskSetRecord
		if len(in.TaskSets) == 0 {
			if recs, err = state.ListTaskSets(tx, sc, cluster, name); err != nil {
				return err
			}
		}
		for _, ref := range in.TaskSets {
			_, rec, err := loadTaskSet(tx, sc, cluster, name, ref)
			if _, isAPI := awsapi.AsError(err); isAPI {
				arn := ref
				if _, ok := model.ParseARN(ref); !ok {
					arn = state.TaskSetARN(sc, cluster, name, ref)
				}
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(arn), Reason: new("MISSING")})
				continue
			}
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		for _, r := range recs {
			ts := r.TaskSet
			if !tags {
				ts.Tags = nil
			}
			out.TaskSets = append(out.TaskSets, ts)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateTaskSet changes a task set's scale, the one thing it can change.
func (a *API) UpdateTaskSet(ctx context.Context, in *ecstypes.UpdateTaskSetRequest) (*ecstypes.UpdateTaskSetResponse, error) {
	scale, err := checkScale(in.Scale)
	if err != nil {
		return nil, err
	}
	cluster := model.ClusterName(derefStr(in.Cluster))
	out, err := a.changeTaskSet(ctx, cluster, derefStr(in.Service), derefStr(in.TaskSet), func(ts *ecstypes.TaskSet, svc *model.ServiceRecord) error {
		if derefStr(ts.Status) == state.TaskSetDraining {
			return invalidParam("The task set %s is being deleted (DRAINING) and cannot be updated.", derefStr(ts.Id))
		}
		ts.Scale = scale
		ts.ComputedDesiredCount = state.ComputedDesiredCount(scale, svc.Service.DesiredCount)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.UpdateTaskSetResponse{TaskSet: out}, nil
}

// setStability refreshes a set's stability after a change, with its time.
func setStability(ts *ecstypes.TaskSet, now time.Time) {
	st := stability(ts)
	at := shape.TimeOf(now)
	ts.UpdatedAt = at
	if st != ts.StabilityStatus {
		ts.StabilityStatus, ts.StabilityStatusAt = st, at
	}
}

// UpdateServicePrimaryTaskSet makes a task set PRIMARY (the former primary
// turns ACTIVE); the service then shows the primary's task definition,
// launch and load balancers as its own.
func (a *API) UpdateServicePrimaryTaskSet(ctx context.Context, in *ecstypes.UpdateServicePrimaryTaskSetRequest) (*ecstypes.UpdateServicePrimaryTaskSetResponse, error) {
	cluster := model.ClusterName(derefStr(in.Cluster))
	out, err := a.changeTaskSetService(ctx, cluster, derefStr(in.Service), func(tx store.Tx, sc model.Scope, name string, _ *model.ServiceRecord) (out ecstypes.TaskSet, err error) {
		_, target, err := loadTaskSet(tx, sc, cluster, name, derefStr(in.PrimaryTaskSet))
		if err != nil {
			return out, err
		}
		if derefStr(target.TaskSet.Status) == state.TaskSetDraining {
			return out, invalidParam("The task set %s is being deleted (DRAINING) and cannot become the primary task set.", derefStr(target.TaskSet.Id))
		}
		sets, err := state.ListTaskSets(tx, sc, cluster, name)
		if err != nil {
			return out, err
		}
		now := shape.TimeOf(a.Now())
		for _, r := range sets {
			ts := &r.TaskSet
			was := derefStr(ts.Status)
			switch {
			case derefStr(ts.Id) == derefStr(target.TaskSet.Id):
				ts.Status = new(state.TaskSetPrimary)
				out = *ts
			case was == state.TaskSetPrimary:
				ts.Status = new(state.TaskSetActive)
			}
			if derefStr(ts.Status) != was {
				ts.UpdatedAt = now
				if err := store.Put(tx, state.TaskSetKey(sc, cluster, name, derefStr(ts.Id)), r); err != nil {
					return out, err
				}
			}
		}
		if out.Id == nil { // already primary
			out = target.TaskSet
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.UpdateServicePrimaryTaskSetResponse{TaskSet: out}, nil
}

// DeleteTaskSet turns a task set DRAINING: the controller deregisters and
// stops its tasks, then removes it. Unless force is set it must be scaled
// to 0 first.
func (a *API) DeleteTaskSet(ctx context.Context, in *ecstypes.DeleteTaskSetRequest) (*ecstypes.DeleteTaskSetResponse, error) {
	cluster := model.ClusterName(derefStr(in.Cluster))
	out, err := a.changeTaskSet(ctx, cluster, derefStr(in.Service), derefStr(in.TaskSet), func(ts *ecstypes.TaskSet, _ *model.ServiceRecord) error {
		if !shape.Deref(in.Force) && ts.Scale != nil && ts.Scale.Value > 0 && derefStr(ts.Status) != state.TaskSetDraining {
			return invalidParam("The task set %s cannot be deleted while it is scaled above 0: update its scale to 0 first, or pass force.", derefStr(ts.Id))
		}
		ts.Status = new(state.TaskSetDraining)
		ts.ComputedDesiredCount = 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.DeleteTaskSetResponse{TaskSet: out}, nil
}

// changeTaskSetService runs change in one write transaction on the
// service a task set call names, then stores the service with its view of
// its task sets refreshed; change returns the task set the call answers
// with.
func (a *API) changeTaskSetService(ctx context.Context, cluster, service string, change func(tx store.Tx, sc model.Scope, name string, svc *model.ServiceRecord) (ecstypes.TaskSet, error)) (*ecstypes.TaskSet, error) {
	sc := awsapi.ScopeOf(ctx)
	var out ecstypes.TaskSet
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key, svc, err := taskSetService(tx, sc, cluster, service)
		if err != nil {
			return err
		}
		if out, err = change(tx, sc, derefStr(svc.Service.ServiceName), &svc); err != nil {
			return err
		}
		return a.putTaskSetService(tx, sc, cluster, key, &svc)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// changeTaskSet applies change to the task set ref of a service and stores
// it, its stability refreshed, with the service.
func (a *API) changeTaskSet(ctx context.Context, cluster, service, ref string, change func(ts *ecstypes.TaskSet, svc *model.ServiceRecord) error) (*ecstypes.TaskSet, error) {
	return a.changeTaskSetService(ctx, cluster, service, func(tx store.Tx, sc model.Scope, name string, svc *model.ServiceRecord) (ecstypes.TaskSet, error) {
		tsKey, rec, err := loadTaskSet(tx, sc, cluster, name, ref)
		if err != nil {
			return ecstypes.TaskSet{}, err
		}
		ts := &rec.TaskSet
		if err := change(ts, svc); err != nil {
			return ecstypes.TaskSet{}, err
		}
		setStability(ts, a.Now())
		return *ts, store.Put(tx, tsKey, rec)
	})
}

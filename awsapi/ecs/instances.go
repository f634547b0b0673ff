package ecs

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Container instance status values.
const (
	instanceActive   = "ACTIVE"
	instanceDraining = "DRAINING"
	instanceInactive = "INACTIVE"
)

// autoJoinAttribute marks the container instances the embedded agent of
// `wharf up` registers by itself in every cluster; DeleteCluster removes
// them rather than refusing, since the user never registered them.
const autoJoinAttribute = "wharf.auto-join"

func instanceID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// RegisterContainerInstance registers a host in a cluster, or re-registers
// it (same ARN) when containerInstanceArn is given. Registering in the
// default cluster creates it, as ECS does.
func (a *API) RegisterContainerInstance(ctx context.Context, in *ecstypes.RegisterContainerInstanceRequest) (*ecstypes.RegisterContainerInstanceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	cpu, mem := state.ResourceInt(in.TotalResources, "CPU"), state.ResourceInt(in.TotalResources, "MEMORY")
	if cpu <= 0 || mem <= 0 {
		return nil, invalidParam("totalResources must include CPU and MEMORY (INTEGER) greater than 0.")
	}
	var out ecstypes.ContainerInstance
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		c, ok, err := store.Get[ecstypes.Cluster](tx, state.ClusterKey(sc, name))
		if err != nil {
			return err
		}
		if !ok || derefStr(c.Status) != clusterActive {
			if name != model.DefaultCluster {
				return clusterNotFound(name)
			}
			if _, err := a.createClusterTx(tx, sc, &ecstypes.CreateClusterRequest{}); err != nil {
				return err
			}
		}
		node := state.NodeOf(in.Attributes)
		if err := state.NoteAlive(tx, node, a.Now()); err != nil {
			return err
		}
		out, err = state.RegisterInstance(tx, sc, name, in, node, a.Now())
		return err
	})
	if err != nil {
		return nil, stateErr(err)
	}
	out.RemainingResources = out.RegisteredResources
	return &ecstypes.RegisterContainerInstanceResponse{ContainerInstance: &out}, nil
}

// findInstance resolves a container instance reference (ARN or id).
func findInstance(tx store.ReadTx, sc model.Scope, cluster, ref string) (state.InstanceRecord, bool, error) {
	return store.Get[state.InstanceRecord](tx, state.InstanceKey(sc, cluster, instanceID(ref)))
}

// DescribeContainerInstances describes up to 100 container instances with
// their remaining resources and task counts.
func (a *API) DescribeContainerInstances(ctx context.Context, in *ecstypes.DescribeContainerInstancesRequest) (*ecstypes.DescribeContainerInstancesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	out := &ecstypes.DescribeContainerInstancesResponse{ContainerInstances: []ecstypes.ContainerInstance{}, Failures: []ecstypes.Failure{}}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		return describeInCluster(tx, sc, name, in.ContainerInstances, "Container instance cannot be empty.", "containerInstances", &out.ContainerInstances, &out.Failures,
			func(ref string) (state.InstanceRecord, bool, error) { return findInstance(tx, sc, name, ref) },
			func(ref string) string { return sc.ContainerInstanceARN(name, instanceID(ref)) },
			func(rec state.InstanceRecord) (ecstypes.ContainerInstance, error) {
				ci, err := a.presentInstance(tx, sc, name, rec)
				ci.Tags = tagsIf(in.Include, ecstypes.ContainerInstanceFieldTags, ci.Tags)
				return ci, err
			})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// describeInCluster is the body of the Describe calls that name up to 100
// resources of one cluster. As ECS does, it checks the cluster before the
// list (a missing cluster with nothing named is ClusterNotFoundException),
// then refuses an empty list (emptyMsg) and one of more than 100 (field
// names the request member); each reference found is added to items as
// present makes it, the others are MISSING failures naming the ARN arn
// gives.
func describeInCluster[R, T any](tx store.ReadTx, sc model.Scope, cluster string, refs []string, emptyMsg, field string,
	items *[]T, failures *[]ecstypes.Failure,
	find func(ref string) (R, bool, error), arn func(ref string) string, present func(R) (T, error)) error {
	if err := requireCluster(tx, sc, cluster); err != nil {
		return err
	}
	if len(refs) == 0 {
		return invalidParam("%s", emptyMsg)
	}
	if len(refs) > 100 {
		return invalidParam("%s can have at most 100 entries, got %d.", field, len(refs))
	}
	for _, ref := range refs {
		rec, ok, err := find(ref)
		if err != nil {
			return err
		}
		if !ok {
			*failures = append(*failures, ecstypes.Failure{Arn: new(arn(ref)), Reason: new("MISSING")})
			continue
		}
		item, err := present(rec)
		if err != nil {
			return err
		}
		*items = append(*items, item)
	}
	return nil
}

// tagsIf is tags when include asks for the tags field, else empty: the
// Describe calls return tags only when asked.
func tagsIf[F comparable](include []F, field F, tags []ecstypes.Tag) []ecstypes.Tag {
	if !slices.Contains(include, field) {
		return []ecstypes.Tag{}
	}
	return tags
}

// presentInstance fills what is derived at read time: the agent's
// connection, remaining resources and task counts.
func (a *API) presentInstance(tx store.ReadTx, sc model.Scope, cluster string, rec state.InstanceRecord) (ecstypes.ContainerInstance, error) {
	ci := rec.Instance
	connected, err := state.NodeConnected(tx, rec.NodeID, a.Now())
	if err != nil {
		return ci, err
	}
	ci.AgentConnected = connected && derefStr(ci.Status) != instanceInactive
	usage, err := state.InstanceUsage(tx, sc, cluster, derefStr(ci.ContainerInstanceArn))
	if err != nil {
		return ci, err
	}
	ci.RunningTasksCount, ci.PendingTasksCount = int32(usage.Running), int32(usage.Pending)
	ci.RemainingResources = state.Remaining(ci.RegisteredResources, usage)
	return ci, nil
}

func requireCluster(tx store.ReadTx, sc model.Scope, name string) error {
	return stateErr(state.RequireCluster(tx, sc, name))
}

// ListContainerInstances lists instance ARNs, optionally by status and by a
// cluster query language filter.
func (a *API) ListContainerInstances(ctx context.Context, in *ecstypes.ListContainerInstancesRequest) (*ecstypes.ListContainerInstancesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	c, size, err := openPage("container-instances", in.NextToken, in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	// A bad filter is answered after a missing cluster, as before paging
	// read it per record.
	var expr *scheduler.Expression
	var badFilter error
	if f := derefStr(in.Filter); f != "" {
		if expr, err = scheduler.ParseExpression(f); err != nil {
			badFilter = invalidParam("Invalid filter %q: %v", f, err)
		}
	}
	keep := func(r *state.InstanceRecord) bool {
		st := derefStr(r.Instance.Status)
		if in.Status == "" && st == instanceInactive || in.Status != "" && string(in.Status) != st {
			return false
		}
		return expr == nil || expr.Matches(scheduler.InstanceFromECS(r.Instance))
	}
	var recs []state.InstanceRecord
	var next *string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		if badFilter != nil {
			return badFilter
		}
		recs, next, err = awsapi.StorePage(tx, state.InstancesPrefix(sc, name), "", c, size, keep)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ecstypes.ListContainerInstancesResponse{ContainerInstanceArns: []string{}, NextToken: next}
	for _, r := range recs {
		out.ContainerInstanceArns = append(out.ContainerInstanceArns, *r.Instance.ContainerInstanceArn)
	}
	return out, nil
}

// DeregisterContainerInstance removes an instance from its cluster. With
// tasks still on it, ECS refuses unless force is set; the tasks are then
// left to their services to replace.
func (a *API) DeregisterContainerInstance(ctx context.Context, in *ecstypes.DeregisterContainerInstanceRequest) (*ecstypes.DeregisterContainerInstanceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	var out ecstypes.ContainerInstance
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		rec, ok, err := findInstance(tx, sc, name, *in.ContainerInstance)
		if err != nil {
			return err
		}
		if !ok || derefStr(rec.Instance.Status) == instanceInactive {
			return invalidParam("Container instance %s is not registered in cluster %s.", *in.ContainerInstance, name)
		}
		usage, err := state.InstanceUsage(tx, sc, name, *rec.Instance.ContainerInstanceArn)
		if err != nil {
			return err
		}
		if usage.Running+usage.Pending > 0 && !shape.Deref(in.Force) {
			return invalidParam("The container instance has %d task(s) that are not stopped. Stop them, or pass force to deregister anyway.", usage.Running+usage.Pending)
		}
		rec.Instance.Status = new(instanceInactive)
		rec.Instance.AgentConnected = false
		rec.Instance.Version++
		out = rec.Instance
		return store.Put(tx, state.InstanceKey(sc, name, instanceID(*rec.Instance.ContainerInstanceArn)), rec)
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.DeregisterContainerInstanceResponse{ContainerInstance: &out}, nil
}

// DiscoverPollEndpoint tells an agent where to poll: this same server.
func (a *API) DiscoverPollEndpoint(ctx context.Context, in *ecstypes.DiscoverPollEndpointRequest) (*ecstypes.DiscoverPollEndpointResponse, error) {
	ep := awsapiEndpoint(ctx)
	return &ecstypes.DiscoverPollEndpointResponse{Endpoint: new(ep), TelemetryEndpoint: new(ep), ServiceConnectEndpoint: new(ep)}, nil
}

// joinWait bounds how long RunTask waits for connected agents to join a
// cluster that has no container instance yet.
const joinWait = 5 * time.Second

// awaitInstances waits, when cluster has no container instance but agents
// are connected, until one joins or joinWait passes. The embedded agent
// joins a new cluster within milliseconds of its creation; without this, a
// RunTask right after CreateCluster would race it.
func (a *API) awaitInstances(ctx context.Context, sc model.Scope, cluster string) {
	var rev int64
	need := false
	_ = a.DB.View(ctx, func(tx store.ReadTx) error {
		rev = tx.Rev()
		kvs, err := tx.List(state.InstancesPrefix(sc, cluster), "", 1)
		if err != nil || len(kvs) > 0 {
			return err
		}
		nodes, err := store.List[state.NodeRecord](tx, state.NodesPrefix)
		for _, n := range nodes {
			need = need || a.Now().Sub(n.LastSeen) < state.HeartbeatTimeout
		}
		return err
	})
	if !need {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, joinWait)
	defer cancel()
	w, err := a.DB.Watch(ctx, state.InstancesPrefix(sc, cluster), rev)
	if err != nil {
		return
	}
	for range w.C {
		return
	}
}

package ecs

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Cluster status values as ECS reports them.
const (
	clusterActive   = "ACTIVE"
	clusterInactive = "INACTIVE"
)

// CreateCluster creates a cluster, or returns the existing ACTIVE cluster of
// that name unchanged, as ECS does (CreateCluster is idempotent).
func (a *API) CreateCluster(ctx context.Context, in *ecstypes.CreateClusterRequest) (*ecstypes.CreateClusterResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	var out ecstypes.Cluster
	_, err := a.DB.Update(ctx, func(tx store.Tx) (err error) {
		out, err = a.createClusterTx(tx, sc, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.CreateClusterResponse{Cluster: &out}, nil
}

func (a *API) createClusterTx(tx store.Tx, sc model.Scope, in *ecstypes.CreateClusterRequest) (ecstypes.Cluster, error) {
	name := model.DefaultCluster
	if in.ClusterName != nil {
		name = *in.ClusterName
	}
	if !model.ValidName(name) {
		return ecstypes.Cluster{}, invalidParam("Invalid cluster name %q: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", name)
	}
	if err := validateTags(in.Tags); err != nil {
		return ecstypes.Cluster{}, err
	}
	if err := validateClusterSettings(in.Settings); err != nil {
		return ecstypes.Cluster{}, err
	}
	c, ok, err := store.Get[ecstypes.Cluster](tx, state.ClusterKey(sc, name))
	if err != nil {
		return c, err
	}
	if ok && derefStr(c.Status) == clusterActive {
		st, err := countCluster(tx, sc, name)
		return presentCluster(c, st, createdFields), err
	}
	insights, err := effectiveSetting(tx, sc, "", ecstypes.SettingNameContainerInsights)
	if err != nil {
		return c, err
	}
	c = ecstypes.Cluster{
		ClusterArn:                      new(sc.ClusterARN(name)),
		ClusterName:                     new(name),
		Status:                          new(clusterActive),
		Configuration:                   in.Configuration,
		Tags:                            awsapi.OrEmpty(in.Tags),
		Settings:                        mergeClusterSettings([]ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: new(insights)}}, in.Settings),
		CapacityProviders:               awsapi.OrEmpty(in.CapacityProviders),
		DefaultCapacityProviderStrategy: awsapi.OrEmpty(in.DefaultCapacityProviderStrategy),
	}
	if in.ServiceConnectDefaults != nil {
		c.ServiceConnectDefaults = &ecstypes.ClusterServiceConnectDefaults{Namespace: in.ServiceConnectDefaults.Namespace}
	}
	if err := validateCapacityProviders(tx, sc, name, c.CapacityProviders, c.DefaultCapacityProviderStrategy); err != nil {
		return c, err
	}
	if err := store.Put(tx, state.ClusterKey(sc, name), c); err != nil {
		return c, err
	}
	if err := tx.Put(state.ActiveClusterKey(*c.ClusterArn), []byte(state.ClusterKey(sc, name))); err != nil {
		return c, err
	}
	if err := tx.Delete(state.InactiveClusterKey(*c.ClusterArn)); err != nil {
		return c, err
	}
	return presentCluster(c, clusterCounts{}, createdFields), nil
}

// createdFields are what CreateCluster reports of the cluster it made.
var createdFields = []ecstypes.ClusterField{ecstypes.ClusterFieldTags, ecstypes.ClusterFieldSettings, ecstypes.ClusterFieldConfigurations}

// DescribeClusters describes up to 100 clusters (the default cluster when
// none is named); unknown ones are failures with reason MISSING.
func (a *API) DescribeClusters(ctx context.Context, in *ecstypes.DescribeClustersRequest) (*ecstypes.DescribeClustersResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{model.DefaultCluster}
	}
	if len(refs) > 100 {
		return nil, invalidParam("clusters can have at most 100 entries, got %d.", len(refs))
	}
	out := &ecstypes.DescribeClustersResponse{Clusters: []ecstypes.Cluster{}, Failures: []ecstypes.Failure{}}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		for _, ref := range refs {
			name := model.ClusterName(ref)
			c, ok, err := store.Get[ecstypes.Cluster](tx, state.ClusterKey(sc, name))
			if err != nil {
				return err
			}
			if !ok {
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(sc.ClusterARN(name)), Reason: new("MISSING")})
				continue
			}
			st, err := countCluster(tx, sc, name)
			if err != nil {
				return err
			}
			out.Clusters = append(out.Clusters, presentCluster(c, st, in.Include))
		}
		return nil
	})
	if err != nil {
		return nil, internal("describe clusters", err)
	}
	return out, nil
}

// ListClusters lists cluster ARNs in name order: the ACTIVE clusters and,
// as ECS does, the deleted (INACTIVE) ones until they are reaped.
func (a *API) ListClusters(ctx context.Context, in *ecstypes.ListClustersRequest) (*ecstypes.ListClustersResponse, error) {
	c, size, err := openPage("clusters", in.NextToken, in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	items, next, err := awsapi.ViewPage[ecstypes.Cluster](ctx, a.DB, state.ClustersPrefix(awsapi.ScopeOf(ctx)), "", c, size, nil)
	if err != nil {
		return nil, internal("list clusters", err)
	}
	out := &ecstypes.ListClustersResponse{ClusterArns: []string{}, NextToken: next}
	for _, c := range items {
		out.ClusterArns = append(out.ClusterArns, *c.ClusterArn)
	}
	return out, nil
}

// UpdateCluster changes a cluster's settings, configuration and Service
// Connect defaults.
func (a *API) UpdateCluster(ctx context.Context, in *ecstypes.UpdateClusterRequest) (*ecstypes.UpdateClusterResponse, error) {
	if err := validateClusterSettings(in.Settings); err != nil {
		return nil, err
	}
	c, err := a.updateCluster(ctx, *in.Cluster, func(c *ecstypes.Cluster) error {
		c.Settings = mergeClusterSettings(c.Settings, in.Settings)
		if in.Configuration != nil {
			c.Configuration = in.Configuration
		}
		if in.ServiceConnectDefaults != nil {
			c.ServiceConnectDefaults = &ecstypes.ClusterServiceConnectDefaults{Namespace: in.ServiceConnectDefaults.Namespace}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.UpdateClusterResponse{Cluster: c}, nil
}

// UpdateClusterSettings changes a cluster's settings (containerInsights).
func (a *API) UpdateClusterSettings(ctx context.Context, in *ecstypes.UpdateClusterSettingsRequest) (*ecstypes.UpdateClusterSettingsResponse, error) {
	if err := validateClusterSettings(in.Settings); err != nil {
		return nil, err
	}
	c, err := a.updateCluster(ctx, *in.Cluster, func(c *ecstypes.Cluster) error {
		c.Settings = mergeClusterSettings(c.Settings, in.Settings)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.UpdateClusterSettingsResponse{Cluster: c}, nil
}

// PutClusterCapacityProviders replaces a cluster's capacity providers and
// default strategy.
func (a *API) PutClusterCapacityProviders(ctx context.Context, in *ecstypes.PutClusterCapacityProvidersRequest) (*ecstypes.PutClusterCapacityProvidersResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	c, err := a.updateClusterTx(ctx, *in.Cluster, func(tx store.ReadTx, c *ecstypes.Cluster) error {
		if err := validateCapacityProviders(tx, sc, *c.ClusterName, in.CapacityProviders, in.DefaultCapacityProviderStrategy); err != nil {
			return err
		}
		if err := checkProvidersRemovable(tx, sc, *c.ClusterName, c.CapacityProviders, in.CapacityProviders); err != nil {
			return err
		}
		c.CapacityProviders = awsapi.OrEmpty(in.CapacityProviders)
		c.DefaultCapacityProviderStrategy = awsapi.OrEmpty(in.DefaultCapacityProviderStrategy)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.PutClusterCapacityProvidersResponse{Cluster: c}, nil
}

// updateCluster applies change to an ACTIVE cluster in one transaction and
// returns it as the Update* calls present it.
func (a *API) updateCluster(ctx context.Context, ref string, change func(*ecstypes.Cluster) error) (*ecstypes.Cluster, error) {
	return a.updateClusterTx(ctx, ref, func(_ store.ReadTx, c *ecstypes.Cluster) error { return change(c) })
}

// activeCluster reads the ACTIVE cluster name; an INACTIVE or missing one
// is ClusterNotFoundException.
func activeCluster(tx store.ReadTx, sc model.Scope, name string) (ecstypes.Cluster, error) {
	c, ok, err := store.Get[ecstypes.Cluster](tx, state.ClusterKey(sc, name))
	if err != nil {
		return c, err
	}
	if !ok || derefStr(c.Status) != clusterActive {
		return c, clusterNotFound(name)
	}
	return c, nil
}

// updateClusterTx is updateCluster for a change that reads other records in
// the same transaction.
func (a *API) updateClusterTx(ctx context.Context, ref string, change func(store.ReadTx, *ecstypes.Cluster) error) (*ecstypes.Cluster, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(ref)
	var out ecstypes.Cluster
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		c, err := activeCluster(tx, sc, name)
		if err != nil {
			return err
		}
		if err := change(tx, &c); err != nil {
			return err
		}
		if err := store.Put(tx, state.ClusterKey(sc, name), c); err != nil {
			return err
		}
		st, err := countCluster(tx, sc, name)
		if err != nil {
			return err
		}
		out = presentCluster(c, st, []ecstypes.ClusterField{ecstypes.ClusterFieldSettings, ecstypes.ClusterFieldConfigurations})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCluster marks a cluster INACTIVE. ECS refuses while the cluster
// still has active services, tasks that have not stopped, or registered
// container instances.
func (a *API) DeleteCluster(ctx context.Context, in *ecstypes.DeleteClusterRequest) (*ecstypes.DeleteClusterResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(*in.Cluster)
	var out ecstypes.Cluster
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		c, err := activeCluster(tx, sc, name)
		if err != nil {
			return err
		}
		if err := a.releaseAutoJoined(tx, sc, name); err != nil {
			return err
		}
		st, err := countCluster(tx, sc, name)
		if err != nil {
			return err
		}
		switch {
		case st.activeServices > 0:
			return awsapi.Errorf(codeClusterContainsServices, "The Cluster cannot be deleted while Services are active.")
		case st.running+st.pending > 0:
			return awsapi.Errorf(codeClusterContainsTasks, "The Cluster cannot be deleted while Tasks are active.")
		case st.instances > 0:
			return awsapi.Errorf(codeClusterContainsInstances, "The Cluster cannot be deleted while Container Instances are active.")
		}
		c.Status = new(clusterInactive)
		out = presentCluster(c, st, nil)
		if err := tx.Delete(state.ActiveClusterKey(*c.ClusterArn)); err != nil {
			return err
		}
		if err := tx.Put(state.InactiveClusterKey(*c.ClusterArn), []byte(a.Now().UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		return store.Put(tx, state.ClusterKey(sc, name), c)
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.DeleteClusterResponse{Cluster: &out}, nil
}

// presentCluster fills a stored cluster's counts and drops what include
// does not ask for; lists ECS always returns are present even when empty.
func presentCluster(c ecstypes.Cluster, st clusterCounts, include []ecstypes.ClusterField) ecstypes.Cluster {
	c.RegisteredContainerInstancesCount = int32(st.instances)
	c.RunningTasksCount = int32(st.running)
	c.PendingTasksCount = int32(st.pending)
	c.ActiveServicesCount = int32(st.activeServices)
	c.Statistics = []ecstypes.KeyValuePair{}
	if slices.Contains(include, ecstypes.ClusterFieldStatistics) {
		c.Statistics = st.statistics()
	}
	c.Tags = tagsIf(include, ecstypes.ClusterFieldTags, c.Tags)
	if !slices.Contains(include, ecstypes.ClusterFieldSettings) {
		c.Settings = []ecstypes.ClusterSetting{}
	}
	if !slices.Contains(include, ecstypes.ClusterFieldConfigurations) {
		c.Configuration = nil
	}
	c.Tags = awsapi.OrEmpty(c.Tags)
	c.Settings = awsapi.OrEmpty(c.Settings)
	c.CapacityProviders = awsapi.OrEmpty(c.CapacityProviders)
	c.DefaultCapacityProviderStrategy = awsapi.OrEmpty(c.DefaultCapacityProviderStrategy)
	return c
}

// clusterCounts are the live figures DescribeClusters reports, by launch type.
type clusterCounts struct {
	instances, running, pending, activeServices int
	byType                                      map[string]int // e.g. "runningEC2TasksCount"
}

func (st clusterCounts) statistics() []ecstypes.KeyValuePair {
	names := []string{
		"runningEC2TasksCount", "runningFargateTasksCount", "runningExternalTasksCount",
		"pendingEC2TasksCount", "pendingFargateTasksCount", "pendingExternalTasksCount",
		"activeEC2ServiceCount", "activeFargateServiceCount", "activeExternalServiceCount",
		"drainingEC2ServiceCount", "drainingFargateServiceCount", "drainingExternalServiceCount",
	}
	out := make([]ecstypes.KeyValuePair, 0, len(names))
	for _, n := range names {
		out = append(out, ecstypes.KeyValuePair{Name: new(n), Value: new(strconv.Itoa(st.byType[n]))})
	}
	return out
}

// countCluster reads the cluster's tasks, services and container instances.
func countCluster(tx store.ReadTx, sc model.Scope, cluster string) (clusterCounts, error) {
	st := clusterCounts{byType: map[string]int{}}
	// Task counts come from the cluster's index record, not a scan.
	counts, err := state.ClusterTaskCounts(tx, sc, cluster)
	if err != nil {
		return st, err
	}
	for lt, n := range counts.Running {
		st.running += n
		st.byType["running"+launchTypeWord(ecstypes.LaunchType(lt))+"TasksCount"] += n
	}
	for lt, n := range counts.Pending {
		st.pending += n
		st.byType["pending"+launchTypeWord(ecstypes.LaunchType(lt))+"TasksCount"] += n
	}
	// Services and instances are read for the few fields counted only:
	// decoding whole records (events, attributes) is what made this slow.
	services, err := store.List[serviceHead](tx, state.ServicesPrefix(sc, cluster))
	if err != nil {
		return st, err
	}
	for _, rec := range services {
		s := rec.Service
		lt := launchTypeWord(s.LaunchType)
		switch derefStr(s.Status) {
		case "ACTIVE":
			st.activeServices++
			st.byType["active"+lt+"ServiceCount"]++
		case "DRAINING":
			st.activeServices++
			st.byType["draining"+lt+"ServiceCount"]++
		}
	}
	instances, err := store.List[instanceHead](tx, state.InstancesPrefix(sc, cluster))
	if err != nil {
		return st, err
	}
	for _, ci := range instances {
		if s := derefStr(ci.Instance.Status); s != instanceInactive && s != "DEREGISTERING" {
			st.instances++
		}
	}
	return st, nil
}

// serviceHead and instanceHead are the parts of a stored service or
// container instance record that countCluster reads.
type serviceHead struct {
	Service struct {
		Status     *string             `json:"status"`
		LaunchType ecstypes.LaunchType `json:"launchType"`
	} `json:"service"`
}

type instanceHead struct {
	Instance struct {
		Status *string `json:"status"`
	} `json:"instance"`
}

func launchTypeWord(lt ecstypes.LaunchType) string {
	switch lt {
	case ecstypes.LaunchTypeFargate:
		return "Fargate"
	case ecstypes.LaunchTypeExternal:
		return "External"
	}
	return "EC2"
}

func validateClusterSettings(settings []ecstypes.ClusterSetting) error {
	for _, s := range settings {
		switch v := derefStr(s.Value); v {
		case "enabled", "disabled", "enhanced":
		default:
			return invalidParam("Invalid value %q for cluster setting %s: use enabled, disabled or enhanced.", v, s.Name)
		}
	}
	return nil
}

// mergeClusterSettings overlays updates on current, by setting name.
func mergeClusterSettings(current, updates []ecstypes.ClusterSetting) []ecstypes.ClusterSetting {
	out := slices.Clone(current)
	for _, u := range updates {
		i := slices.IndexFunc(out, func(s ecstypes.ClusterSetting) bool { return s.Name == u.Name })
		if i >= 0 {
			out[i] = u
		} else {
			out = append(out, u)
		}
	}
	return awsapi.OrEmpty(out)
}

// releaseAutoJoined deregisters the container instances that the embedded
// agent joined to the cluster by itself, when they hold no tasks: they are
// wharf's doing, not the user's, and must not keep the cluster alive.
func (a *API) releaseAutoJoined(tx store.Tx, sc model.Scope, cluster string) error {
	recs, err := store.List[state.InstanceRecord](tx, state.InstancesPrefix(sc, cluster))
	if err != nil {
		return err
	}
	for _, rec := range recs {
		ci := rec.Instance
		if derefStr(ci.Status) == instanceInactive || !hasAttribute(ci.Attributes, autoJoinAttribute) {
			continue
		}
		usage, err := state.InstanceUsage(tx, sc, cluster, derefStr(ci.ContainerInstanceArn))
		if err != nil {
			return err
		}
		if usage.Running+usage.Pending > 0 {
			continue
		}
		rec.Instance.Status = new(instanceInactive)
		rec.Instance.Version++
		if err := store.Put(tx, state.InstanceKey(sc, cluster, instanceID(*ci.ContainerInstanceArn)), rec); err != nil {
			return err
		}
	}
	return nil
}

func hasAttribute(attrs []ecstypes.Attribute, name string) bool {
	return slices.ContainsFunc(attrs, func(at ecstypes.Attribute) bool { return derefStr(at.Name) == name })
}

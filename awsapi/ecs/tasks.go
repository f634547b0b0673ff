package ecs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// RunTask places and starts count tasks of a task definition.
func (a *API) RunTask(ctx context.Context, in *ecstypes.RunTaskRequest) (*ecstypes.RunTaskResponse, error) {
	count := 1
	if in.Count != nil {
		count = int(*in.Count)
	}
	if count < 1 || count > 10 {
		return nil, invalidParam("count must be between 1 and 10, got %d.", count)
	}
	if err := a.checkPassRole(ctx, derefStr(in.TaskDefinition), in.Overrides); err != nil {
		return nil, err
	}
	cluster := model.ClusterName(derefStr(in.Cluster))
	if in.LaunchType == ecstypes.LaunchTypeEc2 || in.LaunchType == "" && len(in.CapacityProviderStrategy) == 0 {
		a.awaitInstances(ctx, awsapi.ScopeOf(ctx), cluster)
	}
	tasks, failures, err := a.launch(ctx, cluster, in, count, nil)
	if err != nil {
		return nil, err
	}
	return &ecstypes.RunTaskResponse{Tasks: tasks, Failures: failures}, nil
}

// StartTask starts one task on each named container instance.
func (a *API) StartTask(ctx context.Context, in *ecstypes.StartTaskRequest) (*ecstypes.StartTaskResponse, error) {
	if len(in.ContainerInstances) == 0 {
		// As ECS, a missing cluster is reported before the empty list.
		if err := a.DB.View(ctx, func(tx store.ReadTx) error {
			return requireCluster(tx, awsapi.ScopeOf(ctx), model.ClusterName(derefStr(in.Cluster)))
		}); err != nil {
			return nil, err
		}
		return nil, clientError("Container Instances cannot be empty.")
	}
	if len(in.ContainerInstances) > 10 {
		return nil, invalidParam("containerInstances must name between 1 and 10 container instances, got %d.", len(in.ContainerInstances))
	}
	if err := a.checkPassRole(ctx, derefStr(in.TaskDefinition), in.Overrides); err != nil {
		return nil, err
	}
	run := &ecstypes.RunTaskRequest{
		Cluster: in.Cluster, TaskDefinition: in.TaskDefinition, Group: in.Group, StartedBy: in.StartedBy,
		Overrides: in.Overrides, NetworkConfiguration: in.NetworkConfiguration, Tags: in.Tags,
		EnableExecuteCommand: in.EnableExecuteCommand, EnableECSManagedTags: in.EnableECSManagedTags, PropagateTags: in.PropagateTags,
		LaunchType: ecstypes.LaunchTypeEc2,
	}
	tasks, failures, err := a.launch(ctx, model.ClusterName(derefStr(in.Cluster)), run, len(in.ContainerInstances), in.ContainerInstances)
	if err != nil {
		return nil, err
	}
	return &ecstypes.StartTaskResponse{Tasks: tasks, Failures: failures}, nil
}

// launchPlan is what launch decides on a snapshot and commits.
type launchPlan struct {
	l     *state.Launch
	p     state.Placement
	reads []state.Read // the cluster, the task definition, the chosen instances
	now   time.Time
	tasks []state.PreparedTask // the new tasks' records, encoded
}

// launch resolves and places tasks on a snapshot, then creates them in a
// short transaction that first checks that nothing the placement read has
// changed (and plans again if it has): the store's write lock is held for
// the writes only, not for reading the cluster's instances.
func (a *API) launch(ctx context.Context, cluster string, in *ecstypes.RunTaskRequest, count int, only []string) ([]ecstypes.Task, []ecstypes.Failure, error) {
	sc := awsapi.ScopeOf(ctx)
	plan := func(tx store.ReadTx) (launchPlan, error) {
		rtx := state.Recording(tx)
		l, err := a.resolveLaunch(rtx, sc, cluster, in, count)
		if err != nil {
			return launchPlan{}, err
		}
		now := a.Now()
		p, err := state.Place(tx, l, only, now)
		if err != nil {
			var inv *state.InvalidError
			if errors.As(err, &inv) {
				return launchPlan{}, invalidParam("%s", inv.Message)
			}
			return launchPlan{}, err
		}
		// The new records are built and encoded here, outside the write
		// lock; the commit writes them.
		lp := launchPlan{l: l, p: p, reads: append(rtx.Reads(), p.Reads...), now: now}
		for _, t := range p.Targets {
			pt, err := state.PrepareTask(l, t, now)
			if err != nil {
				return launchPlan{}, err
			}
			lp.tasks = append(lp.tasks, pt)
		}
		return lp, nil
	}
	commit := func(tx store.Tx, lp launchPlan) error {
		if err := state.CheckReads(tx, lp.reads); err != nil {
			return err
		}
		for _, pt := range lp.tasks {
			if err := state.PutNewTask(tx, lp.l.Scope, lp.l.Cluster, pt); err != nil {
				return err
			}
		}
		return nil
	}
	lp, _, err := store.Optimistic(ctx, a.DB, plan, commit)
	if err != nil {
		return nil, nil, err
	}
	tasks := make([]ecstypes.Task, 0, len(lp.tasks))
	for _, pt := range lp.tasks {
		tasks = append(tasks, pt.Record.Task)
	}
	return tasks, append([]ecstypes.Failure{}, lp.p.Failures...), nil
}

// resolveLaunch checks the request against the cluster and the task
// definition, and settles the launch type.
func (a *API) resolveLaunch(tx store.ReadTx, sc model.Scope, cluster string, in *ecstypes.RunTaskRequest, count int) (*state.Launch, error) {
	l := &state.Launch{Scope: sc, Cluster: cluster, Count: count, Group: derefStr(in.Group), StartedBy: derefStr(in.StartedBy),
		Overrides: in.Overrides, Network: in.NetworkConfiguration, Tags: in.Tags, EnableExecuteCommand: in.EnableExecuteCommand,
		Constraints: in.PlacementConstraints, Strategies: in.PlacementStrategy}
	c, err := activeCluster(tx, sc, cluster)
	if err != nil {
		return nil, err
	}
	rec, err := findTaskDef(tx, sc, *in.TaskDefinition)
	if err != nil {
		// RunTask, StartTask and the service calls word a missing task
		// definition differently from DescribeTaskDefinition.
		if e, isAPI := awsapi.AsError(err); isAPI && e.Message == msgTaskDefNotFound {
			return nil, clientError("%s", msgLaunchTaskDefNotFound)
		}
		return nil, err
	}
	if rec.TaskDefinition.Status != ecstypes.TaskDefinitionStatusActive && rec.TaskDefinition.Status != ecstypes.TaskDefinitionStatusInactive {
		return nil, invalidParam("TaskDefinition %s is being deleted.", *in.TaskDefinition)
	}
	l.Definition = rec.TaskDefinition
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return nil, invalidParam("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	switch {
	case in.LaunchType != "":
		l.LaunchType = in.LaunchType
	case len(in.CapacityProviderStrategy) > 0 || len(c.DefaultCapacityProviderStrategy) > 0:
		strategy := in.CapacityProviderStrategy
		if len(strategy) == 0 {
			strategy = c.DefaultCapacityProviderStrategy
		}
		if err := validateStrategy(strategy, c.CapacityProviders); err != nil {
			return nil, err
		}
		l.Provider = pickProvider(strategy)
		// An Auto Scaling group provider's tasks run on the cluster's
		// container instances, as EC2 tasks do.
		l.LaunchType = model.ProviderLaunchType(l.Provider)
	default:
		l.LaunchType = ecstypes.LaunchTypeEc2
	}
	if l.LaunchType == ecstypes.LaunchTypeExternal || l.LaunchType == ecstypes.LaunchTypeManagedInstances {
		return nil, invalidParam("launchType %s is not supported by wharf; use EC2 or FARGATE.", l.LaunchType)
	}
	if l.LaunchType == ecstypes.LaunchTypeFargate && !slices.Contains(l.Definition.Compatibilities, ecstypes.CompatibilityFargate) {
		return nil, invalidParam("Task definition does not support launch_type FARGATE.")
	}
	awsvpc := l.Definition.NetworkMode == ecstypes.NetworkModeAwsvpc
	if awsvpc && (in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration == nil) {
		return nil, invalidParam("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	if !awsvpc && in.NetworkConfiguration != nil {
		return nil, invalidParam("Network Configuration is not valid for the given networkMode of this task definition.")
	}
	if in.Overrides != nil {
		for _, co := range in.Overrides.ContainerOverrides {
			if !slices.ContainsFunc(l.Definition.ContainerDefinitions, func(cd ecstypes.ContainerDefinition) bool { return derefStr(cd.Name) == derefStr(co.Name) }) {
				return nil, invalidParam("Override for container named %s is not a container in the TaskDefinition.", derefStr(co.Name))
			}
		}
	}
	if len(derefStr(in.StartedBy)) > 128 {
		return nil, invalidParam("startedBy can be at most 128 characters.")
	}
	if len(derefStr(in.Group)) > 255 {
		return nil, invalidParam("group can be at most 255 characters.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	return l, nil
}

// pickProvider chooses a provider by the strategy's base and weights: the
// provider with a base gets the first task; otherwise the heaviest weight.
// (wharf runs both Fargate providers on the same hosts.)
func pickProvider(strategy []ecstypes.CapacityProviderStrategyItem) string {
	best := strategy[0]
	for _, it := range strategy {
		if it.Base > best.Base || it.Base == best.Base && it.Weight > best.Weight {
			best = it
		}
	}
	return derefStr(best.CapacityProvider)
}

// StopTask asks for a task to stop; the agent stops its containers, each
// with its stop timeout, and reports STOPPED.
func (a *API) StopTask(ctx context.Context, in *ecstypes.StopTaskRequest) (*ecstypes.StopTaskResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	reason := derefStr(in.Reason)
	if reason == "" {
		reason = "Task stopped by user"
	}
	if len(reason) > 255 {
		return nil, invalidParam("reason can be at most 255 characters.")
	}
	var out ecstypes.Task
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		rec, ok, err := state.FindTask(tx, sc, name, *in.Task)
		if err != nil {
			return err
		}
		if !ok {
			return invalidParam("The referenced task was not found.")
		}
		if err := state.RequestStop(tx, sc, name, &rec, ecstypes.TaskStopCodeUserInitiated, reason, a.Now()); err != nil {
			return err
		}
		out = rec.Task
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.StopTaskResponse{Task: &out}, nil
}

// DescribeTasks describes up to 100 tasks; unknown ones are MISSING.
func (a *API) DescribeTasks(ctx context.Context, in *ecstypes.DescribeTasksRequest) (*ecstypes.DescribeTasksResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	out := &ecstypes.DescribeTasksResponse{Tasks: []ecstypes.Task{}, Failures: []ecstypes.Failure{}}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		return describeInCluster(tx, sc, name, in.Tasks, "Tasks cannot be empty.", "tasks", &out.Tasks, &out.Failures,
			func(ref string) (model.TaskRecord, bool, error) { return state.FindTask(tx, sc, name, ref) },
			func(ref string) string { return sc.TaskARN(name, ref[strings.LastIndexByte(ref, '/')+1:]) },
			func(rec model.TaskRecord) (ecstypes.Task, error) {
				t := withExecAgent(rec.Task)
				t.Tags = tagsIf(in.Include, ecstypes.TaskFieldTags, t.Tags)
				return t, nil
			})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListTasks lists task ARNs with ECS's filters; by default the tasks whose
// desired status is RUNNING.
func (a *API) ListTasks(ctx context.Context, in *ecstypes.ListTasksRequest) (*ecstypes.ListTasksResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	size, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken("tasks", in.NextToken)
	if err != nil {
		return nil, err
	}
	if in.ServiceName != nil && in.Family != nil {
		return nil, invalidParam("family and serviceName cannot both be given.")
	}
	desired := string(in.DesiredStatus)
	if desired == "" {
		desired = state.DesiredRunning
	}
	// One page reads about one page of records (one more tells whether
	// another page follows), through the group index when a service is
	// named; the token is the last task's ARN, so ids sort as ARNs do.
	out := &ecstypes.ListTasksResponse{TaskArns: []string{}}
	var next string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		collect := func(r model.TaskRecord) (bool, error) {
			if !taskMatches(r, in, desired) {
				return true, nil
			}
			if len(out.TaskArns) == size {
				next = out.TaskArns[size-1]
				return false, nil
			}
			out.TaskArns = append(out.TaskArns, *r.Task.TaskArn)
			return true, nil
		}
		if in.ServiceName != nil {
			return state.ScanGroupTasks(tx, sc, name, "service:"+state.LastSegment(*in.ServiceName), state.LastSegment(after), collect)
		}
		return state.ScanTasks(tx, sc, name, state.LastSegment(after), collect)
	})
	if err != nil {
		return nil, err
	}
	if next != "" {
		out.NextToken = new(awsapi.PageToken("tasks", next))
	}
	return out, nil
}

func taskMatches(r model.TaskRecord, in *ecstypes.ListTasksRequest, desired string) bool {
	t := r.Task
	switch {
	case derefStr(t.DesiredStatus) != desired:
		// ECS accepts PENDING as a filter but never sets it as a desired status.
		return false
	case in.Family != nil && derefStr(r.Definition.Family) != *in.Family:
		return false
	case in.ServiceName != nil && derefStr(t.Group) != "service:"+state.LastSegment(*in.ServiceName):
		return false
	case in.StartedBy != nil && derefStr(t.StartedBy) != *in.StartedBy:
		return false
	case in.LaunchType != "" && t.LaunchType != in.LaunchType:
		return false
	case in.ContainerInstance != nil && instanceID(derefStr(t.ContainerInstanceArn)) != instanceID(*in.ContainerInstance):
		return false
	}
	return true
}

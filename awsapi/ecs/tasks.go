package ecs

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Desired status values.
const (
	desiredRunning = "RUNNING"
	desiredStopped = "STOPPED"
)

// launch is one RunTask or StartTask call, resolved.
type launch struct {
	sc         model.Scope
	cluster    string
	td         ecstypes.TaskDefinition
	launchType ecstypes.LaunchType
	provider   string // capacity provider name, when a strategy chose it
	count      int
	in         *ecstypes.RunTaskRequest
}

// RunTask places and starts count tasks of a task definition.
func (a *API) RunTask(ctx context.Context, in *ecstypes.RunTaskRequest) (*ecstypes.RunTaskResponse, error) {
	sc := scope(ctx)
	l := &launch{sc: sc, cluster: model.ClusterName(derefStr(in.Cluster)), in: in, count: 1}
	if in.Count != nil {
		l.count = int(*in.Count)
	}
	if l.count < 1 || l.count > 10 {
		return nil, invalidParam("count must be between 1 and 10, got %d.", l.count)
	}
	if in.LaunchType == ecstypes.LaunchTypeEc2 || in.LaunchType == "" && len(in.CapacityProviderStrategy) == 0 {
		a.awaitInstances(ctx, sc, l.cluster)
	}
	out := &ecstypes.RunTaskResponse{Tasks: []ecstypes.Task{}, Failures: []ecstypes.Failure{}}
	_, err := a.db.Update(ctx, func(tx store.Tx) error {
		if err := a.resolveLaunch(tx, l); err != nil {
			return err
		}
		targets, failures, err := a.placeTasks(tx, l, nil)
		if err != nil {
			return err
		}
		out.Failures = append(out.Failures, failures...)
		for _, t := range targets {
			task, err := a.createTask(tx, l, t)
			if err != nil {
				return err
			}
			out.Tasks = append(out.Tasks, task)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StartTask starts one task on each named container instance.
func (a *API) StartTask(ctx context.Context, in *ecstypes.StartTaskRequest) (*ecstypes.StartTaskResponse, error) {
	sc := scope(ctx)
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > 10 {
		return nil, invalidParam("containerInstances must name between 1 and 10 container instances, got %d.", len(in.ContainerInstances))
	}
	run := &ecstypes.RunTaskRequest{
		Cluster: in.Cluster, TaskDefinition: in.TaskDefinition, Group: in.Group, StartedBy: in.StartedBy,
		Overrides: in.Overrides, NetworkConfiguration: in.NetworkConfiguration, Tags: in.Tags,
		EnableExecuteCommand: in.EnableExecuteCommand, EnableECSManagedTags: in.EnableECSManagedTags, PropagateTags: in.PropagateTags,
		LaunchType: ecstypes.LaunchTypeEc2,
	}
	l := &launch{sc: sc, cluster: model.ClusterName(derefStr(in.Cluster)), in: run, count: len(in.ContainerInstances)}
	out := &ecstypes.StartTaskResponse{Tasks: []ecstypes.Task{}, Failures: []ecstypes.Failure{}}
	_, err := a.db.Update(ctx, func(tx store.Tx) error {
		if err := a.resolveLaunch(tx, l); err != nil {
			return err
		}
		targets, failures, err := a.placeTasks(tx, l, in.ContainerInstances)
		if err != nil {
			return err
		}
		out.Failures = append(out.Failures, failures...)
		for _, t := range targets {
			task, err := a.createTask(tx, l, t)
			if err != nil {
				return err
			}
			out.Tasks = append(out.Tasks, task)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// resolveLaunch checks the request against the cluster and the task
// definition, and settles the launch type.
func (a *API) resolveLaunch(tx store.ReadTx, l *launch) error {
	in := l.in
	c, ok, err := store.Get[ecstypes.Cluster](tx, clusterKey(l.sc, l.cluster))
	if err != nil {
		return err
	}
	if !ok || derefStr(c.Status) != clusterActive {
		return clusterNotFound(l.cluster)
	}
	rec, err := findTaskDef(tx, l.sc, *in.TaskDefinition)
	if err != nil {
		if _, isAPI := awsapi.AsError(err); isAPI {
			return invalidParam("TaskDefinition not found: %s", *in.TaskDefinition)
		}
		return err
	}
	if rec.TaskDefinition.Status != ecstypes.TaskDefinitionStatusActive && rec.TaskDefinition.Status != ecstypes.TaskDefinitionStatusInactive {
		return invalidParam("TaskDefinition %s is being deleted.", *in.TaskDefinition)
	}
	l.td = rec.TaskDefinition
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return invalidParam("Specifying both a launchType and capacityProviderStrategy is not supported.")
	}
	switch {
	case in.LaunchType != "":
		l.launchType = in.LaunchType
	case len(in.CapacityProviderStrategy) > 0 || len(c.DefaultCapacityProviderStrategy) > 0:
		strategy := in.CapacityProviderStrategy
		if len(strategy) == 0 {
			strategy = c.DefaultCapacityProviderStrategy
		}
		if err := validateStrategy(strategy, c.CapacityProviders); err != nil {
			return err
		}
		l.provider = pickProvider(strategy)
		l.launchType = ecstypes.LaunchTypeFargate
	default:
		l.launchType = ecstypes.LaunchTypeEc2
	}
	if l.launchType == ecstypes.LaunchTypeExternal {
		return invalidParam("launchType EXTERNAL is not supported by wharf; use EC2 or FARGATE.")
	}
	if l.launchType == ecstypes.LaunchTypeFargate && !slices.Contains(l.td.Compatibilities, ecstypes.CompatibilityFargate) {
		return clientError("Task definition does not support launch_type FARGATE.")
	}
	awsvpc := l.td.NetworkMode == ecstypes.NetworkModeAwsvpc
	if awsvpc && (in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration == nil) {
		return invalidParam("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	if !awsvpc && in.NetworkConfiguration != nil {
		return invalidParam("Network Configuration is not valid for the given networkMode of this task definition.")
	}
	if in.Overrides != nil {
		for _, co := range in.Overrides.ContainerOverrides {
			if !slices.ContainsFunc(l.td.ContainerDefinitions, func(cd ecstypes.ContainerDefinition) bool { return derefStr(cd.Name) == derefStr(co.Name) }) {
				return invalidParam("Override for container named %s is not a container in the TaskDefinition.", derefStr(co.Name))
			}
		}
	}
	if len(derefStr(in.StartedBy)) > 128 {
		return invalidParam("startedBy can be at most 128 characters.")
	}
	if len(derefStr(in.Group)) > 255 {
		return invalidParam("group can be at most 255 characters.")
	}
	return validateTags(in.Tags)
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

// target is where one task goes.
type target struct {
	node     string
	instance string // container instance ARN; "" for FARGATE
	az       string
}

// createTask writes a new task record, PROVISIONING with desired RUNNING,
// and assigns it to the target's node.
func (a *API) createTask(tx store.Tx, l *launch, t target) (ecstypes.Task, error) {
	id := newID()
	arn := l.sc.TaskARN(l.cluster, id)
	td := l.td
	now := shape.TimeOf(a.now())
	group := derefStr(l.in.Group)
	if group == "" {
		group = "family:" + derefStr(td.Family)
	}
	task := ecstypes.Task{
		TaskArn:              new(arn),
		ClusterArn:           new(l.sc.ClusterARN(l.cluster)),
		TaskDefinitionArn:    td.TaskDefinitionArn,
		LastStatus:           new(model.TaskProvisioning),
		DesiredStatus:        new(desiredRunning),
		LaunchType:           l.launchType,
		CreatedAt:            now,
		Group:                new(group),
		StartedBy:            l.in.StartedBy,
		Version:              1,
		Tags:                 orEmpty(l.in.Tags),
		Attributes:           []ecstypes.Attribute{},
		Attachments:          []ecstypes.Attachment{},
		EnableExecuteCommand: l.in.EnableExecuteCommand,
		Overrides:            overridesOf(l.in.Overrides, td),
		HealthStatus:         ecstypes.HealthStatusUnknown,
		AvailabilityZone:     new(t.az),
		Cpu:                  td.Cpu,
		Memory:               td.Memory,
	}
	if t.instance != "" {
		task.ContainerInstanceArn = new(t.instance)
	}
	if l.provider != "" {
		task.CapacityProviderName = new(l.provider)
	}
	if l.launchType == ecstypes.LaunchTypeFargate {
		task.PlatformVersion = new("1.4.0")
		task.PlatformFamily = new("Linux")
		task.Connectivity = ecstypes.ConnectivityConnected
		task.ConnectivityAt = now
		task.EphemeralStorage = &ecstypes.EphemeralStorage{SizeInGiB: 20}
	}
	if ov := l.in.Overrides; ov != nil {
		if ov.Cpu != nil {
			task.Cpu = ov.Cpu
		}
		if ov.Memory != nil {
			task.Memory = ov.Memory
		}
	}
	for _, cd := range td.ContainerDefinitions {
		c := ecstypes.Container{
			ContainerArn:      new(l.sc.ARN("container/" + l.cluster + "/" + id + "/" + newID())),
			TaskArn:           new(arn),
			Name:              cd.Name,
			Image:             cd.Image,
			LastStatus:        new("PENDING"),
			NetworkBindings:   []ecstypes.NetworkBinding{},
			NetworkInterfaces: []ecstypes.NetworkInterface{},
			HealthStatus:      ecstypes.HealthStatusUnknown,
			Cpu:               new(strconv.Itoa(int(cd.Cpu))),
		}
		if cd.Memory != nil {
			c.Memory = new(strconv.Itoa(int(*cd.Memory)))
		}
		if cd.MemoryReservation != nil {
			c.MemoryReservation = new(strconv.Itoa(int(*cd.MemoryReservation)))
		}
		task.Containers = append(task.Containers, c)
	}
	rec := model.TaskRecord{Task: task, Definition: td, NodeID: t.node, Network: l.in.NetworkConfiguration}
	if err := store.Put(tx, taskKey(l.sc, l.cluster, id), rec); err != nil {
		return task, err
	}
	if t.node != "" {
		if err := tx.Put(nodeTaskKey(t.node, arn), []byte(taskKey(l.sc, l.cluster, id))); err != nil {
			return task, err
		}
	}
	return task, nil
}

// overridesOf is the task's overrides as ECS reports them: one entry per
// container, named, even where nothing was overridden.
func overridesOf(in *ecstypes.TaskOverride, td ecstypes.TaskDefinition) *ecstypes.TaskOverride {
	out := &ecstypes.TaskOverride{InferenceAcceleratorOverrides: []ecstypes.InferenceAcceleratorOverride{}}
	if in != nil {
		cp := *in
		out = &cp
		out.InferenceAcceleratorOverrides = orEmpty(out.InferenceAcceleratorOverrides)
		out.ContainerOverrides = slices.Clone(in.ContainerOverrides)
	}
	for _, cd := range td.ContainerDefinitions {
		if !slices.ContainsFunc(out.ContainerOverrides, func(co ecstypes.ContainerOverride) bool { return derefStr(co.Name) == derefStr(cd.Name) }) {
			out.ContainerOverrides = append(out.ContainerOverrides, ecstypes.ContainerOverride{Name: cd.Name})
		}
	}
	return out
}

// lastSegment is the name or id at the end of an ARN, or ref itself.
func lastSegment(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

// findTask resolves a task reference (ARN or id) in a cluster.
func findTask(tx store.ReadTx, sc model.Scope, cluster, ref string) (model.TaskRecord, bool, error) {
	id := ref[strings.LastIndexByte(ref, '/')+1:]
	return store.Get[model.TaskRecord](tx, taskKey(sc, cluster, id))
}

// StopTask asks for a task to stop; the agent stops its containers, each
// with its stop timeout, and reports STOPPED.
func (a *API) StopTask(ctx context.Context, in *ecstypes.StopTaskRequest) (*ecstypes.StopTaskResponse, error) {
	sc := scope(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	reason := derefStr(in.Reason)
	if reason == "" {
		reason = "Task stopped by user"
	}
	if len(reason) > 255 {
		return nil, invalidParam("reason can be at most 255 characters.")
	}
	var out ecstypes.Task
	_, err := a.db.Update(ctx, func(tx store.Tx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		rec, ok, err := findTask(tx, sc, name, *in.Task)
		if err != nil {
			return err
		}
		if !ok {
			return invalidParam("The referenced task was not found: %s.", *in.Task)
		}
		if err := a.requestStop(tx, sc, name, &rec, ecstypes.TaskStopCodeUserInitiated, reason); err != nil {
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

// requestStop sets a task's desired status to STOPPED with a code and
// reason, once: a second stop keeps the first reason, as ECS does. A task
// no agent holds is stopped at once.
func (a *API) requestStop(tx store.Tx, sc model.Scope, cluster string, rec *model.TaskRecord, code ecstypes.TaskStopCode, reason string) error {
	t := &rec.Task
	if derefStr(t.DesiredStatus) == desiredStopped {
		return nil
	}
	t.DesiredStatus = new(desiredStopped)
	t.StopCode = code
	t.StoppedReason = new(reason)
	t.StoppingAt = shape.TimeOf(a.now())
	t.Version++
	if rec.NodeID == "" {
		a.markStopped(rec)
	}
	return a.putTask(tx, sc, cluster, rec)
}

// markStopped records a task as STOPPED with what it has.
func (a *API) markStopped(rec *model.TaskRecord) {
	t := &rec.Task
	t.LastStatus = new(model.TaskStopped)
	t.DesiredStatus = new(desiredStopped)
	t.StoppedAt = shape.TimeOf(a.now())
	if t.ExecutionStoppedAt.IsZero() {
		t.ExecutionStoppedAt = t.StoppedAt
	}
	for i := range t.Containers {
		if derefStr(t.Containers[i].LastStatus) != "STOPPED" {
			t.Containers[i].LastStatus = new("STOPPED")
		}
	}
}

// putTask writes a task record and keeps the node index in step: a task
// leaves its node's assignments once it is STOPPED.
func (a *API) putTask(tx store.Tx, sc model.Scope, cluster string, rec *model.TaskRecord) error {
	arn := derefStr(rec.Task.TaskArn)
	key := taskKey(sc, cluster, arn[strings.LastIndexByte(arn, '/')+1:])
	if err := store.Put(tx, key, rec); err != nil {
		return err
	}
	if rec.NodeID == "" {
		return nil
	}
	if derefStr(rec.Task.LastStatus) == model.TaskStopped {
		return tx.Delete(nodeTaskKey(rec.NodeID, arn))
	}
	// Rewriting the index entry wakes the node's long poll.
	return tx.Put(nodeTaskKey(rec.NodeID, arn), []byte(key))
}

// DescribeTasks describes up to 100 tasks; unknown ones are MISSING.
func (a *API) DescribeTasks(ctx context.Context, in *ecstypes.DescribeTasksRequest) (*ecstypes.DescribeTasksResponse, error) {
	sc := scope(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	if len(in.Tasks) == 0 {
		return nil, invalidParam("Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, invalidParam("tasks can have at most 100 entries, got %d.", len(in.Tasks))
	}
	out := &ecstypes.DescribeTasksResponse{Tasks: []ecstypes.Task{}, Failures: []ecstypes.Failure{}}
	err := a.db.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		for _, ref := range in.Tasks {
			rec, ok, err := findTask(tx, sc, name, ref)
			if err != nil {
				return err
			}
			if !ok {
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(sc.TaskARN(name, ref[strings.LastIndexByte(ref, '/')+1:])), Reason: new("MISSING")})
				continue
			}
			t := rec.Task
			if !slices.Contains(in.Include, ecstypes.TaskFieldTags) {
				t.Tags = []ecstypes.Tag{}
			}
			out.Tasks = append(out.Tasks, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListTasks lists task ARNs with ECS's filters; by default the tasks whose
// desired status is RUNNING.
func (a *API) ListTasks(ctx context.Context, in *ecstypes.ListTasksRequest) (*ecstypes.ListTasksResponse, error) {
	sc := scope(ctx)
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
		desired = desiredRunning
	}
	var tasks []ecstypes.Task
	err = a.db.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		recs, err := store.List[model.TaskRecord](tx, tasksPrefix(sc, name))
		for _, r := range recs {
			if taskMatches(r, in, desired) {
				tasks = append(tasks, r.Task)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next := page(tasks, func(t ecstypes.Task) string { return *t.TaskArn }, after, size)
	out := &ecstypes.ListTasksResponse{TaskArns: []string{}}
	for _, t := range items {
		out.TaskArns = append(out.TaskArns, *t.TaskArn)
	}
	if next != "" {
		out.NextToken = new(encodeToken("tasks", next))
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
	case in.ServiceName != nil && derefStr(t.Group) != "service:"+lastSegment(*in.ServiceName):
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

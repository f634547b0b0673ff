package ecs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// poll calls the agent's long-poll endpoint as an agent would.
func poll(t *testing.T, url string, req agentproto.PollRequest) agentproto.PollResponse {
	t.Helper()
	body, _ := json.Marshal(req)
	resp, err := http.Post(url+agentproto.PollPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("poll: %s", resp.Status)
	}
	var out agentproto.PollResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func registerInstance(t *testing.T, c *ecs.Client, cluster, node string, cpu, mem int32, attrs ...types.Attribute) string {
	t.Helper()
	// A real agent advertises its capabilities; task definitions require them.
	attrs = append(attrs, types.Attribute{Name: aws.String(agentproto.NodeAttribute), Value: aws.String(node)},
		types.Attribute{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.18")})
	out := apitest.Must(c.RegisterContainerInstance(context.Background(), &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String(cluster),
		TotalResources: []types.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: cpu},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: mem},
			{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"22"}},
		},
		Attributes:  attrs,
		VersionInfo: &types.VersionInfo{AgentVersion: aws.String("1.0.0")},
	}))(t)
	return aws.ToString(out.ContainerInstance.ContainerInstanceArn)
}

// TestAgentProtocol plays a third-party agent through the SDK: register,
// heartbeat through the poll, receive an assignment, and report state with
// SubmitTaskStateChange and SubmitContainerStateChange. No Docker involved.
func TestAgentProtocol(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()

	// Registering in the default cluster creates it, as in ECS.
	inst := registerInstance(t, c, "", "node-a", 2048, 4096, types.Attribute{Name: aws.String("stack"), Value: aws.String("blue")})
	other := registerInstance(t, c, "", "node-b", 1024, 1024, types.Attribute{Name: aws.String("stack"), Value: aws.String("green")})
	if cl := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{}))(t); cl.Clusters[0].RegisteredContainerInstancesCount != 2 {
		t.Fatalf("default cluster: %+v", cl)
	}
	first := poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-a"})
	poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-b"})
	if len(first.Clusters) != 1 || first.Clusters[0] != "arn:aws:ecs:us-east-1:000000000000:cluster/default" || len(first.Tasks) != 0 {
		t.Fatalf("first poll %+v", first)
	}

	filtered := apitest.Must(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Filter: aws.String("attribute:stack == blue")}))(t)
	if len(filtered.ContainerInstanceArns) != 1 || filtered.ContainerInstanceArns[0] != inst {
		t.Fatalf("filter: %v", filtered.ContainerInstanceArns)
	}
	_, err := c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Filter: aws.String("attribute:stack in blue")})
	apitest.WantCode(t, err, "InvalidParameterException")

	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("p"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(512),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(80), HostPort: aws.Int32(8080)}}}}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("p"), Group: aws.String("g1"),
		PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stack == blue")}}}))(t)
	if len(run.Tasks) != 1 || aws.ToString(run.Tasks[0].ContainerInstanceArn) != inst {
		t.Fatalf("memberOf placement: %d tasks, failures %s", len(run.Tasks), failureText(run.Failures))
	}
	task := aws.ToString(run.Tasks[0].TaskArn)
	if g := aws.ToString(run.Tasks[0].Group); g != "g1" {
		t.Fatalf("group %s", g)
	}
	// The same host port cannot be taken twice on one instance.
	again := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("p"),
		PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stack == blue")}}}))(t)
	if len(again.Tasks) != 0 || len(again.Failures) == 0 {
		t.Fatalf("port conflict: %+v", again)
	}

	got := poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-a", AfterRevision: first.Revision, WaitSeconds: 5})
	if len(got.Tasks) != 1 || got.Tasks[0].TaskARN != task || got.Tasks[0].DesiredStatus != "RUNNING" || aws.ToString(got.Tasks[0].Definition.Family) != "p" {
		t.Fatalf("assignment %+v", got.Tasks)
	}

	apitest.Must(c.SubmitTaskStateChange(ctx, &ecs.SubmitTaskStateChangeInput{Cluster: aws.String("default"), Task: aws.String(task), Status: aws.String("RUNNING"),
		Containers: []types.ContainerStateChange{{ContainerName: aws.String("app"), Status: aws.String("RUNNING"), RuntimeId: aws.String("abc123"),
			NetworkBindings: []types.NetworkBinding{{BindIP: aws.String("127.0.0.1"), ContainerPort: aws.Int32(80), HostPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp}}}}}))(t)
	desc := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{task, "nope"}}))(t)
	if len(desc.Failures) != 1 || aws.ToString(desc.Failures[0].Reason) != "MISSING" {
		t.Fatalf("failures %+v", desc.Failures)
	}
	tk := desc.Tasks[0]
	if aws.ToString(tk.LastStatus) != "RUNNING" || tk.StartedAt == nil || aws.ToString(tk.Containers[0].RuntimeId) != "abc123" || len(tk.Containers[0].NetworkBindings) != 1 {
		t.Fatalf("after RUNNING report: %+v", tk)
	}
	ci := apitest.Must(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{ContainerInstances: []string{inst}}))(t).ContainerInstances[0]
	if !ci.AgentConnected || ci.RunningTasksCount != 1 {
		t.Fatalf("instance %+v", ci)
	}
	_, err = c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{ContainerInstance: aws.String(inst)})
	apitest.WantCode(t, err, "InvalidParameterException")

	apitest.Must(c.SubmitContainerStateChange(ctx, &ecs.SubmitContainerStateChangeInput{Cluster: aws.String("default"), Task: aws.String(task),
		ContainerName: aws.String("app"), Status: aws.String("STOPPED"), ExitCode: aws.Int32(0)}))(t)
	apitest.Must(c.SubmitTaskStateChange(ctx, &ecs.SubmitTaskStateChangeInput{Cluster: aws.String("default"), Task: aws.String(task),
		Status: aws.String("STOPPED"), Reason: aws.String("Essential container in task exited")}))(t)
	tk = apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{task}}))(t).Tasks[0]
	if aws.ToString(tk.LastStatus) != "STOPPED" || aws.ToString(tk.DesiredStatus) != "STOPPED" || aws.ToInt32(tk.Containers[0].ExitCode) != 0 || tk.StoppedAt == nil {
		t.Fatalf("after STOPPED report: %+v", tk)
	}
	// A late RUNNING report does not bring the task back.
	apitest.Must(c.SubmitTaskStateChange(ctx, &ecs.SubmitTaskStateChangeInput{Task: aws.String(task), Status: aws.String("RUNNING")}))(t)
	if tk = apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{task}}))(t).Tasks[0]; aws.ToString(tk.LastStatus) != "STOPPED" {
		t.Fatal("a STOPPED task moved back")
	}
	if got := poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-a"}); len(got.Tasks) != 0 {
		t.Fatalf("stopped task still assigned: %+v", got.Tasks)
	}

	// StartTask on named instances; a second copy on the same instance
	// would take host port 8080 twice.
	st := apitest.Must(c.StartTask(ctx, &ecs.StartTaskInput{TaskDefinition: aws.String("p"), ContainerInstances: []string{inst, other}}))(t)
	if len(st.Tasks) != 2 || len(st.Failures) != 0 {
		t.Fatalf("StartTask: %d tasks, failures %+v", len(st.Tasks), st.Failures)
	}
	st = apitest.Must(c.StartTask(ctx, &ecs.StartTaskInput{TaskDefinition: aws.String("p"), ContainerInstances: []string{other}}))(t)
	if len(st.Tasks) != 0 || len(st.Failures) != 1 || aws.ToString(st.Failures[0].Reason) != "RESOURCE:PORTS" {
		t.Fatalf("StartTask on a full instance: %s", failureText(st.Failures))
	}
	// StopTask: desired STOPPED with the user's reason, delivered to the agent.
	listed := apitest.Must(c.ListTasks(ctx, &ecs.ListTasksInput{ContainerInstance: aws.String(other)}))(t)
	if len(listed.TaskArns) != 1 {
		t.Fatalf("ListTasks on instance: %v", listed.TaskArns)
	}
	stopped := apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String(listed.TaskArns[0]), Reason: aws.String("not needed")}))(t)
	if aws.ToString(stopped.Task.DesiredStatus) != "STOPPED" || stopped.Task.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(stopped.Task.StoppedReason) != "not needed" {
		t.Fatalf("StopTask: %+v", stopped.Task)
	}
	next := poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-b"})
	if len(next.Tasks) != 1 || next.Tasks[0].DesiredStatus != "STOPPED" || next.Tasks[0].StoppedReason != "not needed" {
		t.Fatalf("stop not delivered to the agent: %+v", next.Tasks)
	}

	// A capacity provider strategy launches on Fargate, on a connected agent.
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("fg"), NetworkMode: types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img")}}}))(t)
	spot := []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}
	net := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("fg"), CapacityProviderStrategy: spot, NetworkConfiguration: net})
	apitest.WantCode(t, err, "InvalidParameterException") // the cluster has no capacity providers yet
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("fg"), LaunchType: types.LaunchTypeFargate})
	apitest.WantCode(t, err, "InvalidParameterException") // awsvpc needs a network configuration
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("p"), LaunchType: types.LaunchTypeFargate})
	apitest.WantCode(t, err, "InvalidParameterException") // not Fargate-compatible: "Task definition does not support launch_type FARGATE."
	apitest.Must(c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("default"),
		CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"}, DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}}))(t)
	fg := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("fg"), CapacityProviderStrategy: spot, NetworkConfiguration: net,
		Count: aws.Int32(3), Group: aws.String("service:web")}))(t)
	if len(fg.Tasks) != 3 || fg.Tasks[0].LaunchType != types.LaunchTypeFargate || aws.ToString(fg.Tasks[0].CapacityProviderName) != "FARGATE_SPOT" ||
		fg.Tasks[0].ContainerInstanceArn != nil || aws.ToString(fg.Tasks[0].PlatformVersion) == "" {
		t.Fatalf("Fargate via capacity provider: %+v %s", fg.Tasks, failureText(fg.Failures))
	}
	var pages, total int
	p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{ServiceName: aws.String("web"), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		total += len(apitest.Must(p.NextPage(ctx))(t).TaskArns)
		pages++
	}
	if total != 3 || pages != 2 {
		t.Fatalf("ListTasks serviceName in pages of 2: %d tasks in %d pages", total, pages)
	}

	// Deregistering with force takes the instance out.
	dereg := apitest.Must(c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{ContainerInstance: aws.String(inst), Force: aws.Bool(true)}))(t)
	if aws.ToString(dereg.ContainerInstance.Status) != "INACTIVE" {
		t.Fatalf("deregister: %+v", dereg.ContainerInstance)
	}
	if l := apitest.Must(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{}))(t); len(l.ContainerInstanceArns) != 1 {
		t.Fatalf("listed after deregister: %v", l.ContainerInstanceArns)
	}
}

func failureText(fs []types.Failure) string {
	var out string
	for _, f := range fs {
		out += aws.ToString(f.Arn) + ": " + aws.ToString(f.Reason) + "; "
	}
	return out
}

package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

var awsvpc = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-local"}}}

// TestFargateTask runs a two-container FARGATE task: the containers share
// localhost, the published port answers on 127.0.0.1, the ENI attachment
// carries the private IP, the metadata endpoint answers from inside, and
// StopTask stops it with the user's reason.
func TestFargateTask(t *testing.T) {
	_, c, imgs := startCluster(t, "fg")
	ctx := context.Background()
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("web"), RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String(imgs.App), Command: []string{"-listen", ":8080"},
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
				Environment:  []types.KeyValuePair{{Name: aws.String("APP_MODE"), Value: aws.String("fargate")}},
				DockerLabels: map[string]string{"wharf.test": "1"}},
			{Name: aws.String("side"), Image: aws.String(imgs.App), Command: []string{"-listen", ":9090"}, Essential: aws.Bool(false),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(9090)}}, DockerLabels: map[string]string{"wharf.test": "1"}},
		},
	}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("fg"), TaskDefinition: aws.String("web"),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc, StartedBy: aws.String("e2e"),
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("app"),
			Environment: []types.KeyValuePair{{Name: aws.String("APP_OVERRIDE"), Value: aws.String("yes")}}}}}}))(t)
	if len(run.Tasks) != 1 || len(run.Failures) != 0 {
		t.Fatalf("RunTask: %+v", run)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	if !strings.HasPrefix(arn, "arn:aws:ecs:us-east-1:000000000000:task/fg/") || aws.ToString(run.Tasks[0].LastStatus) != "PROVISIONING" {
		t.Fatalf("RunTask task: %s %s", arn, aws.ToString(run.Tasks[0].LastStatus))
	}
	task := waitTask(t, c, "fg", arn, 60*time.Second, "RUNNING", running)
	if task.StartedAt == nil || task.PullStartedAt == nil || task.LaunchType != types.LaunchTypeFargate {
		t.Fatalf("timestamps/launch type: %s", describe(task))
	}
	if len(task.Attachments) != 1 || aws.ToString(task.Attachments[0].Type) != "ElasticNetworkInterface" {
		t.Fatalf("attachments %+v", task.Attachments)
	}
	ip := ""
	for _, d := range task.Attachments[0].Details {
		if aws.ToString(d.Name) == "privateIPv4Address" {
			ip = aws.ToString(d.Value)
		}
	}
	if ip == "" {
		t.Fatalf("no private IP in %+v", task.Attachments[0].Details)
	}

	app := container(t, task, "app")
	base := hostURL(t, app, 8080)
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("binding %s", base)
	}
	var env map[string]string
	getJSON(t, base+"/env", &env)
	if env["APP_MODE"] != "fargate" || env["APP_OVERRIDE"] != "yes" || env["ECS_CONTAINER_METADATA_URI_V4"] == "" {
		t.Fatalf("environment %v", env)
	}
	// The two containers share localhost, as on Fargate.
	var side map[string]any
	getJSON(t, base+"/fetch?url="+url.QueryEscape("http://127.0.0.1:9090/"), &side)
	if side["hostname"] == nil {
		t.Fatalf("sidecar over localhost: %v", side)
	}
	// The task metadata endpoint v4, from inside the container.
	var meta map[string]any
	getJSON(t, base+"/fetch?url="+url.QueryEscape(env["ECS_CONTAINER_METADATA_URI_V4"]+"/task"), &meta)
	if meta["TaskARN"] != arn || meta["Family"] != "web" || meta["KnownStatus"] != "RUNNING" {
		t.Fatalf("task metadata %v", meta)
	}
	var cmeta map[string]any
	getJSON(t, base+"/fetch?url="+url.QueryEscape(env["ECS_CONTAINER_METADATA_URI_V4"]), &cmeta)
	if cmeta["Name"] != "app" || cmeta["DockerId"] != aws.ToString(app.RuntimeId) {
		t.Fatalf("container metadata %v", cmeta)
	}
	if labels, _ := cmeta["Labels"].(map[string]any); labels["com.amazonaws.ecs.task-arn"] != arn || labels["com.amazonaws.ecs.container-name"] != "app" ||
		labels["com.amazonaws.ecs.task-definition-family"] != "web" || labels["com.amazonaws.ecs.cluster"] == nil {
		t.Fatalf("ECS labels %v", cmeta["Labels"])
	}
	var stats map[string]any
	getJSON(t, base+"/fetch?url="+url.QueryEscape(env["ECS_CONTAINER_METADATA_URI_V4"]+"/task/stats"), &stats)
	if len(stats) != 2 {
		t.Fatalf("task stats for %d containers", len(stats))
	}

	list := apitest.Must(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("fg"), StartedBy: aws.String("e2e")}))(t)
	if len(list.TaskArns) != 1 {
		t.Fatalf("ListTasks startedBy: %v", list.TaskArns)
	}
	apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("fg"), Task: aws.String(arn), Reason: aws.String("done testing")}))(t)
	task = waitTask(t, c, "fg", arn, 60*time.Second, "STOPPED", stopped)
	if task.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(task.StoppedReason) != "done testing" || task.StoppedAt == nil {
		t.Fatalf("stopped: %s", describe(task))
	}
	for _, ct := range task.Containers {
		if aws.ToString(ct.LastStatus) != "STOPPED" || ct.ExitCode == nil {
			t.Fatalf("container after stop: %s", describe(task))
		}
	}
	stoppedList := apitest.Must(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("fg"), DesiredStatus: types.DesiredStatusStopped}))(t)
	if len(stoppedList.TaskArns) != 1 {
		t.Fatalf("ListTasks STOPPED: %v", stoppedList.TaskArns)
	}
}

// TestTaskFailures: an essential container exiting stops the task with its
// exit code; an image that cannot be pulled fails the task to start.
func TestTaskFailures(t *testing.T) {
	_, c, imgs := startCluster(t, "fail")
	ctx := context.Background()

	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("crash"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("main"), Image: aws.String(imgs.App), Memory: aws.Int32(64), Command: []string{"-exit-code", "3", "-exit-after", "1s"}},
			{Name: aws.String("helper"), Image: aws.String(imgs.App), Memory: aws.Int32(64), Essential: aws.Bool(false), Command: []string{"-listen", ":8080"}},
		}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("fail"), TaskDefinition: aws.String("crash")}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %+v", run.Failures)
	}
	task := waitTask(t, c, "fail", aws.ToString(run.Tasks[0].TaskArn), 60*time.Second, "STOPPED", stopped)
	if task.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToInt32(container(t, task, "main").ExitCode) != 3 {
		t.Fatalf("essential exit: %s", describe(task))
	}
	if aws.ToString(container(t, task, "helper").LastStatus) != "STOPPED" {
		t.Fatalf("the other container must be stopped too: %s", describe(task))
	}

	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("nopull"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("x"), Image: aws.String("wharf-test/does-not-exist:latest"), Memory: aws.Int32(64)}}}))(t)
	run = apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("fail"), TaskDefinition: aws.String("nopull")}))(t)
	task = waitTask(t, c, "fail", aws.ToString(run.Tasks[0].TaskArn), 60*time.Second, "STOPPED", stopped)
	if task.StopCode != types.TaskStopCodeTaskFailedToStart || !strings.HasPrefix(aws.ToString(task.StoppedReason), "CannotPullContainerError") {
		t.Fatalf("pull failure: %s", describe(task))
	}
}

// TestEC2TasksAndPlacement: the embedded agent is a container instance of
// every cluster; bridge tasks publish their ports, take resources from the
// instance, and a task that fits nowhere comes back as a failure.
func TestEC2TasksAndPlacement(t *testing.T) {
	_, c, imgs := startCluster(t, "ec2")
	ctx := context.Background()
	instance := waitInstance(t, c, "ec2")
	desc := apitest.Must(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("ec2"), ContainerInstances: []string{instance}}))(t)
	ci := desc.ContainerInstances[0]
	totalMem := resource(ci.RegisteredResources, "MEMORY")
	if !ci.AgentConnected || resource(ci.RegisteredResources, "CPU") < 1024 || totalMem < 256 {
		t.Fatalf("instance %+v", ci)
	}

	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("br"), NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String(imgs.App), Memory: aws.Int32(128), Cpu: 128,
			Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			HealthCheck: &types.HealthCheck{Command: []string{"CMD", "/testapp", "check", "http://127.0.0.1:8080/health"}, Interval: aws.Int32(5), StartPeriod: aws.Int32(1)}}}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("ec2"), TaskDefinition: aws.String("br"), Count: aws.Int32(2), LaunchType: types.LaunchTypeEc2}))(t)
	if len(run.Tasks) != 2 {
		t.Fatalf("RunTask: %+v", run.Failures)
	}
	var urls []string
	for _, rt := range run.Tasks {
		if aws.ToString(rt.ContainerInstanceArn) != instance {
			t.Fatalf("placed on %s", aws.ToString(rt.ContainerInstanceArn))
		}
		task := waitTask(t, c, "ec2", aws.ToString(rt.TaskArn), 60*time.Second, "RUNNING and HEALTHY", func(t types.Task) bool {
			return running(t) && t.HealthStatus == types.HealthStatusHealthy
		})
		u := hostURL(t, container(t, task, "web"), 8080)
		var root map[string]any
		getJSON(t, u+"/", &root)
		urls = append(urls, u)
	}
	if urls[0] == urls[1] {
		t.Fatalf("both tasks on %s", urls[0])
	}
	desc = apitest.Must(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("ec2"), ContainerInstances: []string{instance}}))(t)
	ci = desc.ContainerInstances[0]
	if ci.RunningTasksCount != 2 || resource(ci.RemainingResources, "MEMORY") != totalMem-256 {
		t.Fatalf("instance after 2 tasks: running %d, memory %d of %d", ci.RunningTasksCount, resource(ci.RemainingResources, "MEMORY"), totalMem)
	}
	byInstance := apitest.Must(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("ec2"), ContainerInstance: aws.String(instance), Family: aws.String("br")}))(t)
	if len(byInstance.TaskArns) != 2 {
		t.Fatalf("ListTasks by instance/family: %v", byInstance.TaskArns)
	}

	// A task that needs more memory than the host has fails to place.
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("huge"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("x"), Image: aws.String(imgs.App), Memory: aws.Int32(totalMem + 1)}}}))(t)
	huge := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("ec2"), TaskDefinition: aws.String("huge")}))(t)
	if len(huge.Tasks) != 0 || len(huge.Failures) != 1 || aws.ToString(huge.Failures[0].Reason) != "RESOURCE:MEMORY" || aws.ToString(huge.Failures[0].Arn) != instance {
		t.Fatalf("huge task: tasks %d failures %+v", len(huge.Tasks), huge.Failures)
	}
	_, err := c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("ec2")})
	wantCode(t, err, "ClusterContainsTasksException")
	for _, rt := range run.Tasks {
		apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("ec2"), Task: rt.TaskArn}))(t)
	}
	for _, rt := range run.Tasks {
		waitTask(t, c, "ec2", aws.ToString(rt.TaskArn), 60*time.Second, "STOPPED", stopped)
	}
	// The auto-joined instance does not keep an empty cluster alive.
	apitest.Must(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("ec2")}))(t)
}

// waitInstance waits (bounded) for the embedded agent to join cluster.
func waitInstance(t testing.TB, c *ecs.Client, cluster string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out := apitest.Must(c.ListContainerInstances(context.Background(), &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)}))(t)
		if len(out.ContainerInstanceArns) > 0 {
			return out.ContainerInstanceArns[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no container instance joined %s", cluster)
	return ""
}

func resource(rs []types.Resource, name string) int32 {
	for _, r := range rs {
		if aws.ToString(r.Name) == name {
			return r.IntegerValue
		}
	}
	return -1
}

// TestRestartAdoptsTasks: stopping wharf leaves task containers running; a
// new wharf on the same data dir adopts them, and a container that died
// while wharf was down is reported with its exit code.
func TestRestartAdoptsTasks(t *testing.T) {
	rt, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("keep")}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("long"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(64),
			Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("keep"), TaskDefinition: aws.String("long"), Count: aws.Int32(2)}))(t)
	var ids []string
	for _, task := range run.Tasks {
		done := waitTask(t, c, "keep", aws.ToString(task.TaskArn), 60*time.Second, "RUNNING", running)
		ids = append(ids, aws.ToString(container(t, done, "app").RuntimeId))
	}

	w.Stop()
	for _, id := range ids {
		st, err := rt.InspectContainer(ctx, id)
		if err != nil || !st.Running {
			t.Fatalf("container %s after wharf stopped: running=%v err=%v", id, st.Running, err)
		}
	}
	// The second task's container dies while wharf is down.
	if err := rt.KillContainer(ctx, ids[1], "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	w.Start()
	c = w.ECS()

	first := waitTask(t, c, "keep", aws.ToString(run.Tasks[0].TaskArn), 30*time.Second, "RUNNING", running)
	if got := aws.ToString(container(t, first, "app").RuntimeId); got != ids[0] {
		t.Fatalf("adopted task runs container %s, want the same %s", got, ids[0])
	}
	second := waitTask(t, c, "keep", aws.ToString(run.Tasks[1].TaskArn), 60*time.Second, "STOPPED", stopped)
	if aws.ToInt32(container(t, second, "app").ExitCode) != 137 || second.StopCode != types.TaskStopCodeEssentialContainerExited {
		t.Fatalf("task whose container died while wharf was down: %s", describe(second))
	}
	list, err := rt.ListContainers(ctx, map[string]string{"com.amazonaws.ecs.task-arn": aws.ToString(run.Tasks[0].TaskArn)}, true)
	if err != nil || len(list) != 1 {
		t.Fatalf("containers of the adopted task: %d (%v): adoption must not start a second one", len(list), err)
	}
	apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("keep"), Task: run.Tasks[0].TaskArn}))(t)
	waitTask(t, c, "keep", aws.ToString(run.Tasks[0].TaskArn), 60*time.Second, "STOPPED", stopped)
}

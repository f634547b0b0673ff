package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/testkit/images"
)

// webDef registers a bridge web task definition whose container reports
// healthy once it serves; extra args go to the test app.
func webDef(t testing.TB, c *ecs.Client, imgs images.Images, family string, args ...string) string {
	t.Helper()
	out := apitest.Must(c.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String(imgs.App), Memory: aws.Int32(48),
			Command:      append([]string{"-listen", ":8080"}, args...),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			HealthCheck: &types.HealthCheck{Command: []string{"CMD", "/testapp", "check", "http://127.0.0.1:8080/health"},
				Interval: aws.Int32(5), Retries: aws.Int32(1), StartPeriod: aws.Int32(1)},
			DockerLabels: map[string]string{"wharf.test": "1"}, StopTimeout: aws.Int32(2)}}}))(t)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// waitStable uses the SDK's services-stable waiter (what
// `aws ecs wait services-stable` runs), polling quickly.
func waitStable(t testing.TB, c *ecs.Client, cluster, service string, timeout time.Duration) types.Service {
	t.Helper()
	w := ecs.NewServicesStableWaiter(c, func(o *ecs.ServicesStableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	in := &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}}
	if err := w.Wait(context.Background(), in, timeout); err != nil {
		svc := describeService(t, c, cluster, service)
		t.Fatalf("service %s not stable: %v; running %d desired %d deployments %d; events: %s", service, err, svc.RunningCount, svc.DesiredCount, len(svc.Deployments), eventText(svc, 8))
	}
	// The waiter, as in AWS, checks counts only; a deployment completes
	// once its tasks also pass their health checks.
	var svc types.Service
	waitCondition(t, timeout, "deployment COMPLETED", func() bool {
		svc = describeService(t, c, cluster, service)
		return len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted &&
			svc.RunningCount == svc.DesiredCount
	})
	return svc
}

func describeService(t testing.TB, c *ecs.Client, cluster, service string) types.Service {
	t.Helper()
	out := apitest.Must(c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}}))(t)
	if len(out.Services) != 1 {
		t.Fatalf("describe %s: %+v", service, out.Failures)
	}
	return out.Services[0]
}

func eventText(s types.Service, n int) string {
	var msgs []string
	for i, e := range s.Events {
		if i >= n {
			break
		}
		msgs = append(msgs, aws.ToString(e.Message))
	}
	return strings.Join(msgs, " | ")
}

func serviceTasks(t testing.TB, c *ecs.Client, cluster, service string) []types.Task {
	t.Helper()
	list := apitest.Must(c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service)}))(t)
	if len(list.TaskArns) == 0 {
		return nil
	}
	return apitest.Must(c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns}))(t).Tasks
}

// TestServiceLifecycle: a service holds its count, replaces a killed task,
// rolls a new task definition with no moment below the healthy minimum or
// above the maximum, scales to 0 and back, and is deleted.
func TestServiceLifecycle(t *testing.T) {
	rt, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("svc")}))(t)
	v1 := webDef(t, c, imgs, "web", "-show-env", "APP_*")
	created := apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("svc"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(v1), DesiredCount: aws.Int32(3), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}))(t)
	if d := created.Service.DeploymentConfiguration; aws.ToInt32(d.MaximumPercent) != 200 || aws.ToInt32(d.MinimumHealthyPercent) != 100 {
		t.Fatalf("deployment configuration defaults: %+v", d)
	}
	svc := waitStable(t, c, "svc", "web", 180*time.Second)
	if svc.RunningCount != 3 || len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted {
		t.Fatalf("after create: running %d deployments %+v", svc.RunningCount, svc.Deployments)
	}
	if !strings.Contains(eventText(svc, 10), "(service web) has reached a steady state.") || !strings.Contains(eventText(svc, 10), "has started 3 tasks") {
		t.Fatalf("events: %s", eventText(svc, 10))
	}
	tasks := serviceTasks(t, c, "svc", "web")
	for _, task := range tasks {
		if aws.ToString(task.Group) != "service:web" || aws.ToString(task.StartedBy) != aws.ToString(svc.Deployments[0].Id) {
			t.Fatalf("task group %s startedBy %s", aws.ToString(task.Group), aws.ToString(task.StartedBy))
		}
	}

	// A task whose container is killed is replaced.
	victim := tasks[0]
	if err := rt.KillContainer(ctx, aws.ToString(victim.Containers[0].RuntimeId), "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	dead := waitTask(t, c, "svc", aws.ToString(victim.TaskArn), 30*time.Second, "STOPPED", stopped)
	if dead.StopCode != types.TaskStopCodeEssentialContainerExited {
		t.Fatalf("killed task: %s", describe(dead))
	}
	waitCondition(t, 180*time.Second, "replacement running", func() bool {
		s := describeService(t, c, "svc", "web")
		return s.RunningCount == 3 && strings.Contains(eventText(s, 3), "has started 1 tasks")
	})

	waitCondition(t, 180*time.Second, "3 healthy tasks", func() bool {
		healthy := 0
		for _, task := range serviceTasks(t, c, "svc", "web") {
			if running(task) && task.HealthStatus == types.HealthStatusHealthy {
				healthy++
			}
		}
		return healthy == 3
	})

	// Rolling update 100/200 under observation.
	v2 := webDef(t, c, imgs, "web", "-show-env", "APP_*", "-term-delay", "100ms")
	var tooFew, tooMany atomic.Int32
	stop := sampleTasks(c, "svc", "web", 100*time.Millisecond, func(tasks []types.Task) {
		healthy := 0
		var detail []string
		for _, task := range tasks {
			if running(task) && task.HealthStatus == types.HealthStatusHealthy {
				healthy++
			}
			detail = append(detail, fmt.Sprintf("%s %s/%s %s", state.LastSegment(aws.ToString(task.TaskDefinitionArn)), aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus), task.HealthStatus))
		}
		if healthy < 3 && tooFew.Add(1) <= 2 {
			t.Logf("sample: %d healthy: %s", healthy, strings.Join(detail, "; "))
		}
		if len(tasks) > 6 {
			tooMany.Add(1)
		}
	})
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("svc"), Service: aws.String("web"), TaskDefinition: aws.String(v2)}))(t)
	svc = waitStable(t, c, "svc", "web", 180*time.Second)
	stop()
	if tooFew.Load() > 0 || tooMany.Load() > 0 {
		t.Fatalf("rolling update left the bounds: %d samples below 3 healthy, %d above 6 tasks", tooFew.Load(), tooMany.Load())
	}
	if aws.ToString(svc.TaskDefinition) != v2 || len(svc.Deployments) != 1 {
		t.Fatalf("after update: %s, %d deployments", aws.ToString(svc.TaskDefinition), len(svc.Deployments))
	}
	for _, task := range serviceTasks(t, c, "svc", "web") {
		if aws.ToString(task.TaskDefinitionArn) != v2 {
			t.Fatalf("task of %s still running", aws.ToString(task.TaskDefinitionArn))
		}
	}

	// 0 is a pause; and back.
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("svc"), Service: aws.String("web"), DesiredCount: aws.Int32(0)}))(t)
	if svc = waitStable(t, c, "svc", "web", 180*time.Second); svc.RunningCount != 0 {
		t.Fatalf("scaled to 0: running %d", svc.RunningCount)
	}
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("svc"), Service: aws.String("web"), DesiredCount: aws.Int32(2)}))(t)
	if svc = waitStable(t, c, "svc", "web", 180*time.Second); svc.RunningCount != 2 {
		t.Fatalf("scaled to 2: running %d", svc.RunningCount)
	}

	_, err := c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("svc"), Service: aws.String("web")})
	wantCode(t, err, "InvalidParameterException")
	del := apitest.Must(c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("svc"), Service: aws.String("web"), Force: aws.Bool(true)}))(t)
	if aws.ToString(del.Service.Status) != "DRAINING" {
		t.Fatalf("delete: %s", aws.ToString(del.Service.Status))
	}
	waitCondition(t, 180*time.Second, "service INACTIVE", func() bool {
		return aws.ToString(describeService(t, c, "svc", "web").Status) == "INACTIVE"
	})
	if n := len(serviceTasks(t, c, "svc", "web")); n != 0 {
		t.Fatalf("%d tasks still running after delete", n)
	}
	_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("svc"), Service: aws.String("web"), DesiredCount: aws.Int32(1)})
	wantCode(t, err, "ServiceNotActiveException")
	_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("svc"), Service: aws.String("ghost"), DesiredCount: aws.Int32(1)})
	wantCode(t, err, "ServiceNotFoundException")
}

// sampleTasks calls check with a service's desired-RUNNING tasks every
// interval until the returned stop is called.
func sampleTasks(c *ecs.Client, cluster, service string, every time.Duration, check func([]types.Task)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			list, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service)})
			if err == nil && len(list.TaskArns) > 0 {
				if out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns}); err == nil {
					check(out.Tasks)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(every):
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

func waitCondition(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s", what, timeout)
}

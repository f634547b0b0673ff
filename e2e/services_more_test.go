package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
)

func breaker(rollback bool) *types.DeploymentConfiguration {
	return &types.DeploymentConfiguration{DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: rollback}}
}

// TestCircuitBreaker: a deployment whose tasks keep failing trips the
// breaker; with rollback the last completed task definition takes over,
// without it the old tasks keep serving and the deployment says FAILED.
func TestCircuitBreaker(t *testing.T) {
	_, c, imgs := startCluster(t, "cb")
	ctx := context.Background()
	good := webDef(t, c, imgs, "cb-web")
	bad := webDef(t, c, imgs, "cb-web", "-exit-code", "1", "-exit-after", "300ms")

	for _, rollback := range []bool{true, false} {
		name := map[bool]string{true: "with-rollback", false: "without-rollback"}[rollback]
		t.Run(name, func(t *testing.T) {
			apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("cb"), ServiceName: aws.String(name),
				TaskDefinition: aws.String(good), DesiredCount: aws.Int32(2), DeploymentConfiguration: breaker(rollback)}))(t)
			waitStable(t, c, "cb", name, 180*time.Second)
			apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("cb"), Service: aws.String(name), TaskDefinition: aws.String(bad)}))(t)
			if rollback {
				waitCondition(t, 180*time.Second, "rolled back", func() bool {
					s := describeService(t, c, "cb", name)
					return strings.Contains(eventText(s, 20), "rolling back to deployment") && aws.ToString(s.TaskDefinition) == good &&
						len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted && s.RunningCount == 2
				})
				s := describeService(t, c, "cb", name)
				if !strings.Contains(eventText(s, 20), "deployment failed: tasks failed to start.") {
					t.Fatalf("events: %s", eventText(s, 20))
				}
				return
			}
			var s types.Service
			waitCondition(t, 180*time.Second, "deployment FAILED", func() bool {
				s = describeService(t, c, "cb", name)
				return len(s.Deployments) > 0 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateFailed
			})
			if !strings.Contains(aws.ToString(s.Deployments[0].RolloutStateReason), "circuit breaker") || s.Deployments[0].FailedTasks < 3 {
				t.Fatalf("failed deployment: %+v", s.Deployments[0])
			}
			// The old tasks keep serving; nothing new is started for the failed deployment.
			time.Sleep(2 * time.Second)
			healthyGood := 0
			for _, task := range serviceTasks(t, c, "cb", name) {
				if aws.ToString(task.TaskDefinitionArn) == good && running(task) {
					healthyGood++
				}
				if aws.ToString(task.TaskDefinitionArn) == bad && running(task) {
					t.Fatalf("a task of the failed deployment is running: %s", describe(task))
				}
			}
			if healthyGood != 2 {
				t.Fatalf("%d old tasks running, want 2", healthyGood)
			}
		})
	}
}

// TestDaemonService: one task on each container instance, replaced
// instance by instance on a new deployment.
func TestDaemonService(t *testing.T) {
	_, c, imgs := startCluster(t, "dm")
	ctx := context.Background()
	waitInstance(t, c, "dm")
	v1 := webDef(t, c, imgs, "agentd")
	_, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dm"), ServiceName: aws.String("agentd"), TaskDefinition: aws.String(v1),
		SchedulingStrategy: types.SchedulingStrategyDaemon, PlacementStrategy: []types.PlacementStrategy{{Type: types.PlacementStrategyTypeRandom}}})
	wantCode(t, err, "InvalidParameterException")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dm"), ServiceName: aws.String("agentd"), TaskDefinition: aws.String(v1),
		SchedulingStrategy: types.SchedulingStrategyDaemon}))(t)
	s := waitStable(t, c, "dm", "agentd", 180*time.Second)
	if s.DesiredCount != 1 || s.RunningCount != 1 || s.SchedulingStrategy != types.SchedulingStrategyDaemon {
		t.Fatalf("daemon: desired %d running %d", s.DesiredCount, s.RunningCount)
	}
	v2 := webDef(t, c, imgs, "agentd", "-term-delay", "10ms")
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("dm"), Service: aws.String("agentd"), TaskDefinition: aws.String(v2)}))(t)
	waitCondition(t, 180*time.Second, "daemon on v2", func() bool {
		tasks := serviceTasks(t, c, "dm", "agentd")
		return len(tasks) == 1 && aws.ToString(tasks[0].TaskDefinitionArn) == v2 && running(tasks[0])
	})
	list := apitest.Must(c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("dm"), SchedulingStrategy: types.SchedulingStrategyDaemon}))(t)
	if len(list.ServiceArns) != 1 {
		t.Fatalf("ListServices DAEMON: %v", list.ServiceArns)
	}
}

// TestRestartMidDeployment: stopping wharf in the middle of a rolling
// deployment and starting it again finishes the deployment; no task of the
// new deployment is started twice and none is forgotten.
func TestRestartMidDeployment(t *testing.T) {
	w, c, imgs := startCluster(t, "rs")
	ctx := context.Background()
	v1 := webDef(t, c, imgs, "rs-web")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("rs"), ServiceName: aws.String("web"), TaskDefinition: aws.String(v1), DesiredCount: aws.Int32(3)}))(t)
	waitStable(t, c, "rs", "web", 180*time.Second)
	v2 := webDef(t, c, imgs, "rs-web", "-term-delay", "10ms")
	upd := apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("rs"), Service: aws.String("web"), TaskDefinition: aws.String(v2)}))(t)
	deployment := aws.ToString(upd.Service.Deployments[0].Id)
	waitCondition(t, 30*time.Second, "rollout under way", func() bool {
		return len(tasksStartedBy(t, c, "rs", deployment)) > 0
	})
	w.Restart()
	c = w.ECS()
	s := waitStable(t, c, "rs", "web", 120*time.Second)
	if aws.ToString(s.TaskDefinition) != v2 || s.RunningCount != 3 {
		t.Fatalf("after restart: %s running %d", aws.ToString(s.TaskDefinition), s.RunningCount)
	}
	if n := len(tasksStartedBy(t, c, "rs", deployment)); n != 3 {
		t.Fatalf("the deployment started %d tasks in all, want exactly 3", n)
	}
}

// tasksStartedBy lists every task (running or stopped) a deployment started.
func tasksStartedBy(t testing.TB, c *ecs.Client, cluster, deployment string) []string {
	t.Helper()
	var out []string
	for _, st := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		l := apitest.Must(c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(deployment), DesiredStatus: st}))(t)
		out = append(out, l.TaskArns...)
	}
	return out
}

// TestUnhealthyTaskReplaced: a task whose essential container turns
// UNHEALTHY (after the grace period) is stopped by the scheduler and
// replaced.
func TestUnhealthyTaskReplaced(t *testing.T) {
	_, c, imgs := startCluster(t, "uh")
	ctx := context.Background()
	sick := webDef(t, c, imgs, "sick", "-unhealthy-after", "3s")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("uh"), ServiceName: aws.String("sick"), TaskDefinition: aws.String(sick),
		DesiredCount: aws.Int32(1), HealthCheckGracePeriodSeconds: aws.Int32(0)}))(t)
	var first string
	waitCondition(t, 180*time.Second, "first task running", func() bool {
		tasks := serviceTasks(t, c, "uh", "sick")
		if len(tasks) == 1 && running(tasks[0]) {
			first = aws.ToString(tasks[0].TaskArn)
		}
		return first != ""
	})
	task := waitTask(t, c, "uh", first, 60*time.Second, "STOPPED", stopped)
	if task.StopCode != types.TaskStopCodeServiceSchedulerInitiated || aws.ToString(task.StoppedReason) != "Task failed container health checks" {
		t.Fatalf("unhealthy task: %s", describe(task))
	}
	waitCondition(t, 180*time.Second, "replacement started", func() bool {
		tasks := serviceTasks(t, c, "uh", "sick")
		return len(tasks) == 1 && aws.ToString(tasks[0].TaskArn) != first
	})
}

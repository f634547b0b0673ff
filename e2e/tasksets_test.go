package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/runtime/docker"
)

// TestTaskSetTraffic drives an EXTERNAL service the way a blue/green
// deployment tool does: a blue task set at 100% runs and answers through
// the listener; a green set is created and made PRIMARY, blue is scaled to
// 0 and deleted, and a steady request loop loses no request on the way;
// in the end only green's tasks serve, and the service is deleted with
// every task stopped and its containers gone.
func TestTaskSetTraffic(t *testing.T) {
	rt, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, lbc, ctx := w.ECS(), elb.NewFromConfig(w.Config("us-east-1")), context.Background()
	cl := aws.String("tset")
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: cl}))(t)
	tgARN, base := webListener(t, ctx, lbc, "bluegreen")

	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: cl, ServiceName: aws.String("web"), DesiredCount: aws.Int32(2),
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeExternal}}))(t)
	seen := map[string]bool{} // every task of the service, for the cleanup
	t.Cleanup(func() { deleteTaskSetService(t, c, rt, "tset", "web", seen) })

	newSet := func(td string) types.TaskSet {
		return *apitest.Must(c.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("web"), TaskDefinition: aws.String(td),
			LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc, Scale: &types.Scale{Value: 100, Unit: types.ScaleUnitPercent},
			LoadBalancers: []types.LoadBalancer{{TargetGroupArn: tgARN, ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)}}}))(t).TaskSet
	}

	blue := newSet(fargateWeb(t, c, imgs, "blue"))
	waitTaskSet(t, c, "tset", "web", aws.ToString(blue.Id), 180*time.Second, "2 running, steady", func(ts types.TaskSet) bool {
		return ts.RunningCount == 2 && ts.PendingCount == 0 && ts.StabilityStatus == types.StabilityStatusSteadyState
	})
	blueHosts := setHosts(t, c, "tset", "web", aws.ToString(blue.Id), seen)
	if got := hits(t, base, 20, ""); len(got) != 2 || !subset(got, blueHosts) {
		t.Fatalf("through the listener: %v; blue's tasks are %v", got, blueHosts)
	}

	// A steady, bounded request loop while traffic moves from blue to green.
	loop := startRequestLoop(t, ctx, base)

	greenTD := fargateWeb(t, c, imgs, "green", "-term-delay", "10ms")
	green := newSet(greenTD)
	waitTaskSet(t, c, "tset", "web", aws.ToString(green.Id), 180*time.Second, "2 running, steady", func(ts types.TaskSet) bool {
		return ts.RunningCount == 2 && ts.StabilityStatus == types.StabilityStatusSteadyState
	})
	primary := apitest.Must(c.UpdateServicePrimaryTaskSet(ctx, &ecs.UpdateServicePrimaryTaskSetInput{Cluster: cl, Service: aws.String("web"),
		PrimaryTaskSet: green.TaskSetArn}))(t).TaskSet
	if aws.ToString(primary.Status) != "PRIMARY" {
		t.Fatalf("UpdateServicePrimaryTaskSet: %s", aws.ToString(primary.Status))
	}
	if s := describeService(t, c, "tset", "web"); aws.ToString(s.TaskDefinition) != greenTD || len(s.TaskSets) != 2 ||
		aws.ToString(s.TaskSets[0].Id) != aws.ToString(green.Id) || s.RunningCount != 4 {
		t.Fatalf("service with green primary: taskDefinition %s, running %d, sets %+v", aws.ToString(s.TaskDefinition), s.RunningCount, s.TaskSets)
	}
	greenHosts := setHosts(t, c, "tset", "web", aws.ToString(green.Id), seen)

	apitest.Must(c.UpdateTaskSet(ctx, &ecs.UpdateTaskSetInput{Cluster: cl, Service: aws.String("web"), TaskSet: blue.Id,
		Scale: &types.Scale{Value: 0, Unit: types.ScaleUnitPercent}}))(t)
	waitTaskSet(t, c, "tset", "web", aws.ToString(blue.Id), 60*time.Second, "scaled to 0", func(ts types.TaskSet) bool {
		return ts.RunningCount == 0 && ts.PendingCount == 0 && ts.ComputedDesiredCount == 0
	})
	deleted := apitest.Must(c.DeleteTaskSet(ctx, &ecs.DeleteTaskSetInput{Cluster: cl, Service: aws.String("web"), TaskSet: blue.Id}))(t).TaskSet
	if aws.ToString(deleted.Status) != "DRAINING" {
		t.Fatalf("DeleteTaskSet: %s", aws.ToString(deleted.Status))
	}
	waitCondition(t, 30*time.Second, "blue's task set gone", func() bool {
		out := apitest.Must(c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: cl, Service: aws.String("web"), TaskSets: []string{aws.ToString(blue.Id)}}))(t)
		return len(out.TaskSets) == 0 && len(out.Failures) == 1
	})
	waitTargets(t, lbc, tgARN, 2, "blue's targets drained")
	loop.stopNoneFailed(t, "while traffic moved from blue to green")

	if got := hits(t, base, 20, ""); len(got) != 2 || !subset(got, greenHosts) {
		t.Fatalf("after blue's deletion the listener reached %v; green's tasks are %v", got, greenHosts)
	}
	for _, task := range serviceTasks(t, c, "tset", "web") {
		if aws.ToString(task.StartedBy) == aws.ToString(blue.Id) && !stopped(task) {
			t.Fatalf("blue's task %s is %s", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus))
		}
	}
	s := describeService(t, c, "tset", "web")
	if len(s.TaskSets) != 1 || s.RunningCount != 2 || len(s.Deployments) != 0 {
		t.Fatalf("service after the switch: running %d, sets %+v, deployments %+v", s.RunningCount, s.TaskSets, s.Deployments)
	}
}

// waitTaskSet polls DescribeTaskSets (bounded) until cond holds.
func waitTaskSet(t testing.TB, c *ecs.Client, cluster, service, id string, timeout time.Duration, what string, cond func(types.TaskSet) bool) types.TaskSet {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last types.TaskSet
	for time.Now().Before(deadline) {
		out := apitest.Must(c.DescribeTaskSets(context.Background(), &ecs.DescribeTaskSetsInput{Cluster: aws.String(cluster), Service: aws.String(service), TaskSets: []string{id}}))(t)
		if len(out.TaskSets) == 1 {
			last = out.TaskSets[0]
			if cond(last) {
				return last
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("task set %s: %s not reached within %s; last: running %d pending %d desired %d %s", id, what, timeout,
		last.RunningCount, last.PendingCount, last.ComputedDesiredCount, last.StabilityStatus)
	return last
}

// setHosts checks a task set's running tasks (group service:NAME, started
// by the set) and returns the hostnames they answer with on their own port.
func setHosts(t testing.TB, c *ecs.Client, cluster, service, id string, seen map[string]bool) map[string]bool {
	t.Helper()
	hosts := map[string]bool{}
	for _, task := range serviceTasks(t, c, cluster, service) {
		seen[aws.ToString(task.TaskArn)] = true
		if aws.ToString(task.StartedBy) != id || !running(task) {
			continue
		}
		if aws.ToString(task.Group) != "service:"+service {
			t.Fatalf("task %s of set %s has group %s", aws.ToString(task.TaskArn), id, aws.ToString(task.Group))
		}
		var root struct{ Hostname string }
		getJSON(t, hostURL(t, container(t, task, "web"), 8080)+"/", &root)
		hosts[root.Hostname] = true
	}
	return hosts
}

func subset(got map[string]int, of map[string]bool) bool {
	for h := range got {
		if !of[h] {
			return false
		}
	}
	return true
}

// deleteTaskSetService deletes the service, waits for every one of its
// tasks to stop and for the agent to remove their containers, and removes
// any the agent left.
func deleteTaskSetService(t testing.TB, c *ecs.Client, rt *docker.Runtime, cluster, service string, seen map[string]bool) {
	ctx := context.Background()
	if _, err := c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), Force: aws.Bool(true)}); err != nil {
		t.Errorf("cleanup: delete service: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		live := 0
		for _, task := range serviceTasks(t, c, cluster, service) {
			seen[aws.ToString(task.TaskArn)] = true
			if !stopped(task) {
				live++
			}
		}
		if live == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The agent removes stopped tasks' containers after CleanupAfter (2s
	// here); whatever is left after a bounded wait is removed here.
	deadline = time.Now().Add(15 * time.Second)
	for arn := range seen {
		for {
			left, err := rt.ListContainers(ctx, map[string]string{"com.amazonaws.ecs.task-arn": arn}, true)
			if err != nil {
				t.Errorf("cleanup: list containers: %v", err)
				break
			}
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				for _, k := range left {
					_ = rt.RemoveContainer(ctx, k.ID, true)
				}
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

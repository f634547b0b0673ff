package e2e

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/testkit/images"
)

// plainDef registers a bridge task definition with no health check, so a
// task counts as healthy as soon as it is RUNNING: the hard case for a
// revision that crashes a moment after it starts.
func plainDef(t testing.TB, c *ecs.Client, imgs images.Images, family string, args ...string) string {
	t.Helper()
	out := apitest.Must(c.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
			Command: append([]string{"-listen", ":8080"}, args...), DockerLabels: map[string]string{"wharf.test": "1"}, StopTimeout: aws.Int32(2)}}}))(t)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// goodTasks watches a service and remembers the fewest RUNNING tasks of
// the good revision seen at any sample.
type goodTasks struct {
	mu     sync.Mutex
	fewest int
}

func (g *goodTasks) sample(tasks []types.Task, good string) {
	n := 0
	for _, task := range tasks {
		if aws.ToString(task.TaskDefinitionArn) == good && running(task) && aws.ToString(task.DesiredStatus) == "RUNNING" {
			n++
		}
	}
	g.mu.Lock()
	g.fewest = min(g.fewest, n)
	g.mu.Unlock()
}

// TestCrashLoopBreaker: desired 4, minimumHealthyPercent 50, breaker with
// rollback, updated to a revision that exits 1 two seconds after it starts.
// The broken tasks reach RUNNING but never stay up for the stabilisation
// window, so they never replace the good ones: at least 2 good tasks run
// throughout, the breaker trips within its threshold, and the rollback
// resumes the old deployment, keeping its running tasks.
func TestCrashLoopBreaker(t *testing.T) {
	_, c, imgs := startCluster(t, "crash")
	ctx := context.Background()
	good := plainDef(t, c, imgs, "crash-web")
	bad := plainDef(t, c, imgs, "crash-web", "-crash-after", "2s")
	cfg := breaker(true)
	cfg.MinimumHealthyPercent, cfg.MaximumPercent = aws.Int32(50), aws.Int32(200)
	created := apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("crash"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(good), DesiredCount: aws.Int32(4), DeploymentConfiguration: cfg}))(t)
	first := aws.ToString(created.Service.Deployments[0].Id)
	waitStable(t, c, "crash", "web", 180*time.Second)
	goodBefore := map[string]bool{}
	for _, task := range serviceTasks(t, c, "crash", "web") {
		goodBefore[aws.ToString(task.TaskArn)] = true
	}

	g := &goodTasks{fewest: 4}
	stop := sampleTasks(c, "crash", "web", 100*time.Millisecond, func(ts []types.Task) { g.sample(ts, good) })
	start := time.Now()
	upd := apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("crash"), Service: aws.String("web"), TaskDefinition: aws.String(bad)}))(t)
	broken := aws.ToString(upd.Service.Deployments[0].Id)

	var failedAt time.Duration
	waitCondition(t, 180*time.Second, "breaker tripped", func() bool {
		s := describeService(t, c, "crash", "web")
		if strings.Contains(eventText(s, 30), "deployment failed: tasks failed to start.") {
			failedAt = time.Since(start)
			return true
		}
		return false
	})
	var s types.Service
	waitCondition(t, 180*time.Second, "rolled back and stable", func() bool {
		s = describeService(t, c, "crash", "web")
		return aws.ToString(s.TaskDefinition) == good && len(s.Deployments) == 1 &&
			s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted && s.RunningCount == 4
	})
	rolledBack := time.Since(start)
	stop()

	launched := len(tasksStartedBy(t, c, "crash", broken))
	t.Logf("broken revision: %d launches before the trip; FAILED after %s; rollback COMPLETED after %s; fewest good tasks running %d",
		launched, failedAt.Round(100*time.Millisecond), rolledBack.Round(100*time.Millisecond), g.fewest)
	if g.fewest < 2 {
		t.Fatalf("only %d good tasks ran at one point; minimumHealthyPercent 50 of 4 keeps 2", g.fewest)
	}
	if launched < 3 || launched > 8 {
		t.Fatalf("the broken deployment launched %d tasks; want the breaker (threshold 3) to stop it within 8", launched)
	}
	if id := aws.ToString(s.Deployments[0].Id); id != first {
		t.Fatalf("rollback runs deployment %s, want the old one resumed (%s)", id, first)
	}
	if !strings.Contains(eventText(s, 40), "rolling back to deployment "+first) {
		t.Fatalf("events: %s", eventText(s, 40))
	}
	kept := 0
	for _, task := range serviceTasks(t, c, "crash", "web") {
		if goodBefore[aws.ToString(task.TaskArn)] {
			kept++
		}
	}
	if kept < 2 {
		t.Fatalf("%d of the old tasks still run after the rollback; the rollback must keep them", kept)
	}
}

// TestCrashLoopWithoutBreaker: with no circuit breaker a crashing revision
// neither drains the service nor completes, and its relaunches slow down.
func TestCrashLoopWithoutBreaker(t *testing.T) {
	_, c, imgs := startCluster(t, "loop")
	ctx := context.Background()
	good := plainDef(t, c, imgs, "loop-web")
	bad := plainDef(t, c, imgs, "loop-web", "-crash-after", "1s")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("loop"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(good), DesiredCount: aws.Int32(2)}))(t)
	waitStable(t, c, "loop", "web", 180*time.Second)

	g := &goodTasks{fewest: 2}
	stop := sampleTasks(c, "loop", "web", 100*time.Millisecond, func(ts []types.Task) { g.sample(ts, good) })
	upd := apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("loop"), Service: aws.String("web"), TaskDefinition: aws.String(bad)}))(t)
	broken := aws.ToString(upd.Service.Deployments[0].Id)
	steadyBefore := strings.Count(eventText(describeService(t, c, "loop", "web"), 100), "has reached a steady state.")
	// Watch for 40 s: without a throttle, 2 tasks crashing every ~2 s would
	// be some 40 launches.
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		s := describeService(t, c, "loop", "web")
		for _, d := range s.Deployments {
			if aws.ToString(d.Id) == broken && d.RolloutState == types.DeploymentRolloutStateCompleted {
				t.Fatalf("the crashing deployment reported COMPLETED: %+v", d)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	stop()
	s := describeService(t, c, "loop", "web")
	launched := len(tasksStartedBy(t, c, "loop", broken))
	t.Logf("no breaker: %d launches of the crashing revision in 40 s; fewest good tasks running %d", launched, g.fewest)
	if g.fewest < 2 {
		t.Fatalf("only %d good tasks ran at one point; minimumHealthyPercent 100 keeps both", g.fewest)
	}
	if n := strings.Count(eventText(s, 100), "has reached a steady state."); n != steadyBefore {
		t.Fatalf("the service said it reached a steady state while crashing: %s", eventText(s, 20))
	}
	if !strings.Contains(eventText(s, 100), "is unable to consistently start tasks successfully") {
		t.Fatalf("no throttle event: %s", eventText(s, 20))
	}
	if launched > 10 {
		t.Fatalf("%d launches in 40 s: the relaunches are not throttled", launched)
	}
}

// TestProtectedTasks: a task with scale-in protection outlives a scale-in
// and holds a deployment back until its protection is turned off.
func TestProtectedTasks(t *testing.T) {
	_, c, imgs := startCluster(t, "prot")
	ctx := context.Background()
	v1 := plainDef(t, c, imgs, "prot-web")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("prot"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(v1), DesiredCount: aws.Int32(3)}))(t)
	waitStable(t, c, "prot", "web", 180*time.Second)
	tasks := serviceTasks(t, c, "prot", "web")
	// The first-listed task is protected: scale-in stops tasks in the
	// order it reads them, so without protection this one would go first.
	keep := aws.ToString(tasks[0].TaskArn)
	apitest.Must(c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("prot"), Tasks: []string{keep},
		ProtectionEnabled: true, ExpiresInMinutes: aws.Int32(60)}))(t)

	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prot"), Service: aws.String("web"), DesiredCount: aws.Int32(1)}))(t)
	waitCondition(t, 60*time.Second, "scaled in to 1", func() bool {
		ts := serviceTasks(t, c, "prot", "web")
		return len(ts) == 1 && aws.ToString(ts[0].TaskArn) == keep
	})

	v2 := plainDef(t, c, imgs, "prot-web", "-term-delay", "10ms")
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prot"), Service: aws.String("web"), TaskDefinition: aws.String(v2)}))(t)
	// The new task comes up and stays up for the stabilisation window; the
	// protected one keeps running and the deployment waits for it.
	waitCondition(t, 90*time.Second, "new task running beside the protected one", func() bool {
		n := 0
		for _, task := range serviceTasks(t, c, "prot", "web") {
			if aws.ToString(task.TaskDefinitionArn) == v2 && running(task) {
				n++
			}
		}
		return n == 1
	})
	time.Sleep(12 * time.Second) // longer than the stabilisation window
	s := describeService(t, c, "prot", "web")
	if s.Deployments[0].RolloutState != types.DeploymentRolloutStateInProgress || !slices.ContainsFunc(serviceTasks(t, c, "prot", "web"), func(task types.Task) bool {
		return aws.ToString(task.TaskArn) == keep
	}) {
		t.Fatalf("the protected task was stopped or the deployment completed without it: %s", eventText(s, 10))
	}
	apitest.Must(c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("prot"), Tasks: []string{keep}, ProtectionEnabled: false}))(t)
	s = waitStable(t, c, "prot", "web", 90*time.Second)
	if aws.ToString(s.TaskDefinition) != v2 || s.RunningCount != 1 {
		t.Fatalf("after protection ended: %s running %d", aws.ToString(s.TaskDefinition), s.RunningCount)
	}
}

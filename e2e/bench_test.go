package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/runtime/docker"
)

// benchTasks is how many tasks each side starts.
const benchTasks = 50

// BenchmarkTaskStart prints RunTask → RUNNING latency (as a client sees it,
// polling DescribeTasks every 5 ms) beside a plain Docker create+start of
// the same image with the same command, and their ratio. Run with
// -benchtime=1x: each side starts benchTasks containers one after another.
// timeTaskStart runs one task of family in cluster and returns its ARN
// and how long it took to be RUNNING (polled every 5 ms, a minute at most).
func timeTaskStart(b *testing.B, c *ecs.Client, cluster, family string) (string, time.Duration) {
	b.Helper()
	ctx := context.Background()
	t0 := time.Now()
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family)}))(b)
	if len(run.Tasks) != 1 {
		b.Fatalf("RunTask failures: %+v", run.Failures)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	for {
		out := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{arn}}))(b)
		if running(out.Tasks[0]) {
			return arn, time.Since(t0)
		}
		if stopped(out.Tasks[0]) || time.Since(t0) > time.Minute {
			b.Fatalf("task did not start: %s", describe(out.Tasks[0]))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopTasksAndWait stops the tasks and waits (bounded) until each is STOPPED.
func stopTasksAndWait(b *testing.B, c *ecs.Client, cluster string, arns []string) {
	b.Helper()
	for _, arn := range arns {
		apitest.Must(c.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn)}))(b)
	}
	for _, arn := range arns {
		waitTask(b, c, cluster, arn, time.Minute, "STOPPED", stopped)
	}
}

func BenchmarkTaskStart(b *testing.B) {
	rt, image, c := benchCluster(b, "bench", 32)
	ctx := context.Background()

	for b.Loop() {
		var wharf, plain []time.Duration
		var arns []string
		for range benchTasks {
			arn, d := timeTaskStart(b, c, "bench", "bench")
			wharf = append(wharf, d)
			arns = append(arns, arn)
		}
		// Measure the baseline on a quiet engine, not while these stop.
		stopTasksAndWait(b, c, "bench", arns)
		for i := range benchTasks {
			t0 := time.Now()
			id, err := startAndWait(ctx, rt, docker.ContainerSpec{Name: fmt.Sprintf("wharf-bench-%d-%d", time.Now().UnixNano(), i), Image: image,
				Command: []string{"-listen", ":8080"}, Memory: 32 << 20, Labels: map[string]string{"wharf.test": "1"}}, 5*time.Millisecond, nil)
			if err != nil {
				if id != "" {
					_ = rt.RemoveContainer(ctx, id, true)
				}
				b.Fatal(err)
			}
			plain = append(plain, time.Since(t0))
			_ = rt.RemoveContainer(ctx, id, true)
		}
		wp50, wp99 := percentiles(wharf)
		dp50, dp99 := percentiles(plain)
		b.ReportMetric(wp50.Seconds()*1000, "wharf-p50-ms")
		b.ReportMetric(wp99.Seconds()*1000, "wharf-p99-ms")
		b.ReportMetric(dp50.Seconds()*1000, "docker-p50-ms")
		b.ReportMetric(dp99.Seconds()*1000, "docker-p99-ms")
		b.ReportMetric(wp50.Seconds()/dp50.Seconds(), "p50-ratio")
		b.ReportMetric(wp99.Seconds()/dp99.Seconds(), "p99-ratio")
	}
}

// benchCluster starts wharf with an agent, creates cluster name and a
// family of the same name (one container of the test app with memory MiB),
// and waits for the agent's container instance. It returns the engine, the
// app image and an ECS client.
func benchCluster(b *testing.B, name string, memory int32) (*docker.Runtime, string, *ecs.Client) {
	rt, imgs := wharftest.Images(b)
	w := wharftest.StartWithAgent(b)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name)}))(b)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(name),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(memory),
			Command: []string{"-listen", ":8080"}, DockerLabels: map[string]string{"wharf.test": "1"}}}}))(b)
	waitInstance(b, c, name)
	return rt, imgs.App, c
}

// startAndWait creates and starts a container and polls every poll until
// it runs (at most 10 s). The id is returned whenever the container was
// created, so the caller can remove it. mark, when not nil, is told each
// step as it happens (create.called, create.done, start.called,
// start.done, running), for a benchmark's timeline.
func startAndWait(ctx context.Context, rt *docker.Runtime, spec docker.ContainerSpec, poll time.Duration, mark func(step string)) (string, error) {
	if mark == nil {
		mark = func(string) {}
	}
	mark("create.called")
	id, err := rt.CreateContainer(ctx, spec)
	mark("create.done")
	if err != nil {
		return "", err
	}
	mark("start.called")
	err = rt.StartContainer(ctx, id)
	mark("start.done")
	if err != nil {
		return id, err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(poll) {
		st, err := rt.InspectContainer(ctx, id)
		if err != nil {
			return id, err
		}
		if st.Running {
			mark("running")
			return id, nil
		}
	}
	return id, fmt.Errorf("container %s not running after 10 s", id)
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	// The nearest-rank method: the smallest value at or above p of the data.
	return s[(len(s)*50+99)/100-1], s[(len(s)*99+99)/100-1]
}

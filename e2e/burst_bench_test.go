package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/runtime/docker"
)

// burstWorkers is the concurrency of the plain Engine API client wharf is
// compared with.
const burstWorkers = 8

// BenchmarkTaskBurst starts benchTasks tasks at once (RunTask with count 10,
// five calls in parallel) and measures until every one is RUNNING, then
// has an 8-way Engine API client create and start as many containers of
// the same image and command, until each is running. It prints both
// throughputs and their ratio (issue 10's target: ≥ 0.9). Run with
// -benchtime=1x; it leaves no container behind.
func BenchmarkTaskBurst(b *testing.B) {
	rt, image, c := benchCluster(b, "burst", 16)

	for b.Loop() {
		wharfTook := burstWharf(b, c)
		plainTook := burstPlain(b, rt, image)
		wr, pr := benchTasks/wharfTook.Seconds(), benchTasks/plainTook.Seconds()
		b.ReportMetric(wr, "wharf-tasks/s")
		b.ReportMetric(pr, "engine-8way-containers/s")
		b.ReportMetric(wr/pr, "ratio")
		fmt.Fprintf(os.Stderr, "burst of %d: wharf %.2fs (%.1f tasks/s), %d-way Engine API client %.2fs (%.1f containers/s), ratio %.2f\n",
			benchTasks, wharfTook.Seconds(), wr, burstWorkers, plainTook.Seconds(), pr, wr/pr)
	}
}

// burstWharf runs benchTasks tasks at once and returns how long until all
// were RUNNING; it stops them and waits for STOPPED before returning, so
// the baseline runs on a quiet engine.
func burstWharf(b *testing.B, c *ecs.Client) time.Duration {
	ctx := context.Background()
	const perCall = 10
	var mu sync.Mutex
	var arns []string
	var wg sync.WaitGroup
	errs := make(chan error, benchTasks/perCall)
	t0 := time.Now()
	for range benchTasks / perCall {
		wg.Go(func() {
			out, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("burst"), TaskDefinition: aws.String("burst"), Count: aws.Int32(perCall)})
			if err == nil && len(out.Failures) > 0 {
				err = fmt.Errorf("RunTask failures: %+v", out.Failures)
			}
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			for _, t := range out.Tasks {
				arns = append(arns, aws.ToString(t.TaskArn))
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	defer stopAll(b, c, "burst", arns)
	for err := range errs {
		b.Fatal(err)
	}
	deadline := t0.Add(3 * time.Minute)
	for {
		out := must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("burst"), Tasks: arns}))(b)
		up := 0
		for _, t := range out.Tasks {
			if stopped(t) {
				b.Fatalf("task stopped during the burst: %s", describe(t))
			}
			if running(t) {
				up++
			}
		}
		if up == len(arns) {
			return time.Since(t0)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d tasks RUNNING after 3 minutes", up, len(arns))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopAll stops the tasks and waits until each is STOPPED.
func stopAll(b *testing.B, c *ecs.Client, cluster string, arns []string) {
	ctx := context.Background()
	for _, arn := range arns {
		if _, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn)}); err != nil {
			b.Errorf("stop %s: %v", arn, err)
		}
	}
	for _, arn := range arns {
		waitTask(b, c, cluster, arn, 2*time.Minute, "STOPPED", stopped)
	}
}

// burstPlain creates and starts benchTasks containers with burstWorkers
// goroutines, as a capable Engine API client would, and returns how long
// until every one was running. It removes them before returning.
func burstPlain(b *testing.B, rt *docker.Runtime, image string) time.Duration {
	ctx := context.Background()
	jobs := make(chan int, benchTasks)
	for i := range benchTasks {
		jobs <- i
	}
	close(jobs)
	var mu sync.Mutex
	var ids []string
	var firstErr error
	var wg sync.WaitGroup
	t0 := time.Now()
	for range burstWorkers {
		wg.Go(func() {
			for i := range jobs {
				id, err := startAndWait(ctx, rt, docker.ContainerSpec{Name: fmt.Sprintf("wharf-burst-%d-%d", t0.UnixNano(), i), Image: image,
					Command: []string{"-listen", ":8080"}, Memory: 16 << 20, Labels: map[string]string{"wharf.test": "1"}}, 20*time.Millisecond)
				mu.Lock()
				if id != "" {
					ids = append(ids, id)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(t0)
	for _, id := range ids {
		if err := rt.RemoveContainer(ctx, id, true); err != nil {
			b.Errorf("remove %s: %v", id, err)
		}
	}
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return took
}

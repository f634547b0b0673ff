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

	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/runtime/docker"
)

// benchTasks is how many tasks each side starts.
const benchTasks = 50

// BenchmarkTaskStart prints RunTask → RUNNING latency (as a client sees it,
// polling DescribeTasks every 5 ms) beside a plain Docker create+start of
// the same image with the same command, and their ratio. Run with
// -benchtime=1x: each side starts benchTasks containers one after another.
func BenchmarkTaskStart(b *testing.B) {
	rt, imgs := wharftest.Images(b)
	w := wharftest.StartWithAgent(b)
	c, ctx := w.ECS(), context.Background()
	must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bench")}))(b)
	must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("bench"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
			Command: []string{"-listen", ":8080"}, DockerLabels: map[string]string{"wharf.test": "1"}}}}))(b)
	waitInstance(b, c, "bench")

	for b.Loop() {
		var wharf, plain []time.Duration
		var arns []string
		for range benchTasks {
			t0 := time.Now()
			run := must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("bench"), TaskDefinition: aws.String("bench")}))(b)
			if len(run.Tasks) != 1 {
				b.Fatalf("RunTask failures: %+v", run.Failures)
			}
			arn := aws.ToString(run.Tasks[0].TaskArn)
			for {
				out := must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("bench"), Tasks: []string{arn}}))(b)
				if running(out.Tasks[0]) {
					break
				}
				if stopped(out.Tasks[0]) || time.Since(t0) > time.Minute {
					b.Fatalf("task did not start: %s", describe(out.Tasks[0]))
				}
				time.Sleep(5 * time.Millisecond)
			}
			wharf = append(wharf, time.Since(t0))
			arns = append(arns, arn)
		}
		for _, arn := range arns {
			must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("bench"), Task: aws.String(arn)}))(b)
		}
		// Measure the baseline on a quiet engine, not while these stop.
		for _, arn := range arns {
			waitTask(b, c, "bench", arn, time.Minute, "STOPPED", stopped)
		}
		for i := range benchTasks {
			t0 := time.Now()
			id, err := rt.CreateContainer(ctx, docker.ContainerSpec{Name: fmt.Sprintf("wharf-bench-%d-%d", time.Now().UnixNano(), i), Image: imgs.App,
				Command: []string{"-listen", ":8080"}, Memory: 32 << 20, Labels: map[string]string{"wharf.test": "1"}})
			if err != nil {
				b.Fatal(err)
			}
			if err := rt.StartContainer(ctx, id); err != nil {
				b.Fatal(err)
			}
			for {
				st, err := rt.InspectContainer(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				if st.Running {
					break
				}
				time.Sleep(5 * time.Millisecond)
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

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	// The nearest-rank method: the smallest value at or above p of the data.
	return s[(len(s)*50+99)/100-1], s[(len(s)*99+99)/100-1]
}

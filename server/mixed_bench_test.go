package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// BenchmarkMixedLoad offers an open-loop 500 req/s mix of ECS calls through
// aws-sdk-go-v2 to an in-process wharf without an agent: 200 simulated
// container instances (kept connected through the poll endpoint), 1,000
// stored tasks, a service of 10, and registrations into one family while
// that family is described. It prints the achieved rate and p50/p99 per
// call type (the target: p99 ≤ 25 ms). Run it with -benchtime 1x;
// WHARF_MIX_SECONDS sets the length of the load (default 10).
func BenchmarkMixedLoad(b *testing.B) {
	for range b.N {
		mixedRun(b, 500, time.Duration(envInts("WHARF_MIX_SECONDS", []int{10})[0])*time.Second)
	}
}

func mixedRun(b *testing.B, rate int, length time.Duration) {
	b.StopTimer()
	w := wharftest.Start(b)
	c := w.ECS()
	ctx := context.Background()
	const cluster, family = "mix", "mix"
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		b.Fatal(err)
	}
	nodes := make([]string, 200)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("node-%04d", i)
		if _, err := c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{Cluster: aws.String(cluster),
			TotalResources: []types.Resource{
				{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 1 << 20},
				{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 1 << 22},
				{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"22"}}},
			Attributes: []types.Attribute{{Name: aws.String(agentproto.NodeAttribute), Value: aws.String(nodes[i])},
				{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.18")}},
			VersionInfo: &types.VersionInfo{AgentVersion: aws.String("1.0.0")}}); err != nil {
			b.Fatal(err)
		}
	}
	hbCtx, stopHB := context.WithCancel(ctx)
	var hb sync.WaitGroup
	hb.Go(func() { heartbeatAll(hbCtx, w.URL(), nodes) })
	defer func() { stopHB(); hb.Wait(); w.Stop() }()
	if err := pollNodes(ctx, w.URL(), nodes); err != nil {
		b.Fatal(err)
	}
	registerRevisions(b, c, family, 100)
	var taskARNs []string
	var tmu sync.Mutex
	runTask := func(count int32) error {
		out, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family), Count: aws.Int32(count)})
		if err != nil {
			return err
		}
		if len(out.Failures) > 0 {
			return fmt.Errorf("RunTask: %s", aws.ToString(out.Failures[0].Reason))
		}
		tmu.Lock()
		for _, t := range out.Tasks {
			taskARNs = append(taskARNs, aws.ToString(t.TaskArn))
		}
		tmu.Unlock()
		return nil
	}
	for range 100 {
		if err := runTask(10); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(family), DesiredCount: aws.Int32(10)}); err != nil {
		b.Fatal(err)
	}
	sample := func(rng *rand.Rand, n int) []string {
		tmu.Lock()
		defer tmu.Unlock()
		out := make([]string, n)
		for i := range out {
			out[i] = taskARNs[rng.IntN(len(taskARNs))]
		}
		return out
	}
	type call struct {
		name   string
		weight int
		do     func(rng *rand.Rand) error
	}
	calls := []call{
		{"DescribeTasks10", 25, func(rng *rand.Rand) error {
			_, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: sample(rng, 10)})
			return err
		}},
		{"ListTasksPage", 20, func(*rand.Rand) error {
			_, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster)})
			return err
		}},
		{"DescribeServices", 20, func(*rand.Rand) error {
			_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"web"}})
			return err
		}},
		{"RunTask", 5, func(*rand.Rand) error { return runTask(1) }},
		{"RegisterTaskDefinition", 5, func(*rand.Rand) error {
			_, err := c.RegisterTaskDefinition(ctx, taskDefInput(family))
			return err
		}},
		{"DescribeTaskDefinition", 25, func(*rand.Rand) error {
			_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
			return err
		}},
	}
	var pick []int // call index by weight slot
	for i, cl := range calls {
		for range cl.weight {
			pick = append(pick, i)
		}
	}
	lat := make([][]time.Duration, len(calls))
	var mu sync.Mutex
	var firstErr error
	var inflight sync.WaitGroup
	sem := make(chan struct{}, 256) // more in flight than this is a collapse
	interval := time.Second / time.Duration(rate)
	total := int(length / interval)
	dropped := 0
	b.StartTimer()
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		select {
		case sem <- struct{}{}:
		default:
			dropped++
			continue
		}
		k := pick[i%len(pick)*7%len(pick)]
		inflight.Go(func() {
			defer func() { <-sem }()
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			t0 := time.Now()
			err := calls[k].do(rng)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", calls[k].name, err)
			}
			lat[k] = append(lat[k], d)
		})
	}
	inflight.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	done := 0
	var all []time.Duration
	for _, d := range lat {
		done += len(d)
		all = append(all, d...)
	}
	achieved := float64(done) / elapsed.Seconds()
	b.ReportMetric(achieved, "req/s")
	progress(b, "mixed load: offered %d req/s for %v, achieved %.0f req/s, %d not sent (256 in flight)", rate, length, achieved, dropped)
	report := func(name string, d []time.Duration) {
		slices.Sort(d)
		pct := func(p float64) float64 { return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000 }
		b.ReportMetric(pct(0.99), name+"-p99-ms")
		progress(b, "%-24s n=%-5d p50 %8.2f ms  p99 %8.2f ms", name, len(d), pct(0.50), pct(0.99))
	}
	for i, cl := range calls {
		report(cl.name, lat[i])
	}
	report("all", all)
	var ms runtimeMem
	ms.read()
	progress(b, "heap in use %d MiB, sys %d MiB, RSS %d MiB (%d MiB of it files mapped in; peak %d MiB)", ms.heapInuse>>20, ms.sys>>20, ms.rss>>20, ms.rssFile>>20, ms.peakRSS>>20)
	fmt.Fprintln(os.Stderr)
}

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// BenchmarkScale measures the ECS calls whose cost grows with the size of a
// cluster: 200 simulated container instances (registered through
// RegisterContainerInstance, kept connected through the agent poll
// endpoint, no Docker) and tasks stored through RunTask. It prints p50/p99
// per call for each operation (DescribeTaskDefinition by family included)
// and the bytes the store holds per task; it asserts nothing about time.
// Run it with -benchtime 1x.
//
// WHARF_SCALE_INSTANCES and WHARF_SCALE_TASKS (comma-separated) change the
// sizes, e.g. WHARF_SCALE_INSTANCES=1000 WHARF_SCALE_TASKS=100.
func BenchmarkScale(b *testing.B) {
	instances := envInts("WHARF_SCALE_INSTANCES", []int{200})
	tasks := envInts("WHARF_SCALE_TASKS", []int{100, 10000})
	for _, ni := range instances {
		for _, nt := range tasks {
			b.Run(fmt.Sprintf("instances=%d/tasks=%d", ni, nt), func(b *testing.B) {
				for range b.N {
					scaleRun(b, ni, nt)
				}
			})
		}
	}
}

func envInts(name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, s := range bytes.Split([]byte(v), []byte(",")) {
		n, err := strconv.Atoi(string(s))
		if err != nil || n <= 0 {
			panic(fmt.Sprintf("%s: %q is not a positive integer list", name, v))
		}
		out = append(out, n)
	}
	return out
}

// scaleRun builds one cluster of ni instances and nt tasks and times the
// calls on it.
func scaleRun(b *testing.B, ni, nt int) {
	b.StopTimer()
	w := wharftest.Start(b)
	c := w.ECS()
	ctx := context.Background()
	const cluster = "scale"
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		b.Fatal(err)
	}
	nodes := make([]string, ni)
	instARNs := make([]string, ni)
	for i := range ni {
		nodes[i] = fmt.Sprintf("node-%04d", i)
		out, err := c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
			Cluster: aws.String(cluster),
			TotalResources: []types.Resource{
				{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 1 << 20},
				{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 1 << 22},
				{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"22"}},
			},
			Attributes: []types.Attribute{{Name: aws.String(agentproto.NodeAttribute), Value: aws.String(nodes[i])},
				{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.18")}},
			VersionInfo: &types.VersionInfo{AgentVersion: aws.String("1.0.0")},
		})
		if err != nil {
			b.Fatal(err)
		}
		instARNs[i] = aws.ToString(out.ContainerInstance.ContainerInstanceArn)
	}
	// The simulated agents poll as real ones do, so that their instances
	// stay connected (and placeable) however long the setup takes.
	hbCtx, stopHB := context.WithCancel(ctx)
	var hb sync.WaitGroup
	hb.Go(func() { heartbeatAll(hbCtx, w.URL(), nodes) })
	defer func() { stopHB(); hb.Wait() }()
	if err := pollNodes(ctx, w.URL(), nodes); err != nil {
		b.Fatal(err)
	}
	if _, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("scale"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("wharf-test/app:latest"),
			Cpu: 1, Memory: aws.Int32(6), PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}}}); err != nil {
		b.Fatal(err)
	}
	runTask := func(count int32) ([]string, error) {
		out, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String("scale"), Count: aws.Int32(count)})
		if err != nil {
			return nil, err
		}
		if len(out.Failures) > 0 {
			return nil, fmt.Errorf("RunTask failures: %s %s", aws.ToString(out.Failures[0].Reason), aws.ToString(out.Failures[0].Detail))
		}
		var arns []string
		for _, t := range out.Tasks {
			arns = append(arns, aws.ToString(t.TaskArn))
		}
		return arns, nil
	}
	var taskARNs []string
	setup := time.Now()
	for len(taskARNs) < nt {
		arns, err := runTask(int32(min(10, nt-len(taskARNs))))
		if err != nil {
			b.Fatal(err)
		}
		taskARNs = append(taskARNs, arns...)
	}
	progress(b, "instances=%d tasks=%d: setup %v", ni, nt, time.Since(setup).Round(time.Millisecond))
	var mem runtimeMem
	mem.read()
	b.ReportMetric(float64(mem.heapInuse)/(1<<20), "heap-inuse-MiB")
	b.ReportMetric(float64(mem.sys)/(1<<20), "sys-MiB")
	b.ReportMetric(float64(mem.rss)/(1<<20), "rss-MiB")
	progress(b, "instances=%d tasks=%d: heap in use %d MiB, runtime sys %d MiB, RSS %d MiB (%d MiB of it files mapped in, the store's among them; peak %d MiB) (wharf and the benchmark's client)", ni, nt, mem.heapInuse>>20, mem.sys>>20, mem.rss>>20, mem.rssFile>>20, mem.peakRSS>>20)
	b.StartTimer()

	rng := rand.New(rand.NewPCG(1, 2))
	sample := func(n int) []string {
		out := make([]string, 0, n)
		for _, i := range rng.Perm(len(taskARNs))[:min(n, len(taskARNs))] {
			out = append(out, taskARNs[i])
		}
		return out
	}
	// Expensive calls get fewer samples so that a slow baseline still ends.
	heavy := 5
	if nt >= 5000 {
		heavy = 2
	}
	measure(b, "RunTask", 20, func() error {
		arns, err := runTask(1)
		taskARNs = append(taskARNs, arns...)
		return err
	})
	measure(b, "DescribeTasks100", 20, func() error {
		out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: sample(100)})
		if err == nil && len(out.Tasks) != min(100, len(taskARNs)) {
			err = fmt.Errorf("DescribeTasks: %d tasks, %d failures", len(out.Tasks), len(out.Failures))
		}
		return err
	})
	measure(b, "ListTasksPage", 20, func() error {
		_, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster)})
		return err
	})
	measure(b, "ListTasksAll", heavy, func() error {
		n := 0
		p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cluster)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			n += len(out.TaskArns)
		}
		if n != len(taskARNs) {
			return fmt.Errorf("ListTasks paged %d tasks, want %d", n, len(taskARNs))
		}
		return nil
	})
	measure(b, "DescribeClusters", 20, func() error {
		out, err := c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
		if err == nil && int(out.Clusters[0].PendingTasksCount) != len(taskARNs) {
			err = fmt.Errorf("DescribeClusters: %d pending, want %d", out.Clusters[0].PendingTasksCount, len(taskARNs))
		}
		return err
	})
	measure(b, "DescribeContainerInstances100", heavy, func() error {
		_, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster),
			ContainerInstances: instARNs[:min(100, len(instARNs))]})
		return err
	})
	measure(b, "DescribeTaskDefinitionFamily", 20, func() error {
		out, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("scale")})
		if err == nil && aws.ToString(out.TaskDefinition.Family) != "scale" {
			err = fmt.Errorf("DescribeTaskDefinition: family %q", aws.ToString(out.TaskDefinition.Family))
		}
		return err
	})
	svc := 0
	measure(b, "ServiceReconcile10", heavy, func() error {
		svc++
		name := fmt.Sprintf("svc-%d", svc)
		if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String(name),
			TaskDefinition: aws.String("scale"), DesiredCount: aws.Int32(10)}); err != nil {
			return err
		}
		// The service controller's first pass places the ten tasks; the
		// call returns at once, so the time is until they are counted.
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
			if err != nil {
				return err
			}
			if s := out.Services[0]; s.PendingCount+s.RunningCount == 10 {
				taskARNs = append(taskARNs, make([]string, 10)...) // counted, not described
				return nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		return fmt.Errorf("service %s never reached 10 tasks", name)
	})
	b.StopTimer()
	fi, err := os.Stat(filepath.Join(w.DataDir, "wharf.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/float64(len(taskARNs)), "db-bytes/task")
	progress(b, "instances=%d tasks=%d: wharf.db %d bytes, %d bytes/task", ni, nt, fi.Size(), fi.Size()/int64(len(taskARNs)))
	// The file grows in steps; the records themselves say what a task
	// costs, split into its record and its index entries.
	stopHB()
	w.Stop()
	recs, idx := storedBytes(b, filepath.Join(w.DataDir, "wharf.db"))
	b.ReportMetric(float64(recs)/float64(len(taskARNs)), "record-bytes/task")
	b.ReportMetric(float64(idx)/float64(len(taskARNs)), "index-bytes/task")
	progress(b, "instances=%d tasks=%d: task records %d bytes/task, index entries %d bytes/task (keys and values)",
		ni, nt, recs/int64(len(taskARNs)), idx/int64(len(taskARNs)))
}

// storedBytes sums the keys and values of task records and of everything
// kept beside them per task (index entries, node assignments).
func storedBytes(b *testing.B, path string) (records, index int64) {
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.View(context.Background(), func(tx store.ReadTx) error {
		for _, prefix := range []string{"ecs/", "wharf/"} {
			kvs, err := tx.List(prefix, "", 0)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				n := int64(len(kv.Key) + len(kv.Value))
				switch p := strings.SplitN(kv.Key, "/", 5); {
				case len(p) == 5 && p[3] == "tasks":
					records += n
				case len(p) >= 4 && p[3] == "idx", p[1] == "idx", p[1] == "node-tasks":
					index += n
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return records, index
}

// progress logs at once as well as in the benchmark's log, so that a
// long run that is cut short still shows what it measured.
func progress(b *testing.B, format string, args ...any) {
	b.Helper()
	fmt.Fprintf(os.Stderr, "scale: "+format+"\n", args...)
	b.Logf(format, args...)
}

// measure runs fn n times and reports its p50 and p99 in milliseconds.
func measure(b *testing.B, name string, n int, fn func() error) {
	b.Helper()
	d := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	pct := func(p float64) float64 { return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
	progress(b, "%-30s n=%-3d p50 %9.2f ms  p99 %9.2f ms", name, n, pct(0.50), pct(0.99))
}

// heartbeatAll polls every node every 15 s (the heartbeat timeout is 45 s)
// until ctx ends.
func heartbeatAll(ctx context.Context, url string, nodes []string) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = pollNodes(ctx, url, nodes)
		}
	}
}

// pollNodes makes one immediate poll per node, as an agent's first poll.
func pollNodes(ctx context.Context, url string, nodes []string) error {
	for _, n := range nodes {
		body, _ := json.Marshal(agentproto.PollRequest{NodeID: n})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+agentproto.PollPath, bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("poll %s: %s", n, resp.Status)
		}
	}
	return nil
}

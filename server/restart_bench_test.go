package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/runtime/docker"
	"github.com/wharfhq/wharf/server"
)

// BenchmarkRestart measures a restart of `wharf up` with N clusters, half
// in us-east-1 and half in eu-west-1, in which the embedded agent is already
// a container instance: the time from server.Start until /_wharf/health
// answers 200, until a RunTask into one existing cluster is accepted, and
// until that task's container has been started by the agent (lastStatus
// past PROVISIONING). It also reports how long the first start took to join
// every cluster. Run one size at a time, once:
//
//	go test -run '^$' -bench 'Restart/clusters=1000$' -benchtime 1x ./server/
func BenchmarkRestart(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			_, imgs := wharftest.Images(b)
			dir := b.TempDir()
			b.Cleanup(func() { removeAgentContainers(b, dir) })
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if os.Getenv("WHARF_TEST_LOG") != "" {
				log = slog.New(slog.NewTextHandler(os.Stderr, nil))
			}
			start := func(agent bool) *server.Server {
				srv, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: dir, Log: log,
					NoAgent: !agent, CleanupAfter: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				return srv
			}
			stop := func(srv *server.Server) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					b.Fatalf("shut down: %v", err)
				}
			}

			// The clusters, created without an agent.
			srv := start(false)
			t0 := time.Now()
			createClusters(b, srv.URL(), n)
			c := ecsClient(srv.URL(), "us-east-1")
			if _, err := c.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String("bench"),
				ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
					Command: []string{"-listen", ":8080"}}}}); err != nil {
				b.Fatal(err)
			}
			b.Logf("created %d clusters in %v", n, time.Since(t0).Round(time.Millisecond))
			stop(srv)

			// The first start with the agent: it joins every cluster.
			t0 = time.Now()
			srv = start(true)
			waitJoined(b, dir, n, 30*time.Minute)
			join := time.Since(t0)
			stop(srv)

			// The measured restart.
			b.ResetTimer()
			t0 = time.Now()
			srv = start(true)
			defer stop(srv)
			var healthy time.Duration
			var wg sync.WaitGroup
			wg.Go(func() { healthy = waitHealth(b, srv.URL(), t0, 10*time.Minute) })
			c = ecsClient(srv.URL(), "us-east-1")
			arn, accepted := runTask(b, c, "bench-0000", t0, 10*time.Minute)
			started := waitStarted(b, c, "bench-0000", arn, t0, 10*time.Minute)
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(healthy.Seconds(), "health-s")
			b.ReportMetric(accepted.Seconds(), "runtask-s")
			b.ReportMetric(started.Seconds(), "taskstart-s")
			b.ReportMetric(join.Seconds(), "firstjoin-s")
			if _, err := c.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String("bench-0000"), Task: aws.String(arn)}); err != nil {
				b.Errorf("stop task: %v", err)
			}
		})
	}
}

func ecsClient(url, region string) *ecs.Client {
	return ecs.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWHARFTEST", "secret", "")})
}

// createClusters creates bench-0000 … in us-east-1 (even) and eu-west-1
// (odd) with 16 clients.
func createClusters(b *testing.B, url string, n int) {
	clients := map[string]*ecs.Client{"us-east-1": ecsClient(url, "us-east-1"), "eu-west-1": ecsClient(url, "eu-west-1")}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				region := "us-east-1"
				if i%2 == 1 {
					region = "eu-west-1"
				}
				if _, err := clients[region].CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String(fmt.Sprintf("bench-%04d", i))}); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("create clusters: %v", err)
	}
}

// waitJoined waits until the agent's identity names an instance in n
// clusters.
func waitJoined(b *testing.B, dir string, n int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var id struct {
			Instances map[string]string `json:"instances"`
		}
		if raw, err := os.ReadFile(filepath.Join(dir, "agent", "agent.json")); err == nil && json.Unmarshal(raw, &id) == nil && len(id.Instances) >= n {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.Fatalf("the agent did not join %d clusters within %v", n, limit)
}

func waitHealth(b *testing.B, url string, t0 time.Time, limit time.Duration) time.Duration {
	for time.Since(t0) < limit {
		resp, err := http.Get(url + "/_wharf/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Errorf("not healthy within %v", limit)
	return limit
}

// runTask retries RunTask until it places the task.
func runTask(b *testing.B, c *ecs.Client, cluster string, t0 time.Time, limit time.Duration) (string, time.Duration) {
	for time.Since(t0) < limit {
		out, err := c.RunTask(context.Background(), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String("bench")})
		if err == nil && len(out.Tasks) == 1 {
			return aws.ToString(out.Tasks[0].TaskArn), time.Since(t0)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("RunTask not accepted within %v", limit)
	return "", 0
}

// waitStarted waits until the agent has taken the task up.
func waitStarted(b *testing.B, c *ecs.Client, cluster, arn string, t0 time.Time, limit time.Duration) time.Duration {
	for time.Since(t0) < limit {
		out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{arn}})
		if err == nil && len(out.Tasks) == 1 {
			switch aws.ToString(out.Tasks[0].LastStatus) {
			case "PROVISIONING":
			case "STOPPED":
				b.Fatalf("task stopped: %s", aws.ToString(out.Tasks[0].StoppedReason))
			default:
				return time.Since(t0)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("task not started within %v", limit)
	return 0
}

// removeAgentContainers removes the containers of the agent kept in dir.
func removeAgentContainers(b *testing.B, dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "agent", "agent.json"))
	if err != nil {
		return
	}
	var id struct {
		NodeID string `json:"nodeId"`
	}
	if json.Unmarshal(raw, &id) != nil || id.NodeID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rt, err := docker.New(ctx, "")
	if err != nil {
		b.Errorf("clean up containers: %v", err)
		return
	}
	defer rt.Close()
	list, err := rt.ListContainers(ctx, map[string]string{agentproto.NodeAttribute: id.NodeID}, true)
	if err != nil {
		b.Errorf("clean up containers: %v", err)
		return
	}
	for _, c := range list {
		if err := rt.RemoveContainer(ctx, c.ID, true); err != nil {
			b.Errorf("clean up containers: %v", err)
		}
	}
}

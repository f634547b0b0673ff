package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/store/etcd/etcdtest"
)

// TestEtcdServiceSurvivesRestart runs wharf with its store on a real etcd:
// a service of 2 tasks runs real containers, wharf restarts (new process
// state, same etcd), and the service, its tasks and its count are still
// there, read back from etcd.
func TestEtcdServiceSurvivesRestart(t *testing.T) {
	rt, imgs := wharftest.Images(t)
	srv := etcdtest.Start(t)
	w := wharftest.StartWith(t, wharftest.Options{Agent: true, StoreEtcd: []string{srv.Endpoint()}, StoreEtcdPrefix: "/e2e/"})
	c, ctx := w.ECS(), context.Background()
	if _, err := os.Stat(filepath.Join(w.DataDir, "wharf.db")); !os.IsNotExist(err) {
		t.Fatalf("wharf.db in the data dir (err %v): the store is not on etcd", err)
	}

	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("etcd")}))(t)
	def := webDef(t, c, imgs, "etcd-web")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("etcd"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(def), DesiredCount: aws.Int32(2)}))(t)
	svc := waitStable(t, c, "etcd", "web", 180*time.Second)
	if svc.RunningCount != 2 {
		t.Fatalf("running %d, want 2", svc.RunningCount)
	}
	before := runningArns(t, c)
	if len(before) != 2 {
		t.Fatalf("%d running tasks before the restart, want 2", len(before))
	}
	for _, arn := range before {
		left, err := rt.ListContainers(ctx, map[string]string{"com.amazonaws.ecs.task-arn": arn}, false)
		if err != nil || len(left) != 1 {
			t.Fatalf("task %s: %d running containers (%v), want 1", arn, len(left), err)
		}
	}

	// A new wharf process state on the same etcd (and the same data dir,
	// for the agent's identity and the keyring).
	w.Restart()
	c = w.ECS()
	svc = describeService(t, c, "etcd", "web")
	if aws.ToString(svc.TaskDefinition) != def || svc.DesiredCount != 2 {
		t.Fatalf("after restart: service %s desired %d", aws.ToString(svc.TaskDefinition), svc.DesiredCount)
	}
	svc = waitStable(t, c, "etcd", "web", 60*time.Second)
	after := runningArns(t, c)
	if svc.RunningCount != 2 || !slices.Equal(before, after) {
		t.Fatalf("after restart: running %d, tasks %v, want the same 2 as before %v", svc.RunningCount, after, before)
	}

	// Clean up through the API: the service goes, its tasks stop and
	// their containers are removed.
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("etcd"), Service: aws.String("web"), DesiredCount: aws.Int32(0)}))(t)
	apitest.Must(c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("etcd"), Service: aws.String("web")}))(t)
	for _, arn := range before {
		waitTask(t, c, "etcd", arn, 60*time.Second, "STOPPED", stopped)
	}
	waitCondition(t, 30*time.Second, "the tasks' containers removed", func() bool {
		for _, arn := range before {
			left, err := rt.ListContainers(ctx, map[string]string{"com.amazonaws.ecs.task-arn": arn}, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) > 0 {
				return false
			}
		}
		return true
	})
}

// runningArns lists the cluster's RUNNING tasks, sorted.
func runningArns(t testing.TB, c *ecs.Client) []string {
	t.Helper()
	list := apitest.Must(c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("etcd"), DesiredStatus: types.DesiredStatusRunning}))(t)
	if len(list.TaskArns) == 0 {
		return nil
	}
	var arns []string
	for _, task := range apitest.Must(c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("etcd"), Tasks: list.TaskArns}))(t).Tasks {
		if running(task) {
			arns = append(arns, aws.ToString(task.TaskArn))
		}
	}
	slices.Sort(arns)
	return arns
}

// BenchmarkEtcdRunTask prints RunTask → RUNNING latency (as a client sees
// it, polling DescribeTasks every 5 ms) with the store on bbolt and on
// etcd, for tasks started one after another. Run with -benchtime=1x.
func BenchmarkEtcdRunTask(b *testing.B) {
	const tasks = 20
	for _, backend := range []string{"bolt", "etcd"} {
		b.Run(backend, func(b *testing.B) {
			_, imgs := wharftest.Images(b)
			o := wharftest.Options{Agent: true}
			if backend == "etcd" {
				o.StoreEtcd = []string{etcdtest.Start(b).Endpoint()}
			}
			w := wharftest.StartWith(b, o)
			c, ctx := w.ECS(), context.Background()
			apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bench")}))(b)
			apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("bench"),
				ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
					Command: []string{"-listen", ":8080"}, DockerLabels: map[string]string{"wharf.test": "1"}}}}))(b)
			waitInstance(b, c, "bench")
			for b.Loop() {
				var lat []time.Duration
				var arns []string
				for range tasks {
					arn, d := timeTaskStart(b, c, "bench", "bench")
					arns = append(arns, arn)
					lat = append(lat, d)
				}
				stopTasksAndWait(b, c, "bench", arns)
				p50, p99 := percentiles(lat)
				b.ReportMetric(p50.Seconds()*1000, "runtask-p50-ms")
				b.ReportMetric(p99.Seconds()*1000, "runtask-p99-ms")
			}
		})
	}
}

package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

const benchReplicas = 20

// BenchmarkServiceVsSwarm prints how long a new service of 20 tasks takes
// to reach steady state and how long a rolling update of those 20 takes,
// on wharf and on Docker Swarm (docker swarm init; docker service create
// --replicas 20; docker service update --image) on the same engine, and the
// ratios. Both run the same image and command with their defaults (wharf:
// ECS's 100%/200%; Swarm: one task at a time). Run with -benchtime=1x.
func BenchmarkServiceVsSwarm(b *testing.B) {
	rt, imgs := wharftest.Images(b)
	_ = rt
	for b.Loop() {
		wCreate, wUpdate := benchWharf(b, imgs.App)
		sCreate, sUpdate := benchSwarm(b, imgs.App)
		b.ReportMetric(wCreate.Seconds(), "wharf-create-s")
		b.ReportMetric(wUpdate.Seconds(), "wharf-update-s")
		b.ReportMetric(sCreate.Seconds(), "swarm-create-s")
		b.ReportMetric(sUpdate.Seconds(), "swarm-update-s")
		b.ReportMetric(wCreate.Seconds()/sCreate.Seconds(), "create-ratio")
		b.ReportMetric(wUpdate.Seconds()/sUpdate.Seconds(), "update-ratio")
	}
}

func benchWharf(b *testing.B, image string) (create, update time.Duration) {
	w := wharftest.StartWithAgent(b)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bench")}))(b)
	waitInstance(b, c, "bench")
	def := func(args ...string) string {
		out := apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("bench"),
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(16),
				Command: append([]string{"-listen", ":8080"}, args...), StopTimeout: aws.Int32(2), DockerLabels: map[string]string{"wharf.test": "1"}}}}))(b)
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	}
	v1, v2 := def(), def("-term-delay", "1ms")
	t0 := time.Now()
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("bench"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(v1), DesiredCount: aws.Int32(benchReplicas)}))(b)
	waitSteady(b, c, v1)
	create = time.Since(t0)
	t0 = time.Now()
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("bench"), Service: aws.String("web"), TaskDefinition: aws.String(v2)}))(b)
	waitSteady(b, c, v2)
	update = time.Since(t0)
	apitest.Must(c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("bench"), Service: aws.String("web"), Force: aws.Bool(true)}))(b)
	waitCondition(b, 2*time.Minute, "bench service gone", func() bool {
		return aws.ToString(describeService(b, c, "bench", "web").Status) == "INACTIVE"
	})
	return create, update
}

// waitSteady polls (every 50 ms) until one completed deployment of td runs
// all replicas.
func waitSteady(b *testing.B, c *ecs.Client, td string) {
	waitCondition(b, 5*time.Minute, "steady on "+td, func() bool {
		s := describeService(b, c, "bench", "web")
		return len(s.Deployments) == 1 && aws.ToString(s.TaskDefinition) == td && s.RunningCount == benchReplicas &&
			s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
	})
}

func benchSwarm(b *testing.B, image string) (create, update time.Duration) {
	docker := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
		if err != nil {
			b.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if state := docker("info", "--format", "{{.Swarm.LocalNodeState}}"); state != "active" {
		docker("swarm", "init", "--advertise-addr", "127.0.0.1")
		b.Cleanup(func() { _ = exec.Command("docker", "swarm", "leave", "--force").Run() })
	}
	v2 := strings.Replace(image, ":latest", ":swarm-bench", 1)
	docker("tag", image, v2)
	name := "wharf-swarm-bench"
	_ = exec.Command("docker", "service", "rm", name).Run()
	t0 := time.Now()
	docker("service", "create", "--detach=false", "--quiet", "--no-resolve-image", "--name", name, "--replicas", "20",
		"--limit-memory", "16m", "--stop-grace-period", "2s", "--label", "wharf.test=1", image, "-listen", ":8080")
	create = time.Since(t0)
	t0 = time.Now()
	docker("service", "update", "--detach=false", "--quiet", "--no-resolve-image", "--image", v2, name)
	update = time.Since(t0)
	docker("service", "rm", name)
	return create, update
}

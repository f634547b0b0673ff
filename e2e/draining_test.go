package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// fakeAgents plays the agents of several hosts through the public protocol
// (RegisterContainerInstance, the poll, SubmitTaskStateChange): every task
// assigned to a node is reported RUNNING, every task asked to stop is
// reported STOPPED. It lets placement and draining be tested across hosts
// on a machine that has one Docker engine. It stops with the test.
func fakeAgents(t *testing.T, w *wharftest.Wharf, c *ecs.Client, cluster string, nodes ...string) map[string]string {
	t.Helper()
	instances := map[string]string{}
	for _, n := range nodes {
		out := apitest.Must(c.RegisterContainerInstance(context.Background(), &ecs.RegisterContainerInstanceInput{Cluster: aws.String(cluster),
			TotalResources: []types.Resource{{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 2048},
				{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 2048}},
			Attributes: []types.Attribute{{Name: aws.String(agentproto.NodeAttribute), Value: aws.String(n)},
				{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.18")}}}))(t)
		instances[n] = aws.ToString(out.ContainerInstance.ContainerInstanceArn)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, n := range nodes {
		wg.Go(func() {
			for ctx.Err() == nil {
				body, _ := json.Marshal(agentproto.PollRequest{NodeID: n})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.URL()+agentproto.PollPath, bytes.NewReader(body))
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					var pr agentproto.PollResponse
					_ = json.NewDecoder(resp.Body).Decode(&pr)
					resp.Body.Close()
					for _, as := range pr.Tasks {
						status := "RUNNING"
						if as.DesiredStatus == "STOPPED" {
							status = "STOPPED"
						}
						_, _ = c.SubmitTaskStateChange(ctx, &ecs.SubmitTaskStateChangeInput{Cluster: aws.String(as.ClusterARN), Task: aws.String(as.TaskARN),
							Status: aws.String(status), Containers: []types.ContainerStateChange{{ContainerName: aws.String("app"), Status: aws.String(status)}}})
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		})
	}
	return instances
}

// TestDrainingAndAttributes: a service spread over two hosts; draining one
// moves its task to the other, ECS's way (start the replacement first,
// then stop the drained task); custom attributes steer placement.
func TestDrainingAndAttributes(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("dr")}))(t)
	inst := fakeAgents(t, w, c, "dr", "node-a", "node-b")
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("dr"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(128)}}}))(t)
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dr"), ServiceName: aws.String("spread"), TaskDefinition: aws.String("dr"),
		DesiredCount: aws.Int32(2), PlacementStrategy: []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread, Field: aws.String("instanceId")}}}))(t)
	waitStable(t, c, "dr", "spread", 30*time.Second)
	on := func(node string) int {
		n := 0
		for _, task := range serviceTasks(t, c, "dr", "spread") {
			if aws.ToString(task.ContainerInstanceArn) == inst[node] && running(task) {
				n++
			}
		}
		return n
	}
	if on("node-a") != 1 || on("node-b") != 1 {
		t.Fatalf("spread: %d on a, %d on b", on("node-a"), on("node-b"))
	}

	var tooFew, tooMany atomic.Int32
	stop := sampleTasks(c, "dr", "spread", 20*time.Millisecond, func(tasks []types.Task) {
		n := 0
		for _, task := range tasks {
			if running(task) {
				n++
			}
		}
		if n < 2 {
			tooFew.Add(1)
		}
		if len(tasks) > 4 {
			tooMany.Add(1)
		}
	})
	upd := apitest.Must(c.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String("dr"),
		ContainerInstances: []string{inst["node-a"], "nope"}, Status: types.ContainerInstanceStatusDraining}))(t)
	if len(upd.ContainerInstances) != 1 || aws.ToString(upd.ContainerInstances[0].Status) != "DRAINING" || len(upd.Failures) != 1 {
		t.Fatalf("UpdateContainerInstancesState: %+v", upd)
	}
	waitCondition(t, 30*time.Second, "task moved off the draining instance", func() bool {
		return on("node-a") == 0 && on("node-b") == 2 && describeService(t, c, "dr", "spread").RunningCount == 2
	})
	stop()
	if tooFew.Load() > 0 || tooMany.Load() > 0 {
		t.Fatalf("draining left the bounds: %d samples below 2 running, %d above 4", tooFew.Load(), tooMany.Load())
	}

	// Attributes: only node-a (active again) carries stack=blue; memberOf follows it.
	apitest.Must(c.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String("dr"),
		ContainerInstances: []string{inst["node-a"]}, Status: types.ContainerInstanceStatusActive}))(t)
	apitest.Must(c.PutAttributes(ctx, &ecs.PutAttributesInput{Cluster: aws.String("dr"), Attributes: []types.Attribute{
		{Name: aws.String("stack"), Value: aws.String("blue"), TargetId: aws.String(inst["node-a"])}}}))(t)
	attrs := apitest.Must(c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("dr"), TargetType: types.TargetTypeContainerInstance, AttributeName: aws.String("stack")}))(t)
	if len(attrs.Attributes) != 1 || aws.ToString(attrs.Attributes[0].TargetId) != inst["node-a"] {
		t.Fatalf("ListAttributes: %+v", attrs.Attributes)
	}
	_, err := c.PutAttributes(ctx, &ecs.PutAttributesInput{Cluster: aws.String("dr"), Attributes: []types.Attribute{
		{Name: aws.String("bad name!"), TargetId: aws.String(inst["node-a"])}}})
	wantCode(t, err, "InvalidParameterException")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dr"), ServiceName: aws.String("blue"), TaskDefinition: aws.String("dr"),
		DesiredCount: aws.Int32(2), PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stack == blue")}}}))(t)
	waitStable(t, c, "dr", "blue", 30*time.Second)
	for _, task := range serviceTasks(t, c, "dr", "blue") {
		if aws.ToString(task.ContainerInstanceArn) != inst["node-a"] {
			t.Fatalf("memberOf placed a task on %s", aws.ToString(task.ContainerInstanceArn))
		}
	}
	apitest.Must(c.DeleteAttributes(ctx, &ecs.DeleteAttributesInput{Cluster: aws.String("dr"), Attributes: []types.Attribute{
		{Name: aws.String("stack"), TargetId: aws.String(inst["node-a"])}}}))(t)
	if attrs = apitest.Must(c.ListAttributes(ctx, &ecs.ListAttributesInput{Cluster: aws.String("dr"), TargetType: types.TargetTypeContainerInstance, AttributeName: aws.String("stack")}))(t); len(attrs.Attributes) != 0 {
		t.Fatalf("after DeleteAttributes: %+v", attrs.Attributes)
	}
	// Placement that cannot be met says so in the service's events.
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dr"), ServiceName: aws.String("nowhere"), TaskDefinition: aws.String("dr"),
		DesiredCount: aws.Int32(1), PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stack == green")}}}))(t)
	waitCondition(t, 30*time.Second, "unable-to-place event", func() bool {
		return bytes.Contains([]byte(eventText(describeService(t, c, "dr", "nowhere"), 5)), []byte("was unable to place a task"))
	})
}

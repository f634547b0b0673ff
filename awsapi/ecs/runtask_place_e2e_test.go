package ecs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// RunTask places on a snapshot and commits with a check of what it read:
// concurrent RunTasks never overcommit an instance nor break
// distinctInstance; the ones that lost a race place again and fail only
// when nothing is left.
func TestConcurrentRunTaskNeverOvercommits(t *testing.T) {
	tests := []struct {
		name        string
		instances   int
		memory      int32 // per instance, MiB
		constraints []types.PlacementConstraint
		want        int // tasks placed out of `calls`
		reason      string
	}{
		{name: "memory of one instance", instances: 1, memory: 4096, want: 8, reason: "RESOURCE:MEMORY"},
		{name: "distinctInstance", instances: 3, memory: 8192, want: 3, reason: "DistinctInstance placement constraint unsatisfied.",
			constraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeDistinctInstance}}},
	}
	const calls = 16
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := wharftest.Start(t)
			c, ctx := w.ECS(), context.Background()
			for i := range tc.instances {
				node := fmt.Sprintf("node-%d", i)
				registerInstance(t, c, "", node, 4096, tc.memory)
				poll(t, w.URL(), agentproto.PollRequest{NodeID: node}) // a heartbeat: the agent is connected
			}
			apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("race"),
				ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(512)}}}))(t)
			var mu sync.Mutex
			placed, reasons := 0, map[string]int{}
			var wg sync.WaitGroup
			for range calls {
				wg.Go(func() {
					out, err := c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("race"), Group: aws.String("g"), PlacementConstraints: tc.constraints})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Errorf("RunTask: %v", err)
						return
					}
					placed += len(out.Tasks)
					for _, f := range out.Failures {
						reasons[aws.ToString(f.Reason)]++
					}
				})
			}
			wg.Wait()
			if placed != tc.want {
				t.Fatalf("placed %d tasks, want %d (failures %v)", placed, tc.want, reasons)
			}
			if reasons[tc.reason] == 0 {
				t.Errorf("failures %v, want %q among them", reasons, tc.reason)
			}
			var total int32
			list := apitest.Must(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{}))(t)
			desc := apitest.Must(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{ContainerInstances: list.ContainerInstanceArns}))(t)
			for _, ci := range desc.ContainerInstances {
				total += ci.PendingTasksCount + ci.RunningTasksCount
				for _, r := range ci.RemainingResources {
					if aws.ToString(r.Name) == "MEMORY" && r.IntegerValue < 0 {
						t.Errorf("instance %s overcommitted: MEMORY %d", aws.ToString(ci.ContainerInstanceArn), r.IntegerValue)
					}
				}
			}
			if int(total) != tc.want {
				t.Errorf("instances hold %d tasks, want %d", total, tc.want)
			}
		})
	}
}

package ecs_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// TestListTasksPaging walks ListTasks page by page (each page now reads
// about a page of records) with ECS's filters, and checks DescribeClusters
// and DescribeContainerInstances counts, which come from indexes, against
// what was run and stopped. No Docker involved.
func TestListTasksPaging(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	inst := registerInstance(t, c, "", "node-a", 4096, 8192)
	poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-a"})
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("pg"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(16)}}}))(t)
	var all []string
	for _, group := range []string{"", "batch", ""} {
		in := &ecs.RunTaskInput{TaskDefinition: aws.String("pg"), Count: aws.Int32(9)}
		if group != "" {
			in.Group = aws.String(group)
		}
		out := apitest.Must(c.RunTask(ctx, in))(t)
		if len(out.Tasks) != 9 {
			t.Fatalf("RunTask: %d tasks, failures %s", len(out.Tasks), failureText(out.Failures))
		}
		for _, tk := range out.Tasks {
			all = append(all, aws.ToString(tk.TaskArn))
		}
	}
	slices.Sort(all)
	stopped := all[3:5]
	for _, arn := range stopped {
		apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String(arn)}))(t)
	}
	running := slices.Concat(all[:3], all[5:])

	tests := []struct {
		name string
		in   ecs.ListTasksInput
		want []string
	}{
		{"desired RUNNING by default", ecs.ListTasksInput{}, running},
		{"desired STOPPED", ecs.ListTasksInput{DesiredStatus: types.DesiredStatusStopped}, stopped},
		{"by container instance", ecs.ListTasksInput{ContainerInstance: aws.String(inst)}, running},
		{"by family", ecs.ListTasksInput{Family: aws.String("pg")}, running},
		{"by another family", ecs.ListTasksInput{Family: aws.String("other")}, nil},
		{"by service with none", ecs.ListTasksInput{ServiceName: aws.String("web")}, nil},
	}
	for _, tt := range tests {
		for _, size := range []int32{1, 4, 100} {
			in := tt.in
			in.MaxResults = aws.Int32(size)
			var got []string
			pages := 0
			p := ecs.NewListTasksPaginator(c, &in)
			for p.HasMorePages() {
				out := apitest.Must(p.NextPage(ctx))(t)
				if len(out.TaskArns) > int(size) {
					t.Fatalf("%s: page of %d with maxResults %d", tt.name, len(out.TaskArns), size)
				}
				got = append(got, out.TaskArns...)
				if pages++; pages > 100 {
					t.Fatalf("%s: more than 100 pages", tt.name)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s, maxResults %d:\n got %v\nwant %v", tt.name, size, got, tt.want)
			}
		}
	}

	// Stopping tasks hold their place until their agent reports them
	// STOPPED, so every task still counts as pending.
	cl := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{}))(t).Clusters[0]
	if cl.PendingTasksCount != int32(len(all)) || cl.RunningTasksCount != 0 || cl.RegisteredContainerInstancesCount != 1 {
		t.Errorf("cluster counts: pending %d running %d instances %d, want %d 0 1", cl.PendingTasksCount, cl.RunningTasksCount,
			cl.RegisteredContainerInstancesCount, len(all))
	}
	ci := apitest.Must(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{ContainerInstances: []string{inst}}))(t).ContainerInstances[0]
	if ci.PendingTasksCount != int32(len(all)) || ci.RunningTasksCount != 0 {
		t.Errorf("instance counts: pending %d running %d, want %d 0", ci.PendingTasksCount, ci.RunningTasksCount, len(all))
	}
	for _, r := range ci.RemainingResources {
		if aws.ToString(r.Name) == "MEMORY" && r.IntegerValue != int32(8192-16*len(all)) {
			t.Errorf("remaining memory %d, want %d", r.IntegerValue, 8192-16*len(all))
		}
	}
}

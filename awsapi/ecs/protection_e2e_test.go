package ecs_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// serviceTask waits for the service scheduler to start one task of service
// on the cluster's (agent-less) container instance and returns its ARN.
func serviceTask(t *testing.T, c *ecs.Client, cluster, service string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		out, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service)})
		if err == nil && len(out.TaskArns) > 0 {
			return out.TaskArns[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("service %s started no task: %v", service, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestTaskProtection covers GetTaskProtection and UpdateTaskProtection
// through the SDK on a service's task and a standalone one. The tasks are
// only records assigned to a fake agent: no container runs.
func TestTaskProtection(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("p")}))(t)
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("other")}))(t)
	registerInstance(t, c, "p", "node-p", 2048, 2048)
	poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-p"})
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("prot"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(32)}}}))(t)
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("p"), ServiceName: aws.String("web"), TaskDefinition: aws.String("prot"), DesiredCount: aws.Int32(1)}))(t)
	svcTask := serviceTask(t, c, "p", "web")
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("p"), TaskDefinition: aws.String("prot")}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("standalone task: %s", failureText(run.Failures))
	}
	standalone := aws.ToString(run.Tasks[0].TaskArn)
	svcID := svcTask[len(svcTask)-32:]

	get := func(t *testing.T, tasks ...string) *ecs.GetTaskProtectionOutput {
		t.Helper()
		return apitest.Must(c.GetTaskProtection(ctx, &ecs.GetTaskProtectionInput{Cluster: aws.String("p"), Tasks: tasks}))(t)
	}
	near := func(got *time.Time, want time.Time) bool {
		return got != nil && got.Sub(want).Abs() < time.Minute
	}

	if g := get(t, svcTask); len(g.ProtectedTasks) != 1 || g.ProtectedTasks[0].ProtectionEnabled || g.ProtectedTasks[0].ExpirationDate != nil {
		t.Fatalf("new task: %+v", g.ProtectedTasks)
	}

	up := apitest.Must(c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: []string{svcID},
		ProtectionEnabled: true, ExpiresInMinutes: aws.Int32(60)}))(t)
	if len(up.ProtectedTasks) != 1 || !up.ProtectedTasks[0].ProtectionEnabled || aws.ToString(up.ProtectedTasks[0].TaskArn) != svcTask ||
		!near(up.ProtectedTasks[0].ExpirationDate, time.Now().Add(time.Hour)) || len(up.Failures) != 0 {
		t.Fatalf("protect for 60 minutes: %+v %s", up.ProtectedTasks, failureText(up.Failures))
	}
	if g := get(t, svcID); !g.ProtectedTasks[0].ProtectionEnabled || !near(g.ProtectedTasks[0].ExpirationDate, time.Now().Add(time.Hour)) {
		t.Fatalf("get after protect: %+v", g.ProtectedTasks)
	}
	// Asking again without expiresInMinutes restarts the clock at 2 hours.
	up = apitest.Must(c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: []string{svcTask}, ProtectionEnabled: true}))(t)
	if !near(up.ProtectedTasks[0].ExpirationDate, time.Now().Add(2*time.Hour)) {
		t.Fatalf("default expiry: %+v", up.ProtectedTasks)
	}
	// The task still describes as it was: protection is not a task member.
	if d := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("p"), Tasks: []string{svcTask}}))(t); len(d.Tasks) != 1 {
		t.Fatalf("describe: %s", failureText(d.Failures))
	}

	t.Run("failures", func(t *testing.T) {
		otherARN := "arn:aws:ecs:us-east-1:000000000000:task/other/0123456789abcdef0123456789abcdef"
		up := apitest.Must(c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"),
			Tasks: []string{svcTask, standalone, "0123456789abcdef0123456789abcdef", otherARN}, ProtectionEnabled: true}))(t)
		if len(up.ProtectedTasks) != 1 || len(up.Failures) != 3 {
			t.Fatalf("mixed: %+v %s", up.ProtectedTasks, failureText(up.Failures))
		}
		want := []struct{ arn, reason string }{
			{standalone, "TASK_NOT_VALID"},
			{"arn:aws:ecs:us-east-1:000000000000:task/p/0123456789abcdef0123456789abcdef", "MISSING"},
			{otherARN, "MISSING"},
		}
		for i, f := range up.Failures {
			if aws.ToString(f.Arn) != want[i].arn || aws.ToString(f.Reason) != want[i].reason || aws.ToString(f.Detail) == "" {
				t.Fatalf("failure %d: %s, want %+v", i, failureText(up.Failures[i:i+1]), want[i])
			}
		}
		g := get(t, standalone, "nope")
		if len(g.ProtectedTasks) != 0 || len(g.Failures) != 2 || aws.ToString(g.Failures[0].Reason) != "TASK_NOT_VALID" || aws.ToString(g.Failures[1].Reason) != "MISSING" {
			t.Fatalf("get failures: %+v %s", g.ProtectedTasks, failureText(g.Failures))
		}
	})

	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = svcTask
	}
	errorCases := []struct {
		name string
		call func() error
		code string
	}{
		{"expires in 0 minutes", func() error {
			_, err := c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: []string{svcTask}, ProtectionEnabled: true, ExpiresInMinutes: aws.Int32(0)})
			return err
		}, "InvalidParameterException"},
		{"expires after 48 hours", func() error {
			_, err := c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: []string{svcTask}, ProtectionEnabled: true, ExpiresInMinutes: aws.Int32(2881)})
			return err
		}, "InvalidParameterException"},
		{"more than 10 tasks", func() error {
			_, err := c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: eleven, ProtectionEnabled: true})
			return err
		}, "InvalidParameterException"},
		{"no tasks", func() error {
			_, err := c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: []string{}, ProtectionEnabled: true})
			return err
		}, "InvalidParameterException"},
		{"update in unknown cluster", func() error {
			_, err := c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("ghost"), Tasks: []string{svcTask}, ProtectionEnabled: true})
			return err
		}, "ClusterNotFoundException"},
		{"get in unknown cluster", func() error {
			_, err := c.GetTaskProtection(ctx, &ecs.GetTaskProtectionInput{Cluster: aws.String("ghost"), Tasks: []string{svcTask}})
			return err
		}, "ClusterNotFoundException"},
		{"get without tasks", func() error {
			_, err := c.GetTaskProtection(ctx, &ecs.GetTaskProtectionInput{Cluster: aws.String("p")})
			return err
		}, "InvalidParameterException"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) { apitest.WantCode(t, tt.call(), tt.code) })
	}

	off := apitest.Must(c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: []string{svcTask}, ProtectionEnabled: false,
		ExpiresInMinutes: aws.Int32(30)}))(t)
	if off.ProtectedTasks[0].ProtectionEnabled || off.ProtectedTasks[0].ExpirationDate != nil {
		t.Fatalf("unprotect: %+v", off.ProtectedTasks)
	}
	if g := get(t, svcTask); g.ProtectedTasks[0].ProtectionEnabled {
		t.Fatalf("get after unprotect: %+v", g.ProtectedTasks)
	}

	// A stopped service task can no longer be protected.
	apitest.Must(c.SubmitTaskStateChange(ctx, &ecs.SubmitTaskStateChangeInput{Cluster: aws.String("p"), Task: aws.String(svcTask), Status: aws.String("STOPPED"), Reason: aws.String("done")}))(t)
	up = apitest.Must(c.UpdateTaskProtection(ctx, &ecs.UpdateTaskProtectionInput{Cluster: aws.String("p"), Tasks: []string{svcTask}, ProtectionEnabled: true}))(t)
	if len(up.Failures) != 1 || aws.ToString(up.Failures[0].Reason) != "TASK_NOT_VALID" {
		t.Fatalf("stopped task: %+v %s", up.ProtectedTasks, failureText(up.Failures))
	}
}

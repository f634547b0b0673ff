package ecs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// TestTaskSetAPI covers the task set calls' shapes, defaults and errors on
// a control plane without an agent; running the tasks is the e2e
// package's business (e2e/tasksets_test.go).
func TestTaskSetAPI(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	cl := aws.String("ts")
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: cl}))(t)
	td := aws.ToString(apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("app"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(32),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}}}))(t).TaskDefinition.TaskDefinitionArn)
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: cl, ServiceName: aws.String("rolling"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(0)}))(t)
	external := &types.DeploymentController{Type: types.DeploymentControllerTypeExternal}

	t.Run("an EXTERNAL service has no task definition and no deployments", func(t *testing.T) {
		svc := apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: cl, ServiceName: aws.String("ext"), DesiredCount: aws.Int32(3),
			DeploymentController: external}))(t).Service
		if svc.TaskDefinition != nil || len(svc.Deployments) != 0 || svc.DeploymentController.Type != types.DeploymentControllerTypeExternal ||
			aws.ToString(svc.Status) != "ACTIVE" || svc.DesiredCount != 3 {
			t.Fatalf("created %+v", svc)
		}
	})

	createErrors := []struct {
		name string
		in   *ecs.CreateServiceInput
		msg  string
	}{
		{"EXTERNAL with a task definition", &ecs.CreateServiceInput{TaskDefinition: aws.String("app")}, "TaskDefinition must be blank."},
		{"EXTERNAL with load balancers", &ecs.CreateServiceInput{LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/1"),
			ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}}, "LoadBalancers must be empty or null."},
		{"EXTERNAL with a network configuration", &ecs.CreateServiceInput{NetworkConfiguration: &types.NetworkConfiguration{
			AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"s"}}}}, "NetworkConfiguration must be null."},
		{"EXTERNAL as a DAEMON", &ecs.CreateServiceInput{SchedulingStrategy: types.SchedulingStrategyDaemon}, "DAEMON"},
	}
	for _, tt := range createErrors {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Cluster, in.ServiceName, in.DeploymentController = cl, aws.String("bad"), external
			_, err := c.CreateService(ctx, in)
			wantMessage(t, err, "InvalidParameterException", tt.msg)
		})
	}

	var first, second types.TaskSet
	t.Run("CreateTaskSet", func(t *testing.T) {
		first = *apitest.Must(c.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("app"),
			ExternalId: aws.String("blue"), Scale: &types.Scale{Value: 50, Unit: types.ScaleUnitPercent}, ClientToken: aws.String("tok-1"),
			Tags: []types.Tag{{Key: aws.String("color"), Value: aws.String("blue")}}}))(t).TaskSet
		id := aws.ToString(first.Id)
		if !strings.HasPrefix(id, "ecs-svc/") || aws.ToString(first.TaskSetArn) != "arn:aws:ecs:us-east-1:000000000000:task-set/ts/ext/"+id ||
			aws.ToString(first.Status) != "ACTIVE" || first.ComputedDesiredCount != 2 || aws.ToString(first.TaskDefinition) != td ||
			aws.ToString(first.ServiceArn) != "arn:aws:ecs:us-east-1:000000000000:service/ts/ext" || aws.ToString(first.ExternalId) != "blue" ||
			first.LaunchType != types.LaunchTypeEc2 {
			t.Fatalf("created %+v", first)
		}
		again := apitest.Must(c.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("app"),
			ClientToken: aws.String("tok-1")}))(t).TaskSet
		if aws.ToString(again.Id) != id {
			t.Fatalf("the same client token made a second set %s", aws.ToString(again.Id))
		}
		second = *apitest.Must(c.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("app:1")}))(t).TaskSet
		if second.Scale == nil || second.Scale.Value != 100 || second.Scale.Unit != types.ScaleUnitPercent || second.ComputedDesiredCount != 3 {
			t.Fatalf("default scale: %+v computed %d", second.Scale, second.ComputedDesiredCount)
		}
	})

	taskSetErrors := []struct {
		name, code, msg string
		in              *ecs.CreateTaskSetInput
	}{
		{"on an ECS-controller service", "InvalidParameterException", "Amazon ECS only supports task set management on services configured to use external deployment controllers.",
			&ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("rolling"), TaskDefinition: aws.String("app")}},
		{"on a missing service", "ServiceNotFoundException", "", &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ghost"), TaskDefinition: aws.String("app")}},
		{"in a missing cluster", "ClusterNotFoundException", "", &ecs.CreateTaskSetInput{Cluster: aws.String("ghost"), Service: aws.String("ext"), TaskDefinition: aws.String("app")}},
		{"with a missing task definition", "ClientException", "TaskDefinition not found.", &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("nope")}},
		{"with a scale above 100", "InvalidParameterException", "", &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("app"),
			Scale: &types.Scale{Value: 150, Unit: types.ScaleUnitPercent}}},
		{"with two load balancers", "InvalidParameterException", "CreateTaskSet cannot have more than 1 load balancer.", &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"),
			TaskDefinition: aws.String("app"), LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String("a")}, {TargetGroupArn: aws.String("b")}}}},
	}
	for _, tt := range taskSetErrors {
		t.Run("CreateTaskSet "+tt.name, func(t *testing.T) {
			_, err := c.CreateTaskSet(ctx, tt.in)
			wantMessage(t, err, tt.code, tt.msg)
		})
	}

	t.Run("DescribeTaskSets", func(t *testing.T) {
		all := apitest.Must(c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: cl, Service: aws.String("ext")}))(t)
		if len(all.TaskSets) != 2 || all.TaskSets[0].Tags != nil {
			t.Fatalf("all: %+v", all.TaskSets)
		}
		some := apitest.Must(c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: cl, Service: aws.String("ext"),
			TaskSets: []string{aws.ToString(first.TaskSetArn), "ecs-svc/123"}, Include: []types.TaskSetField{types.TaskSetFieldTags}}))(t)
		if len(some.TaskSets) != 1 || len(some.TaskSets[0].Tags) != 1 || len(some.Failures) != 1 || aws.ToString(some.Failures[0].Reason) != "MISSING" ||
			aws.ToString(some.Failures[0].Arn) != "arn:aws:ecs:us-east-1:000000000000:task-set/ts/ext/ecs-svc/123" {
			t.Fatalf("by id: %+v failures %+v", some.TaskSets, some.Failures)
		}
	})

	t.Run("UpdateTaskSet changes the scale", func(t *testing.T) {
		ts := apitest.Must(c.UpdateTaskSet(ctx, &ecs.UpdateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskSet: first.Id,
			Scale: &types.Scale{Value: 10, Unit: types.ScaleUnitPercent}}))(t).TaskSet
		if ts.ComputedDesiredCount != 1 || ts.Scale.Value != 10 {
			t.Fatalf("10%% of 3: %+v", ts)
		}
		_, err := c.UpdateTaskSet(ctx, &ecs.UpdateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskSet: aws.String("ecs-svc/123"),
			Scale: &types.Scale{Value: 10, Unit: types.ScaleUnitPercent}})
		wantMessage(t, err, "TaskSetNotFoundException", "")
	})

	t.Run("UpdateServicePrimaryTaskSet", func(t *testing.T) {
		ts := apitest.Must(c.UpdateServicePrimaryTaskSet(ctx, &ecs.UpdateServicePrimaryTaskSetInput{Cluster: cl, Service: aws.String("ext"), PrimaryTaskSet: first.TaskSetArn}))(t).TaskSet
		if aws.ToString(ts.Status) != "PRIMARY" {
			t.Fatalf("status %s", aws.ToString(ts.Status))
		}
		ts = apitest.Must(c.UpdateServicePrimaryTaskSet(ctx, &ecs.UpdateServicePrimaryTaskSetInput{Cluster: cl, Service: aws.String("ext"), PrimaryTaskSet: second.Id}))(t).TaskSet
		if aws.ToString(ts.Id) != aws.ToString(second.Id) || aws.ToString(ts.Status) != "PRIMARY" {
			t.Fatalf("second primary: %+v", ts)
		}
		svc := apitest.Must(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: cl, Services: []string{"ext"}}))(t).Services[0]
		if len(svc.TaskSets) != 2 || aws.ToString(svc.TaskSets[0].Id) != aws.ToString(second.Id) || aws.ToString(svc.TaskSets[0].Status) != "PRIMARY" ||
			aws.ToString(svc.TaskSets[1].Status) != "ACTIVE" || aws.ToString(svc.TaskDefinition) != td || svc.LaunchType != types.LaunchTypeEc2 {
			t.Fatalf("service after the primary changed: %+v", svc)
		}
	})

	t.Run("UpdateService follows the sets", func(t *testing.T) {
		svc := apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: cl, Service: aws.String("ext"), DesiredCount: aws.Int32(4)}))(t).Service
		if svc.DesiredCount != 4 || len(svc.TaskSets) != 2 || svc.TaskSets[0].ComputedDesiredCount != 4 || svc.TaskSets[1].ComputedDesiredCount != 1 {
			t.Fatalf("desired 4: %+v", svc.TaskSets)
		}
		_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("app")})
		wantMessage(t, err, "InvalidParameterException", "CreateTaskSet")
	})

	t.Run("DeleteTaskSet drains the set, then it is gone", func(t *testing.T) {
		_, err := c.DeleteTaskSet(ctx, &ecs.DeleteTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskSet: first.Id})
		wantMessage(t, err, "InvalidParameterException", "scaled above 0")
		_, err = c.DeleteTaskSet(ctx, &ecs.DeleteTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskSet: aws.String("ecs-svc/123")})
		wantMessage(t, err, "TaskSetNotFoundException", "")
		ts := apitest.Must(c.DeleteTaskSet(ctx, &ecs.DeleteTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskSet: first.Id, Force: aws.Bool(true)}))(t).TaskSet
		if aws.ToString(ts.Status) != "DRAINING" || ts.ComputedDesiredCount != 0 {
			t.Fatalf("deleted: %+v", ts)
		}
		// No agent runs here, so the set has no task and goes at once.
		deadline := time.Now().Add(15 * time.Second)
		for {
			out := apitest.Must(c.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: cl, Service: aws.String("ext"), TaskSets: []string{aws.ToString(first.Id)}}))(t)
			if len(out.Failures) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the DRAINING set is still there: %+v", out.TaskSets)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("at most five task sets", func(t *testing.T) {
		for range 4 {
			apitest.Must(c.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("app")}))(t)
		}
		_, err := c.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: cl, Service: aws.String("ext"), TaskDefinition: aws.String("app")})
		wantMessage(t, err, "InvalidParameterException", "5 deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.")
	})

	t.Run("a CODE_DEPLOY service starts with a PRIMARY task set", func(t *testing.T) {
		svc := apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: cl, ServiceName: aws.String("bg"), TaskDefinition: aws.String("app"),
			DesiredCount: aws.Int32(2), DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeCodeDeploy}}))(t).Service
		if len(svc.Deployments) != 0 || len(svc.TaskSets) != 1 || aws.ToString(svc.TaskSets[0].Status) != "PRIMARY" ||
			svc.TaskSets[0].ComputedDesiredCount != 2 || svc.TaskSets[0].Scale.Value != 100 || aws.ToString(svc.TaskDefinition) != td {
			t.Fatalf("created %+v", svc)
		}
		_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: cl, Service: aws.String("bg"), TaskDefinition: aws.String("app")})
		wantMessage(t, err, "InvalidParameterException", "CODE_DEPLOY")
	})

	t.Run("deleting the service removes its sets", func(t *testing.T) {
		apitest.Must(c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: cl, Service: aws.String("ext"), Force: aws.Bool(true)}))(t)
		deadline := time.Now().Add(15 * time.Second)
		for {
			svc := apitest.Must(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: cl, Services: []string{"ext"}}))(t).Services[0]
			if aws.ToString(svc.Status) == "INACTIVE" && len(svc.TaskSets) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("service %s with %d task sets", aws.ToString(svc.Status), len(svc.TaskSets))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// wantMessage checks an API error's code and that its message contains msg.
func wantMessage(t *testing.T, err error, code, msg string) {
	t.Helper()
	apitest.WantCode(t, err, code)
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("%s: message %q does not say %q", code, ae.ErrorMessage(), msg)
	}
}

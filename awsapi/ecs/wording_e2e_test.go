package ecs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// TestECSAnswers checks, through the SDK, that wharf refuses what ECS
// refuses with ECS's exact code and message: scripts match on both.
func TestECSAnswers(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("w")}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("ec2only"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(32)}}}))(t)
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("w"), ServiceName: aws.String("up"),
		TaskDefinition: aws.String("ec2only"), DesiredCount: aws.Int32(1)}))(t)
	container := func(name, image *string) *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"),
			ContainerDefinitions: []types.ContainerDefinition{{Name: name, Image: image, Memory: aws.Int32(32)}}}
	}
	awsvpc := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}

	tests := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"cluster not found", func() error {
			_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("gone"), Services: []string{"up"}})
			return err
		}, "ClusterNotFoundException", "Cluster not found."},
		{"service not found", func() error {
			_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("w"), Service: aws.String("nope"), DesiredCount: aws.Int32(1)})
			return err
		}, "ServiceNotFoundException", "Service not found."},
		{"delete a service scaled above 0 without force", func() error {
			_, err := c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("w"), Service: aws.String("up")})
			return err
		}, "InvalidParameterException", "The service cannot be stopped while it is scaled above 0."},
		{"duplicate service", func() error {
			_, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("w"), ServiceName: aws.String("up"),
				TaskDefinition: aws.String("ec2only"), DesiredCount: aws.Int32(1)})
			return err
		}, "InvalidParameterException", "Creation of service was not idempotent."},
		{"deregister without a revision", func() error {
			_, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("ec2only")})
			return err
		}, "ClientException", "Revision is missing."},
		{"deregister with a revision that is not a number", func() error {
			_, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("ec2only:foo")})
			return err
		}, "InvalidParameterException", "Invalid revision number. Number: foo"},
		{"describe with a revision that is not a number", func() error {
			_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("ec2only:latest")})
			return err
		}, "InvalidParameterException", "Invalid revision number. Number: latest"},
		{"describe a missing task definition", func() error {
			_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("nope")})
			return err
		}, "ClientException", "Unable to describe task definition."},
		{"deregister a missing revision", func() error {
			_, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("nope:1")})
			return err
		}, "ClientException", "Unable to describe task definition."},
		{"run a missing task definition", func() error {
			_, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("w"), TaskDefinition: aws.String("nope"), LaunchType: types.LaunchTypeFargate})
			return err
		}, "ClientException", "TaskDefinition not found."},
		{"container without a name", func() error {
			_, err := c.RegisterTaskDefinition(ctx, container(nil, aws.String("img")))
			return err
		}, "ClientException", "Container.name should not be null or empty."},
		{"container without an image", func() error {
			_, err := c.RegisterTaskDefinition(ctx, container(aws.String("app"), aws.String("")))
			return err
		}, "ClientException", "Container.image should not be null or empty."},
		{"pidMode host on Fargate", func() error {
			_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"), NetworkMode: types.NetworkModeAwsvpc,
				RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
				PidMode: types.PidModeHost, ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img")}}})
			return err
		}, "ClientException", "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'."},
		{"task cpu that is not a size", func() error {
			in := container(aws.String("app"), aws.String("img"))
			in.Cpu = aws.String("lots")
			_, err := c.RegisterTaskDefinition(ctx, in)
			return err
		}, "ClientException", "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."},
		{"container memory above the task's", func() error {
			in := container(aws.String("app"), aws.String("img"))
			in.Memory = aws.String("16")
			_, err := c.RegisterTaskDefinition(ctx, in)
			return err
		}, "ClientException", "The 'memory' setting for container 'app' is greater than for the task."},
		{"no Fargate size", func() error {
			_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"), NetworkMode: types.NetworkModeAwsvpc,
				RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, Cpu: aws.String("1024"), Memory: aws.String("1024"),
				ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img")}}})
			return err
		}, "ClientException", "No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values."},
		{"start a task on no container instance", func() error {
			_, err := c.StartTask(ctx, &ecs.StartTaskInput{Cluster: aws.String("w"), TaskDefinition: aws.String("ec2only"), ContainerInstances: []string{}})
			return err
		}, "ClientException", "Container Instances cannot be empty."},
		{"describe no container instance", func() error {
			_, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("w"), ContainerInstances: []string{}})
			return err
		}, "InvalidParameterException", "Container instance cannot be empty."},
		{"describe no container instance of a missing cluster", func() error {
			_, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("gone"), ContainerInstances: []string{}})
			return err
		}, "ClusterNotFoundException", "Cluster not found."},
		{"describe no task", func() error {
			_, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("w"), Tasks: []string{}})
			return err
		}, "InvalidParameterException", "Tasks cannot be empty."},
		{"describe no task of a missing cluster", func() error {
			_, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("gone"), Tasks: []string{}})
			return err
		}, "ClusterNotFoundException", "Cluster not found."},
		{"stop a missing task", func() error {
			_, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("w"), Task: aws.String("0123456789abcdef")})
			return err
		}, "InvalidParameterException", "The referenced task was not found."},
		{"launch type outside the enum", func() error {
			_, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("w"), TaskDefinition: aws.String("ec2only"), LaunchType: "SPACESHIP"})
			return err
		}, "InvalidParameterException", "launch type should be one of [EC2,FARGATE,EXTERNAL,MANAGED_INSTANCES]"},
		{"network mode outside the enum", func() error {
			in := container(aws.String("app"), aws.String("img"))
			in.NetworkMode = "bogus"
			_, err := c.RegisterTaskDefinition(ctx, in)
			return err
		}, "InvalidParameterException", "networkMode should be one of [bridge,host,awsvpc,none]"},
		{"nested enum names its member", func() error {
			in := container(aws.String("app"), aws.String("img"))
			in.ContainerDefinitions[0].LogConfiguration = &types.LogConfiguration{LogDriver: "carrier-pigeon"}
			_, err := c.RegisterTaskDefinition(ctx, in)
			return err
		}, "InvalidParameterException", "logDriver should be one of [json-file,syslog,journald,gelf,fluentd,awslogs,splunk,awsfirelens]"},
		{"run FARGATE with an EC2-only task definition", func() error {
			_, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("w"), TaskDefinition: aws.String("ec2only"),
				LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc})
			return err
		}, "InvalidParameterException", "Task definition does not support launch_type FARGATE."},
		{"create a FARGATE service with an EC2-only task definition", func() error {
			_, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("w"), ServiceName: aws.String("fg"),
				TaskDefinition: aws.String("ec2only"), DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc})
			return err
		}, "InvalidParameterException", "Task definition does not support launch_type FARGATE."},
		{"launch type and capacity provider strategy", func() error {
			_, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("w"), TaskDefinition: aws.String("ec2only"), LaunchType: types.LaunchTypeEc2,
				CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}})
			return err
		}, "InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."},
		{"DAEMON service with a capacity provider strategy", func() error {
			_, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("w"), ServiceName: aws.String("d"), TaskDefinition: aws.String("ec2only"),
				SchedulingStrategy:       types.SchedulingStrategyDaemon,
				CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}})
			return err
		}, "InvalidParameterException", "Specifying a capacity provider strategy is not supported when you create a service using the DAEMON scheduling strategy."},
		{"delete a cluster with a service", func() error {
			_, err := c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("w")})
			return err
		}, "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active."},
		{"delete a missing cluster", func() error {
			_, err := c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("gone")})
			return err
		}, "ClusterNotFoundException", "Cluster not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("want %s %q, got %v", tt.code, tt.msg, err)
			}
			if ae.ErrorCode() != tt.code || ae.ErrorMessage() != tt.msg {
				t.Fatalf("got %s %q\nwant %s %q", ae.ErrorCode(), ae.ErrorMessage(), tt.code, tt.msg)
			}
		})
	}
}

// TestDescribeServicesFailureARN checks that a missing service is reported
// by its full ARN, however it was named, as ECS does.
func TestDescribeServicesFailureARN(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("d")}))(t)
	const want = "arn:aws:ecs:us-east-1:000000000000:service/d/ghost"
	tests := []struct {
		name, cluster, ref string
	}{
		{"by name", "d", "ghost"},
		{"by ARN", "d", want},
		{"cluster by ARN", "arn:aws:ecs:us-east-1:000000000000:cluster/d", "ghost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := apitest.Must(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(tt.cluster), Services: []string{tt.ref}}))(t)
			if len(out.Services) != 0 || len(out.Failures) != 1 {
				t.Fatalf("got %+v", out)
			}
			if f := out.Failures[0]; aws.ToString(f.Arn) != want || aws.ToString(f.Reason) != "MISSING" {
				t.Fatalf("failure arn %q reason %q, want %q MISSING", aws.ToString(f.Arn), aws.ToString(f.Reason), want)
			}
		})
	}
}

// TestDeletedClusterStaysDescribable checks that DescribeClusters and
// ListClusters still answer a deleted cluster, as INACTIVE (ECS keeps them
// discoverable a while), that other calls find no such cluster or refuse
// it, and that creating it again works.
func TestDeletedClusterStaysDescribable(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("old")}))(t)
	del := apitest.Must(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("old")}))(t)
	if aws.ToString(del.Cluster.Status) != "INACTIVE" {
		t.Fatalf("DeleteCluster status %s", aws.ToString(del.Cluster.Status))
	}
	desc := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"old"}}))(t)
	if len(desc.Clusters) != 1 || aws.ToString(desc.Clusters[0].Status) != "INACTIVE" || len(desc.Failures) != 0 {
		t.Fatalf("DescribeClusters after delete: %+v", desc)
	}
	list := apitest.Must(c.ListClusters(ctx, &ecs.ListClustersInput{}))(t)
	if len(list.ClusterArns) != 1 || list.ClusterArns[0] != "arn:aws:ecs:us-east-1:000000000000:cluster/old" {
		t.Fatalf("ListClusters after delete: %v", list.ClusterArns)
	}
	_, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("old")})
	apitest.WantCode(t, err, "ClusterNotFoundException")
	_, err = c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/old"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterException" ||
		ae.ErrorMessage() != "The specified cluster is inactive. Specify an active cluster and try again." {
		t.Fatalf("TagResource on an INACTIVE cluster: %v", err)
	}
	again := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("old")}))(t)
	if aws.ToString(again.Cluster.Status) != "ACTIVE" {
		t.Fatalf("re-created cluster is %s", aws.ToString(again.Cluster.Status))
	}
}

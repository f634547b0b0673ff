package ecs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// TestServiceAPI covers the service calls' shapes and errors; running the
// tasks is the e2e package's business.
func TestServiceAPI(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("s")}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("app"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(32)}}}))(t)
	for _, n := range []string{"a", "b", "c"} {
		out := apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("s"), ServiceName: aws.String(n), TaskDefinition: aws.String("app"),
			DesiredCount: aws.Int32(0), Tags: []types.Tag{{Key: aws.String("svc"), Value: aws.String(n)}}}))(t)
		svc := out.Service
		if aws.ToString(svc.ServiceArn) != "arn:aws:ecs:us-east-1:000000000000:service/s/"+n || aws.ToString(svc.Status) != "ACTIVE" ||
			len(svc.Deployments) != 1 || aws.ToString(svc.Deployments[0].Status) != "PRIMARY" || svc.SchedulingStrategy != types.SchedulingStrategyReplica {
			t.Fatalf("created %+v", svc)
		}
	}
	tests := []struct {
		name string
		in   *ecs.CreateServiceInput
		code string
	}{
		{"duplicate", &ecs.CreateServiceInput{Cluster: aws.String("s"), ServiceName: aws.String("a"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(1)}, "InvalidParameterException"},
		{"no desired count", &ecs.CreateServiceInput{Cluster: aws.String("s"), ServiceName: aws.String("d"), TaskDefinition: aws.String("app")}, "InvalidParameterException"},
		{"unknown task definition", &ecs.CreateServiceInput{Cluster: aws.String("s"), ServiceName: aws.String("d"), TaskDefinition: aws.String("nope"), DesiredCount: aws.Int32(1)}, "ClientException"}, // "TaskDefinition not found."
		{"unknown cluster", &ecs.CreateServiceInput{Cluster: aws.String("ghost"), ServiceName: aws.String("d"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(1)}, "ClusterNotFoundException"},
		{"min healthy above 100", &ecs.CreateServiceInput{Cluster: aws.String("s"), ServiceName: aws.String("d"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(1),
			DeploymentConfiguration: &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(150)}}, "InvalidParameterException"},
		{"daemon on fargate", &ecs.CreateServiceInput{Cluster: aws.String("s"), ServiceName: aws.String("d"), TaskDefinition: aws.String("app"),
			SchedulingStrategy: types.SchedulingStrategyDaemon, LaunchType: types.LaunchTypeFargate}, "InvalidParameterException"},
		{"bad placement strategy", &ecs.CreateServiceInput{Cluster: aws.String("s"), ServiceName: aws.String("d"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(1),
			PlacementStrategy: []types.PlacementStrategy{{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("disk")}}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateService(ctx, tt.in)
			apitest.WantCode(t, err, tt.code)
		})
	}

	var arns []string
	p := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{Cluster: aws.String("s"), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		arns = append(arns, apitest.Must(p.NextPage(ctx))(t).ServiceArns...)
	}
	if len(arns) != 3 {
		t.Fatalf("ListServices: %v", arns)
	}
	desc := apitest.Must(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("s"), Services: []string{"a", arns[1], "zzz"},
		Include: []types.ServiceField{types.ServiceFieldTags}}))(t)
	if len(desc.Services) != 2 || len(desc.Failures) != 1 || aws.ToString(desc.Failures[0].Reason) != "MISSING" || tagMap(desc.Services[0].Tags) != "svc=a" {
		t.Fatalf("DescribeServices: %+v", desc)
	}
	if plain := apitest.Must(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("s"), Services: []string{"a"}}))(t); len(plain.Services[0].Tags) != 0 {
		t.Fatal("tags without include TAGS")
	}
	arn := aws.ToString(desc.Services[0].ServiceArn)
	apitest.Must(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}))(t)
	if tags := apitest.Must(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}))(t); tagMap(tags.Tags) != "svc=a,env=dev" {
		t.Fatalf("service tags %s", tagMap(tags.Tags))
	}

	// A desired count alone changes no deployment; a new task definition does.
	up := apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("s"), Service: aws.String("a"), DesiredCount: aws.Int32(0)}))(t)
	if len(up.Service.Deployments) != 1 {
		t.Fatalf("desired count made a deployment: %d", len(up.Service.Deployments))
	}
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("app"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img2"), Memory: aws.Int32(32)}}}))(t)
	up = apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("s"), Service: aws.String("a"), TaskDefinition: aws.String("app:2"),
		DeploymentConfiguration: &types.DeploymentConfiguration{MaximumPercent: aws.Int32(150)}}))(t)
	if len(up.Service.Deployments) < 2 || aws.ToString(up.Service.Deployments[0].TaskDefinition) != "arn:aws:ecs:us-east-1:000000000000:task-definition/app:2" ||
		aws.ToInt32(up.Service.DeploymentConfiguration.MaximumPercent) != 150 || aws.ToInt32(up.Service.DeploymentConfiguration.MinimumHealthyPercent) != 100 {
		t.Fatalf("update: %+v", up.Service)
	}
	up = apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("s"), Service: aws.String("b"), ForceNewDeployment: true}))(t)
	if len(up.Service.Deployments) < 2 {
		t.Fatal("forceNewDeployment made no deployment")
	}
	_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("s"), Service: aws.String("nope"), DesiredCount: aws.Int32(1)})
	apitest.WantCode(t, err, "ServiceNotFoundException")
	_, err = c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("s")})
	apitest.WantCode(t, err, "ClusterContainsServicesException")
}

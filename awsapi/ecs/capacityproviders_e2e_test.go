package ecs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

const asgARN = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0d1e2f3a-aaaa-bbbb-cccc-000000000001:autoScalingGroupName/asg-"

func asgProvider(n string) *types.AutoScalingGroupProvider {
	return &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(asgARN + n)}
}

// TestCapacityProviderLifecycle covers Auto Scaling group capacity providers
// through the SDK: create (defaults, name rules, duplicates), describe with
// paging and tags, update, association with a cluster, launching on one,
// and deletion, refused in place while a cluster has the provider.
func TestCapacityProviderLifecycle(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()

	created := apitest.Must(c.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("asg-one"),
		AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(asgARN + "one"),
			ManagedScaling: &types.ManagedScaling{Status: types.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(80)}},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}))(t).CapacityProvider
	ms := created.AutoScalingGroupProvider.ManagedScaling
	if aws.ToString(created.CapacityProviderArn) != "arn:aws:ecs:us-east-1:000000000000:capacity-provider/asg-one" ||
		created.Status != types.CapacityProviderStatusActive || ms.Status != types.ManagedScalingStatusEnabled ||
		aws.ToInt32(ms.TargetCapacity) != 80 || aws.ToInt32(ms.MinimumScalingStepSize) != 1 || aws.ToInt32(ms.MaximumScalingStepSize) != 10000 ||
		aws.ToInt32(ms.InstanceWarmupPeriod) != 300 ||
		created.AutoScalingGroupProvider.ManagedTerminationProtection != types.ManagedTerminationProtectionDisabled ||
		created.AutoScalingGroupProvider.ManagedDraining != types.ManagedDrainingEnabled {
		t.Fatalf("created %+v %+v", created, ms)
	}
	two := apitest.Must(c.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("asg-two"), AutoScalingGroupProvider: asgProvider("two")}))(t).CapacityProvider
	if m := two.AutoScalingGroupProvider.ManagedScaling; m == nil || m.Status != types.ManagedScalingStatusDisabled || aws.ToInt32(m.TargetCapacity) != 100 {
		t.Fatalf("managed scaling defaults without managedScaling: %+v", m)
	}

	createErrors := []struct {
		name string
		in   *ecs.CreateCapacityProviderInput
		code string
	}{
		{"prefix aws", &ecs.CreateCapacityProviderInput{Name: aws.String("aws-cp"), AutoScalingGroupProvider: asgProvider("x")}, "ClientException"},
		{"prefix ecs any case", &ecs.CreateCapacityProviderInput{Name: aws.String("EcsCp"), AutoScalingGroupProvider: asgProvider("x")}, "ClientException"},
		{"prefix fargate", &ecs.CreateCapacityProviderInput{Name: aws.String("fargate-mine"), AutoScalingGroupProvider: asgProvider("x")}, "ClientException"},
		{"bad characters", &ecs.CreateCapacityProviderInput{Name: aws.String("my cp!"), AutoScalingGroupProvider: asgProvider("x")}, "ClientException"},
		{"duplicate name", &ecs.CreateCapacityProviderInput{Name: aws.String("asg-one"), AutoScalingGroupProvider: asgProvider("x")}, "ClientException"},
		{"auto scaling group taken", &ecs.CreateCapacityProviderInput{Name: aws.String("asg-three"), AutoScalingGroupProvider: asgProvider("one")}, "ClientException"},
		{"target capacity 0", &ecs.CreateCapacityProviderInput{Name: aws.String("asg-three"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{
			AutoScalingGroupArn: aws.String(asgARN + "three"), ManagedScaling: &types.ManagedScaling{TargetCapacity: aws.Int32(0)}}}, "InvalidParameterException"},
		{"min step above max step", &ecs.CreateCapacityProviderInput{Name: aws.String("asg-three"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{
			AutoScalingGroupArn: aws.String(asgARN + "three"), ManagedScaling: &types.ManagedScaling{MinimumScalingStepSize: aws.Int32(5), MaximumScalingStepSize: aws.Int32(2)}}}, "InvalidParameterException"},
		{"no auto scaling group", &ecs.CreateCapacityProviderInput{Name: aws.String("asg-three"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String("")}}, "InvalidParameterException"},
	}
	for _, tt := range createErrors {
		t.Run("create "+tt.name, func(t *testing.T) {
			_, err := c.CreateCapacityProvider(ctx, tt.in)
			apitest.WantCode(t, err, tt.code)
		})
	}
	t.Run("name message", func(t *testing.T) {
		_, err := c.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("ecs-x"), AutoScalingGroupProvider: asgProvider("x")})
		if err == nil || !strings.Contains(err.Error(), `The name cannot be prefixed with "aws", "ecs", or "fargate".`) {
			t.Fatalf("message: %v", err)
		}
	})

	t.Run("describe", func(t *testing.T) {
		var names []string
		pages := 0
		for in := (&ecs.DescribeCapacityProvidersInput{MaxResults: aws.Int32(1)}); pages < 10; pages++ {
			out := apitest.Must(c.DescribeCapacityProviders(ctx, in))(t)
			for _, cp := range out.CapacityProviders {
				names = append(names, aws.ToString(cp.Name))
			}
			if out.NextToken == nil {
				pages++
				break
			}
			in.NextToken = out.NextToken
		}
		if strings.Join(names, ",") != "FARGATE,FARGATE_SPOT,asg-one,asg-two" || pages != 4 {
			t.Fatalf("all providers in %d pages: %v", pages, names)
		}
		got := apitest.Must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{
			CapacityProviders: []string{"arn:aws:ecs:us-east-1:000000000000:capacity-provider/asg-one", "FARGATE", "nope"},
			Include:           []types.CapacityProviderField{types.CapacityProviderFieldTags}}))(t)
		if len(got.CapacityProviders) != 2 || aws.ToString(got.CapacityProviders[0].Name) != "asg-one" || tagMap(got.CapacityProviders[0].Tags) != "team=core" ||
			len(got.Failures) != 1 || aws.ToString(got.Failures[0].Reason) != "MISSING" ||
			aws.ToString(got.Failures[0].Arn) != "arn:aws:ecs:us-east-1:000000000000:capacity-provider/nope" {
			t.Fatalf("by name: %+v", got)
		}
		first := apitest.Must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"asg-two", "FARGATE_SPOT"}, MaxResults: aws.Int32(1)}))(t)
		if len(first.CapacityProviders) != 1 || aws.ToString(first.CapacityProviders[0].Name) != "asg-two" || first.NextToken == nil {
			t.Fatalf("named, first page: %+v", first)
		}
		second := apitest.Must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"asg-two", "FARGATE_SPOT"}, MaxResults: aws.Int32(1), NextToken: first.NextToken}))(t)
		if len(second.CapacityProviders) != 1 || aws.ToString(second.CapacityProviders[0].Name) != "FARGATE_SPOT" || second.NextToken != nil {
			t.Fatalf("named, second page: %+v", second)
		}
		_, err := c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{NextToken: aws.String("garbage")})
		apitest.WantCode(t, err, "InvalidParameterException")
		if plain := apitest.Must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"asg-one"}}))(t); len(plain.CapacityProviders[0].Tags) != 0 {
			t.Fatal("tags without include TAGS")
		}
		if other := apitest.Must(w.ECSIn("eu-west-1").DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{}))(t); len(other.CapacityProviders) != 2 {
			t.Fatalf("another region sees %d providers", len(other.CapacityProviders))
		}
	})

	t.Run("tags", func(t *testing.T) {
		arn := aws.String("arn:aws:ecs:us-east-1:000000000000:capacity-provider/asg-two")
		apitest.Must(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}))(t)
		if tags := apitest.Must(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: arn}))(t); tagMap(tags.Tags) != "env=dev" {
			t.Fatalf("tags %s", tagMap(tags.Tags))
		}
		_, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE"),
			Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("update", func(t *testing.T) {
		up := apitest.Must(c.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{Name: aws.String("asg-one"),
			AutoScalingGroupProvider: &types.AutoScalingGroupProviderUpdate{ManagedScaling: &types.ManagedScaling{TargetCapacity: aws.Int32(50)},
				ManagedDraining: types.ManagedDrainingDisabled}}))(t).CapacityProvider
		m := up.AutoScalingGroupProvider.ManagedScaling
		if aws.ToInt32(m.TargetCapacity) != 50 || m.Status != types.ManagedScalingStatusEnabled || aws.ToInt32(m.InstanceWarmupPeriod) != 300 ||
			up.AutoScalingGroupProvider.ManagedDraining != types.ManagedDrainingDisabled || up.UpdateStatus != types.CapacityProviderUpdateStatusUpdateComplete {
			t.Fatalf("updated %+v %+v", up, m)
		}
		_, err := c.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{Name: aws.String("ghost"), AutoScalingGroupProvider: &types.AutoScalingGroupProviderUpdate{}})
		apitest.WantCode(t, err, "ClientException")
		_, err = c.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{Name: aws.String("FARGATE"), AutoScalingGroupProvider: &types.AutoScalingGroupProviderUpdate{}})
		apitest.WantCode(t, err, "ClientException")
		_, err = c.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{Name: aws.String("asg-one"),
			AutoScalingGroupProvider: &types.AutoScalingGroupProviderUpdate{ManagedScaling: &types.ManagedScaling{MinimumScalingStepSize: aws.Int32(10001)}}})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	// A cluster takes the provider; its default strategy may name it, but not
	// mixed with Fargate, and no second cluster may take it.
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c1")}))(t)
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c2")}))(t)
	put := apitest.Must(c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("c1"),
		CapacityProviders:               []string{"asg-one", "FARGATE"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("asg-one"), Weight: 1}}}))(t)
	if len(put.Cluster.CapacityProviders) != 2 {
		t.Fatalf("cluster %+v", put.Cluster)
	}
	putErrors := []struct {
		name string
		in   *ecs.PutClusterCapacityProvidersInput
		code string
	}{
		{"mixed strategy", &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("c1"), CapacityProviders: []string{"asg-one", "FARGATE"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("asg-one"), Weight: 1}, {CapacityProvider: aws.String("FARGATE"), Weight: 1}}}, "InvalidParameterException"},
		{"taken by another cluster", &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("c2"), CapacityProviders: []string{"asg-one"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}}, "InvalidParameterException"},
		{"unknown provider", &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("c2"), CapacityProviders: []string{"asg-nine"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}}, "InvalidParameterException"},
		{"create cluster with a taken provider", nil, "InvalidParameterException"},
	}
	for _, tt := range putErrors {
		t.Run("associate "+tt.name, func(t *testing.T) {
			var err error
			if tt.in == nil {
				_, err = c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c3"), CapacityProviders: []string{"asg-one"}})
			} else {
				_, err = c.PutClusterCapacityProviders(ctx, tt.in)
			}
			apitest.WantCode(t, err, tt.code)
		})
	}

	// The cluster's default strategy launches on the Auto Scaling group
	// provider: an EC2 task on one of the cluster's container instances.
	inst := registerInstance(t, c, "c1", "node-cp", 1024, 1024)
	poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-cp"})
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("cp"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(32)}}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c1"), TaskDefinition: aws.String("cp")}))(t)
	if len(run.Tasks) != 1 || run.Tasks[0].LaunchType != types.LaunchTypeEc2 || aws.ToString(run.Tasks[0].CapacityProviderName) != "asg-one" ||
		aws.ToString(run.Tasks[0].ContainerInstanceArn) != inst {
		t.Fatalf("task on the provider: %+v %s", run.Tasks, failureText(run.Failures))
	}
	task := aws.ToString(run.Tasks[0].TaskArn)
	_, err := c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("c1"), CapacityProviders: []string{"FARGATE"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}})
	apitest.WantCode(t, err, "ResourceInUseException")

	// Deleting while c1 has it: answered, not refused, with DELETE_FAILED.
	del := apitest.Must(c.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String("asg-one")}))(t).CapacityProvider
	if del.Status != types.CapacityProviderStatusActive || del.UpdateStatus != types.CapacityProviderUpdateStatusDeleteFailed ||
		!strings.Contains(aws.ToString(del.UpdateStatusReason), "associated with cluster: c1") {
		t.Fatalf("delete while associated: %+v", del)
	}

	// Once the task has stopped and the cluster let the provider go, it is deleted.
	apitest.Must(c.SubmitTaskStateChange(ctx, &ecs.SubmitTaskStateChangeInput{Cluster: aws.String("c1"), Task: aws.String(task), Status: aws.String("STOPPED"), Reason: aws.String("done")}))(t)
	apitest.Must(c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("c1"), CapacityProviders: []string{},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}}))(t)
	del = apitest.Must(c.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String("arn:aws:ecs:us-east-1:000000000000:capacity-provider/asg-one")}))(t).CapacityProvider
	if del.Status != types.CapacityProviderStatusInactive || del.UpdateStatus != types.CapacityProviderUpdateStatusDeleteComplete || del.UpdateStatusReason != nil {
		t.Fatalf("deleted %+v", del)
	}
	if d := apitest.Must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"asg-one"}}))(t); d.CapacityProviders[0].Status != types.CapacityProviderStatusInactive {
		t.Fatalf("described after delete: %+v", d.CapacityProviders)
	}
	deleteErrors := []struct{ name, ref string }{{"again", "asg-one"}, {"unknown", "ghost"}, {"FARGATE", "FARGATE"}}
	for _, tt := range deleteErrors {
		t.Run("delete "+tt.name, func(t *testing.T) {
			_, err := c.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String(tt.ref)})
			apitest.WantCode(t, err, "ClientException")
		})
	}
	_, err = c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("c2"), CapacityProviders: []string{"asg-one"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}})
	apitest.WantCode(t, err, "InvalidParameterException") // INACTIVE providers cannot be associated

	// The name and the Auto Scaling group are free again.
	again := apitest.Must(c.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("asg-one"), AutoScalingGroupProvider: asgProvider("one")}))(t).CapacityProvider
	if again.Status != types.CapacityProviderStatusActive || again.UpdateStatus != "" {
		t.Fatalf("recreated %+v", again)
	}
}

package ecs_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func TestClusterLifecycle(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()

	t.Run("create default", func(t *testing.T) {
		out := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))(t)
		cl := out.Cluster
		if aws.ToString(cl.ClusterName) != "default" || aws.ToString(cl.Status) != "ACTIVE" {
			t.Fatalf("got %s %s", aws.ToString(cl.ClusterName), aws.ToString(cl.Status))
		}
		if got, want := aws.ToString(cl.ClusterArn), "arn:aws:ecs:us-east-1:000000000000:cluster/default"; got != want {
			t.Fatalf("arn %s, want %s", got, want)
		}
		if len(cl.Settings) != 1 || cl.Settings[0].Name != types.ClusterSettingNameContainerInsights || aws.ToString(cl.Settings[0].Value) != "disabled" {
			t.Fatalf("settings %+v", cl.Settings)
		}
	})

	t.Run("create is idempotent", func(t *testing.T) {
		first := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod"),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}))(t)
		again := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))(t)
		if aws.ToString(first.Cluster.ClusterArn) != aws.ToString(again.Cluster.ClusterArn) || len(again.Cluster.Tags) != 1 {
			t.Fatalf("second create changed the cluster: %+v", again.Cluster)
		}
	})

	t.Run("invalid name", func(t *testing.T) {
		_, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bad name!")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("describe with include and missing", func(t *testing.T) {
		out := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{
			Clusters: []string{"prod", "arn:aws:ecs:us-east-1:000000000000:cluster/default", "nope"},
			Include:  []types.ClusterField{types.ClusterFieldTags, types.ClusterFieldSettings, types.ClusterFieldStatistics},
		}))(t)
		if len(out.Clusters) != 2 || len(out.Failures) != 1 {
			t.Fatalf("clusters %d failures %d", len(out.Clusters), len(out.Failures))
		}
		if f := out.Failures[0]; aws.ToString(f.Reason) != "MISSING" || aws.ToString(f.Arn) != "arn:aws:ecs:us-east-1:000000000000:cluster/nope" {
			t.Fatalf("failure %+v", f)
		}
		prod := out.Clusters[0]
		if len(prod.Tags) != 1 || aws.ToString(prod.Tags[0].Key) != "team" {
			t.Fatalf("tags %+v", prod.Tags)
		}
		if len(prod.Statistics) == 0 || len(prod.Settings) != 1 {
			t.Fatalf("statistics %+v settings %+v", prod.Statistics, prod.Settings)
		}
		plain := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod"}}))(t)
		if len(plain.Clusters[0].Tags) != 0 || len(plain.Clusters[0].Statistics) != 0 {
			t.Fatalf("tags or statistics without include: %+v", plain.Clusters[0])
		}
	})

	t.Run("describe with no names describes default", func(t *testing.T) {
		out := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{}))(t)
		if len(out.Clusters) != 1 || aws.ToString(out.Clusters[0].ClusterName) != "default" {
			t.Fatalf("got %+v", out)
		}
	})

	t.Run("update settings", func(t *testing.T) {
		out := apitest.Must(c.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("prod"),
			Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}}))(t)
		if aws.ToString(out.Cluster.Settings[0].Value) != "enabled" {
			t.Fatalf("settings %+v", out.Cluster.Settings)
		}
		_, err := c.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("prod"),
			Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("maybe")}}})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("ghost"),
			Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
		apitest.WantCode(t, err, "ClusterNotFoundException")
	})

	t.Run("update cluster configuration", func(t *testing.T) {
		out := apitest.Must(c.UpdateCluster(ctx, &ecs.UpdateClusterInput{Cluster: aws.String("prod"),
			Configuration:          &types.ClusterConfiguration{ExecuteCommandConfiguration: &types.ExecuteCommandConfiguration{Logging: types.ExecuteCommandLoggingDefault}},
			ServiceConnectDefaults: &types.ClusterServiceConnectDefaultsRequest{Namespace: aws.String("internal")}}))(t)
		if out.Cluster.Configuration == nil || out.Cluster.Configuration.ExecuteCommandConfiguration.Logging != types.ExecuteCommandLoggingDefault {
			t.Fatalf("configuration %+v", out.Cluster.Configuration)
		}
		if aws.ToString(out.Cluster.ServiceConnectDefaults.Namespace) != "internal" {
			t.Fatalf("service connect defaults %+v", out.Cluster.ServiceConnectDefaults)
		}
	})

	t.Run("capacity providers", func(t *testing.T) {
		out := apitest.Must(c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String("prod"), CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{
				{CapacityProvider: aws.String("FARGATE"), Weight: 1, Base: 1},
				{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 3}},
		}))(t)
		if len(out.Cluster.CapacityProviders) != 2 || len(out.Cluster.DefaultCapacityProviderStrategy) != 2 {
			t.Fatalf("cluster %+v", out.Cluster)
		}
		_, err := c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String("prod"), CapacityProviders: []string{"my-asg"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{}})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String("prod"), CapacityProviders: []string{"FARGATE"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}})
		apitest.WantCode(t, err, "InvalidParameterException")

		cps := apitest.Must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{}))(t)
		if len(cps.CapacityProviders) != 2 || aws.ToString(cps.CapacityProviders[0].Name) != "FARGATE" ||
			aws.ToString(cps.CapacityProviders[0].CapacityProviderArn) != "arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE" {
			t.Fatalf("capacity providers %+v", cps.CapacityProviders)
		}
		miss := apitest.Must(c.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"FARGATE_SPOT", "nope"}}))(t)
		if len(miss.CapacityProviders) != 1 || len(miss.Failures) != 1 || aws.ToString(miss.Failures[0].Reason) != "MISSING" {
			t.Fatalf("got %+v", miss)
		}
	})

	t.Run("delete", func(t *testing.T) {
		out := apitest.Must(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")}))(t)
		if aws.ToString(out.Cluster.Status) != "INACTIVE" {
			t.Fatalf("status %s", aws.ToString(out.Cluster.Status))
		}
		_, err := c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")})
		apitest.WantCode(t, err, "ClusterNotFoundException")
		desc := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod"}}))(t)
		if len(desc.Clusters) != 1 || aws.ToString(desc.Clusters[0].Status) != "INACTIVE" {
			t.Fatalf("deleted cluster not describable as INACTIVE: %+v", desc)
		}
		// ECS goes on listing a deleted cluster while it stays discoverable.
		list := apitest.Must(c.ListClusters(ctx, &ecs.ListClustersInput{}))(t)
		if !slices.Contains(list.ClusterArns, "arn:aws:ecs:us-east-1:000000000000:cluster/prod") {
			t.Fatalf("ListClusters does not list the INACTIVE cluster: %v", list.ClusterArns)
		}
		again := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))(t)
		if aws.ToString(again.Cluster.Status) != "ACTIVE" {
			t.Fatal("could not re-create a deleted cluster")
		}
	})
}

func TestListClustersPagination(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	for i := range 7 {
		apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(fmt.Sprintf("c%02d", i))}))(t)
	}
	var all []string
	pages := 0
	p := ecs.NewListClustersPaginator(c, &ecs.ListClustersInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out := apitest.Must(p.NextPage(ctx))(t)
		all = append(all, out.ClusterArns...)
		pages++
	}
	if len(all) != 7 || pages != 3 {
		t.Fatalf("got %d clusters in %d pages", len(all), pages)
	}
	for i, arn := range all {
		if want := fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:cluster/c%02d", i); arn != want {
			t.Fatalf("item %d = %s, want %s", i, arn, want)
		}
	}
	_, err := c.ListClusters(ctx, &ecs.ListClustersInput{NextToken: aws.String("garbage!")})
	apitest.WantCode(t, err, "InvalidParameterException")
	_, err = c.ListClusters(ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(101)})
	apitest.WantCode(t, err, "InvalidParameterException")
}

func TestRegionsAreSeparate(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	eu := w.ECSIn("eu-west-1")
	out := apitest.Must(eu.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("euro")}))(t)
	if got := aws.ToString(out.Cluster.ClusterArn); got != "arn:aws:ecs:eu-west-1:000000000000:cluster/euro" {
		t.Fatalf("arn %s", got)
	}
	us := apitest.Must(w.ECS().ListClusters(ctx, &ecs.ListClustersInput{}))(t)
	if len(us.ClusterArns) != 0 {
		t.Fatalf("us-east-1 sees %v", us.ClusterArns)
	}
}

package ecs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func tagMap(tags []types.Tag) string {
	var parts []string
	for _, t := range tags {
		parts = append(parts, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return strings.Join(parts, ",")
}

func TestTags(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	cl := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("tagged")}))(t).Cluster
	td := apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("t"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("c"), Image: aws.String("i"), Memory: aws.Int32(32)}}}))(t).TaskDefinition

	for _, arn := range []string{aws.ToString(cl.ClusterArn), aws.ToString(td.TaskDefinitionArn)} {
		t.Run(arn, func(t *testing.T) {
			apitest.Must(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn),
				Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))(t)
			apitest.Must(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn),
				Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("3")}}}))(t)
			got := apitest.Must(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}))(t)
			if tagMap(got.Tags) != "a=3,b=2" {
				t.Fatalf("tags %s", tagMap(got.Tags))
			}
			apitest.Must(c.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a", "zzz"}}))(t)
			got = apitest.Must(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}))(t)
			if tagMap(got.Tags) != "b=2" {
				t.Fatalf("after untag %s", tagMap(got.Tags))
			}
			_, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn),
				Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}})
			apitest.WantCode(t, err, "InvalidParameterException")
		})
	}

	t.Run("too many tags", func(t *testing.T) {
		var tags []types.Tag
		for i := range 51 {
			tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
		}
		_, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: cl.ClusterArn, Tags: tags})
		apitest.WantCode(t, err, "InvalidParameterException")
	})
	t.Run("unknown cluster", func(t *testing.T) {
		_, err := c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/ghost")})
		apitest.WantCode(t, err, "ClusterNotFoundException")
	})
	t.Run("unknown task definition", func(t *testing.T) {
		_, err := c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:task-definition/ghost:1")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
	})
	t.Run("not an ARN", func(t *testing.T) {
		_, err := c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("tagged")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})
	t.Run("other region", func(t *testing.T) {
		_, err := c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:eu-west-1:000000000000:cluster/tagged")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})
}

func TestAccountSettings(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	effective := func(name types.SettingName, principal string) string {
		in := &ecs.ListAccountSettingsInput{Name: name, EffectiveSettings: true}
		if principal != "" {
			in.PrincipalArn = aws.String(principal)
		}
		out := apitest.Must(c.ListAccountSettings(ctx, in))(t)
		if len(out.Settings) != 1 {
			t.Fatalf("settings %+v", out.Settings)
		}
		return aws.ToString(out.Settings[0].Value)
	}
	if v := effective(types.SettingNameContainerInsights, ""); v != "disabled" {
		t.Fatalf("default containerInsights %s", v)
	}
	none := apitest.Must(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{}))(t)
	if len(none.Settings) != 0 {
		t.Fatalf("nothing was set, but got %+v", none.Settings)
	}
	first := apitest.Must(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{EffectiveSettings: true, MaxResults: 5}))(t)
	rest := apitest.Must(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{EffectiveSettings: true, MaxResults: 5, NextToken: first.NextToken}))(t)
	if len(first.Settings) != 5 || first.NextToken == nil || len(rest.Settings) != 4 || rest.NextToken != nil {
		t.Fatalf("effective settings in pages of 5: %d then %d (token %v)", len(first.Settings), len(rest.Settings), rest.NextToken)
	}

	apitest.Must(c.PutAccountSettingDefault(ctx, &ecs.PutAccountSettingDefaultInput{Name: types.SettingNameContainerInsights, Value: aws.String("enabled")}))(t)
	if v := effective(types.SettingNameContainerInsights, ""); v != "enabled" {
		t.Fatalf("after default: %s", v)
	}
	role := "arn:aws:iam::000000000000:role/dev"
	set := apitest.Must(c.PutAccountSetting(ctx, &ecs.PutAccountSettingInput{Name: types.SettingNameContainerInsights, Value: aws.String("disabled"), PrincipalArn: aws.String(role)}))(t)
	if aws.ToString(set.Setting.PrincipalArn) != role {
		t.Fatalf("principal %s", aws.ToString(set.Setting.PrincipalArn))
	}
	if v := effective(types.SettingNameContainerInsights, role); v != "disabled" {
		t.Fatalf("role override: %s", v)
	}
	// New clusters take the account's containerInsights default.
	cl := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("insightful")}))(t).Cluster
	if aws.ToString(cl.Settings[0].Value) != "enabled" {
		t.Fatalf("cluster setting %+v", cl.Settings)
	}
	_, err := c.PutAccountSetting(ctx, &ecs.PutAccountSettingInput{Name: types.SettingNameTaskLongArnFormat, Value: aws.String("sometimes")})
	apitest.WantCode(t, err, "InvalidParameterException")
	apitest.Must(c.DeleteAccountSetting(ctx, &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights, PrincipalArn: aws.String(role)}))(t)
	if v := effective(types.SettingNameContainerInsights, role); v != "enabled" {
		t.Fatalf("after delete the account default applies: %s", v)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	c := w.ECS()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("durable"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t)
	for range 3 {
		apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("keep"),
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("c"), Image: aws.String("i"), Memory: aws.Int32(32)}}}))(t)
	}
	apitest.Must(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("keep:2")}))(t)
	apitest.Must(c.PutAccountSettingDefault(ctx, &ecs.PutAccountSettingDefaultInput{Name: types.SettingNameAwsvpcTrunking, Value: aws.String("enabled")}))(t)

	w.Restart()
	c = w.ECS()
	cl := apitest.Must(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"durable"}, Include: []types.ClusterField{types.ClusterFieldTags}}))(t)
	if len(cl.Clusters) != 1 || tagMap(cl.Clusters[0].Tags) != "k=v" {
		t.Fatalf("cluster after restart: %+v", cl)
	}
	list := apitest.Must(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("keep")}))(t)
	if fmt.Sprint(list.TaskDefinitionArns) != "[arn:aws:ecs:us-east-1:000000000000:task-definition/keep:1 arn:aws:ecs:us-east-1:000000000000:task-definition/keep:3]" {
		t.Fatalf("task definitions after restart: %v", list.TaskDefinitionArns)
	}
	next := apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("keep"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("c"), Image: aws.String("i"), Memory: aws.Int32(32)}}}))(t)
	if next.TaskDefinition.Revision != 4 {
		t.Fatalf("revision after restart %d", next.TaskDefinition.Revision)
	}
	s := apitest.Must(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{Name: types.SettingNameAwsvpcTrunking}))(t)
	if len(s.Settings) != 1 || aws.ToString(s.Settings[0].Value) != "enabled" {
		t.Fatalf("settings after restart %+v", s.Settings)
	}
}

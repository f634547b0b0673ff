package logs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/apitest"
)

// Saved Insights queries: put, update by id, list by name prefix, delete,
// as Terraform's aws_cloudwatch_query_definition drives them.
func TestQueryDefinitions(t *testing.T) {
	_, c := apitest.Start(t, cwl.NewFromConfig)
	ctx := context.Background()
	const q = "fields @timestamp, @message | filter @message like /ERROR/ | limit 20"

	put := apitest.Must(c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("app/errors"), QueryString: aws.String(q),
		LogGroupNames: []string{"/ecs/app"}}))(t)
	id := aws.ToString(put.QueryDefinitionId)
	if len(id) != 36 {
		t.Fatalf("id %q", id)
	}
	apitest.Must(c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{Name: aws.String("other"), QueryString: aws.String("stats count(*)")}))(t)

	t.Run("describe by name prefix", func(t *testing.T) {
		out := apitest.Must(c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{QueryDefinitionNamePrefix: aws.String("app/")}))(t)
		if len(out.QueryDefinitions) != 1 {
			t.Fatalf("definitions %+v", out.QueryDefinitions)
		}
		d := out.QueryDefinitions[0]
		if aws.ToString(d.QueryDefinitionId) != id || aws.ToString(d.Name) != "app/errors" || aws.ToString(d.QueryString) != q ||
			len(d.LogGroupNames) != 1 || d.LogGroupNames[0] != "/ecs/app" || aws.ToInt64(d.LastModified) == 0 || d.QueryLanguage != types.QueryLanguageCwli {
			t.Fatalf("definition %+v", d)
		}
		all := apitest.Must(c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{}))(t)
		if len(all.QueryDefinitions) != 2 {
			t.Fatalf("all %+v", all.QueryDefinitions)
		}
		page := apitest.Must(c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{MaxResults: aws.Int32(1)}))(t)
		if len(page.QueryDefinitions) != 1 || page.NextToken == nil {
			t.Fatalf("page %+v", page)
		}
	})

	t.Run("update by id", func(t *testing.T) {
		out := apitest.Must(c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{QueryDefinitionId: aws.String(id), Name: aws.String("app/errors"),
			QueryString: aws.String("stats count(*) by bin(5m)")}))(t)
		if aws.ToString(out.QueryDefinitionId) != id {
			t.Fatalf("update answered id %q, want %q", aws.ToString(out.QueryDefinitionId), id)
		}
		d := apitest.Must(c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{QueryDefinitionNamePrefix: aws.String("app/errors")}))(t).QueryDefinitions
		if len(d) != 1 || aws.ToString(d[0].QueryString) != "stats count(*) by bin(5m)" || len(d[0].LogGroupNames) != 0 {
			t.Fatalf("updated %+v", d)
		}
		_, err := c.PutQueryDefinition(ctx, &cwl.PutQueryDefinitionInput{QueryDefinitionId: aws.String("00000000-0000-4000-8000-000000000000"),
			Name: aws.String("x"), QueryString: aws.String(q)})
		apitest.WantCode(t, err, "ResourceNotFoundException")
	})

	t.Run("delete", func(t *testing.T) {
		out := apitest.Must(c.DeleteQueryDefinition(ctx, &cwl.DeleteQueryDefinitionInput{QueryDefinitionId: aws.String(id)}))(t)
		if !out.Success {
			t.Fatal("success false")
		}
		_, err := c.DeleteQueryDefinition(ctx, &cwl.DeleteQueryDefinitionInput{QueryDefinitionId: aws.String(id)})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		d := apitest.Must(c.DescribeQueryDefinitions(ctx, &cwl.DescribeQueryDefinitionsInput{QueryDefinitionNamePrefix: aws.String("app/")}))(t)
		if len(d.QueryDefinitions) != 0 {
			t.Fatalf("left %+v", d.QueryDefinitions)
		}
	})
}

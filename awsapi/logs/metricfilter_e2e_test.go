package logs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func TestMetricFilters(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := logsClient(w, "us-east-1"), context.Background()
	for _, g := range []string{"/ecs/api", "/ecs/worker"} {
		apitest.Must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(g)}))(t)
	}
	putFilter := func(group, name, pattern, metric string) error {
		_, err := c.PutMetricFilter(ctx, &cwl.PutMetricFilterInput{LogGroupName: aws.String(group), FilterName: aws.String(name),
			FilterPattern: aws.String(pattern), MetricTransformations: []types.MetricTransformation{{MetricName: aws.String(metric),
				MetricNamespace: aws.String("App"), MetricValue: aws.String("1"), DefaultValue: aws.Float64(0), Unit: types.StandardUnitCount}}})
		return err
	}

	t.Run("put and describe", func(t *testing.T) {
		for i := range 5 {
			if err := putFilter("/ecs/api", fmt.Sprintf("errors-%d", i), "ERROR", "Errors"); err != nil {
				t.Fatal(err)
			}
		}
		if err := putFilter("/ecs/api", "latency", `{ $.latency > 500 }`, "SlowRequests"); err != nil {
			t.Fatal(err)
		}
		if err := putFilter("/ecs/worker", "errors-w", "?ERROR ?FATAL", "Errors"); err != nil {
			t.Fatal(err)
		}
		out := apitest.Must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String("/ecs/api"),
			FilterNamePrefix: aws.String("errors-")}))(t)
		if len(out.MetricFilters) != 5 {
			t.Fatalf("%d filters with the prefix, want 5", len(out.MetricFilters))
		}
		f := out.MetricFilters[0]
		if aws.ToString(f.FilterName) != "errors-0" || aws.ToString(f.LogGroupName) != "/ecs/api" || aws.ToString(f.FilterPattern) != "ERROR" ||
			aws.ToInt64(f.CreationTime) == 0 || len(f.MetricTransformations) != 1 ||
			aws.ToFloat64(f.MetricTransformations[0].DefaultValue) != 0 || f.MetricTransformations[0].Unit != types.StandardUnitCount {
			t.Fatalf("filter %+v", f)
		}
		// Paging over the whole scope, two at a time.
		var names []string
		p := cwl.NewDescribeMetricFiltersPaginator(c, &cwl.DescribeMetricFiltersInput{Limit: aws.Int32(2)})
		for p.HasMorePages() {
			for _, f := range apitest.Must(p.NextPage(ctx))(t).MetricFilters {
				names = append(names, aws.ToString(f.FilterName))
			}
		}
		if len(names) != 7 {
			t.Fatalf("paged %q, want 7 filters", names)
		}
		groups := apitest.Must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/api")}))(t)
		if len(groups.LogGroups) != 1 || aws.ToInt32(groups.LogGroups[0].MetricFilterCount) != 6 {
			t.Fatalf("metricFilterCount %+v", groups.LogGroups)
		}
		byMetric := apitest.Must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{MetricName: aws.String("Errors"),
			MetricNamespace: aws.String("App")}))(t)
		if len(byMetric.MetricFilters) != 6 {
			t.Fatalf("%d filters publish App/Errors, want 6", len(byMetric.MetricFilters))
		}
	})

	t.Run("errors", func(t *testing.T) {
		apitest.WantCode(t, putFilter("/nope", "f", "ERROR", "E"), "ResourceNotFoundException")
		apitest.WantCodeIn(t, putFilter("/ecs/api", "f", `{ $.a = `, "E"), "InvalidParameterException", "Invalid filter pattern")
		_, err := c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{MetricName: aws.String("Errors")})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/ecs/api"), FilterName: aws.String("nope")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
	})

	t.Run("delete", func(t *testing.T) {
		apitest.Must(c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/ecs/api"), FilterName: aws.String("latency")}))(t)
		out := apitest.Must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String("/ecs/api")}))(t)
		if len(out.MetricFilters) != 5 {
			t.Fatalf("%d filters after the delete, want 5", len(out.MetricFilters))
		}
	})

	t.Run("test metric filter", func(t *testing.T) {
		out := apitest.Must(c.TestMetricFilter(ctx, &cwl.TestMetricFilterInput{
			FilterPattern: aws.String(`[ip, user, username, timestamp, request, status_code = 4*, bytes]`),
			LogEventMessages: []string{
				`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`,
				`127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2344`,
			}}))(t)
		if len(out.Matches) != 1 || out.Matches[0].EventNumber != 2 {
			t.Fatalf("matches %+v", out.Matches)
		}
		want := map[string]string{"$ip": "127.0.0.1", "$user": "-", "$username": "frank", "$timestamp": "10/Oct/2000:13:35:22 -0700",
			"$request": "GET /apache_pb.gif HTTP/1.0", "$status_code": "404", "$bytes": "2344"}
		for k, v := range want {
			if got := out.Matches[0].ExtractedValues[k]; got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		_, err := c.TestMetricFilter(ctx, &cwl.TestMetricFilterInput{FilterPattern: aws.String(`"unterminated`), LogEventMessages: []string{"x"}})
		apitest.WantCode(t, err, "InvalidParameterException")
	})
}

package cloudwatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/wharfhq/wharf/internal/apitest"
)

// TestGetMetricDataPaging: past MaxDatapoints, GetMetricData answers
// PartialData with a NextToken; the same request with the token goes on
// where the page stopped, across results, until a page without a token.
// The SDK's paginator walks it.
func TestGetMetricDataPaging(t *testing.T) {
	_, c := apitest.Start(t, cloudwatch.NewFromConfig)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Minute).Add(-30 * time.Minute)
	var data []types.MetricDatum
	for m := range 10 {
		for _, name := range []string{"A", "B"} {
			data = append(data, types.MetricDatum{MetricName: aws.String(name), Timestamp: aws.Time(now.Add(time.Duration(m) * time.Minute)), Value: aws.Float64(float64(m))})
		}
	}
	apitest.Must(c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Paged"), MetricData: data}))(t)
	query := func(id, name string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("Paged"), MetricName: aws.String(name)},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(10 * time.Minute)), MaxDatapoints: aws.Int32(7),
		ScanBy: types.ScanByTimestampAscending, MetricDataQueries: []types.MetricDataQuery{query("a", "A"), query("b", "B")}}

	first := apitest.Must(c.GetMetricData(ctx, in))(t)
	if first.NextToken == nil || len(first.MetricDataResults) != 2 || len(first.MetricDataResults[0].Values) != 7 ||
		first.MetricDataResults[0].StatusCode != types.StatusCodePartialData || len(first.MetricDataResults[1].Values) != 0 {
		t.Fatalf("first page: %+v", first)
	}

	got := map[string][]float64{}
	pages := 0
	p := cloudwatch.NewGetMetricDataPaginator(c, in)
	for p.HasMorePages() {
		out := apitest.Must(p.NextPage(ctx))(t)
		pages++
		for _, r := range out.MetricDataResults {
			got[aws.ToString(r.Id)] = append(got[aws.ToString(r.Id)], r.Values...)
		}
	}
	if pages != 3 || len(got["a"]) != 10 || len(got["b"]) != 10 || got["a"][9] != 9 || got["b"][0] != 0 || got["b"][9] != 9 {
		t.Fatalf("%d pages: %v", pages, got)
	}

	bad := *in
	bad.NextToken = aws.String("not-a-token")
	_, err := c.GetMetricData(ctx, &bad)
	apitest.WantCode(t, err, "InvalidNextToken")
}

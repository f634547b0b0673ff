package cloudwatch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func dim(n, v string) types.Dimension {
	return types.Dimension{Name: aws.String(n), Value: aws.String(v)}
}

func TestMetricsRoundTrip(t *testing.T) {
	w, c := apitest.Start(t, cloudwatch.NewFromConfig)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	at := func(m int) *time.Time { return aws.Time(now.Add(time.Duration(m)*time.Minute + 5*time.Second)) }
	apitest.Must(c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Latency"), Dimensions: []types.Dimension{dim("Service", "web"), dim("Env", "prod")}, Timestamp: at(0), Value: aws.Float64(10), Unit: types.StandardUnitMilliseconds},
		{MetricName: aws.String("Latency"), Dimensions: []types.Dimension{dim("Env", "prod"), dim("Service", "web")}, Timestamp: at(0), Values: []float64{20, 30, 40}, Counts: []float64{1, 1, 2}, Unit: types.StandardUnitMilliseconds},
		{MetricName: aws.String("Latency"), Dimensions: []types.Dimension{dim("Service", "web"), dim("Env", "prod")}, Timestamp: at(1),
			StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(400), Minimum: aws.Float64(50), Maximum: aws.Float64(150)}, Unit: types.StandardUnitMilliseconds, StorageResolution: aws.Int32(60)},
		{MetricName: aws.String("Requests"), Dimensions: []types.Dimension{dim("Service", "api")}, Timestamp: at(0), Value: aws.Float64(1)},
	}}))(t)

	t.Run("GetMetricStatistics", func(t *testing.T) {
		out := apitest.Must(c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Latency"),
			Dimensions: []types.Dimension{dim("Service", "web"), dim("Env", "prod")}, StartTime: aws.Time(now), EndTime: aws.Time(now.Add(5 * time.Minute)), Period: aws.Int32(60),
			Statistics: []types.Statistic{types.StatisticSum, types.StatisticSampleCount, types.StatisticAverage, types.StatisticMinimum, types.StatisticMaximum}, ExtendedStatistics: []string{"p50", "p99"}}))(t)
		if len(out.Datapoints) != 2 {
			t.Fatalf("datapoints: %+v", out.Datapoints)
		}
		first := out.Datapoints[0]
		if !first.Timestamp.Equal(now) {
			first = out.Datapoints[1]
		}
		if aws.ToFloat64(first.Sum) != 140 || aws.ToFloat64(first.SampleCount) != 5 || aws.ToFloat64(first.Minimum) != 10 || aws.ToFloat64(first.Maximum) != 40 ||
			aws.ToFloat64(first.Average) != 28 || first.ExtendedStatistics["p50"] != 30 || first.ExtendedStatistics["p99"] != 40 || first.Unit != types.StandardUnitMilliseconds {
			t.Fatalf("first minute: %+v", first)
		}
	})

	t.Run("GetMetricData", func(t *testing.T) {
		out := apitest.Must(c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(5 * time.Minute)),
			MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("m1"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency"),
				Dimensions: []types.Dimension{dim("Service", "web"), dim("Env", "prod")}}, Period: aws.Int32(300), Stat: aws.String("Maximum")}}}}))(t)
		r := out.MetricDataResults
		if len(r) != 1 || len(r[0].Values) != 1 || r[0].Values[0] != 150 || r[0].StatusCode != types.StatusCodeComplete {
			t.Fatalf("results: %+v", r)
		}
		// Metric math: the sum per minute over both metrics, scaled.
		webDims := []types.Dimension{dim("Service", "web"), dim("Env", "prod")}
		math := apitest.Must(c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(5 * time.Minute)), ScanBy: types.ScanByTimestampAscending,
			MetricDataQueries: []types.MetricDataQuery{
				{Id: aws.String("lat"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: webDims}, Period: aws.Int32(60), Stat: aws.String("Sum")}, ReturnData: aws.Bool(false)},
				{Id: aws.String("req"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Requests"), Dimensions: []types.Dimension{dim("Service", "api")}}, Period: aws.Int32(60), Stat: aws.String("Sum")}, ReturnData: aws.Bool(false)},
				{Id: aws.String("total"), Expression: aws.String("SUM(METRICS()) / 10"), Label: aws.String("total")},
			}}))(t).MetricDataResults
		if len(math) != 1 || len(math[0].Values) != 2 || math[0].Values[0] != 14.1 || math[0].Values[1] != 40 || aws.ToString(math[0].Label) != "total" {
			t.Fatalf("math: %+v", math)
		}
		_, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(5 * time.Minute)),
			MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("ANOMALY_DETECTION_BAND(m1)")}}})
		apitest.WantCode(t, err, "InvalidParameterValue")
	})

	t.Run("ListMetrics", func(t *testing.T) {
		out := apitest.Must(c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("App")}))(t)
		if len(out.Metrics) != 2 {
			t.Fatalf("metrics: %+v", out.Metrics)
		}
		out = apitest.Must(c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Service"), Value: aws.String("api")}}, RecentlyActive: types.RecentlyActivePt3h}))(t)
		if len(out.Metrics) != 1 || aws.ToString(out.Metrics[0].MetricName) != "Requests" {
			t.Fatalf("filtered: %+v", out.Metrics)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/ECS"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
		apitest.WantCode(t, err, "InvalidParameterValue")
		_, err = c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1), Values: []float64{1}}}})
		apitest.WantCode(t, err, "InvalidParameterCombination")
	})

	t.Run("Query protocol", func(t *testing.T) {
		form := url.Values{"Action": {"GetMetricStatistics"}, "Version": {"2010-08-01"}, "Namespace": {"App"}, "MetricName": {"Requests"},
			"Dimensions.member.1.Name": {"Service"}, "Dimensions.member.1.Value": {"api"}, "StartTime": {now.Format(time.RFC3339)},
			"EndTime": {now.Add(5 * time.Minute).Format(time.RFC3339)}, "Period": {"60"}, "Statistics.member.1": {"Sum"}, "ExtendedStatistics.member.1": {"p90"}}
		resp, err := http.Post(w.URL()+"/", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "<Sum>1</Sum>") || !strings.Contains(string(b), "<key>p90</key>") {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
}

func TestAlarmsAPI(t *testing.T) {
	_, c := apitest.Start(t, cloudwatch.NewFromConfig)
	ctx := context.Background()
	put := func(name string, mut func(*cloudwatch.PutMetricAlarmInput)) error {
		in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("App"), MetricName: aws.String("Latency"),
			Dimensions: []types.Dimension{dim("Service", "web")}, Statistic: types.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3),
			DatapointsToAlarm: aws.Int32(2), Threshold: aws.Float64(100), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
			TreatMissingData: aws.String("missing"), AlarmActions: []string{"arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:x"},
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}
		if mut != nil {
			mut(in)
		}
		_, err := c.PutMetricAlarm(ctx, in)
		return err
	}
	apitest.Must(0, put("high-latency", nil))(t)
	apitest.Must(0, put("low-latency", func(in *cloudwatch.PutMetricAlarmInput) {
		in.ComparisonOperator = types.ComparisonOperatorLessThanThreshold
	}))(t)
	apitest.WantCode(t, put("bad", func(in *cloudwatch.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(4) }), "InvalidParameterValue")
	apitest.WantCode(t, put("bad", func(in *cloudwatch.PutMetricAlarmInput) { in.ExtendedStatistic = aws.String("p90") }), "InvalidParameterCombination")

	// A metric math alarm: an error rate, with an array argument as the seeds write it.
	apitest.Must(c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("error-rate"), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(5),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, Metrics: []types.MetricDataQuery{
			{Id: aws.String("e"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Errors")}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("r"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Requests")}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("rate"), Expression: aws.String("e * 100 / MAX([e, r])"), Label: aws.String("error rate")},
		}}))(t)
	_, err := c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("bad-math"), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(5),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, Metrics: []types.MetricDataQuery{
			{Id: aws.String("e"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Errors")}, Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("rate"), Expression: aws.String("e * 100 / nope")},
		}})
	apitest.WantCode(t, err, "InvalidParameterValue")
	rate := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"error-rate"}}))(t).MetricAlarms
	if len(rate) != 1 || len(rate[0].Metrics) != 3 || aws.ToString(rate[0].Metrics[2].Expression) != "e * 100 / MAX([e, r])" || rate[0].MetricName != nil {
		t.Fatalf("math alarm: %+v", rate)
	}
	apitest.Must(c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"error-rate"}}))(t)

	out := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("high")}))(t)
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("alarms: %+v", out.MetricAlarms)
	}
	a := out.MetricAlarms[0]
	if a.StateValue != types.StateValueInsufficientData || aws.ToInt32(a.DatapointsToAlarm) != 2 || aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-latency" ||
		a.StateUpdatedTimestamp == nil || aws.ToString(a.TreatMissingData) != "missing" || !aws.ToBool(a.ActionsEnabled) {
		t.Fatalf("alarm: %+v", a)
	}
	apitest.Must(c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("high-latency"), StateValue: types.StateValueAlarm, StateReason: aws.String("test")}))(t)
	out = apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueAlarm}))(t)
	if len(out.MetricAlarms) != 1 || aws.ToString(out.MetricAlarms[0].AlarmName) != "high-latency" {
		t.Fatalf("by state: %+v", out.MetricAlarms)
	}
	fm := apitest.Must(c.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: []types.Dimension{dim("Service", "web")}}))(t)
	if len(fm.MetricAlarms) != 2 {
		t.Fatalf("for metric: %d", len(fm.MetricAlarms))
	}
	hist := apitest.Must(c.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("high-latency")}))(t)
	// Newest first: the state update (then, when a minute ended meanwhile,
	// the evaluation's way back), the creation last.
	if n := len(hist.AlarmHistoryItems); n < 2 || hist.AlarmHistoryItems[n-1].HistoryItemType != types.HistoryItemTypeConfigurationUpdate ||
		aws.ToString(hist.AlarmHistoryItems[n-2].HistorySummary) != "Alarm updated from INSUFFICIENT_DATA to ALARM" {
		t.Fatalf("history: %+v", hist.AlarmHistoryItems)
	}
	apitest.Must(c.DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{"high-latency"}}))(t)
	tags := apitest.Must(c.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("tags: %+v", tags.Tags)
	}
	_, err = c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"high-latency", "nope"}})
	apitest.WantCode(t, err, "ResourceNotFound")
	apitest.Must(c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"high-latency", "low-latency"}}))(t)
	if out := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}))(t); len(out.MetricAlarms) != 0 {
		t.Fatalf("after delete: %+v", out.MetricAlarms)
	}
}

var _ = wharftest.Start

// TestQueryGzip: the aws CLI gzips PutMetricData bodies over 10 KiB
// (requestCompression); the Query protocol inflates them.
func TestQueryGzip(t *testing.T) {
	w, c := apitest.Start(t, cloudwatch.NewFromConfig)
	form := url.Values{"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Namespace": {"Zip"}}
	for i := 1; i <= 200; i++ {
		form.Set(fmt.Sprintf("MetricData.member.%d.MetricName", i), fmt.Sprintf("metric-%03d-with-a-long-name-to-pass-ten-kib", i))
		form.Set(fmt.Sprintf("MetricData.member.%d.Value", i), "1")
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(form.Encode()))
	_ = zw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.URL()+"/", &buf)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	out := apitest.Must(c.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{Namespace: aws.String("Zip")}))(t)
	if len(out.Metrics) != 200 {
		t.Fatalf("listed %d metrics", len(out.Metrics))
	}
}

package cloudwatch_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/wharfhq/wharf/internal/apitest"
)

// TestCompositeAlarmsAPI: PutCompositeAlarm checks its rule and the
// alarms it names; DescribeAlarms lists composite alarms when AlarmTypes
// asks; SetAlarmState and DeleteAlarms serve them as metric alarms.
func TestCompositeAlarmsAPI(t *testing.T) {
	_, c := apitest.Start(t, cloudwatch.NewFromConfig)
	ctx := context.Background()
	for _, name := range []string{"cpu", "deploying"} {
		apitest.Must(c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("App"), MetricName: aws.String(name),
			Statistic: types.StatisticMaximum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold}))(t)
	}
	rule := `ALARM(cpu) AND NOT ALARM("deploying")`
	apitest.Must(c.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("page"), AlarmRule: aws.String(rule),
		AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:pager"}}))(t)

	for _, tc := range []struct {
		name string
		in   *cloudwatch.PutCompositeAlarmInput
		code string
	}{
		{"unknown alarm", &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("x"), AlarmRule: aws.String("ALARM(nope)")}, "ValidationError"},
		{"bad rule", &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("x"), AlarmRule: aws.String("ALARM(cpu) AND")}, "InvalidParameterValue"},
		{"a metric alarm's name", &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("cpu"), AlarmRule: aws.String("ALARM(deploying)")}, "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutCompositeAlarm(ctx, tc.in)
			apitest.WantCode(t, err, tc.code)
		})
	}

	all := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm, types.AlarmTypeMetricAlarm}}))(t)
	if len(all.MetricAlarms) != 2 || len(all.CompositeAlarms) != 1 {
		t.Fatalf("alarms: %d metric, %d composite", len(all.MetricAlarms), len(all.CompositeAlarms))
	}
	ca := all.CompositeAlarms[0]
	// A new composite alarm starts in INSUFFICIENT_DATA; the alarm
	// controller running beside the test may already have evaluated it
	// (its children in INSUFFICIENT_DATA make the rule false: OK).
	if aws.ToString(ca.AlarmRule) != rule || (ca.StateValue != types.StateValueInsufficientData && ca.StateValue != types.StateValueOk) ||
		aws.ToString(ca.AlarmArn) != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:page" {
		t.Fatalf("composite: %+v", ca)
	}
	metricOnly := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}))(t)
	if len(metricOnly.MetricAlarms) != 2 || len(metricOnly.CompositeAlarms) != 0 {
		t.Fatalf("default listing: %d metric, %d composite", len(metricOnly.MetricAlarms), len(metricOnly.CompositeAlarms))
	}
	kids := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{ChildrenOfAlarmName: aws.String("page")}))(t)
	parents := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{ParentsOfAlarmName: aws.String("deploying")}))(t)
	if len(kids.MetricAlarms) != 2 || len(parents.CompositeAlarms) != 1 || aws.ToString(parents.CompositeAlarms[0].AlarmName) != "page" {
		t.Fatalf("children %d, parents %+v", len(kids.MetricAlarms), parents.CompositeAlarms)
	}
	apitest.Must(c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("page"), StateValue: types.StateValueOk, StateReason: aws.String("test")}))(t)
	apitest.Must(c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"page"}}))(t)
	left := apitest.Must(c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}}))(t)
	if len(left.CompositeAlarms) != 0 {
		t.Fatalf("after delete: %+v", left.CompositeAlarms)
	}
}

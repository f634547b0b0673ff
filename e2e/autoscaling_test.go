package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aasc "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/awsapi/applicationautoscaling"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/server"
)

// TestAutoScaling scales a real service with Application Auto Scaling: a
// scheduled action raises its capacity at its time, then a step policy
// invoked as CloudWatch invokes it (HandleAlarm) scales it out; each time
// the service scheduler runs the tasks.
func TestAutoScaling(t *testing.T) {
	_, imgs := wharftest.Images(t)
	var api *applicationautoscaling.API
	server.TestHookApplicationAutoScaling = func(a *applicationautoscaling.API) { api = a }
	w := wharftest.StartWithAgent(t)
	server.TestHookApplicationAutoScaling = nil
	c, ctx := w.ECS(), context.Background()
	as := aasc.NewFromConfig(w.Config("us-east-1"))

	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("as")}))(t)
	def := webDef(t, c, imgs, "as-web")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("as"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(def), DesiredCount: aws.Int32(1)}))(t)
	if s := waitStable(t, c, "as", "web", 120*time.Second); s.RunningCount != 1 {
		t.Fatalf("running %d", s.RunningCount)
	}
	target := func() (*string, aastypes.ScalableDimension, aastypes.ServiceNamespace) {
		return aws.String("service/as/web"), aastypes.ScalableDimensionECSServiceDesiredCount, aastypes.ServiceNamespaceEcs
	}
	id, dim, ns := target()
	apitest.Must(as.RegisterScalableTarget(ctx, &aasc.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(3)}))(t)

	// A scheduled action at a time a few seconds ahead, in a time zone.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	at := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	apitest.Must(as.PutScheduledAction(ctx, &aasc.PutScheduledActionInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		ScheduledActionName: aws.String("morning"), Schedule: aws.String("at(" + at.In(ny).Format("2006-01-02T15:04:05") + ")"),
		Timezone: aws.String("America/New_York"), ScalableTargetAction: &aastypes.ScalableTargetAction{MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(3)}}))(t)
	waitCondition(t, 30*time.Second, "the scheduled action to raise the desired count", func() bool {
		return describeService(t, c, "as", "web").DesiredCount == 2
	})
	if fired := time.Now(); fired.Before(at) {
		t.Fatalf("fired at %v, before %v", fired, at)
	}
	t.Logf("scheduled action's desired count seen %v after its time", time.Since(at).Round(time.Millisecond))
	if s := waitStable(t, c, "as", "web", 120*time.Second); s.RunningCount != 2 {
		t.Fatalf("after the scheduled action: running %d", s.RunningCount)
	}

	// A step policy scales out on an alarm: a breach of 30 over the
	// threshold adds 2, capped at the maximum of 3.
	pol := apitest.Must(as.PutScalingPolicy(ctx, &aasc.PutScalingPolicyInput{PolicyName: aws.String("cpu-step"), ServiceNamespace: ns, ResourceId: id,
		ScalableDimension: dim, PolicyType: aastypes.PolicyTypeStepScaling,
		StepScalingPolicyConfiguration: &aastypes.StepScalingPolicyConfiguration{AdjustmentType: aastypes.AdjustmentTypeChangeInCapacity,
			Cooldown: aws.Int32(60), MetricAggregationType: aastypes.MetricAggregationTypeAverage,
			StepAdjustments: []aastypes.StepAdjustment{
				{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(20), ScalingAdjustment: aws.Int32(1)},
				{MetricIntervalLowerBound: aws.Float64(20), ScalingAdjustment: aws.Int32(2)}}}}))(t)
	alarmed := time.Now()
	if err := api.HandleAlarm(ctx, aws.ToString(pol.PolicyARN), "as-web-cpu-high", "ALARM", 90, 60); err != nil {
		t.Fatal(err)
	}
	decided := time.Since(alarmed)
	if s := waitStable(t, c, "as", "web", 120*time.Second); s.DesiredCount != 3 || s.RunningCount != 3 {
		t.Fatalf("after the alarm: desired %d running %d", s.DesiredCount, s.RunningCount)
	}
	t.Logf("alarm to desired count 3: %v; to 3 tasks running and stable: %v", decided.Round(time.Microsecond), time.Since(alarmed).Round(time.Millisecond))
	acts := apitest.Must(as.DescribeScalingActivities(ctx, &aasc.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim}))(t).ScalingActivities
	var lines []string
	for _, a := range acts {
		lines = append(lines, aws.ToString(a.Description)+" | "+aws.ToString(a.Cause)+" | "+aws.ToString(a.StatusMessage))
	}
	want := []string{
		"Setting desired count to 3. | monitor alarm as-web-cpu-high in state ALARM triggered policy cpu-step | Successfully set desired count to 3. Change successfully fulfilled by ecs.",
		"Setting desired count to 2. | minimum capacity was set to 2 | Successfully set desired count to 2. Change successfully fulfilled by ecs.",
		"Setting min capacity to 2 and max capacity to 3 | scheduled action name morning was triggered | Successfully set min capacity to 2 and max capacity to 3",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("activities:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestStepScalingOnAlarm runs the whole chain a seed uses: a StepScaling
// policy, a CloudWatch alarm on a custom metric with the policy's ARN in
// its AlarmActions, PutMetricData above the threshold; the alarm
// controller evaluates the alarm, runs the policy, and the service
// scheduler starts the added tasks. Metric time runs 30 times faster.
func TestStepScalingOnAlarm(t *testing.T) {
	t.Setenv(metrics.TimeScaleEnv, "30")
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ctx := w.ECS(), context.Background()
	as := aasc.NewFromConfig(w.Config("us-east-1"))
	cw := cloudwatch.NewFromConfig(w.Config("us-east-1"))

	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("step")}))(t)
	def := webDef(t, c, imgs, "step-web")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("step"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(def), DesiredCount: aws.Int32(1)}))(t)
	t.Cleanup(func() {
		_, _ = as.DeregisterScalableTarget(ctx, &aasc.DeregisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
			ResourceId: aws.String("service/step/web"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount})
		_, _ = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("step"), Service: aws.String("web"), DesiredCount: aws.Int32(0)})
	})
	if s := waitStable(t, c, "step", "web", 120*time.Second); s.RunningCount != 1 {
		t.Fatalf("running %d", s.RunningCount)
	}
	id, dim, ns := aws.String("service/step/web"), aastypes.ScalableDimensionECSServiceDesiredCount, aastypes.ServiceNamespaceEcs
	apitest.Must(as.RegisterScalableTarget(ctx, &aasc.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(4)}))(t)
	// Queue depth 10–30 over the threshold of 10 adds one task, more adds two.
	pol := apitest.Must(as.PutScalingPolicy(ctx, &aasc.PutScalingPolicyInput{PolicyName: aws.String("queue-step"), ServiceNamespace: ns, ResourceId: id,
		ScalableDimension: dim, PolicyType: aastypes.PolicyTypeStepScaling,
		StepScalingPolicyConfiguration: &aastypes.StepScalingPolicyConfiguration{AdjustmentType: aastypes.AdjustmentTypeChangeInCapacity,
			Cooldown: aws.Int32(600), MetricAggregationType: aastypes.MetricAggregationTypeMaximum,
			StepAdjustments: []aastypes.StepAdjustment{
				{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(20), ScalingAdjustment: aws.Int32(1)},
				{MetricIntervalLowerBound: aws.Float64(20), ScalingAdjustment: aws.Int32(2)}}}}))(t)
	dims := []cwtypes.Dimension{{Name: aws.String("Queue"), Value: aws.String("jobs")}}
	apitest.Must(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("jobs-queue-deep"), Namespace: aws.String("Wharf/Test"),
		MetricName: aws.String("QueueDepth"), Dimensions: dims, Statistic: cwtypes.StatisticMaximum, Period: aws.Int32(60),
		EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(10), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		AlarmActions: []string{aws.ToString(pol.PolicyARN)}}))(t)

	start := time.Now()
	// The queue stays deep: 45 (35 over the threshold, the second step)
	// each poll, as a producer would report it.
	waitCondition(t, 60*time.Second, "the alarm's policy to raise the desired count to 3", func() bool {
		apitest.Must(cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Wharf/Test"),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("QueueDepth"), Dimensions: dims, Value: aws.Float64(45)}}}))(t)
		return describeService(t, c, "step", "web").DesiredCount == 3
	})
	decided := time.Since(start)
	if s := waitStable(t, c, "step", "web", 120*time.Second); s.DesiredCount != 3 || s.RunningCount != 3 {
		t.Fatalf("after the alarm: desired %d running %d", s.DesiredCount, s.RunningCount)
	}
	t.Logf("PutMetricData above the threshold to desired count 3: %v real (%.1f metric minutes); to 3 tasks running: %v",
		decided.Round(100*time.Millisecond), decided.Minutes()*30, time.Since(start).Round(100*time.Millisecond))
	al := apitest.Must(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"jobs-queue-deep"}}))(t).MetricAlarms
	if len(al) != 1 || al[0].StateValue != cwtypes.StateValueAlarm {
		t.Fatalf("alarm: %+v", al)
	}
	acts := apitest.Must(as.DescribeScalingActivities(ctx, &aasc.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim}))(t).ScalingActivities
	if len(acts) == 0 || aws.ToString(acts[0].Cause) != "monitor alarm jobs-queue-deep in state ALARM triggered policy queue-step" ||
		acts[0].StatusCode != aastypes.ScalingActivityStatusCodeSuccessful {
		t.Fatalf("activities: %+v", acts)
	}
	// The alarm stays in ALARM while the cooldown (600 s) runs: no second
	// scale-out to 4 within it, though the alarm re-invokes the policy.
	for i := 0; i < 5; i++ {
		apitest.Must(cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Wharf/Test"),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("QueueDepth"), Dimensions: dims, Value: aws.Float64(45)}}}))(t)
		if d := describeService(t, c, "step", "web").DesiredCount; d != 3 {
			t.Fatalf("desired count %d within the cooldown", d)
		}
		time.Sleep(time.Second)
	}
}

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aasc "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/awsapi/applicationautoscaling"
	"github.com/wharfhq/wharf/internal/wharftest"
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

	must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("as")}))(t)
	def := webDef(t, c, imgs, "as-web")
	must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("as"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(def), DesiredCount: aws.Int32(1)}))(t)
	if s := waitStable(t, c, "as", "web", 120*time.Second); s.RunningCount != 1 {
		t.Fatalf("running %d", s.RunningCount)
	}
	target := func() (*string, aastypes.ScalableDimension, aastypes.ServiceNamespace) {
		return aws.String("service/as/web"), aastypes.ScalableDimensionECSServiceDesiredCount, aastypes.ServiceNamespaceEcs
	}
	id, dim, ns := target()
	must(as.RegisterScalableTarget(ctx, &aasc.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(3)}))(t)

	// A scheduled action at a time a few seconds ahead, in a time zone.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	at := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	must(as.PutScheduledAction(ctx, &aasc.PutScheduledActionInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim,
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
	pol := must(as.PutScalingPolicy(ctx, &aasc.PutScalingPolicyInput{PolicyName: aws.String("cpu-step"), ServiceNamespace: ns, ResourceId: id,
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
	acts := must(as.DescribeScalingActivities(ctx, &aasc.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim}))(t).ScalingActivities
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

package applicationautoscaling_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aasc "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/awsapi/applicationautoscaling"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/server"
)

// alarms records what target tracking writes to CloudWatch.
type alarms struct {
	mu      sync.Mutex
	put     map[string]*cloudwatchtypes.PutMetricAlarmInput
	deleted []string
}

func (a *alarms) PutMetricAlarm(_ context.Context, in *cloudwatchtypes.PutMetricAlarmInput) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.put[*in.AlarmName] = in
	return nil
}

func (a *alarms) DeleteAlarms(_ context.Context, names []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range names {
		delete(a.put, n)
	}
	a.deleted = append(a.deleted, names...)
	return nil
}

func (a *alarms) get(name string) *cloudwatchtypes.PutMetricAlarmInput {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.put[name]
}

// start runs a control plane whose Application Auto Scaling writes its
// alarms to the returned recorder, with a cluster "c" and a service "web"
// of desired count 1 (no agent: the tasks stay pending).
func start(t *testing.T) (*wharftest.Wharf, *aasc.Client, *ecs.Client, *applicationautoscaling.API, *alarms) {
	t.Helper()
	rec := &alarms{put: map[string]*cloudwatchtypes.PutMetricAlarmInput{}}
	var api *applicationautoscaling.API
	server.TestHookApplicationAutoScaling = func(a *applicationautoscaling.API) { a.Alarms, api = rec, a }
	t.Cleanup(func() { server.TestHookApplicationAutoScaling = nil })
	w := wharftest.Start(t)
	c := apitest.Client(w, apitest.Region, aasc.NewFromConfig)
	e, ctx := w.ECS(), context.Background()
	apitest.Must(e.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}))(t)
	td := apitest.Must(e.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("busybox"), Memory: aws.Int32(32)}}}))(t)
	apitest.Must(e.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("c"), ServiceName: aws.String("web"),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1)}))(t)
	return w, c, e, api, rec
}

func desired(t *testing.T, e *ecs.Client) int32 {
	t.Helper()
	out := apitest.Must(e.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"web"}}))(t)
	return out.Services[0].DesiredCount
}

func register(t *testing.T, c *aasc.Client, min, max int32) {
	t.Helper()
	apitest.Must(c.RegisterScalableTarget(context.Background(), &aasc.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(min), MaxCapacity: aws.Int32(max)}))(t)
}

func activities(t *testing.T, c *aasc.Client, notScaled bool) []types.ScalingActivity {
	t.Helper()
	return apitest.Must(c.DescribeScalingActivities(context.Background(), &aasc.DescribeScalingActivitiesInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		IncludeNotScaledActivities: aws.Bool(notScaled)}))(t).ScalingActivities
}

func TestScalableTargets(t *testing.T) {
	_, c, e, _, _ := start(t)
	ctx := context.Background()
	in := func(id string, min, max *int32) *aasc.RegisterScalableTargetInput {
		return &aasc.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(id),
			ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, MinCapacity: min, MaxCapacity: max}
	}
	for _, tc := range []struct {
		name, id string
		min, max *int32
		want     string
	}{
		{"no such service", "service/c/nope", aws.Int32(1), aws.Int32(2), "ECS service doesn't exist: service/c/nope"},
		{"a malformed resource ID", "web", aws.Int32(1), aws.Int32(2), "service/CLUSTER-NAME/SERVICE-NAME"},
		{"new without bounds", "service/c/web", nil, aws.Int32(2), "MinCapacity and MaxCapacity are required"},
		{"min above max", "service/c/web", aws.Int32(3), aws.Int32(2), "Minimum capacity cannot be greater than maximum capacity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.RegisterScalableTarget(ctx, in(tc.id, tc.min, tc.max))
			apitest.WantCodeIn(t, err, "ValidationException", tc.want)
		})
	}

	out := apitest.Must(c.RegisterScalableTarget(ctx, &aasc.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(5), Tags: map[string]string{"team": "a"}}))(t)
	arn := aws.ToString(out.ScalableTargetARN)
	if !strings.HasPrefix(arn, "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/") || len(arn) != len("arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/")+36 {
		t.Fatalf("ARN %s", arn)
	}
	// A minimum above the desired count raises it.
	if d := desired(t, e); d != 2 {
		t.Fatalf("desired count after registering min 2: %d", d)
	}
	acts := activities(t, c, false)
	if len(acts) != 1 || aws.ToString(acts[0].Description) != "Setting desired count to 2." || acts[0].StatusCode != types.ScalingActivityStatusCodeSuccessful ||
		aws.ToString(acts[0].StatusMessage) != "Successfully set desired count to 2. Change successfully fulfilled by ecs." ||
		aws.ToString(acts[0].Cause) != "minimum capacity was set to 2" {
		t.Fatalf("activities: %+v", acts)
	}

	ts := apitest.Must(c.DescribeScalableTargets(ctx, &aasc.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs}))(t).ScalableTargets
	if len(ts) != 1 || aws.ToInt32(ts[0].MinCapacity) != 2 || aws.ToInt32(ts[0].MaxCapacity) != 5 || aws.ToString(ts[0].ScalableTargetARN) != arn ||
		aws.ToString(ts[0].RoleARN) != "arn:aws:iam::000000000000:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService" ||
		aws.ToBool(ts[0].SuspendedState.DynamicScalingInSuspended) {
		t.Fatalf("targets: %+v", ts)
	}
	// An update keeps what it leaves out.
	apitest.Must(c.RegisterScalableTarget(ctx, &aasc.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		MaxCapacity: aws.Int32(8), SuspendedState: &types.SuspendedState{ScheduledScalingSuspended: aws.Bool(true)}}))(t)
	ts = apitest.Must(c.DescribeScalableTargets(ctx, &aasc.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceIds: []string{"service/c/web"}}))(t).ScalableTargets
	if len(ts) != 1 || aws.ToInt32(ts[0].MinCapacity) != 2 || aws.ToInt32(ts[0].MaxCapacity) != 8 || !aws.ToBool(ts[0].SuspendedState.ScheduledScalingSuspended) {
		t.Fatalf("after update: %+v", ts)
	}

	// Tags, by the target's ARN.
	apitest.Must(c.TagResource(ctx, &aasc.TagResourceInput{ResourceARN: aws.String(arn), Tags: map[string]string{"env": "prod"}}))(t)
	apitest.Must(c.UntagResource(ctx, &aasc.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"team"}}))(t)
	tags := apitest.Must(c.ListTagsForResource(ctx, &aasc.ListTagsForResourceInput{ResourceARN: aws.String(arn)}))(t).Tags
	if len(tags) != 1 || tags["env"] != "prod" {
		t.Fatalf("tags: %v", tags)
	}

	apitest.Must(c.DeregisterScalableTarget(ctx, &aasc.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount}))(t)
	_, err := c.DeregisterScalableTarget(ctx, &aasc.DeregisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount})
	apitest.WantCodeIn(t, err, "ObjectNotFoundException", "No scalable target registered for service namespace: ecs, resource ID: service/c/web, scalable dimension: ecs:service:DesiredCount")
	if d := desired(t, e); d != 2 {
		t.Fatalf("deregistering changed the desired count to %d", d)
	}
}

func TestTargetTrackingPolicy(t *testing.T) {
	_, c, e, api, rec := start(t)
	ctx := context.Background()
	register(t, c, 1, 10)
	put := func(disableScaleIn bool) *aasc.PutScalingPolicyOutput {
		return apitest.Must(c.PutScalingPolicy(ctx, &aasc.PutScalingPolicyInput{PolicyName: aws.String("cpu75"), ServiceNamespace: types.ServiceNamespaceEcs,
			ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, PolicyType: types.PolicyTypeTargetTrackingScaling,
			TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(75),
				PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization},
				ScaleOutCooldown:              aws.Int32(60), ScaleInCooldown: aws.Int32(120), DisableScaleIn: aws.Bool(disableScaleIn)}}))(t)
	}
	out := put(false)
	arn := aws.ToString(out.PolicyARN)
	if !strings.HasPrefix(arn, "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:") || !strings.HasSuffix(arn, ":resource/ecs/service/c/web:policyName/cpu75") {
		t.Fatalf("policy ARN %s", arn)
	}
	if len(out.Alarms) != 2 || !strings.HasPrefix(aws.ToString(out.Alarms[0].AlarmName), "TargetTracking-service/c/web-AlarmHigh-") ||
		!strings.HasPrefix(aws.ToString(out.Alarms[1].AlarmName), "TargetTracking-service/c/web-AlarmLow-") ||
		aws.ToString(out.Alarms[0].AlarmARN) != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:"+aws.ToString(out.Alarms[0].AlarmName) {
		t.Fatalf("alarms: %+v", out.Alarms)
	}
	high, low := rec.get(aws.ToString(out.Alarms[0].AlarmName)), rec.get(aws.ToString(out.Alarms[1].AlarmName))
	if high == nil || low == nil {
		t.Fatal("the alarms were not written to CloudWatch")
	}
	for _, tc := range []struct {
		name      string
		a         *cloudwatchtypes.PutMetricAlarmInput
		periods   int32
		threshold float64
		op        cloudwatchtypes.ComparisonOperator
	}{
		{"high", high, 3, 75, cloudwatchtypes.ComparisonOperatorGreaterThanThreshold},
		{"low", low, 15, 67.5, cloudwatchtypes.ComparisonOperatorLessThanThreshold},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.a
			if aws.ToString(a.Namespace) != "AWS/ECS" || aws.ToString(a.MetricName) != "CPUUtilization" || a.Statistic != "Average" ||
				aws.ToInt32(a.Period) != 60 || aws.ToInt32(a.EvaluationPeriods) != tc.periods || aws.ToInt32(a.DatapointsToAlarm) != tc.periods ||
				aws.ToFloat64(a.Threshold) != tc.threshold || a.ComparisonOperator != tc.op || len(a.AlarmActions) != 1 || a.AlarmActions[0] != arn ||
				len(a.Dimensions) != 2 || aws.ToString(a.Dimensions[0].Value) != "c" || aws.ToString(a.Dimensions[1].Value) != "web" ||
				!strings.HasPrefix(aws.ToString(a.AlarmDescription), "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "+arn) {
				t.Fatalf("alarm: %+v", a)
			}
		})
	}

	// The high alarm scales out: 1 task at 90% of a 75% target → 2.
	if err := api.HandleAlarm(ctx, arn, *high.AlarmName, "ALARM", 150, 75); err != nil {
		t.Fatal(err)
	}
	if d := desired(t, e); d != 2 {
		t.Fatalf("desired after the high alarm: %d", d)
	}
	acts := activities(t, c, false)
	if len(acts) == 0 || aws.ToString(acts[0].Cause) != "monitor alarm "+*high.AlarmName+" in state ALARM triggered policy cpu75" {
		t.Fatalf("activities: %+v", acts)
	}
	// In the scale-out cooldown a second alarm does not scale out again.
	if err := api.HandleAlarm(ctx, arn, *high.AlarmName, "ALARM", 150, 75); err != nil {
		t.Fatal(err)
	}
	if d := desired(t, e); d != 2 {
		t.Fatalf("desired after a second high alarm in cooldown: %d", d)
	}

	// Updating keeps the alarms' names; DisableScaleIn drops the low one.
	again := put(true)
	if len(again.Alarms) != 1 || aws.ToString(again.Alarms[0].AlarmName) != *high.AlarmName || rec.get(*low.AlarmName) != nil {
		t.Fatalf("after DisableScaleIn: %+v (deleted %v)", again.Alarms, rec.deleted)
	}
	pols := apitest.Must(c.DescribeScalingPolicies(ctx, &aasc.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String("service/c/web")}))(t).ScalingPolicies
	if len(pols) != 1 || aws.ToString(pols[0].PolicyARN) != arn || len(pols[0].Alarms) != 1 || pols[0].PolicyType != types.PolicyTypeTargetTrackingScaling ||
		aws.ToFloat64(pols[0].TargetTrackingScalingPolicyConfiguration.TargetValue) != 75 {
		t.Fatalf("policies: %+v", pols)
	}

	apitest.Must(c.DeleteScalingPolicy(ctx, &aasc.DeleteScalingPolicyInput{PolicyName: aws.String("cpu75"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount}))(t)
	if rec.get(*high.AlarmName) != nil {
		t.Fatal("deleting the policy left its alarm")
	}
	_, err := c.DeleteScalingPolicy(ctx, &aasc.DeleteScalingPolicyInput{PolicyName: aws.String("cpu75"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount})
	apitest.WantCodeIn(t, err, "ObjectNotFoundException", "No scaling policy found for service namespace: ecs, resource ID: service/c/web, scalable dimension: ecs:service:DesiredCount, policy name: cpu75")
	// An alarm of the deleted policy does nothing.
	if err := api.HandleAlarm(ctx, arn, *high.AlarmName, "ALARM", 300, 75); err != nil {
		t.Fatal(err)
	}
	if d := desired(t, e); d != 2 {
		t.Fatalf("a deleted policy scaled to %d", d)
	}
}

func TestStepPolicy(t *testing.T) {
	_, c, e, api, _ := start(t)
	ctx := context.Background()
	register(t, c, 1, 4)
	stepIn := func(steps ...types.StepAdjustment) *aasc.PutScalingPolicyInput {
		return &aasc.PutScalingPolicyInput{PolicyName: aws.String("out"), ServiceNamespace: types.ServiceNamespaceEcs,
			ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, PolicyType: types.PolicyTypeStepScaling,
			StepScalingPolicyConfiguration: &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypeChangeInCapacity,
				Cooldown: aws.Int32(0), MetricAggregationType: types.MetricAggregationTypeAverage, StepAdjustments: steps}}
	}
	_, err := c.PutScalingPolicy(ctx, stepIn(
		types.StepAdjustment{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(10), ScalingAdjustment: aws.Int32(1)},
		types.StepAdjustment{MetricIntervalLowerBound: aws.Float64(15), ScalingAdjustment: aws.Int32(2)}))
	apitest.WantCodeIn(t, err, "ValidationException", "gap")
	_, err = c.PutScalingPolicy(ctx, &aasc.PutScalingPolicyInput{PolicyName: aws.String("x"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/other"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, PolicyType: types.PolicyTypeStepScaling,
		StepScalingPolicyConfiguration: stepIn(types.StepAdjustment{MetricIntervalLowerBound: aws.Float64(0), ScalingAdjustment: aws.Int32(1)}).StepScalingPolicyConfiguration})
	apitest.WantCodeIn(t, err, "ObjectNotFoundException", "No scalable target registered")

	out := apitest.Must(c.PutScalingPolicy(ctx, stepIn(
		types.StepAdjustment{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(20), ScalingAdjustment: aws.Int32(1)},
		types.StepAdjustment{MetricIntervalLowerBound: aws.Float64(20), ScalingAdjustment: aws.Int32(2)})))(t)
	arn := aws.ToString(out.PolicyARN)
	for _, tc := range []struct {
		name   string
		state  string
		metric float64
		want   int32
	}{
		{"OK does nothing", "OK", 100, 1},
		{"a small breach adds one", "ALARM", 85, 2},
		{"a large breach adds two", "ALARM", 100, 4},
		{"max capacity holds", "ALARM", 95, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := api.HandleAlarm(ctx, arn, "web-cpu-high", tc.state, tc.metric, 80); err != nil {
				t.Fatal(err)
			}
			if d := desired(t, e); d != tc.want {
				t.Fatalf("desired %d, want %d", d, tc.want)
			}
		})
	}
	if n := len(activities(t, c, false)); n != 2 {
		t.Fatalf("%d activities, want the two scale-outs", n)
	}
	withNotScaled := activities(t, c, true)
	if len(withNotScaled) == 0 || len(withNotScaled[0].NotScaledReasons) != 1 || aws.ToString(withNotScaled[0].NotScaledReasons[0].Code) != "AlreadyAtMaxCapacity" {
		t.Fatalf("not-scaled activity: %+v", withNotScaled)
	}
	pols := apitest.Must(c.DescribeScalingPolicies(ctx, &aasc.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, PolicyNames: []string{"out"}}))(t).ScalingPolicies
	if len(pols) != 1 || len(pols[0].Alarms) != 1 || aws.ToString(pols[0].Alarms[0].AlarmName) != "web-cpu-high" {
		t.Fatalf("policies: %+v", pols)
	}

	// Dynamic scale-in suspended: a scale-in step does nothing.
	apitest.Must(c.PutScalingPolicy(ctx, &aasc.PutScalingPolicyInput{PolicyName: aws.String("in"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, PolicyType: types.PolicyTypeStepScaling,
		StepScalingPolicyConfiguration: &types.StepScalingPolicyConfiguration{AdjustmentType: types.AdjustmentTypePercentChangeInCapacity, Cooldown: aws.Int32(0),
			StepAdjustments: []types.StepAdjustment{{MetricIntervalUpperBound: aws.Float64(0), ScalingAdjustment: aws.Int32(-50)}}}}))(t)
	inARN := policyARNOf(t, c, "in")
	apitest.Must(c.RegisterScalableTarget(ctx, &aasc.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String("service/c/web"),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, SuspendedState: &types.SuspendedState{DynamicScalingInSuspended: aws.Bool(true)}}))(t)
	if err := api.HandleAlarm(ctx, inARN, "web-cpu-low", "ALARM", 10, 30); err != nil {
		t.Fatal(err)
	}
	if d := desired(t, e); d != 4 {
		t.Fatalf("suspended scale-in changed the desired count to %d", d)
	}
	apitest.Must(c.RegisterScalableTarget(ctx, &aasc.RegisterScalableTargetInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String("service/c/web"),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, SuspendedState: &types.SuspendedState{DynamicScalingInSuspended: aws.Bool(false)}}))(t)
	if err := api.HandleAlarm(ctx, inARN, "web-cpu-low", "ALARM", 10, 30); err != nil {
		t.Fatal(err)
	}
	if d := desired(t, e); d != 2 {
		t.Fatalf("−50%% of 4: desired %d", d)
	}
}

func policyARNOf(t *testing.T, c *aasc.Client, name string) string {
	t.Helper()
	pols := apitest.Must(c.DescribeScalingPolicies(context.Background(), &aasc.DescribeScalingPoliciesInput{ServiceNamespace: types.ServiceNamespaceEcs, PolicyNames: []string{name}}))(t).ScalingPolicies
	if len(pols) != 1 {
		t.Fatalf("policy %s: %+v", name, pols)
	}
	return aws.ToString(pols[0].PolicyARN)
}

func TestScheduledActions(t *testing.T) {
	_, c, e, _, _ := start(t)
	ctx := context.Background()
	register(t, c, 1, 3)
	putIn := func(name, schedule string, min, max int32) *aasc.PutScheduledActionInput {
		return &aasc.PutScheduledActionInput{ServiceNamespace: types.ServiceNamespaceEcs, ScheduledActionName: aws.String(name),
			ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, Schedule: aws.String(schedule),
			ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(min), MaxCapacity: aws.Int32(max)}}
	}
	for _, tc := range []struct{ name, schedule, want string }{
		{"not an expression", "every day", "Invalid schedule expression"},
		{"a bad cron", "cron(0 10 * * * *)", "one of day-of-month and day-of-week must be ?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutScheduledAction(ctx, putIn("bad", tc.schedule, 1, 2))
			apitest.WantCodeIn(t, err, "ValidationException", tc.want)
		})
	}
	bad := putIn("bad", "rate(1 day)", 1, 2)
	bad.Timezone = aws.String("Mars/Olympus")
	_, err := c.PutScheduledAction(ctx, bad)
	apitest.WantCodeIn(t, err, "ValidationException", "Invalid Timezone")

	// At the time of an at() action the bounds change and the desired
	// count follows them.
	at := time.Now().UTC().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
	in := putIn("scale-up", "at("+at.Format("2006-01-02T15:04:05")+")", 3, 6)
	in.Timezone = aws.String("Etc/UTC")
	apitest.Must(c.PutScheduledAction(ctx, in))(t)
	apitest.Must(c.PutScheduledAction(ctx, putIn("nightly", "cron(0 2 ? * MON-FRI *)", 1, 2)))(t)
	acts := apitest.Must(c.DescribeScheduledActions(ctx, &aasc.DescribeScheduledActionsInput{ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String("service/c/web")}))(t).ScheduledActions
	if len(acts) != 2 || aws.ToString(acts[1].ScheduledActionName) != "scale-up" || aws.ToString(acts[1].Timezone) != "Etc/UTC" ||
		aws.ToInt32(acts[1].ScalableTargetAction.MinCapacity) != 3 ||
		!strings.HasSuffix(aws.ToString(acts[1].ScheduledActionARN), ":resource/ecs/service/c/web:scheduledActionName/scale-up") {
		t.Fatalf("scheduled actions: %+v", acts)
	}
	deadline := time.Now().Add(20 * time.Second)
	for desired(t, e) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled action did not raise the desired count (now %d)", desired(t, e))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if time.Now().Before(at) {
		t.Fatalf("the scheduled action fired before its time %v", at)
	}
	t.Logf("desired count raised %v after the action's time (polled every 20ms)", time.Since(at).Round(time.Millisecond))
	ts := apitest.Must(c.DescribeScalableTargets(ctx, &aasc.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs}))(t).ScalableTargets
	if aws.ToInt32(ts[0].MinCapacity) != 3 || aws.ToInt32(ts[0].MaxCapacity) != 6 {
		t.Fatalf("bounds after the action: %+v", ts[0])
	}
	var causes []string
	for _, a := range activities(t, c, false) {
		causes = append(causes, aws.ToString(a.Description)+" / "+aws.ToString(a.Cause))
	}
	if len(causes) < 2 || causes[0] != "Setting desired count to 3. / minimum capacity was set to 3" ||
		causes[1] != "Setting min capacity to 3 and max capacity to 6 / scheduled action name scale-up was triggered" {
		t.Fatalf("activities: %q", causes)
	}

	apitest.Must(c.DeleteScheduledAction(ctx, &aasc.DeleteScheduledActionInput{ServiceNamespace: types.ServiceNamespaceEcs, ScheduledActionName: aws.String("nightly"),
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount}))(t)
	_, err = c.DeleteScheduledAction(ctx, &aasc.DeleteScheduledActionInput{ServiceNamespace: types.ServiceNamespaceEcs, ScheduledActionName: aws.String("nightly"),
		ResourceId: aws.String("service/c/web"), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount})
	apitest.WantCodeIn(t, err, "ObjectNotFoundException", "No scheduled action found for service namespace: ecs, resource ID: service/c/web, scalable dimension: ecs:service:DesiredCount, scheduled action name: nightly")
}

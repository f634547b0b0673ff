package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/metrics"
)

// cwTimeScale shortens metric time in the CloudWatch tests: a metric
// minute lasts two real seconds. Periods, evaluation ranges and the ECS
// utilization formula are unchanged.
const cwTimeScale = 30

// TestCPUAlarm: a service whose task burns a CPU makes AWS/ECS
// CPUUtilization for the service rise far above its 256-unit reservation,
// and an alarm on it (2 of 2 one-minute periods above 50%) goes to ALARM
// and target tracking on the same metric scales the service out. It logs
// the time from the task running to ALARM and to the scale-out.
// Container Insights, on for the cluster, publishes counts and per-task
// usage.
func TestCPUAlarm(t *testing.T) {
	t.Setenv(metrics.TimeScaleEnv, "30")
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ctx := w.ECS(), context.Background()
	cw := cloudwatch.NewFromConfig(w.Config("us-east-1"))

	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("cw"),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}}))(t)
	def := apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("burn"), Cpu: aws.String("256"), Memory: aws.String("64"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("burn"), Image: aws.String(imgs.App), Cpu: 256, Memory: aws.Int32(64),
			Command: []string{"-listen", ":8080", "-cpu-load", "1"}, DockerLabels: map[string]string{"wharf.test": "1"}, StopTimeout: aws.Int32(2)}}}))(t)
	apitest.Must(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("burn-cpu-high"), Namespace: aws.String("AWS/ECS"),
		MetricName: aws.String("CPUUtilization"), Dimensions: []cwtypes.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("cw")}, {Name: aws.String("ServiceName"), Value: aws.String("burn")}},
		Statistic: cwtypes.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2),
		Threshold: aws.Float64(50), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}))(t)
	// The same alarm with missing data as not breaching: it needs two whole
	// breaching minutes, the worst case of the figure.
	apitest.Must(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("burn-cpu-high-strict"), Namespace: aws.String("AWS/ECS"),
		MetricName: aws.String("CPUUtilization"), Dimensions: []cwtypes.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("cw")}, {Name: aws.String("ServiceName"), Value: aws.String("burn")}},
		Statistic: cwtypes.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2),
		Threshold: aws.Float64(50), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String("notBreaching")}))(t)
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("cw"), ServiceName: aws.String("burn"),
		TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1)}))(t)
	waitCondition(t, 2*time.Minute, "burn task running", func() bool {
		return describeService(t, c, "cw", "burn").RunningCount == 1
	})
	start := time.Now()
	// Target tracking on the service's CPU (50 %, at most 2 tasks): its
	// TargetTracking-…-AlarmHigh alarm goes to ALARM and scales the service
	// out through Application Auto Scaling.
	as := applicationautoscaling.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(as.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/cw/burn"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)}))(t)
	apitest.Must(as.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{PolicyName: aws.String("cpu50"), ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/cw/burn"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization}}}))(t)

	var alarm cwtypes.MetricAlarm
	waitCondition(t, 3*time.Minute, "alarm in ALARM", func() bool {
		out := apitest.Must(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"burn-cpu-high"}}))(t)
		alarm = out.MetricAlarms[0]
		return alarm.StateValue == cwtypes.StateValueAlarm
	})
	took := time.Since(start)
	t.Logf("CPU load to ALARM: %s real (%.1f metric minutes at time scale %d); reason: %s",
		took.Round(100*time.Millisecond), took.Minutes()*cwTimeScale, cwTimeScale, aws.ToString(alarm.StateReason))

	waitCondition(t, 3*time.Minute, "strict alarm in ALARM", func() bool {
		out := apitest.Must(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"burn-cpu-high-strict"}}))(t)
		return out.MetricAlarms[0].StateValue == cwtypes.StateValueAlarm
	})
	took = time.Since(start)
	t.Logf("CPU load to ALARM with two whole breaching minutes: %s real (%.1f metric minutes)", took.Round(100*time.Millisecond), took.Minutes()*cwTimeScale)

	// The metric the alarm watched is there, per service and per cluster.
	now := time.Now()
	for _, dims := range [][]cwtypes.Dimension{
		{{Name: aws.String("ClusterName"), Value: aws.String("cw")}, {Name: aws.String("ServiceName"), Value: aws.String("burn")}},
		{{Name: aws.String("ClusterName"), Value: aws.String("cw")}},
	} {
		st := apitest.Must(cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization"),
			Dimensions: dims, StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Hour)), Period: aws.Int32(3600),
			Statistics: []cwtypes.Statistic{cwtypes.StatisticAverage, cwtypes.StatisticMaximum}}))(t)
		if len(st.Datapoints) == 0 || aws.ToFloat64(st.Datapoints[0].Maximum) < 50 || st.Datapoints[0].Unit != cwtypes.StandardUnitPercent {
			t.Fatalf("CPUUtilization %d dims: %+v", len(dims), st.Datapoints)
		}
		t.Logf("CPUUtilization (%d dims): average %.0f%%, maximum %.0f%% of 256 units", len(dims), aws.ToFloat64(st.Datapoints[0].Average), aws.ToFloat64(st.Datapoints[0].Maximum))
	}
	mem := apitest.Must(cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/ECS"), MetricName: aws.String("MemoryUtilization")}))(t)
	if len(mem.Metrics) != 2 {
		t.Fatalf("MemoryUtilization metrics: %+v", mem.Metrics)
	}
	// Container Insights is on for the cluster: task counts and per-task usage.
	waitCondition(t, 30*time.Second, "Container Insights metrics", func() bool {
		ci := apitest.Must(cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("ECS/ContainerInsights")}))(t)
		names := map[string]bool{}
		for _, m := range ci.Metrics {
			names[aws.ToString(m.MetricName)+"/"+string(rune('0'+len(m.Dimensions)))] = true
		}
		return names["RunningTaskCount/2"] && names["TaskCount/1"] && names["CpuUtilized/3"] && names["MemoryUtilized/2"]
	})
	waitCondition(t, 2*time.Minute, "target tracking scaled the service out to 2 running tasks", func() bool {
		svc := describeService(t, c, "cw", "burn")
		return svc.DesiredCount == 2 && svc.RunningCount == 2
	})
	t.Logf("CPU load to scale-out (2 tasks running): %s real (%.1f metric minutes)", time.Since(start).Round(100*time.Millisecond), time.Since(start).Minutes()*cwTimeScale)
	acts := apitest.Must(as.DescribeScalingActivities(ctx, &applicationautoscaling.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/cw/burn")}))(t)
	if len(acts.ScalingActivities) == 0 || !strings.Contains(aws.ToString(acts.ScalingActivities[0].Cause), "TargetTracking-service/cw/burn-AlarmHigh") {
		t.Fatalf("scaling activities: %+v", acts.ScalingActivities)
	}

	apitest.Must(as.DeregisterScalableTarget(ctx, &applicationautoscaling.DeregisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ResourceId: aws.String("service/cw/burn"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount}))(t)
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("cw"), Service: aws.String("burn"), DesiredCount: aws.Int32(0)}))(t)
	waitCondition(t, time.Minute, "burn task stopped", func() bool {
		return len(serviceTasks(t, c, "cw", "burn")) == 0 || allStopped(serviceTasks(t, c, "cw", "burn"))
	})
}

func allStopped(ts []types.Task) bool {
	for _, t := range ts {
		if !stopped(t) {
			return false
		}
	}
	return true
}

// TestDeploymentAlarmRollsBack: a service whose deploymentConfiguration
// names an alarm fails a deployment while that alarm is in ALARM, and rolls
// back to the previous task definition.
func TestDeploymentAlarmRollsBack(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ctx := w.ECS(), context.Background()
	cw := cloudwatch.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("web-5xx"), Namespace: aws.String("App"), MetricName: aws.String("Errors"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, TreatMissingData: aws.String("ignore")}))(t)
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("dep")}))(t)
	register := func(env string) string {
		out := apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"),
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
				Command: []string{"-listen", ":8080"}, Environment: []types.KeyValuePair{{Name: aws.String("V"), Value: aws.String(env)}},
				DockerLabels: map[string]string{"wharf.test": "1"}, StopTimeout: aws.Int32(2)}}}))(t)
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	}
	v1, v2 := register("1"), register("2")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dep"), ServiceName: aws.String("web"), TaskDefinition: aws.String(v1), DesiredCount: aws.Int32(1),
		DeploymentConfiguration: &types.DeploymentConfiguration{Alarms: &types.DeploymentAlarms{AlarmNames: []string{"web-5xx"}, Enable: true, Rollback: true}}}))(t)
	waitStable(t, c, "dep", "web", 3*time.Minute)

	// The alarm goes off as the new revision rolls out (set first, so that
	// the rollout cannot complete before the scheduler sees it).
	apitest.Must(cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("web-5xx"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("errors seen")}))(t)
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("dep"), Service: aws.String("web"), TaskDefinition: aws.String(v2)}))(t)
	// The failed deployment is retired once the rollback completes: its
	// event stays.
	var svc types.Service
	waitCondition(t, time.Minute, "deployment failed and rolled back", func() bool {
		svc = describeService(t, c, "dep", "web")
		return aws.ToString(svc.TaskDefinition) == v1 && strings.Contains(eventText(svc, 10), "rolling back to deployment")
	})
	if !strings.Contains(eventText(svc, 10), "deployment failed: alarm detected.") {
		t.Fatalf("events: %s", eventText(svc, 10))
	}
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("dep"), Service: aws.String("web"), DesiredCount: aws.Int32(0)}))(t)
	waitCondition(t, time.Minute, "tasks stopped", func() bool { return allStopped(serviceTasks(t, c, "dep", "web")) })
}

// TestLoadBalancerMetrics: requests through wharf's load balancer to a
// task show in AWS/ApplicationELB: request counts by target status class,
// response times, requests per target and healthy hosts.
func TestLoadBalancerMetrics(t *testing.T) {
	t.Setenv(metrics.TimeScaleEnv, "30")
	e := newLBEnv(t)
	cw := cloudwatch.NewFromConfig(e.w.Config("us-east-1"))
	ts := e.run(1)
	tg := e.group("web", "1", ts...)
	_, base := e.listener(forwardTo(tg))
	e.waitHealth(tg, "healthy", ts...)
	for _, path := range []string{"/", "/", "/", "/", "/", "/sleep?d=300ms", "/sleep?d=300ms"} {
		resp := apitest.Must(http.Get(base + path))(t)
		resp.Body.Close()
	}
	lbDim := strings.SplitN(e.lb, ":loadbalancer/", 2)[1]
	tgDim := tg[strings.Index(tg, "targetgroup/"):]
	dims := []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(lbDim)}, {Name: aws.String("TargetGroup"), Value: aws.String(tgDim)}}
	stat := func(name string, s cwtypes.Statistic, dims []cwtypes.Dimension) float64 {
		now := time.Now()
		out := apitest.Must(cw.GetMetricStatistics(e.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(name),
			Dimensions: dims, StartTime: aws.Time(now.Add(-24 * time.Hour)), EndTime: aws.Time(now.Add(24 * time.Hour)), Period: aws.Int32(86400),
			Statistics: []cwtypes.Statistic{s}}))(t)
		v := 0.0
		for _, dp := range out.Datapoints {
			switch s {
			case cwtypes.StatisticSum:
				v += aws.ToFloat64(dp.Sum)
			case cwtypes.StatisticMaximum:
				v = max(v, aws.ToFloat64(dp.Maximum))
			}
		}
		return v
	}
	waitCondition(t, 30*time.Second, "7 requests counted", func() bool { return stat("RequestCount", cwtypes.StatisticSum, dims[:1]) == 7 })
	if got := stat("HTTPCode_Target_2XX_Count", cwtypes.StatisticSum, dims); got != 7 {
		t.Fatalf("HTTPCode_Target_2XX_Count = %v", got)
	}
	if got := stat("TargetResponseTime", cwtypes.StatisticMaximum, dims[:1]); got < 0.3 || got > 5 {
		t.Fatalf("TargetResponseTime maximum = %v", got)
	}
	if got := stat("RequestCountPerTarget", cwtypes.StatisticSum, dims[1:]); got != 7 {
		t.Fatalf("RequestCountPerTarget = %v", got)
	}
	if got := stat("HealthyHostCount", cwtypes.StatisticMaximum, dims); got != 1 {
		t.Fatalf("HealthyHostCount = %v", got)
	}
}

// TestContainerInsightsPerformanceEvents: a service in a cluster with
// Container Insights on yields, each (metric) minute, ECS's performance
// log events in /aws/ecs/containerinsights/CLUSTER/performance: Task,
// Container, Service and Cluster events, readable with GetLogEvents and
// queried with Logs Insights.
func TestContainerInsightsPerformanceEvents(t *testing.T) {
	t.Setenv(metrics.TimeScaleEnv, "60")
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ctx := w.ECS(), context.Background()
	logs := cwl.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("perf"),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}}))(t)
	def := webDef(t, c, imgs, "perf-web")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("perf"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(def), DesiredCount: aws.Int32(1)}))(t)
	t.Cleanup(func() {
		_, _ = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("perf"), Service: aws.String("web"), DesiredCount: aws.Int32(0)})
	})
	start := time.Now().Add(-time.Minute)
	group := "/aws/ecs/containerinsights/perf/performance"

	byType := map[string]map[string]any{}
	var stream string
	waitCondition(t, 90*time.Second, "Task, Container, Service and Cluster performance events", func() bool {
		ls, err := logs.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(group)})
		if err != nil || len(ls.LogStreams) == 0 {
			return false
		}
		stream = aws.ToString(ls.LogStreams[0].LogStreamName)
		evs := apitest.Must(logs.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)}))(t)
		for _, e := range evs.Events {
			var doc map[string]any
			if json.Unmarshal([]byte(aws.ToString(e.Message)), &doc) == nil {
				byType[fmt.Sprint(doc["Type"])] = doc
			}
		}
		return byType["Task"] != nil && byType["Container"] != nil && byType["Service"] != nil && byType["Cluster"] != nil
	})
	if !strings.HasPrefix(stream, "AgentTelemetry-") {
		t.Errorf("stream %q", stream)
	}
	task, ctr := byType["Task"], byType["Container"]
	if task["ClusterName"] != "perf" || task["ServiceName"] != "web" || task["TaskDefinitionFamily"] != "perf-web" ||
		task["KnownStatus"] != "RUNNING" || task["MemoryReserved"] != float64(48) || task["CloudWatchMetrics"] == nil {
		t.Errorf("Task event: %v", task)
	}
	if ctr["ContainerName"] != "web" || ctr["TaskId"] != task["TaskId"] || ctr["Image"] != imgs.App || ctr["MemoryReserved"] != float64(48) {
		t.Errorf("Container event: %v", ctr)
	}
	if mu, _ := ctr["MemoryUtilized"].(float64); mu <= 0 {
		t.Errorf("Container event without memory used: %v", ctr)
	}
	if s := byType["Service"]; s["DesiredTaskCount"] != float64(1) || s["ServiceName"] != "web" {
		t.Errorf("Service event: %v", s)
	}
	g := apitest.Must(logs.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)}))(t)
	if len(g.LogGroups) != 1 || aws.ToInt32(g.LogGroups[0].RetentionInDays) != 1 {
		t.Errorf("performance group: %+v", g.LogGroups)
	}

	q := `filter Type = "Container" | stats count(*) as n, max(MemoryUtilized) as mem by ContainerName`
	id := apitest.Must(logs.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String(group), QueryString: aws.String(q),
		StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(time.Now().Add(time.Minute).Unix())}))(t).QueryId
	var rows [][]cwltypes.ResultField
	waitCondition(t, 20*time.Second, "the Insights query to complete", func() bool {
		out := apitest.Must(logs.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: id}))(t)
		rows = out.Results
		return out.Status == cwltypes.QueryStatusComplete
	})
	if len(rows) != 1 {
		t.Fatalf("query rows: %+v", rows)
	}
	fields := map[string]string{}
	for _, f := range rows[0] {
		fields[aws.ToString(f.Field)] = aws.ToString(f.Value)
	}
	if fields["ContainerName"] != "web" || fields["n"] == "" || fields["n"] == "0" {
		t.Fatalf("query row: %v", fields)
	}
	t.Logf("Insights over the performance group: %v", fields)
}

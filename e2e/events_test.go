package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// shortTaskDef is a task that prints a line and exits.
func shortTaskDef(family, image string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(32),
			Command: []string{"-print", "1", "-exit-code", "0"}, DockerLabels: map[string]string{"wharf.test": "1"}}}}
}

// startedBy lists the ARNs of the cluster's tasks started by who, running
// or stopped.
func startedBy(t testing.TB, c *ecs.Client, cluster, who string) []string {
	t.Helper()
	var arns []string
	for _, st := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		out := apitest.Must(c.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(who), DesiredStatus: st}))(t)
		arns = append(arns, out.TaskArns...)
	}
	return arns
}

func waitStartedBy(t testing.TB, c *ecs.Client, cluster, who string, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		arns := startedBy(t, c, cluster, who)
		if len(arns) >= n {
			return arns
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks started by %s after %v, want %d", len(arns), who, timeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRateRuleStartsTasks: a rate() rule with an ECS target starts a task
// each tick (the clock shortened to a one-second minute), with startedBy
// events-rule/RULE and the target's tags, goes on after a restart, and
// stops when disabled.
func TestRateRuleStartsTasks(t *testing.T) {
	t.Setenv("WHARF_SCHEDULE_MINUTE", "1s")
	w, c, imgs := startCluster(t, "ev")
	ev, ctx := eventbridge.NewFromConfig(w.Config("us-east-1")), context.Background()
	td := apitest.Must(c.RegisterTaskDefinition(ctx, shortTaskDef("tick", imgs.App)))(t).TaskDefinition
	apitest.Must(ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("every"), ScheduleExpression: aws.String("rate(1 minute)")}))(t)
	apitest.Must(ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("every"), Targets: []ebtypes.Target{{
		Id: aws.String("job"), Arn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/ev"), RoleArn: aws.String("arn:aws:iam::000000000000:role/ecsEvents"),
		EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: td.TaskDefinitionArn, TaskCount: aws.Int32(1), LaunchType: ebtypes.LaunchTypeEc2,
			Tags: []ebtypes.Tag{{Key: aws.String("origin"), Value: aws.String("rule")}}},
	}}}))(t)

	arns := waitStartedBy(t, c, "ev", "events-rule/every", 2, 60*time.Second)
	tasks := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("ev"), Tasks: arns[:1], Include: []types.TaskField{types.TaskFieldTags}}))(t).Tasks
	if len(tasks) != 1 || aws.ToString(tasks[0].TaskDefinitionArn) != aws.ToString(td.TaskDefinitionArn) ||
		len(tasks[0].Tags) != 1 || aws.ToString(tasks[0].Tags[0].Value) != "rule" {
		t.Fatalf("rule's task: %+v", tasks)
	}

	// Across a restart the schedule goes on.
	w.Restart()
	c, ev = w.ECS(), eventbridge.NewFromConfig(w.Config("us-east-1"))
	before := len(startedBy(t, c, "ev", "events-rule/every"))
	waitStartedBy(t, c, "ev", "events-rule/every", before+2, 60*time.Second)

	// Disabled, it fires no more: allow one tick claimed before the
	// disable to land, then nothing for several ticks.
	apitest.Must(ev.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("every")}))(t)
	time.Sleep(1500 * time.Millisecond) // one shortened minute and a half
	settled := len(startedBy(t, c, "ev", "events-rule/every"))
	time.Sleep(3 * time.Second) // three shortened minutes: no tick may fire
	arns = startedBy(t, c, "ev", "events-rule/every")
	if len(arns) != settled {
		t.Fatalf("a disabled rule started %d more tasks", len(arns)-settled)
	}
	waitAllStopped(t, c, "ev", arns)
}

// waitAllStopped waits for the tasks to stop (they exit at once), so that
// no container is still being created when the test's wharf shuts down.
func waitAllStopped(t testing.TB, c *ecs.Client, cluster string, arns []string) {
	t.Helper()
	for _, arn := range arns {
		waitTask(t, c, cluster, arn, 60*time.Second, "STOPPED", stopped)
	}
}

// TestSchedulerStartsTask: a one-time Scheduler schedule a few seconds
// ahead starts one task (startedBy chronos-schedule/NAME) and, set to
// DELETE after completion, is gone afterwards.
func TestSchedulerStartsTask(t *testing.T) {
	w, c, imgs := startCluster(t, "sch")
	ctx := context.Background()
	td := apitest.Must(c.RegisterTaskDefinition(ctx, shortTaskDef("once", imgs.App)))(t).TaskDefinition
	at := time.Now().UTC().Add(3 * time.Second).Format("2006-01-02T15:04:05")
	body, _ := json.Marshal(map[string]any{
		"ScheduleExpression": "at(" + at + ")", "ScheduleExpressionTimezone": "UTC", "ActionAfterCompletion": "DELETE",
		"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
		"Target": map[string]any{"Arn": "arn:aws:ecs:us-east-1:000000000000:cluster/sch", "RoleArn": "arn:aws:iam::000000000000:role/sched",
			"EcsParameters": map[string]any{"TaskDefinitionArn": aws.ToString(td.TaskDefinitionArn), "TaskCount": 1},
			"Input":         `{"containerOverrides":[{"name":"app","environment":[{"name":"FROM","value":"scheduler"}]}]}`},
	})
	resp, err := http.Post(w.URL()+"/schedules/nightly-once", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CreateSchedule: %s", resp.Status)
	}
	arns := waitStartedBy(t, c, "sch", "chronos-schedule/nightly-once", 1, 60*time.Second)
	task := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("sch"), Tasks: arns}))(t).Tasks[0]
	ov := task.Overrides.ContainerOverrides
	if len(ov) != 1 || len(ov[0].Environment) != 1 || aws.ToString(ov[0].Environment[0].Value) != "scheduler" {
		t.Fatalf("the schedule's Input did not override the task: %+v", ov)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := http.Get(w.URL() + "/schedules/nightly-once")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a completed one-time schedule set to DELETE still answers %s", r.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(startedBy(t, c, "sch", "chronos-schedule/nightly-once")); n != 1 {
		t.Fatalf("one-time schedule started %d tasks", n)
	}
	waitAllStopped(t, c, "sch", arns)
}

// TestTaskStateChangesToLogGroup: a pattern rule on ECS's task state
// changes delivers the STOPPED change of a task to a log group, in ECS's
// detail shape.
func TestTaskStateChangesToLogGroup(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ev, logs, ctx := w.ECS(), eventbridge.NewFromConfig(w.Config("us-east-1")), cwl.NewFromConfig(w.Config("us-east-1")), context.Background()
	cluster := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("watch")}))(t).Cluster
	apitest.Must(c.RegisterTaskDefinition(ctx, shortTaskDef("brief", imgs.App)))(t)
	apitest.Must(logs.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/aws/events/ecs")}))(t)
	pattern, _ := json.Marshal(map[string]any{"source": []string{"aws.ecs"}, "detail-type": []string{"ECS Task State Change"},
		"detail": map[string]any{"clusterArn": []string{aws.ToString(cluster.ClusterArn)}, "lastStatus": []string{"STOPPED"}}})
	apitest.Must(ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("stopped"), EventPattern: aws.String(string(pattern))}))(t)
	apitest.Must(ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("stopped"), Targets: []ebtypes.Target{{
		Id: aws.String("log"), Arn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/ecs")}}}))(t)

	arn := runOne(t, c, "watch", "brief")
	waitTask(t, c, "watch", arn, 60*time.Second, "STOPPED", stopped)
	var event struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Resources  []string
		Detail     struct {
			TaskArn, LastStatus, DesiredStatus, StopCode, ClusterArn, StoppedAt, UpdatedAt string
			Version                                                                        int
			Containers                                                                     []struct {
				Name, LastStatus string
				ExitCode         *int
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		evs := apitest.Must(logs.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws/events/ecs")}))(t).Events
		if len(evs) > 0 {
			if len(evs) != 1 {
				t.Fatalf("%d events for one stopped task", len(evs))
			}
			if err := json.Unmarshal([]byte(aws.ToString(evs[0].Message)), &event); err != nil {
				t.Fatalf("event %q: %v", aws.ToString(evs[0].Message), err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no task state change reached the log group")
		}
		time.Sleep(100 * time.Millisecond)
	}
	d := event.Detail
	if event.Source != "aws.ecs" || event.DetailType != "ECS Task State Change" || len(event.Resources) != 1 || event.Resources[0] != arn ||
		d.TaskArn != arn || d.LastStatus != "STOPPED" || d.StopCode != "EssentialContainerExited" || d.StoppedAt == "" || d.UpdatedAt == "" ||
		d.Version < 2 || len(d.Containers) != 1 || d.Containers[0].ExitCode == nil || *d.Containers[0].ExitCode != 0 {
		t.Fatalf("event: %+v", event)
	}
	if _, err := time.Parse(time.RFC3339, d.StoppedAt); err != nil {
		t.Fatalf("stoppedAt %q is not ISO 8601", d.StoppedAt)
	}
}

// TestEventsDeliveredAfterRestart: an event PutEvents acknowledged is
// delivered even though its target can only take it after a restart. The
// rule's ECS target runs the family's latest revision, which at first
// asks for more memory than any instance has: RunTask places nothing, a
// retriable failure, and the delivery waits in the store with backoff.
// wharf restarts; a revision that fits is registered; the retried
// delivery starts it (startedBy events-rule/RULE).
func TestEventsDeliveredAfterRestart(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ev, ctx := w.ECS(), eventbridge.NewFromConfig(w.Config("us-east-1")), context.Background()
	cluster := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("durable")}))(t).Cluster
	huge := shortTaskDef("late", imgs.App)
	huge.ContainerDefinitions[0].Memory = aws.Int32(1 << 30)
	apitest.Must(c.RegisterTaskDefinition(ctx, huge))(t)
	apitest.Must(ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(`{"source":["shop"]}`)}))(t)
	apitest.Must(ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{{
		Id: aws.String("job"), Arn: cluster.ClusterArn, RoleArn: aws.String("arn:aws:iam::000000000000:role/events"),
		EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: aws.String("late"), TaskCount: aws.Int32(1)}}}}))(t)
	out := apitest.Must(ev.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("order"), Detail: aws.String(`{"id":1}`)}}}))(t)
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents: %+v", out.Entries)
	}
	// A few attempts fail before the restart.
	time.Sleep(2 * time.Second)
	if n := len(startedBy(t, c, "durable", "events-rule/orders")); n != 0 {
		t.Fatalf("%d tasks started before a revision fits", n)
	}

	w.Restart()
	c, ctx = w.ECS(), context.Background()
	apitest.Must(c.RegisterTaskDefinition(ctx, shortTaskDef("late", imgs.App)))(t)
	var arns []string
	waitCondition(t, 90*time.Second, "the retried delivery to start a task after the restart", func() bool {
		arns = startedBy(t, c, "durable", "events-rule/orders")
		return len(arns) > 0
	})
	if len(arns) != 1 {
		t.Fatalf("%d tasks for one event", len(arns))
	}
	waitAllStopped(t, c, "durable", arns)
}

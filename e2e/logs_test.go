package e2e

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/runtime/docker"
)

// awslogsDef is a one-container task definition whose container runs the
// test app with args and logs through awslogs with opts.
func awslogsDef(family, image string, opts map[string]string, args ...string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(32),
			Command: args, DockerLabels: map[string]string{"wharf.test": "1"},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: opts}}}}
}

// runOne runs a task of family in cluster and returns its ARN.
func runOne(t testing.TB, c *ecs.Client, cluster, family string) string {
	t.Helper()
	run := apitest.Must(c.RunTask(context.Background(), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family)}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("RunTask %s: %+v", family, run.Failures)
	}
	return aws.ToString(run.Tasks[0].TaskArn)
}

func lastPart(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// streamEvents reads a whole stream from its head.
func streamEvents(t *testing.T, logs *cwl.Client, group, stream string) []cwltypes.OutputLogEvent {
	t.Helper()
	var all []cwltypes.OutputLogEvent
	var tok *string
	for {
		out, err := logs.GetLogEvents(context.Background(), &cwl.GetLogEventsInput{LogGroupName: aws.String(group),
			LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true), NextToken: tok})
		if err != nil {
			wantCode(t, err, "ResourceNotFoundException") // the stream may not exist yet
			return nil
		}
		all = append(all, out.Events...)
		if tok != nil && aws.ToString(out.NextForwardToken) == *tok {
			return all
		}
		tok = out.NextForwardToken
	}
}

// waitEvents polls (bounded) until the stream holds at least n events and
// returns them.
func waitEvents(t *testing.T, logs *cwl.Client, group, stream string, n int, timeout time.Duration) []cwltypes.OutputLogEvent {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var evs []cwltypes.OutputLogEvent
	for time.Now().Before(deadline) {
		if evs = streamEvents(t, logs, group, stream); len(evs) >= n {
			return evs
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("stream %s/%s: %d events within %s, want %d", group, stream, len(evs), timeout, n)
	return nil
}

// lineNumber is N of the test app's "testapp line N" (plain or in JSON).
func lineNumber(msg string) (int, bool) {
	var j struct{ N int }
	if strings.HasPrefix(msg, "{") {
		if json.Unmarshal([]byte(msg), &j) == nil && j.N > 0 {
			return j.N, true
		}
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(msg, "testapp line "))
	return n, err == nil && strings.HasPrefix(msg, "testapp line ")
}

// checkLines verifies msgs are lines 1..n of the test app, each once, in
// order, followed by its exit line.
func checkLines(t *testing.T, msgs []string, n int) {
	t.Helper()
	if len(msgs) != n+1 {
		t.Fatalf("%d lines, want %d and the exit line; first %q, last %q", len(msgs), n, msgs[:min(3, len(msgs))], msgs[max(0, len(msgs)-3):])
	}
	for i, m := range msgs[:n] {
		if got, ok := lineNumber(m); !ok || got != i+1 {
			t.Fatalf("line %d is %q, want line %d (lost, duplicated or out of order)", i+1, m, i+1)
		}
	}
	if msgs[n] != "testapp: exiting with code 0" {
		t.Fatalf("last line %q", msgs[n])
	}
}

// TestAwslogsShipsTaskOutput runs a task whose container prints numbered
// lines, every other one JSON, to stdout and stderr: they arrive in the
// stream named as ECS names it, in order, each once, with their
// timestamps, and a JSON filter pattern finds just the error lines.
func TestAwslogsShipsTaskOutput(t *testing.T) {
	w, c, imgs := startCluster(t, "logs")
	logs, ctx := cwl.NewFromConfig(w.Config("us-east-1")), context.Background()
	group := "/ecs/printer"
	apitest.Must(logs.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, awslogsDef("printer", imgs.App,
		map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"},
		"-print", "20", "-print-interval", "10ms", "-stderr", "-exit-code", "0")))(t)
	before := time.Now().Add(-time.Second).UnixMilli()
	arn := runOne(t, c, "logs", "printer")
	task := waitTask(t, c, "logs", arn, 60*time.Second, "STOPPED", stopped)
	if aws.ToInt32(container(t, task, "app").ExitCode) != 0 {
		t.Fatalf("task: %s", describe(task))
	}

	stream := "web/app/" + lastPart(arn)
	evs := waitEvents(t, logs, group, stream, 41, 30*time.Second)
	var stdout, stderr []string
	prev := int64(0)
	for _, e := range evs {
		ts := aws.ToInt64(e.Timestamp)
		if ts < prev || ts < before || ts > time.Now().UnixMilli() || e.IngestionTime == nil {
			t.Fatalf("event %q at %d (previous %d, task started after %d)", aws.ToString(e.Message), ts, prev, before)
		}
		prev = ts
		if m, ok := strings.CutPrefix(aws.ToString(e.Message), "stderr "); ok {
			stderr = append(stderr, m)
		} else {
			stdout = append(stdout, aws.ToString(e.Message))
		}
	}
	checkLines(t, stdout, 20)
	if len(stderr) != 20 {
		t.Fatalf("%d stderr lines, want 20", len(stderr))
	}
	for i, m := range stderr {
		if n, ok := lineNumber(m); !ok || n != i+1 {
			t.Fatalf("stderr line %d is %q", i+1, m)
		}
	}

	filtered := apitest.Must(logs.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group),
		LogStreamNames: []string{stream}, FilterPattern: aws.String(`{ $.level = "error" }`)}))(t)
	if len(filtered.Events) != 10 {
		t.Fatalf("JSON filter found %d events, want the 10 error lines", len(filtered.Events))
	}
	for i, e := range filtered.Events {
		if n, ok := lineNumber(aws.ToString(e.Message)); !ok || n != 2*(i+1) || aws.ToString(e.LogStreamName) != stream {
			t.Fatalf("filtered event %d: %s %q", i, aws.ToString(e.LogStreamName), aws.ToString(e.Message))
		}
	}
	streams := apitest.Must(logs.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(group)}))(t)
	if len(streams.LogStreams) != 1 || aws.ToString(streams.LogStreams[0].LogStreamName) != stream {
		t.Fatalf("streams %+v", streams.LogStreams)
	}
}

// TestAwslogsLogGroup: a task whose log group is missing fails to start
// with ECS's reason; with awslogs-create-group the group is made.
func TestAwslogsLogGroup(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, logs, ctx := w.ECS(), cwl.NewFromConfig(w.Config("eu-west-1")), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("lg")}))(t)

	apitest.Must(c.RegisterTaskDefinition(ctx, awslogsDef("nogroup", imgs.App,
		map[string]string{"awslogs-group": "/ecs/missing", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "x"},
		"-print", "1", "-exit-code", "0")))(t)
	task := waitTask(t, c, "lg", runOne(t, c, "lg", "nogroup"), 60*time.Second, "STOPPED", stopped)
	const want = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: " +
		"failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"
	if task.StopCode != types.TaskStopCodeTaskFailedToStart || aws.ToString(task.StoppedReason) != want {
		t.Fatalf("missing group: %s", describe(task))
	}
	if aws.ToString(container(t, task, "app").RuntimeId) != "" {
		t.Fatalf("a container was created: %s", describe(task))
	}

	// The group goes to awslogs-region (eu-west-1), not the task's region.
	apitest.Must(c.RegisterTaskDefinition(ctx, awslogsDef("mkgroup", imgs.App,
		map[string]string{"awslogs-group": "/ecs/made", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "p", "awslogs-create-group": "true"},
		"-print", "3", "-exit-code", "0")))(t)
	arn := runOne(t, c, "lg", "mkgroup")
	task = waitTask(t, c, "lg", arn, 60*time.Second, "STOPPED", stopped)
	if task.StopCode != types.TaskStopCodeEssentialContainerExited {
		t.Fatalf("create-group task: %s", describe(task))
	}
	evs := waitEvents(t, logs, "/ecs/made", "p/app/"+lastPart(arn), 4, 30*time.Second)
	msgs := make([]string, 0, len(evs))
	for _, e := range evs {
		msgs = append(msgs, aws.ToString(e.Message))
	}
	checkLines(t, msgs, 3)
}

// TestAwslogsAcrossRestart stops wharf while a container keeps printing
// and starts it again: every line arrives exactly once, in order.
func TestAwslogsAcrossRestart(t *testing.T) {
	rt, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, logs, ctx := w.ECS(), cwl.NewFromConfig(w.Config("us-east-1")), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("rs")}))(t)
	group := "/ecs/restart"
	apitest.Must(logs.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}))(t)
	const lines = 600
	apitest.Must(c.RegisterTaskDefinition(ctx, awslogsDef("chatty", imgs.App,
		map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "r"},
		"-print", strconv.Itoa(lines), "-print-interval", "10ms", "-exit-code", "0")))(t)
	arn := runOne(t, c, "rs", "chatty")
	task := waitTask(t, c, "rs", arn, 60*time.Second, "RUNNING", running)
	id := aws.ToString(container(t, task, "app").RuntimeId)
	stream := "r/app/" + lastPart(arn)
	shipped := len(waitEvents(t, logs, group, stream, 20, 30*time.Second))

	w.Stop()
	// The container goes on printing while wharf is down.
	printed := waitDockerLines(t, rt, id, shipped+100, 30*time.Second)
	if printed > lines {
		t.Fatalf("the container printed everything (%d lines) before the restart could be tested", printed)
	}
	w.Start()
	c, logs = w.ECS(), cwl.NewFromConfig(w.Config("us-east-1"))
	waitTask(t, c, "rs", arn, 60*time.Second, "STOPPED", stopped)
	evs := waitEvents(t, logs, group, stream, lines+1, 60*time.Second)
	msgs := make([]string, 0, len(evs))
	for _, e := range evs {
		msgs = append(msgs, aws.ToString(e.Message))
	}
	checkLines(t, msgs, lines)
}

// waitDockerLines polls the engine (bounded) until container id has printed
// at least n lines, and returns how many it has.
func waitDockerLines(t *testing.T, rt *docker.Runtime, id string, n int, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	got := 0
	for time.Now().Before(deadline) {
		got = dockerLines(t, rt, id)
		if got >= n {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("container %s printed %d lines within %s, want %d", id, got, timeout, n)
	return 0
}

func dockerLines(t *testing.T, rt *docker.Runtime, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := rt.Logs(ctx, id, false, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	lr := docker.NewLogReader(rc)
	n := 0
	for {
		if _, err := lr.Next(); err != nil {
			return n
		}
		n++
	}
}

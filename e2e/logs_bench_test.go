package e2e

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/runtime/docker"
)

// awslogsLines is how many lines the chatty container prints, as fast as it can.
const awslogsLines = 200000

// BenchmarkAwslogsIngestion prints how fast wharf ships the output of one
// chatty container (testapp -print 200000, no pause) to CloudWatch Logs,
// in lines per second from the container's start until the last line is
// stored, and what shipping costs that container: its run time with the
// awslogs driver beside the same task without it (json-file only). Run
// with -benchtime=1x.
func BenchmarkAwslogsIngestion(b *testing.B) {
	rt, imgs := wharftest.Images(b)
	w := wharftest.StartWithAgent(b)
	c, logs, ctx := w.ECS(), cwl.NewFromConfig(w.Config("us-east-1")), context.Background()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bench")}))(b)
	group := "/bench/chatty"
	apitest.Must(logs.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}))(b)
	args := []string{"-print", strconv.Itoa(awslogsLines), "-exit-code", "0"}
	shipped := awslogsDef("shipped", imgs.App, map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "b"}, args...)
	plain := awslogsDef("plain", imgs.App, nil, args...)
	plain.ContainerDefinitions[0].LogConfiguration = nil
	apitest.Must(c.RegisterTaskDefinition(ctx, shipped))(b)
	apitest.Must(c.RegisterTaskDefinition(ctx, plain))(b)
	waitInstance(b, c, "bench")

	for b.Loop() {
		// Rounds alternate which task goes first, and the figures are the
		// medians, so that a busy moment of the host does not decide them.
		var rates, lags, shippedRuns, plainRuns []float64
		for r := range awslogsRounds {
			if r%2 == 0 {
				plainRuns = append(plainRuns, runAndTime(b, rt, c, "plain").Seconds())
			}
			rate, run, lag := shipAndTime(b, rt, c, logs, group)
			rates, shippedRuns, lags = append(rates, rate), append(shippedRuns, run.Seconds()), append(lags, lag.Seconds())
			if r%2 == 1 {
				plainRuns = append(plainRuns, runAndTime(b, rt, c, "plain").Seconds())
			}
		}
		rate, shippedRun, plainRun, lag := logsMedian(rates), logsMedian(shippedRuns), logsMedian(plainRuns), logsMedian(lags)
		overhead := 100 * (shippedRun - plainRun) / plainRun
		b.ReportMetric(rate, "lines/s")
		b.ReportMetric(shippedRun, "s-run-awslogs")
		b.ReportMetric(plainRun, "s-run-json-file")
		b.ReportMetric(overhead, "%-overhead")
		b.ReportMetric(lag, "s-lag-after-exit")
		b.Logf("%d lines, medians of %d rounds: shipped at %.0f lines/s from the container's start, the last line %.3fs after it exited; "+
			"container run time %.3fs with awslogs, %.3fs with json-file only (%+.1f%%)",
			awslogsLines, awslogsRounds, rate, lag, shippedRun, plainRun, overhead)
	}
}

// awslogsRounds is how many times each task runs per benchmark iteration.
const awslogsRounds = 3

func logsMedian(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// shipAndTime runs the awslogs task and returns the lines per second from
// its container's start until its last line was stored, the container's
// run time, and how long after it exited the last line was stored. It
// checks that every line was stored once.
func shipAndTime(b *testing.B, rt *docker.Runtime, c *ecs.Client, logs *cwl.Client, group string) (float64, time.Duration, time.Duration) {
	b.Helper()
	ctx := context.Background()
	arn := runOne(b, c, "bench", "shipped")
	stream := "b/app/" + lastPart(arn)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if time.Now().After(deadline) {
			b.Fatalf("the last line did not arrive within 5 minutes")
		}
		out, err := logs.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), Limit: aws.Int32(1)})
		if err == nil && len(out.Events) == 1 && aws.ToString(out.Events[0].Message) == "testapp: exiting with code 0" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := time.Now()
	task := waitTask(b, c, "bench", arn, time.Minute, "STOPPED", stopped)
	st, err := rt.InspectContainer(ctx, aws.ToString(container(b, task, "app").RuntimeId))
	if err != nil {
		b.Fatal(err)
	}
	if n := countEvents(b, logs, group, stream); n != awslogsLines+1 {
		b.Fatalf("stream holds %d events, want %d", n, awslogsLines+1)
	}
	return float64(awslogsLines) / done.Sub(st.StartedAt).Seconds(), st.FinishedAt.Sub(st.StartedAt), done.Sub(st.FinishedAt)
}

// runAndTime runs a task of family to its end and returns its container's
// run time as the engine recorded it.
func runAndTime(b *testing.B, rt *docker.Runtime, c *ecs.Client, family string) time.Duration {
	b.Helper()
	arn := runOne(b, c, "bench", family)
	task := waitTask(b, c, "bench", arn, 5*time.Minute, "STOPPED", stopped)
	if task.StopCode != types.TaskStopCodeEssentialContainerExited {
		b.Fatalf("%s: %s", family, describe(task))
	}
	st, err := rt.InspectContainer(context.Background(), aws.ToString(container(b, task, "app").RuntimeId))
	if err != nil {
		b.Fatal(err)
	}
	return st.FinishedAt.Sub(st.StartedAt)
}

// countEvents counts a stream's events, reading it forward in full pages.
func countEvents(b *testing.B, logs *cwl.Client, group, stream string) int {
	b.Helper()
	n := 0
	var tok *string
	for {
		out := apitest.Must(logs.GetLogEvents(context.Background(), &cwl.GetLogEventsInput{LogGroupName: aws.String(group),
			LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true), NextToken: tok}))(b)
		n += len(out.Events)
		if tok != nil && aws.ToString(out.NextForwardToken) == *tok {
			return n
		}
		tok = out.NextForwardToken
	}
}

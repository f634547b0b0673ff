package logs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
)

// TestPerformanceEvents writes a minute of Container Insights events and
// reads them back as a Logs Insights user would.
func TestPerformanceEvents(t *testing.T) {
	a := New(openTestDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	at := time.Now().Add(-time.Minute).Truncate(time.Minute)
	task := func(id, family string, cpu float64, mem int64) *TaskPerformance {
		e := &TaskPerformance{TaskOf: TaskOf{TaskID: id, TaskDefinitionFamily: family, TaskDefinitionRevision: "3", ClusterName: "prod"},
			AccountID: "000000000000", Region: "eu-west-1", KnownStatus: "RUNNING", LaunchType: "EC2", Timestamp: at.UnixMilli(),
			Usage: Usage{CPUUtilized: cpu, CPUReserved: 256, MemoryUtilized: mem, MemoryReserved: 512}}
		e.Complete()
		return e
	}
	svc := &ServicePerformance{ServiceName: "web", ClusterName: "prod", Timestamp: at.UnixMilli(), DesiredTaskCount: 2, RunningTaskCount: 2, DeploymentCount: 1}
	svc.Complete()
	cl := &ClusterPerformance{ClusterName: "prod", Timestamp: at.UnixMilli(), TaskCount: 3, ContainerInstanceCount: 1, ServiceCount: 1}
	cl.Complete()
	err := a.PutPerformanceEvents(ctx, "000000000000", "eu-west-1", "prod", PerformanceStream("ci1"), at,
		task("t1", "web", 100, 200), task("t2", "web", 50, 100), task("t3", "batch", 10, 50), svc, cl)
	if err != nil {
		t.Fatal(err)
	}
	// A second minute reuses the group and stream.
	if err := a.PutPerformanceEvents(ctx, "000000000000", "eu-west-1", "prod", PerformanceStream("ci1"), at.Add(time.Minute), cl); err != nil {
		t.Fatal(err)
	}

	var first map[string]any
	kvs := mustList(t, a, "eu-west-1")
	if err := json.Unmarshal([]byte(kvs[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["Type"] != "Task" || first["Version"] != "0" || first["CloudWatchMetrics"] == nil {
		t.Fatalf("first event %v", first)
	}

	rctx := withScope(ctx, "eu-west-1")
	groups, err := a.DescribeLogGroups(rctx, &logstypes.DescribeLogGroupsRequest{LogGroupNamePrefix: new("/aws/ecs/containerinsights/")})
	if err != nil || len(groups.LogGroups) != 1 || *groups.LogGroups[0].LogGroupName != "/aws/ecs/containerinsights/prod/performance" ||
		*groups.LogGroups[0].RetentionInDays != 1 {
		t.Fatalf("groups %+v, %v", groups, err)
	}
	out, err := a.StartQuery(rctx, &logstypes.StartQueryRequest{LogGroupName: new(PerformanceGroup("prod")),
		QueryString: new(`filter Type = "Task" | stats sum(CpuUtilized) as cpu, avg(MemoryUtilized) as mem by TaskDefinitionFamily`),
		StartTime:   new(at.Unix() - 60), EndTime: new(at.Unix() + 120)})
	if err != nil {
		t.Fatal(err)
	}
	a.runQuery(ctx, <-a.insights.queue)
	res, err := a.GetQueryResults(rctx, &logstypes.GetQueryResultsRequest{QueryId: out.QueryId})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, row := range res.Results {
		var fs []string
		for _, f := range row {
			fs = append(fs, *f.Field+"="+*f.Value)
		}
		rows = append(rows, strings.Join(fs, " "))
	}
	if got := strings.Join(rows, "; "); got != "TaskDefinitionFamily=batch cpu=10 mem=50; TaskDefinitionFamily=web cpu=150 mem=150" {
		t.Fatalf("rows %s", got)
	}
}

// mustList returns the messages of the first stream of the region's
// performance group.
func mustList(t *testing.T, a *API, region string) []string {
	t.Helper()
	out, err := a.GetLogEvents(withScope(context.Background(), region), &logstypes.GetLogEventsRequest{
		LogGroupName: new(PerformanceGroup("prod")), LogStreamName: new(PerformanceStream("ci1")), StartFromHead: new(true)})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range out.Events {
		msgs = append(msgs, *e.Message)
	}
	if len(msgs) != 6 {
		t.Fatalf("%d events, want 6", len(msgs))
	}
	return msgs
}

// withScope is ctx addressing account 000000000000 in region, as a
// request would.
func withScope(ctx context.Context, region string) context.Context {
	return awsapi.WithRequest(ctx, &awsapi.Request{Account: awsapi.DefaultAccount, Region: region})
}

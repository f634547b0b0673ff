package logs

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
)

// TestQueryLifecycle drives queries through the states a client can see
// without the runner's timing: stopped while scheduled, timed out, the
// concurrency quota, and results dropped after they have been kept.
func TestQueryLifecycle(t *testing.T) {
	a := New(openTestDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	mustDo(t)(a.CreateLogGroup(ctx, &logstypes.CreateLogGroupRequest{LogGroupName: new("g")}))
	mustDo(t)(a.CreateLogStream(ctx, &logstypes.CreateLogStreamRequest{LogGroupName: new("g"), LogStreamName: new("s")}))
	ts := time.Now().Add(-time.Minute).UnixMilli()
	mustDo(t)(a.PutLogEvents(ctx, &logstypes.PutLogEventsRequest{LogGroupName: new("g"), LogStreamName: new("s"),
		LogEvents: []logstypes.InputLogEvent{{Timestamp: new(ts), Message: new("hello")}}}))
	start := func() string {
		t.Helper()
		out, err := a.StartQuery(ctx, &logstypes.StartQueryRequest{LogGroupName: new("g"), QueryString: new("fields @message"),
			StartTime: new(ts/1000 - 10), EndTime: new(ts/1000 + 10)})
		if err != nil {
			t.Fatal(err)
		}
		return *out.QueryId
	}
	status := func(id string) logstypes.QueryStatus {
		t.Helper()
		out, err := a.GetQueryResults(ctx, &logstypes.GetQueryResultsRequest{QueryId: new(id)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Status
	}

	t.Run("stopped while scheduled", func(t *testing.T) {
		id := start()
		if s := status(id); s != logstypes.QueryStatusScheduled {
			t.Fatalf("status %s, want Scheduled (no runner)", s)
		}
		out, err := a.StopQuery(ctx, &logstypes.StopQueryRequest{QueryId: new(id)})
		if err != nil || !out.Success {
			t.Fatalf("StopQuery: %+v, %v", out, err)
		}
		a.runQuery(ctx, <-a.insights.queue) // a worker that picks it up leaves it cancelled
		if s := status(id); s != logstypes.QueryStatusCancelled {
			t.Fatalf("status %s, want Cancelled", s)
		}
	})

	t.Run("complete", func(t *testing.T) {
		id := start()
		a.runQuery(ctx, <-a.insights.queue)
		out, err := a.GetQueryResults(ctx, &logstypes.GetQueryResultsRequest{QueryId: new(id)})
		if err != nil || out.Status != logstypes.QueryStatusComplete || len(out.Results) != 1 || out.Statistics.RecordsScanned != 1 {
			t.Fatalf("results %+v, %v", out, err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		a.insights.timeout = time.Nanosecond
		defer func() { a.insights.timeout = queryTimeout }()
		id := start()
		a.runQuery(ctx, <-a.insights.queue)
		if s := status(id); s != logstypes.QueryStatusTimeout {
			t.Fatalf("status %s, want Timeout", s)
		}
	})

	t.Run("concurrency quota", func(t *testing.T) {
		for range maxActiveQueries {
			start()
		}
		_, err := a.StartQuery(ctx, &logstypes.StartQueryRequest{LogGroupName: new("g"), QueryString: new("fields @message"),
			StartTime: new(int64(0)), EndTime: new(int64(1))})
		if !awsapi.IsCode(err, "LimitExceededException") {
			t.Fatalf("query %d: %v, want LimitExceededException", maxActiveQueries+1, err)
		}
		for range maxActiveQueries {
			a.runQuery(ctx, <-a.insights.queue)
		}
	})

	t.Run("results are dropped after a day", func(t *testing.T) {
		id := start()
		a.runQuery(ctx, <-a.insights.queue)
		a.insights.mu.Lock()
		a.insights.trim(time.Now().Add(queryKeep + time.Minute))
		a.insights.mu.Unlock()
		_, err := a.GetQueryResults(ctx, &logstypes.GetQueryResultsRequest{QueryId: new(id)})
		if !awsapi.IsCode(err, "ResourceNotFoundException") {
			t.Fatalf("a day later: %v, want ResourceNotFoundException", err)
		}
	})
}

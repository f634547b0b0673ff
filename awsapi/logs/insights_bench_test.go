package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
)

// BenchmarkInsightsQuery prints how fast a query scans stored events: a
// stats by bin() over JSON fields and a filter with a sort and limit, over
// 100,000 events in four streams, read through the store in short
// transactions.
func BenchmarkInsightsQuery(b *testing.B) {
	a := New(openTestDB(b), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if _, err := a.CreateLogGroup(ctx, &logstypes.CreateLogGroupRequest{LogGroupName: new("g")}); err != nil {
		b.Fatal(err)
	}
	base := time.Now().Add(-2 * time.Hour).UnixMilli()
	const streams, perStream = 4, 25000
	for s := range streams {
		name := fmt.Sprint("s", s)
		if _, err := a.CreateLogStream(ctx, &logstypes.CreateLogStreamRequest{LogGroupName: new("g"), LogStreamName: new(name)}); err != nil {
			b.Fatal(err)
		}
		for from := 0; from < perStream; from += 5000 {
			in := &logstypes.PutLogEventsRequest{LogGroupName: new("g"), LogStreamName: new(name)}
			for i := from; i < from+5000; i++ {
				in.LogEvents = append(in.LogEvents, logstypes.InputLogEvent{Timestamp: new(base + int64(i)*100),
					Message: new(fmt.Sprintf(`{"level":"info","path":"/items/%d","status":%d,"latency":%d}`, i%50, 200+100*(i%7/6)*3, i%300))})
			}
			if _, err := a.PutLogEvents(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, q := range []string{
		`stats count(*) as n, avg(latency) as lat, pct(latency, 99) as p99 by bin(5m)`,
		`fields path, latency | filter status = 500 and latency > 250 | sort latency desc | limit 20`,
	} {
		b.Run(q[:5], func(b *testing.B) {
			events := 0
			for b.Loop() {
				out, err := a.StartQuery(ctx, &logstypes.StartQueryRequest{LogGroupName: new("g"), QueryString: new(q),
					StartTime: new(base / 1000), EndTime: new(base/1000 + 7200)})
				if err != nil {
					b.Fatal(err)
				}
				a.runQuery(ctx, <-a.insights.queue)
				res, _ := a.GetQueryResults(ctx, &logstypes.GetQueryResultsRequest{QueryId: out.QueryId})
				if res.Status != logstypes.QueryStatusComplete || len(res.Results) == 0 {
					b.Fatalf("%s: %d rows", res.Status, len(res.Results))
				}
				events += int(res.Statistics.RecordsScanned)
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

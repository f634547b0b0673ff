package logs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// BenchmarkPutLogEvents prints ingestion throughput through the whole API
// path (SDK client, HTTP, JSON, validation, one durable store commit per
// call) with full batches of 10,000 events of about 80 bytes, the bytes
// the logs store file takes per event, and how fast the stored events read
// back (GetLogEvents forward, FilterLogEvents with a JSON pattern).
func BenchmarkPutLogEvents(b *testing.B) {
	w := wharftest.Start(b)
	c, ctx := cwl.NewFromConfig(w.Config("us-east-1")), context.Background()
	g, s := aws.String("/bench"), aws.String("s")
	apitest.Must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: g}))(b)
	apitest.Must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: g, LogStreamName: s}))(b)
	const batch = 10000
	ts := time.Now().Add(-time.Hour).UnixMilli()
	in := &cwl.PutLogEventsInput{LogGroupName: g, LogStreamName: s, LogEvents: make([]types.InputLogEvent, batch)}
	events := 0
	b.ResetTimer()
	for b.Loop() {
		for i := range in.LogEvents {
			msg := fmt.Sprintf(`{"level":"info","msg":"request served","n":%d,"path":"/api/v1/items"}`, events)
			if events%10 == 0 {
				msg = fmt.Sprintf(`{"level":"error","msg":"request failed","n":%d,"path":"/api/v1/items"}`, events)
			}
			in.LogEvents[i] = types.InputLogEvent{Timestamp: aws.Int64(ts + int64(events/100)), Message: aws.String(msg)}
			events++
		}
		if _, err := c.PutLogEvents(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if st, err := os.Stat(filepath.Join(w.DataDir, "logs.db")); err == nil {
		b.ReportMetric(float64(st.Size())/float64(events), "file-bytes/event")
	}

	t0 := time.Now()
	read := 0
	p := cwl.NewGetLogEventsPaginator(c, &cwl.GetLogEventsInput{LogGroupName: g, LogStreamName: s, StartFromHead: aws.Bool(true)},
		func(o *cwl.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		read += len(apitest.Must(p.NextPage(ctx))(b).Events)
	}
	if read != events {
		b.Fatalf("read %d of %d events", read, events)
	}
	b.ReportMetric(float64(read)/time.Since(t0).Seconds(), "read-events/s")

	t0 = time.Now()
	matched := 0
	fp := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: g, FilterPattern: aws.String(`{ $.level = "error" }`)})
	for fp.HasMorePages() {
		matched += len(apitest.Must(fp.NextPage(ctx))(b).Events)
	}
	if matched != (events+9)/10 {
		b.Fatalf("filter matched %d, want %d", matched, (events+9)/10)
	}
	b.ReportMetric(float64(events)/time.Since(t0).Seconds(), "filtered-events/s")
}

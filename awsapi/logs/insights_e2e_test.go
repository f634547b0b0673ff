package logs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// waitQuery polls GetQueryResults (bounded) until the query has ended.
func waitQuery(t *testing.T, c *cwl.Client, id *string) *cwl.GetQueryResultsOutput {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out := apitest.Must(c.GetQueryResults(context.Background(), &cwl.GetQueryResultsInput{QueryId: id}))(t)
		switch out.Status {
		case types.QueryStatusScheduled, types.QueryStatusRunning:
			time.Sleep(20 * time.Millisecond)
			continue
		}
		return out
	}
	t.Fatalf("query %s did not end within 20s", aws.ToString(id))
	return nil
}

// rowsOf renders result rows as "a=1 b=2" lines, without @ptr.
func rowsOf(res [][]types.ResultField) []string {
	var out []string
	for _, row := range res {
		var fs []string
		for _, f := range row {
			if aws.ToString(f.Field) != "@ptr" {
				fs = append(fs, aws.ToString(f.Field)+"="+aws.ToString(f.Value))
			}
		}
		out = append(out, strings.Join(fs, " "))
	}
	return out
}

func TestInsightsQueries(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := logsClient(w, "us-east-1"), context.Background()
	setupStream(t, c, "/ecs/api", "api/app/1")
	setupStream(t, c, "/ecs/api", "api/app/2")
	setupStream(t, c, "/ecs/worker", "worker/1")
	// Three minutes of request logs from two tasks, starting on a minute.
	base := time.Now().Add(-time.Hour).Truncate(time.Minute).UnixMilli()
	var one, two []string
	for i := range 12 {
		status := 200
		if i%4 == 3 {
			status = 500
		}
		msg := fmt.Sprintf(`{"level":"info","path":"/items/%d","status":%d,"latency":%d}`, i, status, 10*(i+1))
		if i%2 == 0 {
			one = append(one, msg)
		} else {
			two = append(two, msg)
		}
	}
	put(t, c, "/ecs/api", "api/app/1", base, 30000, one...)       // 0s, 30s, … 150s
	put(t, c, "/ecs/api", "api/app/2", base+15000, 30000, two...) // 15s, 45s, … 165s
	put(t, c, "/ecs/worker", "worker/1", base, 1000, "[ERROR] job 7 failed: timeout after 30s", "[INFO] job 8 done in 12s")
	start, end := base/1000-60, base/1000+600

	query := func(t *testing.T, q string, groups ...string) *cwl.GetQueryResultsOutput {
		t.Helper()
		in := &cwl.StartQueryInput{QueryString: aws.String(q), StartTime: aws.Int64(start), EndTime: aws.Int64(end)}
		if len(groups) == 1 {
			in.LogGroupName = aws.String(groups[0])
		} else {
			in.LogGroupNames = groups
		}
		out := waitQuery(t, c, apitest.Must(c.StartQuery(ctx, in))(t).QueryId)
		if out.Status != types.QueryStatusComplete {
			t.Fatalf("status %s", out.Status)
		}
		return out
	}

	t.Run("stats by bin", func(t *testing.T) {
		out := query(t, `stats count(*) as requests, sum(status >= 500) as errors, avg(latency) as avgLatency by bin(1m) as minute`, "/ecs/api")
		want := []string{
			"minute=" + time.UnixMilli(base).UTC().Format("2006-01-02 15:04:05.000") + " requests=4 errors=1 avgLatency=25",
			"minute=" + time.UnixMilli(base+60000).UTC().Format("2006-01-02 15:04:05.000") + " requests=4 errors=1 avgLatency=65",
			"minute=" + time.UnixMilli(base+120000).UTC().Format("2006-01-02 15:04:05.000") + " requests=4 errors=1 avgLatency=105",
		}
		if got := rowsOf(out.Results); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		st := out.Statistics
		if st == nil || st.RecordsScanned != 12 || st.RecordsMatched != 12 || st.BytesScanned <= 0 {
			t.Fatalf("statistics %+v", st)
		}
	})

	t.Run("parse and sort", func(t *testing.T) {
		out := query(t, `parse path "/items/*" as item | filter status = 500 | sort latency desc | fields item, latency, @logStream`, "/ecs/api")
		want := []string{"item=11 latency=120 @logStream=api/app/2", "item=7 latency=80 @logStream=api/app/2", "item=3 latency=40 @logStream=api/app/2"}
		if got := rowsOf(out.Results); strings.Join(got, ";") != strings.Join(want, ";") {
			t.Fatalf("rows %q, want %q", got, want)
		}
		for _, row := range out.Results {
			if last := row[len(row)-1]; aws.ToString(last.Field) != "@ptr" || aws.ToString(last.Value) == "" {
				t.Fatalf("row without @ptr: %+v", row)
			}
		}
		// The pointer finds the whole record.
		ptr := out.Results[0][len(out.Results[0])-1].Value
		rec := apitest.Must(c.GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: ptr}))(t).LogRecord
		if rec["@logStream"] != "api/app/2" || rec["path"] != "/items/11" || rec["status"] != "500" ||
			rec["@log"] != "000000000000:/ecs/api" || !strings.Contains(rec["@message"], `"latency":120`) {
			t.Fatalf("log record %v", rec)
		}
		_, err := logsClient(w, "eu-west-1").GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: ptr})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: aws.String("bogus")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("several groups and a regex parse", func(t *testing.T) {
		out := query(t, `fields @log | parse @message /job (?<job>\d+) (?<outcome>failed|done)/ | filter ispresent(job) | sort job asc`,
			"/ecs/api", "/ecs/worker")
		want := []string{"@log=000000000000:/ecs/worker job=7 outcome=failed", "@log=000000000000:/ecs/worker job=8 outcome=done"}
		if got := rowsOf(out.Results); strings.Join(got, ";") != strings.Join(want, ";") {
			t.Fatalf("rows %q, want %q", got, want)
		}
	})

	t.Run("newest first with a limit", func(t *testing.T) {
		in := &cwl.StartQueryInput{LogGroupIdentifiers: []string{"arn:aws:logs:us-east-1:000000000000:log-group:/ecs/api"},
			QueryString: aws.String(`fields @timestamp, path | sort @timestamp desc`), StartTime: aws.Int64(start),
			EndTime: aws.Int64(end), Limit: aws.Int32(2)}
		out := waitQuery(t, c, apitest.Must(c.StartQuery(ctx, in))(t).QueryId)
		got := rowsOf(out.Results)
		if len(got) != 2 || !strings.HasSuffix(got[0], "path=/items/11") || !strings.HasSuffix(got[1], "path=/items/10") {
			t.Fatalf("rows %q", got)
		}
	})

	t.Run("time range", func(t *testing.T) {
		in := &cwl.StartQueryInput{LogGroupName: aws.String("/ecs/api"), QueryString: aws.String(`stats count(*) as n`),
			StartTime: aws.Int64(base/1000 + 60), EndTime: aws.Int64(base/1000 + 119)}
		out := waitQuery(t, c, apitest.Must(c.StartQuery(ctx, in))(t).QueryId)
		if got := rowsOf(out.Results); len(got) != 1 || got[0] != "n=4" {
			t.Fatalf("rows %q, want n=4 (the second minute, endTime inclusive)", got)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/ecs/api"), QueryString: aws.String(`fields a | bogus`),
			StartTime: aws.Int64(start), EndTime: aws.Int64(end)})
		apitest.WantCodeIn(t, err, "MalformedQueryException", "unknown command")
		_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/nope"), QueryString: aws.String(`fields a`),
			StartTime: aws.Int64(start), EndTime: aws.Int64(end)})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/ecs/api"), LogGroupNames: []string{"/ecs/api"},
			QueryString: aws.String(`fields a`), StartTime: aws.Int64(start), EndTime: aws.Int64(end)})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/ecs/api"), QueryString: aws.String(`fields a`),
			StartTime: aws.Int64(end), EndTime: aws.Int64(start)})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/ecs/api"), QueryString: aws.String(`SELECT 1`),
			QueryLanguage: types.QueryLanguageSql, StartTime: aws.Int64(start), EndTime: aws.Int64(end)})
		apitest.WantCodeIn(t, err, "InvalidParameterException", "queryLanguage SQL")
		_, err = c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String("no-such-query")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
	})

	t.Run("describe and stop", func(t *testing.T) {
		id := apitest.Must(c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/ecs/worker"),
			QueryString: aws.String(`fields @message`), StartTime: aws.Int64(start), EndTime: aws.Int64(end)}))(t).QueryId
		waitQuery(t, c, id)
		stop := apitest.Must(c.StopQuery(ctx, &cwl.StopQueryInput{QueryId: id}))(t)
		if stop.Success {
			t.Errorf("StopQuery of a complete query succeeded")
		}
		out := apitest.Must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{LogGroupName: aws.String("/ecs/worker")}))(t)
		if len(out.Queries) != 2 || aws.ToString(out.Queries[0].QueryId) != aws.ToString(id) ||
			out.Queries[0].Status != types.QueryStatusComplete {
			t.Fatalf("queries %+v", out.Queries)
		}
		all := apitest.Must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{MaxResults: aws.Int32(3)}))(t)
		if len(all.Queries) != 3 || all.NextToken == nil {
			t.Fatalf("first page %d queries, token %v", len(all.Queries), all.NextToken)
		}
		// Another region sees none of them.
		other := apitest.Must(logsClient(w, "eu-west-1").DescribeQueries(ctx, &cwl.DescribeQueriesInput{}))(t)
		if len(other.Queries) != 0 {
			t.Fatalf("eu-west-1 sees %d queries", len(other.Queries))
		}
	})
}

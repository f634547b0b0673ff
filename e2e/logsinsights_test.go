package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/apitest"
)

// TestInsightsFindsTaskOutput runs a task whose container prints numbered
// lines (every other one a JSON error line) to stdout; once awslogs has
// shipped them, Logs Insights queries over the group find them: a filter
// on a JSON field, a count by stream, and a parse of the plain lines.
func TestInsightsFindsTaskOutput(t *testing.T) {
	w, c, imgs := startCluster(t, "insights")
	logs, ctx := cwl.NewFromConfig(w.Config("us-east-1")), context.Background()
	group := "/ecs/insights"
	apitest.Must(logs.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, awslogsDef("lines", imgs.App,
		map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "q"},
		"-print", "10", "-print-interval", "10ms", "-exit-code", "0")))(t)
	start := time.Now().Add(-time.Minute).Unix()
	arn := runOne(t, c, "insights", "lines")
	waitTask(t, c, "insights", arn, 60*time.Second, "STOPPED", stopped)
	stream := "q/app/" + lastPart(arn)
	waitEvents(t, logs, group, stream, 11, 30*time.Second)

	query := func(q string) [][]cwltypes.ResultField {
		t.Helper()
		id := apitest.Must(logs.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String(group), QueryString: aws.String(q),
			StartTime: aws.Int64(start), EndTime: aws.Int64(time.Now().Add(time.Minute).Unix())}))(t).QueryId
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			out := apitest.Must(logs.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: id}))(t)
			switch out.Status {
			case cwltypes.QueryStatusComplete:
				return out.Results
			case cwltypes.QueryStatusScheduled, cwltypes.QueryStatusRunning:
				time.Sleep(50 * time.Millisecond)
			default:
				t.Fatalf("query %q: %s", q, out.Status)
			}
		}
		t.Fatalf("query %q did not complete within 20s", q)
		return nil
	}
	value := func(row []cwltypes.ResultField, field string) string {
		for _, f := range row {
			if aws.ToString(f.Field) == field {
				return aws.ToString(f.Value)
			}
		}
		return ""
	}

	errs := query(`fields @timestamp, msg, @logStream | filter level = "error" | sort n desc | limit 3`)
	if len(errs) != 3 {
		t.Fatalf("%d error rows, want 3: %+v", len(errs), errs)
	}
	for i, want := range []string{"testapp line 10", "testapp line 8", "testapp line 6"} {
		if got := value(errs[i], "msg"); got != want || value(errs[i], "@logStream") != stream || value(errs[i], "@ptr") == "" {
			t.Fatalf("row %d: %+v, want msg %q in %s", i, errs[i], want, stream)
		}
	}

	counts := query(`stats count(*) as lines by @logStream`)
	if len(counts) != 1 || value(counts[0], "lines") != "11" {
		t.Fatalf("counts %+v, want 11 lines (10 and the exit line)", counts)
	}

	plain := query(`filter @message like /^testapp line/ | parse @message "testapp line *" as num | stats count(*) as plain, max(num) as last`)
	if len(plain) != 1 || value(plain[0], "plain") != "5" || value(plain[0], "last") != "9" {
		t.Fatalf("plain lines %+v, want 5 up to line 9", plain)
	}
	if !strings.HasPrefix(value(errs[0], "@timestamp"), time.Now().UTC().Format("2006-01-02")[:4]) {
		t.Errorf("@timestamp %q", value(errs[0], "@timestamp"))
	}
}

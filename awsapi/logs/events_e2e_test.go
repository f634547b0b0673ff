package logs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// setupStream creates a group and stream.
func setupStream(t *testing.T, c *cwl.Client, group, stream string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		apitest.WantCode(t, err, "ResourceAlreadyExistsException")
	}
	apitest.Must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}))(t)
}

// put sends msgs with timestamps base, base+step, …
func put(t *testing.T, c *cwl.Client, group, stream string, base, step int64, msgs ...string) *cwl.PutLogEventsOutput {
	t.Helper()
	in := &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}
	for i, m := range msgs {
		in.LogEvents = append(in.LogEvents, types.InputLogEvent{Timestamp: aws.Int64(base + int64(i)*step), Message: aws.String(m)})
	}
	return apitest.Must(c.PutLogEvents(context.Background(), in))(t)
}

func messages[E any](evs []E, msg func(E) *string) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, aws.ToString(msg(e)))
	}
	return out
}

func outMsgs(evs []types.OutputLogEvent) []string {
	return messages(evs, func(e types.OutputLogEvent) *string { return e.Message })
}

func filteredMsgs(evs []types.FilteredLogEvent) []string {
	return messages(evs, func(e types.FilteredLogEvent) *string { return e.Message })
}

func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

func TestPutAndGetLogEvents(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := logsClient(w, "us-east-1"), context.Background()
	g, s := "/app", "main"
	setupStream(t, c, g, s)
	base := time.Now().Add(-time.Hour).UnixMilli()
	get := func(t *testing.T, in cwl.GetLogEventsInput) *cwl.GetLogEventsOutput {
		t.Helper()
		in.LogGroupName, in.LogStreamName = aws.String(g), aws.String(s)
		return apitest.Must(c.GetLogEvents(ctx, &in))(t)
	}

	out := put(t, c, g, s, base, 10, numbered("e", 1, 10)...)
	if out.NextSequenceToken == nil || out.RejectedLogEventsInfo != nil {
		t.Fatalf("put: %+v", out)
	}
	// Any sequence token is accepted (CloudWatch ignores them now).
	apitest.Must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String(s), SequenceToken: aws.String("bogus"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(base + 100), Message: aws.String("e11")}}}))(t)

	t.Run("newest first by default", func(t *testing.T) {
		out := get(t, cwl.GetLogEventsInput{Limit: aws.Int32(3)})
		if got := outMsgs(out.Events); fmt.Sprint(got) != "[e9 e10 e11]" {
			t.Fatalf("got %v", got)
		}
		if !strings.HasPrefix(aws.ToString(out.NextForwardToken), "f/") || !strings.HasPrefix(aws.ToString(out.NextBackwardToken), "b/") {
			t.Fatalf("tokens %s %s", aws.ToString(out.NextForwardToken), aws.ToString(out.NextBackwardToken))
		}
		if e := out.Events[0]; aws.ToInt64(e.Timestamp) != base+80 || e.IngestionTime == nil {
			t.Fatalf("event %+v", e)
		}
		// Backward pages walk to the head, then repeat the token.
		var all []string
		tok := out.NextBackwardToken
		for range 10 {
			page := get(t, cwl.GetLogEventsInput{Limit: aws.Int32(3), NextToken: tok})
			all = append(outMsgs(page.Events), all...)
			if aws.ToString(page.NextBackwardToken) == aws.ToString(tok) {
				break
			}
			tok = page.NextBackwardToken
		}
		if fmt.Sprint(all) != fmt.Sprint(numbered("e", 1, 8)) {
			t.Fatalf("backward pages %v", all)
		}
	})

	t.Run("from head, forward pages, same token at the end", func(t *testing.T) {
		var all []string
		out := get(t, cwl.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(4)})
		all = append(all, outMsgs(out.Events)...)
		tok := out.NextForwardToken
		for range 10 {
			page := get(t, cwl.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(4), NextToken: tok})
			all = append(all, outMsgs(page.Events)...)
			if aws.ToString(page.NextForwardToken) == aws.ToString(tok) {
				if len(page.Events) != 0 {
					t.Fatalf("same token with events %v", outMsgs(page.Events))
				}
				break
			}
			tok = page.NextForwardToken
		}
		if fmt.Sprint(all) != fmt.Sprint(numbered("e", 1, 11)) {
			t.Fatalf("forward pages %v", all)
		}
		// New events show up on the token that had reached the end.
		put(t, c, g, s, base+200, 1, "e12")
		page := get(t, cwl.GetLogEventsInput{StartFromHead: aws.Bool(true), NextToken: tok})
		if fmt.Sprint(outMsgs(page.Events)) != "[e12]" {
			t.Fatalf("after new event: %v", outMsgs(page.Events))
		}
	})

	t.Run("time range", func(t *testing.T) {
		out := get(t, cwl.GetLogEventsInput{StartFromHead: aws.Bool(true), StartTime: aws.Int64(base + 20), EndTime: aws.Int64(base + 50)})
		if fmt.Sprint(outMsgs(out.Events)) != "[e3 e4 e5]" {
			t.Fatalf("forward range %v", outMsgs(out.Events))
		}
		out = get(t, cwl.GetLogEventsInput{StartTime: aws.Int64(base + 20), EndTime: aws.Int64(base + 50), Limit: aws.Int32(2)})
		if fmt.Sprint(outMsgs(out.Events)) != "[e4 e5]" {
			t.Fatalf("backward range %v", outMsgs(out.Events))
		}
	})

	t.Run("late batch is merged in order", func(t *testing.T) {
		put(t, c, g, s, base+5, 10, "late1", "late2", "late3")
		out := get(t, cwl.GetLogEventsInput{StartFromHead: aws.Bool(true), EndTime: aws.Int64(base + 31)})
		if got := fmt.Sprint(outMsgs(out.Events)); got != "[e1 late1 e2 late2 e3 late3 e4]" {
			t.Fatalf("merged %s", got)
		}
	})

	t.Run("equal timestamps keep ingestion order", func(t *testing.T) {
		setupStream(t, c, g, "ties")
		put(t, c, g, "ties", base, 0, "a", "b")
		put(t, c, g, "ties", base, 0, "c")
		out := apitest.Must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("ties"), StartFromHead: aws.Bool(true)}))(t)
		if fmt.Sprint(outMsgs(out.Events)) != "[a b c]" {
			t.Fatalf("ties %v", outMsgs(out.Events))
		}
	})

	t.Run("rejected events", func(t *testing.T) {
		now := time.Now().UnixMilli()
		setupStream(t, c, g, "edges")
		batch := func(ts ...int64) *cwl.PutLogEventsInput {
			in := &cwl.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("edges")}
			for _, x := range ts {
				in.LogEvents = append(in.LogEvents, types.InputLogEvent{Timestamp: aws.Int64(x), Message: aws.String(fmt.Sprint(x))})
			}
			return in
		}
		_, err := c.PutLogEvents(ctx, batch(now-25*3600*1000, now))
		apitest.WantCode(t, err, "InvalidParameterException") // spans more than 24 hours
		r := apitest.Must(c.PutLogEvents(ctx, batch(now-15*24*3600*1000, now-15*24*3600*1000+1)))(t).RejectedLogEventsInfo
		if r == nil || aws.ToInt32(r.TooOldLogEventEndIndex) != 1 || r.TooNewLogEventStartIndex != nil || r.ExpiredLogEventEndIndex != nil {
			t.Fatalf("too old: %+v", r)
		}
		r = apitest.Must(c.PutLogEvents(ctx, batch(now-1000, now, now+3*3600*1000)))(t).RejectedLogEventsInfo
		if r == nil || aws.ToInt32(r.TooNewLogEventStartIndex) != 2 || r.TooOldLogEventEndIndex != nil || r.ExpiredLogEventEndIndex != nil {
			t.Fatalf("too new: %+v", r)
		}
		apitest.Must(c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String(g), RetentionInDays: aws.Int32(1)}))(t)
		r = apitest.Must(c.PutLogEvents(ctx, batch(now-30*3600*1000, now-10*3600*1000)))(t).RejectedLogEventsInfo
		apitest.Must(c.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String(g)}))(t)
		if r == nil || aws.ToInt32(r.ExpiredLogEventEndIndex) != 0 || r.TooOldLogEventEndIndex != nil || r.TooNewLogEventStartIndex != nil {
			t.Fatalf("expired: %+v", r)
		}
		got := apitest.Must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("edges"), StartFromHead: aws.Bool(true)}))(t)
		if want := fmt.Sprint([]string{fmt.Sprint(now - 10*3600*1000), fmt.Sprint(now - 1000), fmt.Sprint(now)}); fmt.Sprint(outMsgs(got.Events)) != want {
			t.Fatalf("stored %v, want %v", outMsgs(got.Events), want)
		}
	})

	t.Run("batch rules", func(t *testing.T) {
		_, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String(s),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(base + 2), Message: aws.String("b")}, {Timestamp: aws.Int64(base + 1), Message: aws.String("a")}}})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("nope"),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(base), Message: aws.String("a")}}})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("nope"), LogStreamName: aws.String(s),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(base), Message: aws.String("a")}}})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String(s),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(base), Message: aws.String(strings.Repeat("x", 300<<10))}}})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String(s), NextToken: aws.String("f/123")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("a full batch", func(t *testing.T) {
		setupStream(t, c, g, "big")
		now := time.Now().UnixMilli()
		in := &cwl.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("big")}
		for i := range 10000 {
			in.LogEvents = append(in.LogEvents, types.InputLogEvent{Timestamp: aws.Int64(now - 10000 + int64(i)), Message: aws.String(fmt.Sprintf("line %05d", i))})
		}
		apitest.Must(c.PutLogEvents(ctx, in))(t)
		var n int
		var last string
		p := cwl.NewGetLogEventsPaginator(c, &cwl.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("big"),
			StartFromHead: aws.Bool(true), Limit: aws.Int32(3000)}, func(o *cwl.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
		for p.HasMorePages() {
			page := apitest.Must(p.NextPage(ctx))(t)
			for _, e := range page.Events {
				if m := aws.ToString(e.Message); m <= last {
					t.Fatalf("out of order: %s after %s", m, last)
				} else {
					last = m
				}
				n++
			}
		}
		if n != 10000 {
			t.Fatalf("read %d events", n)
		}
	})
}

func TestFilterLogEvents(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := logsClient(w, "us-east-1"), context.Background()
	g := "/svc"
	base := time.Now().Add(-time.Hour).UnixMilli()
	setupStream(t, c, g, "web/1")
	setupStream(t, c, g, "web/2")
	setupStream(t, c, g, "db/1")
	put(t, c, g, "web/1", base, 10, "GET /a 200", `{"level":"error","code":500,"msg":"boom"}`, "GET /b 404")
	put(t, c, g, "web/2", base+5, 10, "POST /c 201", `{"level":"info","code":200}`, "ERROR [db] timeout")
	put(t, c, g, "db/1", base+1, 10, "checkpoint done", "ERRORS are plural", "[ERROR 500] INTERNAL SERVER ERROR")
	filter := func(t *testing.T, in cwl.FilterLogEventsInput) []string {
		t.Helper()
		in.LogGroupName = aws.String(g)
		return filteredMsgs(apitest.Must(c.FilterLogEvents(ctx, &in))(t).Events)
	}

	t.Run("interleaved by time", func(t *testing.T) {
		got := filter(t, cwl.FilterLogEventsInput{})
		want := []string{"GET /a 200", "checkpoint done", "POST /c 201", `{"level":"error","code":500,"msg":"boom"}`, "ERRORS are plural",
			`{"level":"info","code":200}`, "GET /b 404", "[ERROR 500] INTERNAL SERVER ERROR", "ERROR [db] timeout"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q", got)
		}
	})

	cases := []struct {
		name string
		in   cwl.FilterLogEventsInput
		want string
	}{
		{"term", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, "[[ERROR 500] INTERNAL SERVER ERROR ERROR [db] timeout]"},
		{"two terms", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR timeout")}, "[ERROR [db] timeout]"},
		{"phrase", cwl.FilterLogEventsInput{FilterPattern: aws.String(`"INTERNAL SERVER"`)}, "[[ERROR 500] INTERNAL SERVER ERROR]"},
		{"or", cwl.FilterLogEventsInput{FilterPattern: aws.String("?POST ?checkpoint")}, "[checkpoint done POST /c 201]"},
		{"exclude", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR -timeout")}, "[[ERROR 500] INTERNAL SERVER ERROR]"},
		{"json", cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.level = "error" }`)}, `[{"level":"error","code":500,"msg":"boom"}]`},
		{"json number", cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.code < 300 || $.level = "x" }`)}, `[{"level":"info","code":200}]`},
		{"regex", cwl.FilterLogEventsInput{FilterPattern: aws.String(`%ERRORS?%`)}, "[ERRORS are plural [ERROR 500] INTERNAL SERVER ERROR ERROR [db] timeout]"},
		{"stream prefix", cwl.FilterLogEventsInput{LogStreamNamePrefix: aws.String("db/"), FilterPattern: aws.String("done")}, "[checkpoint done]"},
		{"stream names", cwl.FilterLogEventsInput{LogStreamNames: []string{"web/2", "missing"}, StartTime: aws.Int64(base + 10)},
			`[{"level":"info","code":200} ERROR [db] timeout]`},
		{"time range", cwl.FilterLogEventsInput{StartTime: aws.Int64(base + 5), EndTime: aws.Int64(base + 11)}, `[POST /c 201 {"level":"error","code":500,"msg":"boom"} ERRORS are plural]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(filter(t, tc.in)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}

	t.Run("pages with stable event ids", func(t *testing.T) {
		var ids, msgs []string
		p := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: aws.String(g), Limit: aws.Int32(2)})
		for p.HasMorePages() {
			for _, e := range apitest.Must(p.NextPage(ctx))(t).Events {
				ids, msgs = append(ids, aws.ToString(e.EventId)), append(msgs, aws.ToString(e.Message))
			}
		}
		if len(msgs) != 9 || msgs[8] != "ERROR [db] timeout" {
			t.Fatalf("paged %q", msgs)
		}
		again := apitest.Must(c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(g)}))(t)
		for i, e := range again.Events {
			if aws.ToString(e.EventId) != ids[i] || len(ids[i]) != 56 {
				t.Fatalf("event %d id %s, first read %s", i, aws.ToString(e.EventId), ids[i])
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(g), FilterPattern: aws.String(`{ $.level = }`)})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(g), LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("a")})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("nope")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
	})
}

// TestRetentionExpiresEvents puts events ten days old, then a week's
// retention: the janitor (nudged by the policy) deletes them and keeps the
// recent ones.
func TestRetentionExpiresEvents(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := logsClient(w, "us-east-1"), context.Background()
	g, s := "/old", "s"
	setupStream(t, c, g, s)
	now := time.Now()
	put(t, c, g, s, now.Add(-10*24*time.Hour).UnixMilli(), 1, "old1", "old2")
	put(t, c, g, s, now.Add(-8*24*time.Hour).UnixMilli(), 1, "old3")
	put(t, c, g, s, now.Add(-time.Hour).UnixMilli(), 1, "new1", "new2")
	apitest.Must(c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String(g), RetentionInDays: aws.Int32(7)}))(t)
	deadline := time.Now().Add(10 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		out := apitest.Must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String(s), StartFromHead: aws.Bool(true)}))(t)
		if got = outMsgs(out.Events); fmt.Sprint(got) == "[new1 new2]" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if fmt.Sprint(got) != "[new1 new2]" {
		t.Fatalf("after retention: %v", got)
	}
	groups := apitest.Must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(g)}))(t)
	if b := aws.ToInt64(groups.LogGroups[0].StoredBytes); b != int64(len("new1new2")) {
		t.Fatalf("storedBytes %d after expiry", b)
	}
	// Events older than the retention are now refused as expired.
	out := put(t, c, g, s, now.Add(-9*24*time.Hour).UnixMilli(), 1, "too old")
	if r := out.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.ExpiredLogEventEndIndex) != 0 {
		t.Fatalf("rejected %+v", r)
	}
}

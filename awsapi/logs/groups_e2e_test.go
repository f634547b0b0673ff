package logs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func logsClient(w *wharftest.Wharf, region string) *cwl.Client {
	return apitest.Client(w, region, cwl.NewFromConfig)
}

func TestLogGroups(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := logsClient(w, "us-east-1"), context.Background()

	t.Run("create, duplicate, describe", func(t *testing.T) {
		apitest.Must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web"),
			Tags: map[string]string{"team": "a"}}))(t)
		_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")})
		apitest.WantCode(t, err, "ResourceAlreadyExistsException")
		out := apitest.Must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/")}))(t)
		if len(out.LogGroups) != 1 {
			t.Fatalf("groups %+v", out.LogGroups)
		}
		g := out.LogGroups[0]
		if got, want := aws.ToString(g.Arn), "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*"; got != want {
			t.Fatalf("arn %s, want %s", got, want)
		}
		if got, want := aws.ToString(g.LogGroupArn), "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"; got != want {
			t.Fatalf("logGroupArn %s, want %s", got, want)
		}
		if g.CreationTime == nil || g.RetentionInDays != nil || aws.ToInt64(g.StoredBytes) != 0 || g.LogGroupClass != types.LogGroupClassStandard {
			t.Fatalf("group %+v", g)
		}
	})

	t.Run("invalid name", func(t *testing.T) {
		_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("paging and pattern", func(t *testing.T) {
		for i := range 5 {
			apitest.Must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(fmt.Sprintf("app-%d", i))}))(t)
		}
		var names []string
		p := cwl.NewDescribeLogGroupsPaginator(c, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("app-"), Limit: aws.Int32(2)})
		pages := 0
		for p.HasMorePages() {
			out := apitest.Must(p.NextPage(ctx))(t)
			pages++
			for _, g := range out.LogGroups {
				names = append(names, aws.ToString(g.LogGroupName))
			}
		}
		if fmt.Sprint(names) != "[app-0 app-1 app-2 app-3 app-4]" || pages != 3 {
			t.Fatalf("%d pages: %v", pages, names)
		}
		out := apitest.Must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("p-3")}))(t)
		if len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].LogGroupName) != "app-3" {
			t.Fatalf("pattern: %+v", out.LogGroups)
		}
		_, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("a"), LogGroupNamePrefix: aws.String("a")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("retention", func(t *testing.T) {
		apitest.Must(c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/web"), RetentionInDays: aws.Int32(7)}))(t)
		out := apitest.Must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/web")}))(t)
		if aws.ToInt32(out.LogGroups[0].RetentionInDays) != 7 {
			t.Fatalf("retention %v", out.LogGroups[0].RetentionInDays)
		}
		_, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/web"), RetentionInDays: aws.Int32(2)})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("nope"), RetentionInDays: aws.Int32(1)})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		apitest.Must(c.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String("/ecs/web")}))(t)
		out = apitest.Must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/web")}))(t)
		if out.LogGroups[0].RetentionInDays != nil {
			t.Fatalf("retention %v after delete", *out.LogGroups[0].RetentionInDays)
		}
	})

	t.Run("tags", func(t *testing.T) {
		arn := "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"
		apitest.Must(c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "dev"}}))(t)
		tags := apitest.Must(c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(arn)}))(t).Tags
		if len(tags) != 2 || tags["team"] != "a" || tags["env"] != "dev" {
			t.Fatalf("tags %v", tags)
		}
		apitest.Must(c.UntagResource(ctx, &cwl.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}))(t)
		// The legacy operations are deprecated but served: old tools use them.
		//lint:ignore SA1019 testing the legacy operation on purpose
		apitest.Must(c.TagLogGroup(ctx, &cwl.TagLogGroupInput{LogGroupName: aws.String("/ecs/web"), Tags: map[string]string{"owner": "b"}}))(t)
		//lint:ignore SA1019 testing the legacy operation on purpose
		legacy := apitest.Must(c.ListTagsLogGroup(ctx, &cwl.ListTagsLogGroupInput{LogGroupName: aws.String("/ecs/web")}))(t).Tags
		if len(legacy) != 2 || legacy["env"] != "dev" || legacy["owner"] != "b" {
			t.Fatalf("legacy tags %v", legacy)
		}
		_, err := c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:nope")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"aws:x": "1"}})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("regions are separate", func(t *testing.T) {
		eu := logsClient(w, "eu-west-1")
		out := apitest.Must(eu.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{}))(t)
		if len(out.LogGroups) != 0 {
			t.Fatalf("eu-west-1 sees %+v", out.LogGroups)
		}
		apitest.Must(eu.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")}))(t)
		out = apitest.Must(eu.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{}))(t)
		if len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].Arn) != "arn:aws:logs:eu-west-1:000000000000:log-group:/ecs/web:*" {
			t.Fatalf("eu-west-1 groups %+v", out.LogGroups)
		}
	})

	t.Run("delete", func(t *testing.T) {
		apitest.Must(c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("app-0")}))(t)
		_, err := c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("app-0")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("app-0"), LogStreamName: aws.String("s")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
	})
}

func TestLogStreams(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := logsClient(w, "us-east-1"), context.Background()
	g := aws.String("/ecs/api")
	apitest.Must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: g}))(t)
	now := time.Now().UnixMilli()
	for i, name := range []string{"web/app/2", "web/app/1", "worker/app/3"} {
		apitest.Must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: g, LogStreamName: aws.String(name)}))(t)
		// The stream created first gets the newest event.
		apitest.Must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: g, LogStreamName: aws.String(name),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(now - int64(i)*1000), Message: aws.String("hello " + name)}}}))(t)
	}
	_, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: g, LogStreamName: aws.String("web/app/1")})
	apitest.WantCode(t, err, "ResourceAlreadyExistsException")
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: g, LogStreamName: aws.String("a:b")})
	apitest.WantCode(t, err, "InvalidParameterException")

	names := func(out *cwl.DescribeLogStreamsOutput) string {
		var n []string
		for _, s := range out.LogStreams {
			n = append(n, aws.ToString(s.LogStreamName))
		}
		return fmt.Sprint(n)
	}
	cases := []struct {
		name string
		in   cwl.DescribeLogStreamsInput
		want string
	}{
		{"by name", cwl.DescribeLogStreamsInput{}, "[web/app/1 web/app/2 worker/app/3]"},
		{"by name descending", cwl.DescribeLogStreamsInput{Descending: aws.Bool(true)}, "[worker/app/3 web/app/2 web/app/1]"},
		{"prefix", cwl.DescribeLogStreamsInput{LogStreamNamePrefix: aws.String("web/")}, "[web/app/1 web/app/2]"},
		{"by last event time", cwl.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime}, "[worker/app/3 web/app/1 web/app/2]"},
		{"by last event time descending", cwl.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)},
			"[web/app/2 web/app/1 worker/app/3]"},
		{"by group ARN", cwl.DescribeLogStreamsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/api"),
			LogStreamNamePrefix: aws.String("worker")}, "[worker/app/3]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.LogGroupIdentifier == nil {
				in.LogGroupName = g
			}
			if got := names(apitest.Must(c.DescribeLogStreams(ctx, &in))(t)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		var all []string
		p := cwl.NewDescribeLogStreamsPaginator(c, &cwl.DescribeLogStreamsInput{LogGroupName: g, Limit: aws.Int32(1),
			OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)})
		for p.HasMorePages() {
			out := apitest.Must(p.NextPage(ctx))(t)
			for _, s := range out.LogStreams {
				all = append(all, aws.ToString(s.LogStreamName))
			}
		}
		if fmt.Sprint(all) != "[web/app/2 web/app/1 worker/app/3]" {
			t.Fatalf("paged %v", all)
		}
	})

	t.Run("figures", func(t *testing.T) {
		out := apitest.Must(c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: g, LogStreamNamePrefix: aws.String("web/app/2")}))(t)
		s := out.LogStreams[0]
		//lint:ignore SA1019 CloudWatch reports 0 for streams; wharf reports the real figure
		stored := aws.ToInt64(s.StoredBytes)
		if aws.ToInt64(s.FirstEventTimestamp) != now || aws.ToInt64(s.LastEventTimestamp) != now || s.LastIngestionTime == nil ||
			stored != int64(len("hello web/app/2")) || s.CreationTime == nil {
			t.Fatalf("stream %+v", s)
		}
		if got, want := aws.ToString(s.Arn), "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/api:log-stream:web/app/2"; got != want {
			t.Fatalf("arn %s, want %s", got, want)
		}
		groups := apitest.Must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: g}))(t)
		if want := int64(2*len("hello web/app/2") + len("hello worker/app/3")); aws.ToInt64(groups.LogGroups[0].StoredBytes) != want {
			t.Fatalf("group storedBytes %d, want %d", aws.ToInt64(groups.LogGroups[0].StoredBytes), want)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: g, OrderBy: types.OrderByLastEventTime,
			LogStreamNamePrefix: aws.String("web")})
		apitest.WantCode(t, err, "InvalidParameterException")
		_, err = c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("nope")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: g, NextToken: aws.String("garbage")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})

	t.Run("delete stream", func(t *testing.T) {
		apitest.Must(c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: g, LogStreamName: aws.String("web/app/1")}))(t)
		_, err := c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: g, LogStreamName: aws.String("web/app/1")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: g, LogStreamName: aws.String("web/app/1")})
		apitest.WantCode(t, err, "ResourceNotFoundException")
		// A stream of the same name starts empty.
		apitest.Must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: g, LogStreamName: aws.String("web/app/1")}))(t)
		out := apitest.Must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: g, LogStreamName: aws.String("web/app/1")}))(t)
		if len(out.Events) != 0 {
			t.Fatalf("recreated stream has %d events", len(out.Events))
		}
	})
}

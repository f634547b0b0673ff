package eventbridge_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/wharfhq/wharf/internal/apitest"
)

func TestRules(t *testing.T) {
	_, c := apitest.Start(t, eventbridge.NewFromConfig)
	ctx := context.Background()

	arn := apitest.Must(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 3 * * ? *)"),
		Description: aws.String("batch"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}}))(t).RuleArn
	if aws.ToString(arn) != "arn:aws:events:us-east-1:000000000000:rule/nightly" {
		t.Fatalf("RuleArn = %s", aws.ToString(arn))
	}
	d := apitest.Must(c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")}))(t)
	if d.State != types.RuleStateEnabled || aws.ToString(d.EventBusName) != "default" || aws.ToString(d.ScheduleExpression) != "cron(0 3 * * ? *)" || aws.ToString(d.Description) != "batch" {
		t.Fatalf("DescribeRule: %+v", d)
	}

	for _, tc := range []struct {
		name string
		in   *eventbridge.PutRuleInput
		code string
	}{
		{"neither", &eventbridge.PutRuleInput{Name: aws.String("x")}, "ValidationException"},
		{"bad rate", &eventbridge.PutRuleInput{Name: aws.String("x"), ScheduleExpression: aws.String("rate(1 minutes)")}, "ValidationException"},
		{"at is not for rules", &eventbridge.PutRuleInput{Name: aws.String("x"), ScheduleExpression: aws.String("at(2030-01-01T00:00:00)")}, "ValidationException"},
		{"bad pattern", &eventbridge.PutRuleInput{Name: aws.String("x"), EventPattern: aws.String(`{"source":"aws.ecs"}`)}, "InvalidEventPatternException"},
		{"missing bus", &eventbridge.PutRuleInput{Name: aws.String("x"), EventPattern: aws.String(`{"source":["a"]}`), EventBusName: aws.String("nope")}, "ResourceNotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutRule(ctx, tc.in)
			apitest.WantCode(t, err, tc.code)
		})
	}

	for _, n := range []string{"app-a", "app-b", "other"} {
		apitest.Must(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(n), EventPattern: aws.String(`{"source":["app"]}`)}))(t)
	}
	var names []string
	var token *string
	for i := 0; i < 5; i++ {
		page := apitest.Must(c.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("app-"), Limit: aws.Int32(1), NextToken: token}))(t)
		for _, r := range page.Rules {
			names = append(names, aws.ToString(r.Name))
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	if strings.Join(names, ",") != "app-a,app-b" {
		t.Fatalf("ListRules by prefix, paged: %v", names)
	}

	apitest.Must(c.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("nightly")}))(t)
	if d := apitest.Must(c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")}))(t); d.State != types.RuleStateDisabled {
		t.Fatalf("after DisableRule: %s", d.State)
	}

	// Targets: a rule with targets cannot be deleted.
	pt := apitest.Must(c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nightly"), Targets: []types.Target{
		{Id: aws.String("job"), Arn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/batch"), RoleArn: aws.String("arn:aws:iam::000000000000:role/ecsEvents"),
			EcsParameters: &types.EcsParameters{TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:000000000000:task-definition/job:1"), TaskCount: aws.Int32(2),
				LaunchType: types.LaunchTypeFargate, PropagateTags: types.PropagateTagsTaskDefinition, Group: aws.String("nightly"),
				NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}, AssignPublicIp: types.AssignPublicIpDisabled}},
				Tags:                 []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}},
		{Id: aws.String("bad"), Arn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:x"), Input: aws.String("{")},
	}}))(t)
	if pt.FailedEntryCount != 1 || aws.ToString(pt.FailedEntries[0].TargetId) != "bad" {
		t.Fatalf("PutTargets: %+v", pt)
	}
	lt := apitest.Must(c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("nightly")}))(t).Targets
	if len(lt) != 1 || lt[0].EcsParameters == nil || aws.ToInt32(lt[0].EcsParameters.TaskCount) != 2 || lt[0].EcsParameters.LaunchType != types.LaunchTypeFargate ||
		lt[0].EcsParameters.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "subnet-1" || aws.ToString(lt[0].EcsParameters.Tags[0].Key) != "k" {
		t.Fatalf("ListTargetsByRule: %+v", lt)
	}
	byTarget := apitest.Must(c.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/batch")}))(t)
	if len(byTarget.RuleNames) != 1 || byTarget.RuleNames[0] != "nightly" {
		t.Fatalf("ListRuleNamesByTarget: %+v", byTarget.RuleNames)
	}
	_, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("nightly")})
	apitest.WantCodeIn(t, err, "ValidationException", "has targets")
	rt := apitest.Must(c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("nightly"), Ids: []string{"job", "ghost"}}))(t)
	if rt.FailedEntryCount != 1 || aws.ToString(rt.FailedEntries[0].TargetId) != "ghost" {
		t.Fatalf("RemoveTargets: %+v", rt)
	}
	apitest.Must(c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("nightly")}))(t)
	_, err = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")})
	apitest.WantCode(t, err, "ResourceNotFoundException")

	// Tags on a rule.
	ruleARN := "arn:aws:events:us-east-1:000000000000:rule/app-a"
	apitest.Must(c.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: aws.String(ruleARN), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}))(t)
	if tags := apitest.Must(c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(ruleARN)}))(t).Tags; len(tags) != 1 {
		t.Fatalf("tags: %+v", tags)
	}
}

func TestBusesAndPatterns(t *testing.T) {
	_, c := apitest.Start(t, eventbridge.NewFromConfig)
	ctx := context.Background()
	bus := apitest.Must(c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")}))(t)
	if aws.ToString(bus.EventBusArn) != "arn:aws:events:us-east-1:000000000000:event-bus/orders" {
		t.Fatalf("EventBusArn = %s", aws.ToString(bus.EventBusArn))
	}
	_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")})
	apitest.WantCode(t, err, "ResourceAlreadyExistsException")
	buses := apitest.Must(c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{}))(t).EventBuses
	if len(buses) != 2 || aws.ToString(buses[0].Name) != "default" || aws.ToString(buses[1].Name) != "orders" {
		t.Fatalf("ListEventBuses: %+v", buses)
	}
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("s"), ScheduleExpression: aws.String("rate(5 minutes)"), EventBusName: aws.String("orders")})
	apitest.WantCodeIn(t, err, "ValidationException", "default event bus")
	arn := apitest.Must(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("big"), EventPattern: aws.String(`{"detail":{"n":[{"numeric":[">",5]}]}}`), EventBusName: aws.String("orders")}))(t).RuleArn
	if aws.ToString(arn) != "arn:aws:events:us-east-1:000000000000:rule/orders/big" {
		t.Fatalf("RuleArn on a custom bus = %s", aws.ToString(arn))
	}
	apitest.Must(c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("orders")}))(t)
	_, err = c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("orders")})
	apitest.WantCode(t, err, "ResourceNotFoundException")

	event := `{"id":"1","account":"000000000000","source":"app","time":"2026-01-01T00:00:00Z","region":"us-east-1","detail-type":"t","detail":{"n":7}}`
	for _, tc := range []struct {
		name, pattern string
		want          bool
	}{
		{"numeric match", `{"detail":{"n":[{"numeric":[">",5]}]}}`, true},
		{"prefix miss", `{"source":[{"prefix":"zz"}]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := apitest.Must(c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(tc.pattern), Event: aws.String(event)}))(t).Result
			if got != tc.want {
				t.Fatalf("Result = %v, want %v", got, tc.want)
			}
		})
	}
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"a":[{"bogus":1}]}`), Event: aws.String(event)})
	apitest.WantCode(t, err, "InvalidEventPatternException")
}

// PutEvents delivers a matching event to a log group target, transformed;
// entry-level errors are reported in place.
func TestPutEventsToLogGroup(t *testing.T) {
	w, c := apitest.Start(t, eventbridge.NewFromConfig)
	logs := apitest.Client(w, "us-east-1", cloudwatchlogs.NewFromConfig)
	ctx := context.Background()
	apitest.Must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/events/orders")}))(t)
	apitest.Must(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"), EventPattern: aws.String(`{"source":["shop"],"detail":{"total":[{"numeric":[">=",100]}]}}`)}))(t)
	apitest.Must(c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []types.Target{
		{Id: aws.String("raw"), Arn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/events/orders")},
		{Id: aws.String("shaped"), Arn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/events/orders:*"),
			InputTransformer: &types.InputTransformer{InputPathsMap: map[string]string{"total": "$.detail.total", "who": "$.detail.customer"},
				InputTemplate: aws.String(`{"customer":"<who>","total":<total>,"rule":"<aws.events.rule-name>"}`)}},
	}}))(t)

	out := apitest.Must(c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"total":250,"customer":"ann"}`)},
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"total":5,"customer":"bob"}`)},
		{Source: aws.String("aws.ecs"), DetailType: aws.String("x"), Detail: aws.String(`{}`)},
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`not json`)},
	}}))(t)
	if out.FailedEntryCount != 2 || aws.ToString(out.Entries[0].EventId) == "" || aws.ToString(out.Entries[2].ErrorCode) != "NotAuthorizedForSourceException" ||
		aws.ToString(out.Entries[3].ErrorCode) != "MalformedDetail" {
		t.Fatalf("PutEvents: %+v", out)
	}
	var msgs []string
	deadline := time.Now().Add(10 * time.Second)
	for len(msgs) < 2 && time.Now().Before(deadline) {
		evs := apitest.Must(logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/events/orders")}))(t).Events
		msgs = msgs[:0]
		for _, e := range evs {
			msgs = append(msgs, aws.ToString(e.Message))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(msgs) != 2 {
		t.Fatalf("log events: %q", msgs)
	}
	var raw, shaped map[string]any
	for _, m := range msgs {
		var v map[string]any
		if err := json.Unmarshal([]byte(m), &v); err != nil {
			t.Fatalf("log event %q is not JSON: %v", m, err)
		}
		if _, ok := v["detail-type"]; ok {
			raw = v
		} else {
			shaped = v
		}
	}
	if raw == nil || raw["source"] != "shop" || raw["id"] != aws.ToString(out.Entries[0].EventId) || raw["account"] != "000000000000" {
		t.Fatalf("raw event: %v", raw)
	}
	if shaped == nil || shaped["customer"] != "ann" || shaped["total"] != 250.0 || shaped["rule"] != "orders" {
		t.Fatalf("transformed event: %v", shaped)
	}
}

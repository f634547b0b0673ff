package eventbridge

import (
	"testing"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
)

func TestTargetInput(t *testing.T) {
	const eventJSON = `{"id":"e1","source":"shop","time":"2026-01-01T00:00:00Z","detail":{"who":"ann \"A\"","n":3,"tags":["a","b"],"meta":{"k":"v"}}}`
	event, err := decodeObject(eventJSON)
	if err != nil {
		t.Fatal(err)
	}
	tr := func(paths map[string]string, tmpl string) eventbridgetypes.Target {
		return eventbridgetypes.Target{InputTransformer: &eventbridgetypes.InputTransformer{InputPathsMap: paths, InputTemplate: &tmpl}}
	}
	for _, tc := range []struct {
		name   string
		target eventbridgetypes.Target
		want   string
	}{
		{"the event", eventbridgetypes.Target{}, eventJSON},
		{"constant input", eventbridgetypes.Target{Input: new(`{"a":1}`)}, `{"a":1}`},
		{"input path object", eventbridgetypes.Target{InputPath: new("$.detail.meta")}, `{"k":"v"}`},
		{"input path array element", eventbridgetypes.Target{InputPath: new("$.detail.tags[1]")}, `"b"`},
		{"input path nowhere", eventbridgetypes.Target{InputPath: new("$.detail.nope")}, `null`},
		{"template, string in quotes", tr(map[string]string{"who": "$.detail.who"}, `{"w":"<who>"}`), `{"w":"ann \"A\""}`},
		{"template, number bare", tr(map[string]string{"n": "$.detail.n"}, `{"n":<n>}`), `{"n":3}`},
		{"template, object bare", tr(map[string]string{"m": "$.detail.meta"}, `{"m":<m>}`), `{"m":{"k":"v"}}`},
		{"template, text", tr(map[string]string{"who": "$.detail.who"}, `hello <who>`), `hello ann "A"`},
		{"template, missing path", tr(map[string]string{"x": "$.detail.nope"}, `{"x":"<x>"}`), `{"x":""}`},
		{"template, reserved names", tr(nil, `<aws.events.rule-name> <aws.events.rule-arn>`), `r arn:r`},
		{"template, unknown placeholder kept", tr(nil, `a <b> c`), `a <b> c`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := targetInput(&tc.target, event, eventJSON, "r", "arn:r"); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCheckTarget(t *testing.T) {
	ecs := "arn:aws:ecs:us-east-1:000000000000:cluster/c"
	for _, tc := range []struct {
		name string
		t    eventbridgetypes.Target
		ok   bool
	}{
		{"plain", eventbridgetypes.Target{Id: new("a"), Arn: new("arn:aws:logs:us-east-1:000000000000:log-group:g")}, true},
		{"two inputs", eventbridgetypes.Target{Id: new("a"), Arn: new("x"), Input: new("{}"), InputPath: new("$")}, false},
		{"input not JSON", eventbridgetypes.Target{Id: new("a"), Arn: new("x"), Input: new("{")}, false},
		{"bad path", eventbridgetypes.Target{Id: new("a"), Arn: new("x"), InputPath: new("detail")}, false},
		{"ECS without parameters", eventbridgetypes.Target{Id: new("a"), Arn: &ecs}, false},
		{"ECS", eventbridgetypes.Target{Id: new("a"), Arn: &ecs, EcsParameters: &eventbridgetypes.EcsParameters{TaskDefinitionArn: new("td")}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := checkTarget(tc.t); (msg == "") != tc.ok {
				t.Fatalf("checkTarget = %q, want ok=%v", msg, tc.ok)
			}
		})
	}
}

func TestRunTaskRequest(t *testing.T) {
	p := &eventbridgetypes.EcsParameters{TaskDefinitionArn: new("job"), TaskCount: new(int32(3)), LaunchType: eventbridgetypes.LaunchTypeFargate,
		NetworkConfiguration: &eventbridgetypes.NetworkConfiguration{AwsvpcConfiguration: &eventbridgetypes.AwsVpcConfiguration{Subnets: []string{"s"}, AssignPublicIp: eventbridgetypes.AssignPublicIpEnabled}},
		Group:                new("g"), PropagateTags: eventbridgetypes.PropagateTagsTaskDefinition, Tags: []eventbridgetypes.Tag{{Key: new("k"), Value: new("v")}}}
	req, err := runTaskRequest("arn:c", p, "events-rule/r", `{"containerOverrides":[{"name":"app","command":["x"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if *req.Cluster != "arn:c" || *req.Count != 3 || req.LaunchType != "FARGATE" || *req.StartedBy != "events-rule/r" || *req.Group != "g" ||
		req.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "s" || req.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != "ENABLED" ||
		req.PropagateTags != "TASK_DEFINITION" || *req.Tags[0].Key != "k" || req.Overrides == nil || req.Overrides.ContainerOverrides[0].Command[0] != "x" {
		t.Fatalf("RunTask request: %+v", req)
	}
	if req, _ := runTaskRequest("arn:c", p, "events-rule/r", `{"version":"0","detail":{}}`); req.Overrides != nil {
		t.Fatalf("an event became overrides: %+v", req.Overrides)
	}
}

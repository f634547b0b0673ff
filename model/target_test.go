package model_test

import (
	"encoding/json"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/model"
)

// Both services' EcsParameters, member for member the same, make the same
// RunTask request.
func TestTargetRunTask(t *testing.T) {
	want := &ecstypes.RunTaskRequest{
		Cluster: new("arn:c"), TaskDefinition: new("job:3"), Count: new(int32(2)), LaunchType: ecstypes.LaunchTypeFargate,
		PlatformVersion: new("LATEST"), Group: new("g"), PropagateTags: ecstypes.PropagateTagsTaskDefinition,
		ReferenceId: new("ref"), StartedBy: new("by"), EnableExecuteCommand: true,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"s1"}, SecurityGroups: []string{"sg"}, AssignPublicIp: ecstypes.AssignPublicIpEnabled}},
		CapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: new("FARGATE"), Weight: 2, Base: 1}},
		PlacementConstraints:     []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: new("attribute:x == y")}},
		PlacementStrategy:        []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeSpread, Field: new("instanceId")}},
		Tags:                     []ecstypes.Tag{{Key: new("k"), Value: new("v")}},
	}
	tags := []ecstypes.Tag{{Key: new("k"), Value: new("v")}}
	tests := []struct {
		name   string
		params any
	}{
		{name: "EventBridge", params: &eventbridgetypes.EcsParameters{
			TaskDefinitionArn: new("job:3"), TaskCount: new(int32(2)), LaunchType: eventbridgetypes.LaunchTypeFargate,
			PlatformVersion: new("LATEST"), Group: new("g"), PropagateTags: eventbridgetypes.PropagateTagsTaskDefinition,
			ReferenceId: new("ref"), EnableExecuteCommand: true,
			NetworkConfiguration: &eventbridgetypes.NetworkConfiguration{AwsvpcConfiguration: &eventbridgetypes.AwsVpcConfiguration{
				Subnets: []string{"s1"}, SecurityGroups: []string{"sg"}, AssignPublicIp: eventbridgetypes.AssignPublicIpEnabled}},
			CapacityProviderStrategy: []eventbridgetypes.CapacityProviderStrategyItem{{CapacityProvider: new("FARGATE"), Weight: 2, Base: 1}},
			PlacementConstraints:     []eventbridgetypes.PlacementConstraint{{Type: eventbridgetypes.PlacementConstraintTypeMemberOf, Expression: new("attribute:x == y")}},
			PlacementStrategy:        []eventbridgetypes.PlacementStrategy{{Type: eventbridgetypes.PlacementStrategyTypeSpread, Field: new("instanceId")}},
			Tags:                     []eventbridgetypes.Tag{{Key: new("ignored"), Value: new("passed converted")}},
		}},
		{name: "Scheduler", params: &schedulertypes.EcsParameters{
			TaskDefinitionArn: new("job:3"), TaskCount: new(int32(2)), LaunchType: schedulertypes.LaunchTypeFargate,
			PlatformVersion: new("LATEST"), Group: new("g"), PropagateTags: schedulertypes.PropagateTagsTaskDefinition,
			ReferenceId: new("ref"), EnableExecuteCommand: new(true),
			NetworkConfiguration: &schedulertypes.NetworkConfiguration{AwsvpcConfiguration: &schedulertypes.AwsVpcConfiguration{
				Subnets: []string{"s1"}, SecurityGroups: []string{"sg"}, AssignPublicIp: schedulertypes.AssignPublicIpEnabled}},
			CapacityProviderStrategy: []schedulertypes.CapacityProviderStrategyItem{{CapacityProvider: new("FARGATE"), Weight: 2, Base: 1}},
			PlacementConstraints:     []schedulertypes.PlacementConstraint{{Type: schedulertypes.PlacementConstraintTypeMemberOf, Expression: new("attribute:x == y")}},
			PlacementStrategy:        []schedulertypes.PlacementStrategy{{Type: schedulertypes.PlacementStrategyTypeSpread, Field: new("instanceId")}},
			Tags:                     []map[string]string{{"ignored": "passed converted"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := model.TargetRunTask("arn:c", tc.params, tags, "by", `{"version":"0","detail":{}}`)
			if err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Fatalf("RunTask request\n got %s\nwant %s", g, w)
			}
		})
	}
}

func TestTargetRunTaskOverrides(t *testing.T) {
	tests := []struct {
		name, input string
		overrides   bool
	}{
		{name: "container overrides", input: `{"containerOverrides":[{"name":"app","command":["x"]}]}`, overrides: true},
		{name: "ephemeral storage", input: `{"ephemeralStorage":{"sizeInGiB":30}}`, overrides: true},
		{name: "an event", input: `{"version":"0","detail":{}}`},
		{name: "not JSON", input: `hello`},
		{name: "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := model.TargetRunTask("arn:c", &schedulertypes.EcsParameters{TaskDefinitionArn: new("job")}, nil, "by", tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if (req.Overrides != nil) != tc.overrides || *req.Count != 1 {
				t.Fatalf("overrides %+v count %d, want overrides %v count 1", req.Overrides, *req.Count, tc.overrides)
			}
		})
	}
}

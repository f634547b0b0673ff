package model

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// targetParams is an EventBridge rule's or a Scheduler schedule's ECS
// target (their EcsParameters) in RunTask's types. The two services'
// models give EcsParameters the same members, each in types of its own
// package, and the shapes nested in them carry RunTask's member names; so
// either decodes into this from its JSON (member names match regardless of
// case, as encoding/json reads them), and one conversion serves both.
// Tags are left out: the services shape them differently (a list of
// key/value pairs, a list of maps) and pass them converted.
type targetParams struct {
	TaskDefinitionArn        *string
	TaskCount                *int32
	LaunchType               ecstypes.LaunchType
	NetworkConfiguration     *ecstypes.NetworkConfiguration
	PlatformVersion          *string
	Group                    *string
	CapacityProviderStrategy []ecstypes.CapacityProviderStrategyItem
	EnableECSManagedTags     bool
	EnableExecuteCommand     bool
	PlacementConstraints     []ecstypes.PlacementConstraint
	PlacementStrategy        []ecstypes.PlacementStrategy
	PropagateTags            ecstypes.PropagateTags
	ReferenceId              *string
}

// TargetRunTask is the RunTask an ECS target of EventBridge or Scheduler
// makes on cluster: params is the target's EcsParameters (either
// service's), tags its tags in ECS's shape. An input that is a JSON object
// of task overrides (containerOverrides, cpu, …) overrides the task; any
// other input (an event) does not.
func TargetRunTask(cluster string, params any, tags []ecstypes.Tag, startedBy, input string) (*ecstypes.RunTaskRequest, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("ECS target parameters: %w", err)
	}
	var p targetParams
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("ECS target parameters: %w", err)
	}
	count := int32(1)
	if p.TaskCount != nil {
		count = *p.TaskCount
	}
	req := &ecstypes.RunTaskRequest{
		Cluster: new(cluster), TaskDefinition: p.TaskDefinitionArn, Count: &count,
		LaunchType: p.LaunchType, PlatformVersion: p.PlatformVersion, Group: p.Group,
		PropagateTags: p.PropagateTags, ReferenceId: p.ReferenceId, StartedBy: new(startedBy),
		EnableECSManagedTags: p.EnableECSManagedTags, EnableExecuteCommand: p.EnableExecuteCommand,
		CapacityProviderStrategy: p.CapacityProviderStrategy, PlacementConstraints: p.PlacementConstraints,
		PlacementStrategy: p.PlacementStrategy, Tags: tags,
	}
	if n := p.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		req.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: n.AwsvpcConfiguration}
	}
	var ov ecstypes.TaskOverride
	if strings.HasPrefix(strings.TrimSpace(input), "{") && json.Unmarshal([]byte(input), &ov) == nil && overridesAnything(ov) {
		req.Overrides = &ov
	}
	return req, nil
}

// overridesAnything reports whether ov overrides anything (an event
// decoded as overrides leaves them all empty).
func overridesAnything(ov ecstypes.TaskOverride) bool {
	return len(ov.ContainerOverrides) > 0 || ov.Cpu != nil || ov.Memory != nil || ov.TaskRoleArn != nil ||
		ov.ExecutionRoleArn != nil || ov.EphemeralStorage != nil
}

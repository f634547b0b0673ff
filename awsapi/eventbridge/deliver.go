package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
)

// delivery is one event on its way to a rule's target, decoded.
type delivery struct {
	sc        model.Scope
	rule      string
	ruleARN   string
	event     map[string]any
	eventJSON string
}

func (a *API) invoke(ctx context.Context, d delivery, t *eventbridgetypes.Target, input string) error {
	arn := awsapi.Deref(t.Arn)
	switch {
	case strings.HasPrefix(arn, "arn:aws:ecs:") && strings.Contains(arn, ":cluster/"):
		if a.tasks == nil || t.EcsParameters == nil {
			return permanent{errors.New("ECS targets are not served")}
		}
		req := runTaskRequest(arn, t.EcsParameters, "events-rule/"+d.rule, input)
		_, err := a.RunTaskAs(ctx, d.sc, req)
		return err
	case strings.HasPrefix(arn, "arn:aws:logs:"):
		if a.logs == nil {
			return permanent{errors.New("CloudWatch Logs is not served")}
		}
		group, ok := logGroupOf(arn)
		if !ok {
			return permanent{fmt.Errorf("%s is not a log group ARN", arn)}
		}
		at, _ := time.Parse(time.RFC3339, fmt.Sprint(d.event["time"]))
		// EventBridge writes each event to a stream named after its id.
		return a.logs.WriteEvent(ctx, d.sc, group, fmt.Sprint(d.event["id"]), at, input)
	}
	return permanent{fmt.Errorf("wharf does not deliver to %s targets", arn)}
}

// RunTaskAs runs req with wharf's ECS in scope sc; a RunTask that places
// nothing is an error naming the failures.
func (a *API) RunTaskAs(ctx context.Context, sc model.Scope, req *ecstypes.RunTaskRequest) (*ecstypes.RunTaskResponse, error) {
	ctx = awsapi.WithRequest(ctx, &awsapi.Request{ID: awsapi.NewRequestID(), Account: sc.Account, Region: sc.Region, Operation: "RunTask"})
	resp, err := a.tasks.RunTask(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(resp.Tasks) == 0 && len(resp.Failures) > 0 {
		return resp, fmt.Errorf("RunTask placed no task: %s", awsapi.Deref(resp.Failures[0].Reason))
	}
	return resp, nil
}

// logGroupOf reads arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*].
func logGroupOf(arn string) (string, bool) {
	_, rest, ok := strings.Cut(arn, ":log-group:")
	if !ok || rest == "" {
		return "", false
	}
	return strings.TrimSuffix(rest, ":*"), true
}

// runTaskRequest is the RunTask an ECS target makes. Its input, when a
// JSON object, is the task's overrides (containerOverrides, cpu, …) as
// EventBridge passes it.
func runTaskRequest(cluster string, p *eventbridgetypes.EcsParameters, startedBy, input string) *ecstypes.RunTaskRequest {
	count := int32(1)
	if p.TaskCount != nil {
		count = *p.TaskCount
	}
	req := &ecstypes.RunTaskRequest{
		Cluster: new(cluster), TaskDefinition: p.TaskDefinitionArn, Count: &count,
		LaunchType: ecstypes.LaunchType(p.LaunchType), PlatformVersion: p.PlatformVersion, Group: p.Group,
		PropagateTags: ecstypes.PropagateTags(p.PropagateTags), ReferenceId: p.ReferenceId, StartedBy: new(startedBy),
		EnableECSManagedTags: p.EnableECSManagedTags, EnableExecuteCommand: p.EnableExecuteCommand,
	}
	if n := p.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		v := n.AwsvpcConfiguration
		req.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: v.Subnets, SecurityGroups: v.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIp(v.AssignPublicIp)}}
	}
	for _, s := range p.CapacityProviderStrategy {
		req.CapacityProviderStrategy = append(req.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{CapacityProvider: s.CapacityProvider, Weight: s.Weight, Base: s.Base})
	}
	for _, c := range p.PlacementConstraints {
		req.PlacementConstraints = append(req.PlacementConstraints, ecstypes.PlacementConstraint{Type: ecstypes.PlacementConstraintType(c.Type), Expression: c.Expression})
	}
	for _, s := range p.PlacementStrategy {
		req.PlacementStrategy = append(req.PlacementStrategy, ecstypes.PlacementStrategy{Type: ecstypes.PlacementStrategyType(s.Type), Field: s.Field})
	}
	for _, t := range p.Tags {
		req.Tags = append(req.Tags, ecstypes.Tag{Key: t.Key, Value: t.Value})
	}
	var ov ecstypes.TaskOverride
	if strings.HasPrefix(strings.TrimSpace(input), "{") && json.Unmarshal([]byte(input), &ov) == nil && overrides(ov) {
		req.Overrides = &ov
	}
	return req
}

// overrides reports whether ov overrides anything (an event decoded as
// overrides leaves them all empty).
func overrides(ov ecstypes.TaskOverride) bool {
	return len(ov.ContainerOverrides) > 0 || ov.Cpu != nil || ov.Memory != nil || ov.TaskRoleArn != nil ||
		ov.ExecutionRoleArn != nil || ov.EphemeralStorage != nil
}

package eventbridge

import (
	"context"
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
		req, err := runTaskRequest(arn, t.EcsParameters, "events-rule/"+d.rule, input)
		if err != nil {
			return permanent{err}
		}
		_, err = a.RunTaskAs(ctx, d.sc, req)
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

// runTaskRequest is the RunTask an ECS target makes (model.TargetRunTask,
// shared with Scheduler); its input, when a JSON object, is the task's
// overrides as EventBridge passes it.
func runTaskRequest(cluster string, p *eventbridgetypes.EcsParameters, startedBy, input string) (*ecstypes.RunTaskRequest, error) {
	var tags []ecstypes.Tag
	for _, t := range p.Tags {
		tags = append(tags, ecstypes.Tag{Key: t.Key, Value: t.Value})
	}
	return model.TargetRunTask(cluster, p, tags, startedBy, input)
}

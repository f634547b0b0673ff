package ecs

import (
	"context"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// What ECS asks of IAM beyond the front door's check of the call itself.

// passedToService is iam:PassedToService for the roles a task uses.
const passedToService = "ecs-tasks.amazonaws.com"

// checkPassRole asks whether the caller may pass the roles of the task
// definition ref (and of overrides, for RunTask and StartTask) to ECS:
// launching a task, or a service or task set that launches tasks, hands
// its task and execution roles to ECS, which needs iam:PassRole on each
// (ECS developer guide, "Task IAM role" and "Task execution IAM role").
// RegisterTaskDefinition passes nothing: it only names the roles. A task
// definition that cannot be read is left to the launch to report in its
// own words.
func (a *API) checkPassRole(ctx context.Context, ref string, overrides *ecstypes.TaskOverride) error {
	if ref == "" {
		return nil
	}
	sc := awsapi.ScopeOf(ctx)
	var roles []string
	add := func(r *string) {
		arn := derefStr(r)
		if arn == "" {
			return
		}
		if !strings.HasPrefix(arn, "arn:") {
			// ECS accepts a role's name; IAM judges its ARN.
			arn = "arn:aws:iam::" + sc.Account + ":role/" + arn
		}
		for _, have := range roles {
			if have == arn {
				return
			}
		}
		roles = append(roles, arn)
	}
	if err := a.DB.View(ctx, func(tx store.ReadTx) error {
		rec, err := findTaskDef(tx, sc, ref)
		if err != nil {
			return nil
		}
		task, exec := rec.TaskDefinition.TaskRoleArn, rec.TaskDefinition.ExecutionRoleArn
		if overrides != nil && overrides.TaskRoleArn != nil {
			task = overrides.TaskRoleArn
		}
		if overrides != nil && overrides.ExecutionRoleArn != nil {
			exec = overrides.ExecutionRoleArn
		}
		add(task)
		add(exec)
		return nil
	}); err != nil {
		return err
	}
	if len(roles) == 0 {
		return nil
	}
	return awsapi.Authorize(ctx, "iam:PassRole", roles, map[string][]string{"iam:PassedToService": {passedToService}})
}

// ResourceTags is the authorizer's tag lookup (awsapi.TagLookup) for
// ECS's resources: clusters, services, tasks, task definitions and
// capacity providers, for the aws:ResourceTag/KEY and ecs:ResourceTag/KEY
// condition keys. A resource that does not exist (yet) has no tags.
func (a *API) ResourceTags(ctx context.Context, arn string) (map[string]string, error) {
	p, ok := model.ParseARN(arn)
	if !ok || p.Service != "ecs" {
		return nil, nil
	}
	sc := model.Scope{Account: p.Account, Region: p.Region}
	var tags []ecstypes.Tag
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		if rest, ok := strings.CutPrefix(p.Resource, "task/"); ok {
			cluster, id, ok := strings.Cut(rest, "/")
			if !ok {
				return nil
			}
			rec, found, err := store.Get[model.TaskRecord](tx, state.TaskKey(sc, cluster, id))
			if found {
				tags = rec.Task.Tags
			}
			return err
		}
		if rest, ok := strings.CutPrefix(p.Resource, "task-definition/"); ok {
			// RunTask names a family alone for its latest revision.
			rec, err := findTaskDef(tx, sc, rest)
			if err == nil {
				tags = rec.Tags
			}
			return nil
		}
		r, err := resolveTaggable(sc, arn)
		if err != nil {
			return nil // not a taggable ECS resource
		}
		tags, err = r.get(tx)
		if _, isAPI := awsapi.AsError(err); isAPI {
			return nil // gone, or not created yet: no tags
		}
		return err
	})
	if err != nil || len(tags) == 0 {
		return nil, err
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[derefStr(t.Key)] = derefStr(t.Value)
	}
	return out, nil
}

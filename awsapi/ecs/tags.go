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

// tagRules are ECS's tag rules (at most 50 tags, keys of 1 to 128
// characters, values of at most 256, no aws: prefix), every one answered
// as InvalidParameterException; tags with the reserved prefix are the
// caller's mistake, not something to store.
var tagRules = awsapi.TagRulesIn(50, invalidParam, invalidParam)

// validateTags checks a request's (or a resource's resulting) tags: ECS
// answers too many tags before it looks at any one of them.
func validateTags(tags []ecstypes.Tag) error {
	if err := tagRules.Count(len(tags)); err != nil {
		return err
	}
	return awsapi.CheckTags(tagRules, tags, tagKV)
}

func tagKV(t ecstypes.Tag) (key, value string) { return derefStr(t.Key), derefStr(t.Value) }
func tagKey(t ecstypes.Tag) string             { return derefStr(t.Key) }

// taggable reads and writes the tags of one kind of resource.
type taggable struct {
	get func(tx store.ReadTx) ([]ecstypes.Tag, error)
	set func(tx store.Tx, tags []ecstypes.Tag) error
}

// resolveTaggable finds the resource an ARN names, in the caller's scope.
func resolveTaggable(sc model.Scope, arn string) (taggable, error) {
	a, ok := model.ParseARN(arn)
	if !ok || a.Service != "ecs" {
		return taggable{}, invalidParam("resourceArn %q is not an Amazon ECS resource ARN.", arn)
	}
	if a.Region != sc.Region || a.Account != sc.Account {
		return taggable{}, invalidParam("resourceArn %q is in account %s region %s, but the request was sent to account %s region %s.", arn, a.Account, a.Region, sc.Account, sc.Region)
	}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	switch kind {
	case "cluster":
		key := state.ClusterKey(sc, rest)
		return taggable{
			get: func(tx store.ReadTx) ([]ecstypes.Tag, error) {
				c, ok, err := store.Get[ecstypes.Cluster](tx, key)
				switch {
				case err != nil:
				case !ok:
					err = clusterNotFound(rest)
				case derefStr(c.Status) != clusterActive:
					err = invalidParam("The specified cluster is inactive. Specify an active cluster and try again.")
				}
				return c.Tags, err
			},
			set: func(tx store.Tx, tags []ecstypes.Tag) error {
				c, _, err := store.Get[ecstypes.Cluster](tx, key)
				if err != nil {
					return err
				}
				c.Tags = tags
				return store.Put(tx, key, c)
			},
		}, nil
	case "task-definition":
		r, ok := model.ParseTaskDefRef(rest)
		if !ok || r.Revision == 0 {
			return taggable{}, invalidParam("resourceArn %q must name a task definition revision (FAMILY:REVISION).", arn)
		}
		key := state.TaskDefKey(sc, r.Family, r.Revision)
		return taggable{
			get: func(tx store.ReadTx) ([]ecstypes.Tag, error) {
				rec, ok, err := store.Get[state.TaskDefRecord](tx, key)
				if err == nil && !ok {
					err = awsapi.Errorf(codeResourceNotFound, "The task definition %s does not exist.", rest)
				}
				return rec.Tags, err
			},
			set: func(tx store.Tx, tags []ecstypes.Tag) error {
				rec, _, err := store.Get[state.TaskDefRecord](tx, key)
				if err != nil {
					return err
				}
				rec.Tags = tags
				return store.Put(tx, key, rec)
			},
		}, nil
	case "service":
		cluster, name, ok := strings.Cut(rest, "/")
		if !ok {
			return taggable{}, invalidParam("resourceArn %q must name a service as service/CLUSTER/NAME.", arn)
		}
		key := state.ServiceKey(sc, cluster, name)
		return taggable{
			get: func(tx store.ReadTx) ([]ecstypes.Tag, error) {
				rec, ok, err := store.Get[model.ServiceRecord](tx, key)
				if err == nil && (!ok || derefStr(rec.Service.Status) == model.ServiceInactive) {
					err = serviceNotFound(name)
				}
				return rec.Service.Tags, err
			},
			set: func(tx store.Tx, tags []ecstypes.Tag) error {
				rec, _, err := store.Get[model.ServiceRecord](tx, key)
				if err != nil {
					return err
				}
				rec.Service.Tags = tags
				return store.Put(tx, key, rec)
			},
		}, nil
	case "capacity-provider":
		if isBuiltinProvider(rest) {
			return taggable{}, invalidParam("The %s capacity provider is managed by AWS and can't be tagged.", rest)
		}
		return providerTaggable(sc, rest), nil
	}
	return taggable{}, invalidParam("resourceArn %q: wharf does not tag %s resources yet.", arn, kind)
}

// TagResource adds or overwrites tags on a resource.
func (a *API) TagResource(ctx context.Context, in *ecstypes.TagResourceRequest) (*ecstypes.TagResourceResponse, error) {
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	err := a.changeTags(ctx, *in.ResourceArn, func(cur []ecstypes.Tag) []ecstypes.Tag { return awsapi.MergeTags(cur, in.Tags, tagKey) })
	if err != nil {
		return nil, err
	}
	return &ecstypes.TagResourceResponse{}, nil
}

// UntagResource removes tags by key; absent keys are not an error.
func (a *API) UntagResource(ctx context.Context, in *ecstypes.UntagResourceRequest) (*ecstypes.UntagResourceResponse, error) {
	err := a.changeTags(ctx, *in.ResourceArn, func(cur []ecstypes.Tag) []ecstypes.Tag {
		return awsapi.RemoveTags(cur, in.TagKeys, tagKey)
	})
	if err != nil {
		return nil, err
	}
	return &ecstypes.UntagResourceResponse{}, nil
}

func (a *API) changeTags(ctx context.Context, arn string, change func([]ecstypes.Tag) []ecstypes.Tag) error {
	r, err := resolveTaggable(awsapi.ScopeOf(ctx), arn)
	if err != nil {
		return err
	}
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		cur, err := r.get(tx)
		if err != nil {
			return err
		}
		next := change(cur)
		if err := validateTags(next); err != nil {
			return err
		}
		return r.set(tx, next)
	})
	return err
}

// ListTagsForResource lists a resource's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *ecstypes.ListTagsForResourceRequest) (*ecstypes.ListTagsForResourceResponse, error) {
	r, err := resolveTaggable(awsapi.ScopeOf(ctx), *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := awsapi.Read(ctx, a.DB, r.get)
	if err != nil {
		return nil, err
	}
	return &ecstypes.ListTagsForResourceResponse{Tags: awsapi.OrEmpty(tags)}, nil
}

package ecs

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// maxTags is ECS's limit of user tags on one resource.
const maxTags = 50

// validateTags applies ECS's tag rules; tags with the reserved aws: prefix
// are the caller's mistake, not something to store.
func validateTags(tags []ecstypes.Tag) error {
	if len(tags) > maxTags {
		return invalidParam("A resource can have at most %d tags, got %d.", maxTags, len(tags))
	}
	for _, t := range tags {
		k, v := derefStr(t.Key), derefStr(t.Value)
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 {
			return invalidParam("Tag keys must be 1 to 128 characters long, got %d (key %q).", n, k)
		}
		if n := utf8.RuneCountInString(v); n > 256 {
			return invalidParam("Tag values must be at most 256 characters long, got %d (key %q).", n, k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParam("Tag key %q uses the reserved prefix aws:.", k)
		}
	}
	return nil
}

// mergeTags overlays add on current by key.
func mergeTags(current, add []ecstypes.Tag) []ecstypes.Tag {
	out := slices.Clone(current)
	for _, t := range add {
		i := slices.IndexFunc(out, func(c ecstypes.Tag) bool { return derefStr(c.Key) == derefStr(t.Key) })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

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
	err := a.changeTags(ctx, *in.ResourceArn, func(cur []ecstypes.Tag) []ecstypes.Tag { return mergeTags(cur, in.Tags) })
	if err != nil {
		return nil, err
	}
	return &ecstypes.TagResourceResponse{}, nil
}

// UntagResource removes tags by key; absent keys are not an error.
func (a *API) UntagResource(ctx context.Context, in *ecstypes.UntagResourceRequest) (*ecstypes.UntagResourceResponse, error) {
	err := a.changeTags(ctx, *in.ResourceArn, func(cur []ecstypes.Tag) []ecstypes.Tag {
		return slices.DeleteFunc(slices.Clone(cur), func(t ecstypes.Tag) bool { return slices.Contains(in.TagKeys, derefStr(t.Key)) })
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
	var tags []ecstypes.Tag
	if err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		tags, err = r.get(tx)
		return err
	}); err != nil {
		return nil, err
	}
	return &ecstypes.ListTagsForResourceResponse{Tags: awsapi.OrEmpty(tags)}, nil
}

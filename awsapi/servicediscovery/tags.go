package servicediscovery

import (
	"context"
	"strings"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// maxTags is Cloud Map's limit of tags on one resource.
const maxTags = 50

// tagRules are Cloud Map's tag rules in its words.
var tagRules = awsapi.TagRulesIn(maxTags, invalid, func(format string, args ...any) error {
	return apiError(codeTooManyTags, format, args...)
})

func tagKey(t sdtypes.Tag) string             { return awsapi.Deref(t.Key) }
func tagKV(t sdtypes.Tag) (key, value string) { return awsapi.Deref(t.Key), awsapi.Deref(t.Value) }

func checkTags(tags []sdtypes.Tag) error { return awsapi.CheckTags(tagRules, tags, tagKV) }

// taggedResource reads and writes the tags of a namespace or service ARN.
type taggedResource struct {
	tags []sdtypes.Tag
	save func(tx store.Tx, tags []sdtypes.Tag) error
}

func resolveTagged(tx store.ReadTx, sc model.Scope, arn string) (taggedResource, error) {
	a, ok := model.ParseARN(arn)
	if !ok || a.Service != "servicediscovery" {
		return taggedResource{}, invalid("%q is not a Cloud Map namespace or service ARN.", arn)
	}
	notFound := apiError(codeResourceNotFound, "No resource exists with ARN %q.", arn)
	if a.Region != sc.Region || a.Account != sc.Account {
		return taggedResource{}, notFound
	}
	kind, id, _ := strings.Cut(a.Resource, "/")
	switch kind {
	case "namespace":
		ns, found, err := store.Get[sdstate.Namespace](tx, sdstate.NamespaceKey(sc, id))
		if err != nil || !found {
			return taggedResource{}, orErr(err, notFound)
		}
		return taggedResource{ns.Tags, func(tx store.Tx, tags []sdtypes.Tag) error {
			ns.Tags = tags
			return store.Put(tx, sdstate.NamespaceKey(sc, id), ns)
		}}, nil
	case "service":
		svc, found, err := store.Get[sdstate.Service](tx, sdstate.ServiceKey(sc, id))
		if err != nil || !found {
			return taggedResource{}, orErr(err, notFound)
		}
		return taggedResource{svc.Tags, func(tx store.Tx, tags []sdtypes.Tag) error {
			svc.Tags = tags
			return store.Put(tx, sdstate.ServiceKey(sc, id), svc)
		}}, nil
	}
	return taggedResource{}, notFound
}

func orErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

func (a *API) changeTags(ctx context.Context, arn string, change func([]sdtypes.Tag) []sdtypes.Tag) error {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		r, err := resolveTagged(tx, sc, arn)
		if err != nil {
			return err
		}
		next := change(r.tags)
		if len(next) > maxTags {
			return apiError(codeTooManyTags, "A resource can have at most %d tags; %s would have %d.", maxTags, arn, len(next))
		}
		return r.save(tx, next)
	})
	return err
}

// TagResource adds or overwrites tags.
func (a *API) TagResource(ctx context.Context, in *sdtypes.TagResourceRequest) (*sdtypes.TagResourceResponse, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := a.changeTags(ctx, awsapi.Deref(in.ResourceARN), func(cur []sdtypes.Tag) []sdtypes.Tag {
		return awsapi.MergeTags(cur, in.Tags, tagKey)
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.TagResourceResponse{}, nil
}

// UntagResource removes tags by key.
func (a *API) UntagResource(ctx context.Context, in *sdtypes.UntagResourceRequest) (*sdtypes.UntagResourceResponse, error) {
	err := a.changeTags(ctx, awsapi.Deref(in.ResourceARN), func(cur []sdtypes.Tag) []sdtypes.Tag {
		return awsapi.RemoveTags(cur, in.TagKeys, tagKey)
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.UntagResourceResponse{}, nil
}

// ListTagsForResource lists a resource's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *sdtypes.ListTagsForResourceRequest) (*sdtypes.ListTagsForResourceResponse, error) {
	var tags []sdtypes.Tag
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		r, err := resolveTagged(tx, awsapi.ScopeOf(ctx), awsapi.Deref(in.ResourceARN))
		tags = r.tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.ListTagsForResourceResponse{Tags: awsapi.OrEmpty(tags)}, nil
}

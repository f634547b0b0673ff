package logs

import (
	"context"
	"maps"
	"strings"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// maxTags is CloudWatch Logs' limit of tags on one log group.
const maxTags = 50

// tagRules are CloudWatch Logs' tag rules in its words (key and value
// lengths are checked by the model).
var tagRules = awsapi.TagRules{
	Max:      maxTags,
	TooMany:  func(n int) error { return invalidParam("A log group can have at most %d tags, got %d.", maxTags, n) },
	Reserved: func(k string) error { return invalidParam("Tag key %q uses the reserved prefix aws:.", k) },
}

func validateTags(tags map[string]string) error {
	if err := tagRules.Count(len(tags)); err != nil {
		return err
	}
	for k, v := range tags {
		if err := tagRules.Check(k, v); err != nil {
			return err
		}
	}
	return nil
}

// tagGroup overlays tags on the named group's, within the limit.
func (a *API) tagGroup(ctx context.Context, op, name string, tags map[string]string) error {
	if err := validateTags(tags); err != nil {
		return err
	}
	var tooMany bool
	err := a.updateGroup(ctx, name, func(g *groupRec) {
		merged := maps.Clone(g.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			tooMany = true
			return
		}
		g.Tags = merged
	})
	if err == nil && tooMany {
		return invalidParam("A log group can have at most %d tags.", maxTags)
	}
	return wrap(op, err)
}

func (a *API) untagGroup(ctx context.Context, op, name string, keys []string) error {
	err := a.updateGroup(ctx, name, func(g *groupRec) {
		for _, k := range keys {
			delete(g.Tags, k)
		}
	})
	return wrap(op, err)
}

func (a *API) groupTags(ctx context.Context, op, name string) (map[string]string, error) {
	var tags map[string]string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		g, err := getGroup(tx, scopeOf(ctx), name)
		tags = g.Tags
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return tags, nil
}

// resourceGroup is the log group a tagging ARN names.
func resourceGroup(ctx context.Context, arn string) (string, error) {
	if name, ok := scopeOf(ctx).groupNameFromARN(arn); ok {
		return name, nil
	}
	if strings.HasPrefix(arn, "arn:aws:logs:") {
		return "", awsapi.Errorf(codeResourceNotFound, "The specified resource does not exist: %s", arn)
	}
	return "", invalidParam("Invalid resourceArn %q: expected arn:aws:logs:REGION:ACCOUNT:log-group:NAME.", arn)
}

// TagResource tags a log group by ARN.
func (a *API) TagResource(ctx context.Context, in *logstypes.TagResourceRequest) (*struct{}, error) {
	name, err := resourceGroup(ctx, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, a.tagGroup(ctx, "TagResource", name, in.Tags)
}

// UntagResource removes tags from a log group by ARN.
func (a *API) UntagResource(ctx context.Context, in *logstypes.UntagResourceRequest) (*struct{}, error) {
	name, err := resourceGroup(ctx, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, a.untagGroup(ctx, "UntagResource", name, in.TagKeys)
}

// ListTagsForResource lists a log group's tags by ARN.
func (a *API) ListTagsForResource(ctx context.Context, in *logstypes.ListTagsForResourceRequest) (*logstypes.ListTagsForResourceResponse, error) {
	name, err := resourceGroup(ctx, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := a.groupTags(ctx, "ListTagsForResource", name)
	if err != nil {
		return nil, err
	}
	return &logstypes.ListTagsForResourceResponse{Tags: tags}, nil
}

// TagLogGroup is the legacy TagResource, by group name.
func (a *API) TagLogGroup(ctx context.Context, in *logstypes.TagLogGroupRequest) (*struct{}, error) {
	return nil, a.tagGroup(ctx, "TagLogGroup", *in.LogGroupName, in.Tags)
}

// UntagLogGroup is the legacy UntagResource, by group name.
func (a *API) UntagLogGroup(ctx context.Context, in *logstypes.UntagLogGroupRequest) (*struct{}, error) {
	return nil, a.untagGroup(ctx, "UntagLogGroup", *in.LogGroupName, in.Tags)
}

// ListTagsLogGroup is the legacy ListTagsForResource, by group name.
func (a *API) ListTagsLogGroup(ctx context.Context, in *logstypes.ListTagsLogGroupRequest) (*logstypes.ListTagsLogGroupResponse, error) {
	tags, err := a.groupTags(ctx, "ListTagsLogGroup", *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return &logstypes.ListTagsLogGroupResponse{Tags: tags}, nil
}

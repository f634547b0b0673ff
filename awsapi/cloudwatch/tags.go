package cloudwatch

import (
	"context"
	"strings"

	cw "github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
)

var tagRules = awsapi.TagRulesIn(50, errInvalid, func(format string, args ...any) error {
	return awsapi.Errorf(codeLimitExceeded, format, args...)
})

func checkTags(tags []cw.Tag) error {
	return awsapi.CheckTags(tagRules, tags, func(t cw.Tag) (string, string) { return awsapi.Deref(t.Key), awsapi.Deref(t.Value) })
}

// alarmKeyOf finds the alarm an ARN names in the caller's scope.
func alarmKeyOf(ctx context.Context, arn string) (string, error) {
	acct, region := scope(ctx)
	prefix := "arn:aws:cloudwatch:" + region + ":" + acct + ":alarm:"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		return "", awsapi.Errorf(codeNotFoundException, "The resource %s does not exist.", arn)
	}
	return metrics.AlarmKey(acct, region, name), nil
}

// updateTags applies fn to the tags of the alarm arn names.
func (a *API) updateTags(ctx context.Context, arn string, fn func([]metrics.Tag) ([]metrics.Tag, error)) error {
	key, err := alarmKeyOf(ctx, arn)
	if err != nil {
		return err
	}
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		al, err := awsapi.Find[metrics.Alarm](tx, key, func() error {
			return awsapi.Errorf(codeNotFoundException, "The resource %s does not exist.", arn)
		})
		if err != nil {
			return err
		}
		if al.Tags, err = fn(al.Tags); err != nil {
			return err
		}
		return store.Put(tx, key, al)
	})
	return err
}

func tagKey(t metrics.Tag) string { return t.Key }

// TagResource adds or overwrites tags of an alarm.
func (a *API) TagResource(ctx context.Context, in *cw.TagResourceInput) (*struct{}, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	add := make([]metrics.Tag, 0, len(in.Tags))
	for _, t := range in.Tags {
		add = append(add, metrics.Tag{Key: awsapi.Deref(t.Key), Value: awsapi.Deref(t.Value)})
	}
	err := a.updateTags(ctx, awsapi.Deref(in.ResourceARN), func(cur []metrics.Tag) ([]metrics.Tag, error) {
		merged := awsapi.MergeTags(cur, add, tagKey)
		return merged, tagRules.Count(len(merged))
	})
	return nil, wrap("TagResource", err)
}

// UntagResource removes tags of an alarm.
func (a *API) UntagResource(ctx context.Context, in *cw.UntagResourceInput) (*struct{}, error) {
	err := a.updateTags(ctx, awsapi.Deref(in.ResourceARN), func(cur []metrics.Tag) ([]metrics.Tag, error) {
		return awsapi.RemoveTags(cur, in.TagKeys, tagKey), nil
	})
	return nil, wrap("UntagResource", err)
}

// ListTagsForResource lists an alarm's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *cw.ListTagsForResourceInput) (*cw.ListTagsForResourceOutput, error) {
	arn := awsapi.Deref(in.ResourceARN)
	key, err := alarmKeyOf(ctx, arn)
	if err != nil {
		return nil, err
	}
	al, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (metrics.Alarm, error) {
		return awsapi.Find[metrics.Alarm](tx, key, func() error {
			return awsapi.Errorf(codeNotFoundException, "The resource %s does not exist.", arn)
		})
	})
	if err != nil {
		return nil, wrap("ListTagsForResource", err)
	}
	out := &cw.ListTagsForResourceOutput{Tags: []cw.Tag{}}
	for _, t := range al.Tags {
		out.Tags = append(out.Tags, cw.Tag{Key: new(t.Key), Value: new(t.Value)})
	}
	return out, nil
}

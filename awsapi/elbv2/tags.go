package elbv2

import (
	"context"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// maxTags is ELB's limit of tags on one resource.
const maxTags = 50

// tagRules are ELB's tag rules in its words; a key given twice is
// DuplicateTagKeys.
var tagRules = func() awsapi.TagRules {
	r := awsapi.TagRulesIn(maxTags, validation, func(format string, args ...any) error {
		return apiError(codeTooManyTags, format, args...)
	})
	r.Duplicate = func(k string) error { return apiError(codeDuplicateTagKeys, "Tag key %q is given more than once.", k) }
	return r
}()

func tagKey(t elbv2types.Tag) string             { return awsapi.Deref(t.Key) }
func tagKV(t elbv2types.Tag) (key, value string) { return awsapi.Deref(t.Key), awsapi.Deref(t.Value) }

// checkTags applies ELB's tag rules to tags being added.
func checkTags(tags []elbv2types.Tag) error { return awsapi.CheckTags(tagRules, tags, tagKV) }

// tagged reads and writes the tags of the resource an ARN names.
type tagged struct {
	tags []elbv2types.Tag
	save func(tx store.Tx, tags []elbv2types.Tag) error
}

func resolveTagged(tx store.ReadTx, sc model.Scope, arn string) (tagged, error) {
	r, ok := lbstate.ParseARN(arn)
	if !ok {
		return tagged{}, validation("%q is not the ARN of a load balancer, target group, listener or rule.", arn)
	}
	switch r.Kind {
	case "loadbalancer":
		lb, err := getLB(tx, sc, arn)
		return tagged{lb.Tags, func(tx store.Tx, tags []elbv2types.Tag) error {
			lb.Tags = tags
			return store.Put(tx, lbstate.LBKey(sc, r.Name), lb)
		}}, err
	case "targetgroup":
		tg, err := getTG(tx, sc, arn)
		return tagged{tg.Tags, func(tx store.Tx, tags []elbv2types.Tag) error {
			tg.Tags = tags
			return store.Put(tx, lbstate.TGKey(sc, r.Name), tg)
		}}, err
	case "listener":
		l, err := getListener(tx, sc, arn)
		return tagged{l.Tags, func(tx store.Tx, tags []elbv2types.Tag) error {
			l.Tags = tags
			return store.Put(tx, lbstate.ListenerKey(sc, l.LBID, l.ID), l)
		}}, err
	default: // listener-rule
		rr, err := getRule(tx, sc, arn)
		if err != nil {
			return tagged{}, err
		}
		if rr.isDefault {
			l := rr.listener
			return tagged{l.DefaultRuleTags, func(tx store.Tx, tags []elbv2types.Tag) error {
				l.DefaultRuleTags = tags
				return store.Put(tx, lbstate.ListenerKey(sc, l.LBID, l.ID), l)
			}}, nil
		}
		rule := rr.rule
		return tagged{rule.Tags, func(tx store.Tx, tags []elbv2types.Tag) error {
			rule.Tags = tags
			return store.Put(tx, lbstate.RuleKey(sc, rule.ListenerID, rule.ID), rule)
		}}, nil
	}
}

// AddTags adds or overwrites tags on resources.
func (a *API) AddTags(ctx context.Context, in *elbv2types.AddTagsInput) (*elbv2types.AddTagsOutput, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := a.changeTags(ctx, in.ResourceArns, func(cur []elbv2types.Tag) []elbv2types.Tag { return awsapi.MergeTags(cur, in.Tags, tagKey) })
	if err != nil {
		return nil, err
	}
	return &elbv2types.AddTagsOutput{}, nil
}

// RemoveTags removes tags by key; absent keys are not an error.
func (a *API) RemoveTags(ctx context.Context, in *elbv2types.RemoveTagsInput) (*elbv2types.RemoveTagsOutput, error) {
	err := a.changeTags(ctx, in.ResourceArns, func(cur []elbv2types.Tag) []elbv2types.Tag {
		return awsapi.RemoveTags(cur, in.TagKeys, tagKey)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.RemoveTagsOutput{}, nil
}

func (a *API) changeTags(ctx context.Context, arns []string, change func([]elbv2types.Tag) []elbv2types.Tag) error {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		for _, arn := range arns {
			t, err := resolveTagged(tx, sc, arn)
			if err != nil {
				return err
			}
			next := change(t.tags)
			if len(next) > maxTags {
				return apiError(codeTooManyTags, "A resource can have at most %d tags; %s would have %d.", maxTags, arn, len(next))
			}
			if err := t.save(tx, next); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// DescribeTags lists the tags of resources, in the order given.
func (a *API) DescribeTags(ctx context.Context, in *elbv2types.DescribeTagsInput) (*elbv2types.DescribeTagsOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	out := []elbv2types.TagDescription{}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		for _, arn := range in.ResourceArns {
			t, err := resolveTagged(tx, sc, arn)
			if err != nil {
				return err
			}
			out = append(out, elbv2types.TagDescription{ResourceArn: new(arn), Tags: append([]elbv2types.Tag{}, t.tags...)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.DescribeTagsOutput{TagDescriptions: out}, nil
}

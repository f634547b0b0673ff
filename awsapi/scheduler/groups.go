package scheduler

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

var tagRules = awsapi.TagRulesIn(maxTags, errValidation, func(format string, args ...any) error {
	return awsapi.Errorf(codeQuota, format, args...)
})

func tagKV(t schedulertypes.Tag) (string, string) { return awsapi.Deref(t.Key), awsapi.Deref(t.Value) }

func groupNotFound(name string) error {
	return awsapi.Errorf(codeNotFound, "Schedule group %s does not exist.", name)
}

// CreateScheduleGroup creates a schedule group.
func (a *API) CreateScheduleGroup(ctx context.Context, in *schedulertypes.CreateScheduleGroupInput) (*schedulertypes.CreateScheduleGroupOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	if err := awsapi.CheckTags(tagRules, in.Tags, tagKV); err != nil {
		return nil, err
	}
	now := a.Now()
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		_, ok, err := tx.Get(groupKey(sc, *in.Name))
		if err != nil {
			return err
		}
		if ok || *in.Name == defaultGroup {
			return awsapi.Errorf(codeConflict, "Schedule group %s already exists.", *in.Name)
		}
		return store.Put(tx, groupKey(sc, *in.Name), groupRecord{Name: *in.Name, Tags: in.Tags, Created: now, Modified: now})
	})
	if err != nil {
		return nil, wrap("CreateScheduleGroup", err)
	}
	return &schedulertypes.CreateScheduleGroupOutput{ScheduleGroupArn: new(groupARN(sc, *in.Name))}, nil
}

func readGroup(tx store.ReadTx, sc model.Scope, name string) (groupRecord, error) {
	if name == defaultGroup {
		return groupRecord{Name: defaultGroup}, nil
	}
	return awsapi.Find[groupRecord](tx, groupKey(sc, name), func() error { return groupNotFound(name) })
}

func (g groupRecord) summary(sc model.Scope) schedulertypes.ScheduleGroupSummary {
	state := schedulertypes.ScheduleGroupStateActive
	if g.Deleting {
		state = schedulertypes.ScheduleGroupStateDeleting
	}
	return schedulertypes.ScheduleGroupSummary{Arn: new(groupARN(sc, g.Name)), Name: new(g.Name), State: state,
		CreationDate: shape.TimeOf(g.Created), LastModificationDate: shape.TimeOf(g.Modified)}
}

// GetScheduleGroup describes a schedule group.
func (a *API) GetScheduleGroup(ctx context.Context, in *schedulertypes.GetScheduleGroupInput) (*schedulertypes.GetScheduleGroupOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	g, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (groupRecord, error) { return readGroup(tx, sc, *in.Name) })
	if err != nil {
		return nil, wrap("GetScheduleGroup", err)
	}
	s := g.summary(sc)
	return &schedulertypes.GetScheduleGroupOutput{Arn: s.Arn, Name: s.Name, State: s.State, CreationDate: s.CreationDate, LastModificationDate: s.LastModificationDate}, nil
}

// ListScheduleGroups lists the default group and the others, by name.
func (a *API) ListScheduleGroups(ctx context.Context, in *schedulertypes.ListScheduleGroupsInput) (*schedulertypes.ListScheduleGroupsOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	c, err := awsapi.ParseCursor("groups", in.NextToken, errValidation("Invalid NextToken."))
	if err != nil {
		return nil, err
	}
	groups, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]groupRecord, error) { return store.List[groupRecord](tx, groupsPrefix(sc)) })
	if err != nil {
		return nil, wrap("ListScheduleGroups", err)
	}
	groups = append(groups, groupRecord{Name: defaultGroup})
	prefix := awsapi.Deref(in.NamePrefix)
	groups = slices.DeleteFunc(groups, func(g groupRecord) bool { return !strings.HasPrefix(g.Name, prefix) })
	slices.SortFunc(groups, func(x, y groupRecord) int { return strings.Compare(x.Name, y.Name) })
	page, next := awsapi.SlicePage(groups, func(g groupRecord) string { return g.Name }, c, awsapi.PageLimit(in.MaxResults, 100))
	out := &schedulertypes.ListScheduleGroupsOutput{ScheduleGroups: []schedulertypes.ScheduleGroupSummary{}, NextToken: next}
	for _, g := range page {
		out.ScheduleGroups = append(out.ScheduleGroups, g.summary(sc))
	}
	return out, nil
}

// DeleteScheduleGroup deletes a group and its schedules; the default group
// cannot be deleted. As in Scheduler, the group is DELETING until its
// schedules are gone: they go deleteBatch a transaction (two keys each,
// inside the store's bound on keys per transaction), and the group with
// the last batch.
func (a *API) DeleteScheduleGroup(ctx context.Context, in *schedulertypes.DeleteScheduleGroupInput) (*schedulertypes.DeleteScheduleGroupOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	if *in.Name == defaultGroup {
		return nil, errValidation("The default schedule group cannot be deleted.")
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, err := readGroup(tx, sc, *in.Name)
		if err != nil || g.Deleting {
			return err
		}
		g.Deleting, g.Modified = true, a.Now()
		return store.Put(tx, groupKey(sc, g.Name), g)
	})
	for done := false; err == nil && !done; {
		done, err = a.deleteGroupBatch(ctx, sc, *in.Name)
	}
	if err != nil {
		return nil, wrap("DeleteScheduleGroup", err)
	}
	return &schedulertypes.DeleteScheduleGroupOutput{}, nil
}

// deleteBatch is how many schedules one transaction of a group's deletion
// removes.
const deleteBatch = 60

// deleteGroupBatch deletes up to deleteBatch of a DELETING group's
// schedules, and the group once none is left; done says it is gone.
func (a *API) deleteGroupBatch(ctx context.Context, sc model.Scope, group string) (done bool, err error) {
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		scheds, _, err := store.Page[scheduleRecord](tx, schedulesPrefix(sc)+group+"/", "", deleteBatch)
		if err != nil {
			return err
		}
		for _, s := range scheds {
			if err := tx.Delete(scheduleKey(sc, s.Group, s.Name)); err != nil {
				return err
			}
			if err := tx.Delete(tickKey(sc, s.Group, s.Name)); err != nil {
				return err
			}
		}
		if done = len(scheds) == 0; done {
			return tx.Delete(groupKey(sc, group))
		}
		return nil
	})
	return done, err
}

// TagResource tags a schedule group.
func (a *API) TagResource(ctx context.Context, in *schedulertypes.TagResourceInput) (*schedulertypes.TagResourceOutput, error) {
	if err := awsapi.CheckTags(tagRules, in.Tags, tagKV); err != nil {
		return nil, err
	}
	err := a.updateTags(ctx, *in.ResourceArn, func(tags []schedulertypes.Tag) ([]schedulertypes.Tag, error) {
		for _, t := range in.Tags {
			if i := slices.IndexFunc(tags, func(o schedulertypes.Tag) bool { return *o.Key == *t.Key }); i >= 0 {
				tags[i] = t
			} else {
				tags = append(tags, t)
			}
		}
		return tags, tagRules.Count(len(tags))
	})
	if err != nil {
		return nil, wrap("TagResource", err)
	}
	return &schedulertypes.TagResourceOutput{}, nil
}

// UntagResource removes tags from a schedule group.
func (a *API) UntagResource(ctx context.Context, in *schedulertypes.UntagResourceInput) (*schedulertypes.UntagResourceOutput, error) {
	err := a.updateTags(ctx, *in.ResourceArn, func(tags []schedulertypes.Tag) ([]schedulertypes.Tag, error) {
		return slices.DeleteFunc(tags, func(t schedulertypes.Tag) bool { return slices.Contains(in.TagKeys, *t.Key) }), nil
	})
	if err != nil {
		return nil, wrap("UntagResource", err)
	}
	return &schedulertypes.UntagResourceOutput{}, nil
}

// ListTagsForResource lists a schedule group's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *schedulertypes.ListTagsForResourceInput) (*schedulertypes.ListTagsForResourceOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	name, ok := groupOfARN(sc, *in.ResourceArn)
	if !ok {
		return nil, errValidation("Invalid ResourceArn %s: tags apply to schedule groups.", *in.ResourceArn)
	}
	g, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (groupRecord, error) { return readGroup(tx, sc, name) })
	if err != nil {
		return nil, wrap("ListTagsForResource", err)
	}
	return &schedulertypes.ListTagsForResourceOutput{Tags: awsapi.OrEmpty(g.Tags)}, nil
}

func (a *API) updateTags(ctx context.Context, resource string, change func([]schedulertypes.Tag) ([]schedulertypes.Tag, error)) error {
	sc := awsapi.ScopeOf(ctx)
	name, ok := groupOfARN(sc, resource)
	if !ok {
		return errValidation("Invalid ResourceArn %s: tags apply to schedule groups.", resource)
	}
	if name == defaultGroup {
		return errValidation("The default schedule group cannot be tagged.")
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, err := readGroup(tx, sc, name)
		if err != nil {
			return err
		}
		if g.Tags, err = change(slices.Clone(g.Tags)); err != nil {
			return err
		}
		g.Modified = a.Now()
		return store.Put(tx, groupKey(sc, name), g)
	})
	return err
}

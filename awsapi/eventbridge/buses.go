package eventbridge

import (
	"context"
	"slices"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// CreateEventBus creates a custom event bus.
func (a *API) CreateEventBus(ctx context.Context, in *eventbridgetypes.CreateEventBusRequest) (*eventbridgetypes.CreateEventBusResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	if *in.Name == defaultBus {
		return nil, awsapi.Errorf(codeAlreadyExists, "Event bus default already exists.")
	}
	if in.EventSourceName != nil {
		return nil, errValidation("wharf serves no partner event sources; create the bus without EventSourceName.")
	}
	if err := awsapi.CheckTags(tagRules, in.Tags, tagKV); err != nil {
		return nil, err
	}
	now := a.Now()
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if _, ok, err := tx.Get(busKey(sc, *in.Name)); err != nil || ok {
			if ok {
				return awsapi.Errorf(codeAlreadyExists, "Event bus %s already exists.", *in.Name)
			}
			return err
		}
		return store.Put(tx, busKey(sc, *in.Name), busRecord{Name: *in.Name, Description: awsapi.Deref(in.Description), Tags: in.Tags, Created: now, Modified: now})
	})
	if err != nil {
		return nil, wrap("CreateEventBus", err)
	}
	return &eventbridgetypes.CreateEventBusResponse{EventBusArn: new(busARN(sc, *in.Name)), Description: in.Description}, nil
}

func readBus(tx store.ReadTx, sc model.Scope, name string) (busRecord, error) {
	if name == defaultBus {
		return busRecord{Name: defaultBus}, nil
	}
	return awsapi.Find[busRecord](tx, busKey(sc, name), func() error { return busNotFound(name) })
}

func (b busRecord) wire(sc model.Scope) eventbridgetypes.EventBus {
	out := eventbridgetypes.EventBus{Name: new(b.Name), Arn: new(busARN(sc, b.Name))}
	if b.Description != "" {
		out.Description = new(b.Description)
	}
	if !b.Created.IsZero() {
		out.CreationTime, out.LastModifiedTime = shape.TimeOf(b.Created), shape.TimeOf(b.Modified)
	}
	return out
}

// DescribeEventBus describes a bus (the default one when no name).
func (a *API) DescribeEventBus(ctx context.Context, in *eventbridgetypes.DescribeEventBusRequest) (*eventbridgetypes.DescribeEventBusResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	b, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (busRecord, error) { return readBus(tx, sc, busName(in.Name)) })
	if err != nil {
		return nil, wrap("DescribeEventBus", err)
	}
	w := b.wire(sc)
	return &eventbridgetypes.DescribeEventBusResponse{Name: w.Name, Arn: w.Arn, Description: w.Description,
		CreationTime: w.CreationTime, LastModifiedTime: w.LastModifiedTime}, nil
}

// ListEventBuses lists the default bus and the custom ones, by name.
func (a *API) ListEventBuses(ctx context.Context, in *eventbridgetypes.ListEventBusesRequest) (*eventbridgetypes.ListEventBusesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	c, err := awsapi.ParseCursor("buses", in.NextToken, errValidation("The NextToken is not valid."))
	if err != nil {
		return nil, err
	}
	recs, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]busRecord, error) {
		return store.List[busRecord](tx, busesPrefix(sc))
	})
	if err != nil {
		return nil, wrap("ListEventBuses", err)
	}
	recs = append(recs, busRecord{Name: defaultBus})
	prefix := awsapi.Deref(in.NamePrefix)
	recs = slices.DeleteFunc(recs, func(b busRecord) bool { return len(b.Name) < len(prefix) || b.Name[:len(prefix)] != prefix })
	slices.SortFunc(recs, func(x, y busRecord) int {
		switch {
		case x.Name < y.Name:
			return -1
		case x.Name > y.Name:
			return 1
		}
		return 0
	})
	page, next := awsapi.SlicePage(recs, func(b busRecord) string { return b.Name }, c, awsapi.PageLimit(in.Limit, 100))
	out := &eventbridgetypes.ListEventBusesResponse{EventBuses: []eventbridgetypes.EventBus{}, NextToken: next}
	for _, b := range page {
		out.EventBuses = append(out.EventBuses, b.wire(sc))
	}
	return out, nil
}

// DeleteEventBus deletes a custom bus and its rules; the default bus
// cannot be deleted (and only it has schedule rules). The rules go at
// most store.DeleteBatch a transaction (a bus may have more rules than a
// backend writes in one), the bus with the last batch, atomically with
// any rule put meanwhile. A delete stopped between batches leaves the bus
// with fewer rules, still a valid bus; as the bus goes last, no rule
// (keyed by the bus's name) outlives it, and a bus created again under
// the name starts with none.
func (a *API) DeleteEventBus(ctx context.Context, in *eventbridgetypes.DeleteEventBusRequest) (*struct{}, error) {
	sc := awsapi.ScopeOf(ctx)
	if *in.Name == defaultBus {
		return nil, errValidation("Cannot delete event bus default.")
	}
	err := store.DeleteTree(ctx, a.DB, func(store.Tx) ([]string, error) {
		return []string{rulesPrefix(sc, *in.Name)}, nil
	}, func(tx store.Tx) error {
		return tx.Delete(busKey(sc, *in.Name))
	})
	return nil, wrap("DeleteEventBus", err)
}

// TagResource tags a rule or a custom bus.
func (a *API) TagResource(ctx context.Context, in *eventbridgetypes.TagResourceRequest) (*struct{}, error) {
	if err := awsapi.CheckTags(tagRules, in.Tags, tagKV); err != nil {
		return nil, err
	}
	return nil, wrap("TagResource", a.updateTags(ctx, *in.ResourceARN, func(tags []eventbridgetypes.Tag) ([]eventbridgetypes.Tag, error) {
		for _, t := range in.Tags {
			i := slices.IndexFunc(tags, func(o eventbridgetypes.Tag) bool { return *o.Key == *t.Key })
			if i >= 0 {
				tags[i] = t
			} else {
				tags = append(tags, t)
			}
		}
		return tags, tagRules.Count(len(tags))
	}))
}

// UntagResource removes tags from a rule or a custom bus.
func (a *API) UntagResource(ctx context.Context, in *eventbridgetypes.UntagResourceRequest) (*struct{}, error) {
	return nil, wrap("UntagResource", a.updateTags(ctx, *in.ResourceARN, func(tags []eventbridgetypes.Tag) ([]eventbridgetypes.Tag, error) {
		return slices.DeleteFunc(tags, func(t eventbridgetypes.Tag) bool { return slices.Contains(in.TagKeys, *t.Key) }), nil
	}))
}

// ListTagsForResource lists a rule's or a custom bus's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *eventbridgetypes.ListTagsForResourceRequest) (*eventbridgetypes.ListTagsForResourceResponse, error) {
	var out []eventbridgetypes.Tag
	err := a.updateTags(ctx, *in.ResourceARN, func(tags []eventbridgetypes.Tag) ([]eventbridgetypes.Tag, error) {
		out = tags
		return nil, errNoWrite
	})
	if err != nil && err != errNoWrite {
		return nil, wrap("ListTagsForResource", err)
	}
	return &eventbridgetypes.ListTagsForResourceResponse{Tags: awsapi.OrEmpty(out)}, nil
}

var errNoWrite = awsapi.Errorf("internal", "no write")

// updateTags applies change to the tags of the rule or bus arn names;
// change returning errNoWrite reads without writing.
func (a *API) updateTags(ctx context.Context, arn string, change func([]eventbridgetypes.Tag) ([]eventbridgetypes.Tag, error)) error {
	sc := awsapi.ScopeOf(ctx)
	kind, bus, name, ok := parseResourceARN(sc, arn)
	if !ok {
		return errValidation("Parameter ResourceARN is not valid.")
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if kind == "event-bus" {
			if name == defaultBus {
				if _, err := change(nil); err != nil {
					return err // a read: the default bus has no tags
				}
				return errValidation("The default event bus cannot be tagged.")
			}
			b, err := readBus(tx, sc, name)
			if err != nil {
				return err
			}
			if b.Tags, err = change(slices.Clone(b.Tags)); err != nil {
				return err
			}
			return store.Put(tx, busKey(sc, name), b)
		}
		r, err := getRule(tx, sc, bus, name)
		if err != nil {
			return err
		}
		if r.Tags, err = change(slices.Clone(r.Tags)); err != nil {
			return err
		}
		return store.Put(tx, ruleKey(sc, bus, name), r)
	})
	return err
}

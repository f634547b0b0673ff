package logs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// CreateLogGroup creates an empty group.
func (a *API) CreateLogGroup(ctx context.Context, in *logstypes.CreateLogGroupRequest) (*struct{}, error) {
	sc := scopeOf(ctx)
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	class := string(in.LogGroupClass)
	if class == "" {
		class = string(logstypes.LogGroupClassStandard)
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key := groupKey(sc.Account, sc.Region, *in.LogGroupName)
		if _, ok, err := tx.Get(key); err != nil || ok {
			if err != nil {
				return err
			}
			return awsapi.Errorf(codeResourceAlreadyExists, "The specified log group already exists")
		}
		id, err := nextID(tx)
		if err != nil {
			return err
		}
		return store.Put(tx, key, groupRec{ID: id, Name: *in.LogGroupName, CreationTime: a.nowMillis(),
			KmsKeyID: awsapi.Deref(in.KmsKeyId), Class: class, Tags: in.Tags})
	})
	if err != nil {
		return nil, wrap("CreateLogGroup", err)
	}
	return nil, nil
}

// DeleteLogGroup deletes a group and its streams at once; the janitor
// deletes their events in the background (they are unreachable already).
func (a *API) DeleteLogGroup(ctx context.Context, in *logstypes.DeleteLogGroupRequest) (*struct{}, error) {
	sc := scopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, err := getGroup(tx, sc, *in.LogGroupName)
		if err != nil {
			return err
		}
		kvs, err := tx.List(streamsPrefix(g.ID), "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if err := tx.Delete(kv.Key); err != nil {
				return err
			}
		}
		if err := deleteGroupFilters(tx, sc, g.Name); err != nil {
			return err
		}
		if err := tx.Put(tombstonesPrefix+hex16(g.ID), []byte("{}")); err != nil {
			return err
		}
		return tx.Delete(groupKey(sc.Account, sc.Region, g.Name))
	})
	if err != nil {
		return nil, wrap("DeleteLogGroup", err)
	}
	a.nudge()
	return nil, nil
}

// DescribeLogGroups lists groups by name, with logGroupNamePrefix or a
// case-sensitive substring logGroupNamePattern.
func (a *API) DescribeLogGroups(ctx context.Context, in *logstypes.DescribeLogGroupsRequest) (*logstypes.DescribeLogGroupsResponse, error) {
	sc := scopeOf(ctx)
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, invalidParam("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	c, err := pageCursor("DescribeLogGroups", in.NextToken)
	if err != nil {
		return nil, err
	}
	pattern := awsapi.Deref(in.LogGroupNamePattern)
	keep := func(g *groupRec) bool {
		return strings.Contains(g.Name, pattern) && (in.LogGroupClass == "" || g.Class == string(in.LogGroupClass))
	}
	out := &logstypes.DescribeLogGroupsResponse{LogGroups: []logstypes.LogGroup{}}
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		// Keyed by name under the scope's prefix: the store's order is the
		// answer's, and a name prefix narrows the keys read.
		groups, next, err := awsapi.StorePage(tx, groupsPrefix(sc.Account, sc.Region), awsapi.Deref(in.LogGroupNamePrefix),
			c, awsapi.PageLimit(in.Limit, 50), keep)
		for _, g := range groups {
			lg := g.shape(sc)
			if n, err := countFilters(tx, sc, g.Name); err == nil {
				lg.MetricFilterCount = new(n)
			}
			if in.LogGroupNamePattern != nil {
				lg = logstypes.LogGroup{LogGroupName: lg.LogGroupName, CreationTime: lg.CreationTime, Arn: lg.Arn}
			}
			out.LogGroups = append(out.LogGroups, lg)
		}
		out.NextToken = next
		return err
	})
	if err != nil {
		return nil, wrap("DescribeLogGroups", err)
	}
	return out, nil
}

// retentionDays are the retention periods CloudWatch Logs accepts.
var retentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// PutRetentionPolicy sets how long a group keeps its events; the janitor
// deletes older ones (it is nudged to do so at once).
func (a *API) PutRetentionPolicy(ctx context.Context, in *logstypes.PutRetentionPolicyRequest) (*struct{}, error) {
	days := *in.RetentionInDays
	if !slices.Contains(retentionDays, days) {
		vals := make([]string, len(retentionDays))
		for i, d := range retentionDays {
			vals[i] = fmt.Sprint(d)
		}
		return nil, invalidParam("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			days, strings.Join(vals, ", "))
	}
	if err := a.updateGroup(ctx, *in.LogGroupName, func(g *groupRec) { g.RetentionInDays = days }); err != nil {
		return nil, wrap("PutRetentionPolicy", err)
	}
	a.nudge()
	return nil, nil
}

// DeleteRetentionPolicy makes a group keep its events forever.
func (a *API) DeleteRetentionPolicy(ctx context.Context, in *logstypes.DeleteRetentionPolicyRequest) (*struct{}, error) {
	if err := a.updateGroup(ctx, *in.LogGroupName, func(g *groupRec) { g.RetentionInDays = 0 }); err != nil {
		return nil, wrap("DeleteRetentionPolicy", err)
	}
	return nil, nil
}

// updateGroup applies change to the named group of the caller's scope.
func (a *API) updateGroup(ctx context.Context, name string, change func(*groupRec)) error {
	sc := scopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, err := getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		change(&g)
		return store.Put(tx, groupKey(sc.Account, sc.Region, name), g)
	})
	return err
}

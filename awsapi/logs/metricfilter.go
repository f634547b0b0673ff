package logs

import (
	"context"
	"strings"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Metric filters turn a group's matching log events into CloudWatch
// metric datapoints as PutLogEvents stores them (metricfilter_match.go).
// They are stored with the groups:
//
//	mf/ACCOUNT/REGION/GROUP:FILTER   a metric filter (JSON)
//
// (":" appears in neither a group's nor a filter's name), so a group's
// filters are one prefix, read in the PutLogEvents transaction.

// maxFiltersPerGroup is CloudWatch's quota of metric filters per group.
const maxFiltersPerGroup = 100

// filterRec is a metric filter as stored.
type filterRec struct {
	Name            string         `json:"name"`
	Group           string         `json:"group"`
	Pattern         string         `json:"pattern"`
	Transformations []transformRec `json:"transformations"`
	CreationTime    int64          `json:"creationTime"`
	OnTransformed   bool           `json:"onTransformed,omitempty"`
}

type transformRec struct {
	MetricName string            `json:"metricName"`
	Namespace  string            `json:"namespace"`
	Value      string            `json:"value"`
	Default    *float64          `json:"default,omitempty"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Unit       string            `json:"unit,omitempty"`
}

func filtersPrefix(account, region string) string { return "mf/" + account + "/" + region + "/" }

func groupFiltersPrefix(account, region, group string) string {
	return filtersPrefix(account, region) + group + ":"
}

func filterKey(account, region, group, name string) string {
	return groupFiltersPrefix(account, region, group) + name
}

// PutMetricFilter creates or replaces a group's metric filter.
func (a *API) PutMetricFilter(ctx context.Context, in *logstypes.PutMetricFilterRequest) (*struct{}, error) {
	sc := scopeOf(ctx)
	rec := filterRec{Name: *in.FilterName, Group: *in.LogGroupName, Pattern: awsapi.Deref(in.FilterPattern),
		OnTransformed: in.ApplyOnTransformedLogs}
	for _, t := range in.MetricTransformations {
		rec.Transformations = append(rec.Transformations, transformRec{MetricName: *t.MetricName, Namespace: *t.MetricNamespace,
			Value: *t.MetricValue, Default: t.DefaultValue, Dimensions: t.Dimensions, Unit: string(t.Unit)})
	}
	if _, err := compileFilter(rec); err != nil {
		return nil, err
	}
	key := filterKey(sc.Account, sc.Region, rec.Group, rec.Name)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if _, err := getGroup(tx, sc, rec.Group); err != nil {
			return err
		}
		old, exists, err := store.Get[filterRec](tx, key)
		if err != nil {
			return err
		}
		rec.CreationTime = a.nowMillis()
		if exists {
			rec.CreationTime = old.CreationTime
		} else {
			kvs, err := tx.List(groupFiltersPrefix(sc.Account, sc.Region, rec.Group), "", maxFiltersPerGroup)
			if err != nil {
				return err
			}
			if len(kvs) >= maxFiltersPerGroup {
				return awsapi.Errorf(codeLimitExceeded, "Resource limit exceeded: a log group can have at most %d metric filters.", maxFiltersPerGroup)
			}
		}
		return store.Put(tx, key, rec)
	})
	if err != nil {
		return nil, wrap("PutMetricFilter", err)
	}
	return nil, nil
}

// DeleteMetricFilter deletes a group's metric filter.
func (a *API) DeleteMetricFilter(ctx context.Context, in *logstypes.DeleteMetricFilterRequest) (*struct{}, error) {
	sc := scopeOf(ctx)
	key := filterKey(sc.Account, sc.Region, *in.LogGroupName, *in.FilterName)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if _, err := getGroup(tx, sc, *in.LogGroupName); err != nil {
			return err
		}
		if _, ok, err := tx.Get(key); err != nil || !ok {
			if err != nil {
				return err
			}
			return awsapi.Errorf(codeResourceNotFound, "The specified metric filter does not exist.")
		}
		return tx.Delete(key)
	})
	if err != nil {
		return nil, wrap("DeleteMetricFilter", err)
	}
	a.filters.forget(key)
	return nil, nil
}

// DescribeMetricFilters lists metric filters by group and name: of one
// group (with an optional name prefix) or of the whole scope, optionally
// only those that publish one metric.
func (a *API) DescribeMetricFilters(ctx context.Context, in *logstypes.DescribeMetricFiltersRequest) (*logstypes.DescribeMetricFiltersResponse, error) {
	sc := scopeOf(ctx)
	if (in.MetricName == nil) != (in.MetricNamespace == nil) {
		return nil, invalidParam("metricName and metricNamespace must be specified together.")
	}
	limit := awsapi.PageLimit(in.Limit, 50)
	if limit > 50 {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50", limit)
	}
	prefix, match := filtersPrefix(sc.Account, sc.Region), ""
	if in.LogGroupName != nil { // as CloudWatch, filterNamePrefix counts only with logGroupName
		match = *in.LogGroupName + ":" + awsapi.Deref(in.FilterNamePrefix)
	}
	cur, err := pageCursor("DescribeMetricFilters", in.NextToken)
	if err != nil {
		return nil, err
	}
	keep := func(f *filterRec) bool {
		if in.MetricName == nil {
			return true
		}
		for _, t := range f.Transformations {
			if t.MetricName == *in.MetricName && t.Namespace == *in.MetricNamespace {
				return true
			}
		}
		return false
	}
	out := &logstypes.DescribeMetricFiltersResponse{MetricFilters: []logstypes.MetricFilter{}}
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if in.LogGroupName != nil {
			if _, err := getGroup(tx, sc, *in.LogGroupName); err != nil {
				return err
			}
		}
		recs, next, err := awsapi.StorePage(tx, prefix, match, cur, limit, keep)
		for _, f := range recs {
			out.MetricFilters = append(out.MetricFilters, f.shape())
		}
		out.NextToken = next
		return err
	})
	if err != nil {
		return nil, wrap("DescribeMetricFilters", err)
	}
	return out, nil
}

func (f filterRec) shape() logstypes.MetricFilter {
	out := logstypes.MetricFilter{FilterName: new(f.Name), FilterPattern: new(f.Pattern), CreationTime: new(f.CreationTime),
		LogGroupName: new(f.Group), ApplyOnTransformedLogs: f.OnTransformed}
	for _, t := range f.Transformations {
		mt := logstypes.MetricTransformation{MetricName: new(t.MetricName), MetricNamespace: new(t.Namespace),
			MetricValue: new(t.Value), DefaultValue: t.Default, Dimensions: t.Dimensions, Unit: logstypes.StandardUnit(t.Unit)}
		out.MetricTransformations = append(out.MetricTransformations, mt)
	}
	return out
}

// TestMetricFilter reports which of the messages a pattern matches, with
// the fields a space-delimited pattern names ($name).
func (a *API) TestMetricFilter(ctx context.Context, in *logstypes.TestMetricFilterRequest) (*logstypes.TestMetricFilterResponse, error) {
	m, err := compileMatcher(*in.FilterPattern)
	if err != nil {
		return nil, err
	}
	out := &logstypes.TestMetricFilterResponse{Matches: []logstypes.MetricFilterMatchRecord{}}
	for i, msg := range in.LogEventMessages {
		var ev matchEvent
		ev.reset(msg)
		ok, bound := m.match(&ev, true)
		if !ok {
			continue
		}
		rec := logstypes.MetricFilterMatchRecord{EventNumber: int64(i + 1), EventMessage: new(msg)}
		if len(bound) > 0 {
			rec.ExtractedValues = map[string]string{}
			for k, v := range bound {
				rec.ExtractedValues["$"+k] = v
			}
		}
		out.Matches = append(out.Matches, rec)
	}
	return out, nil
}

// deleteGroupFilters deletes a deleted group's metric filters (called in
// DeleteLogGroup's transaction).
func deleteGroupFilters(tx store.Tx, sc scope, group string) error {
	kvs, err := tx.List(groupFiltersPrefix(sc.Account, sc.Region, group), "", 0)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if err := tx.Delete(kv.Key); err != nil {
			return err
		}
	}
	return nil
}

// countFilters is a group's metricFilterCount.
func countFilters(tx store.ReadTx, sc scope, group string) (int32, error) {
	kvs, err := tx.List(groupFiltersPrefix(sc.Account, sc.Region, group), "", maxFiltersPerGroup)
	return int32(len(kvs)), err
}

// isSelector reports whether a metric value or dimension names a field.
func isSelector(s string) bool { return strings.HasPrefix(s, "$") }

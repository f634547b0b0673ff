package cloudwatch

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	cw "github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/metrics"
)

var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// GetMetricData answers MetricStat queries and simple metric math
// (math.go: arithmetic, SUM, AVG, MIN, MAX, METRICS()); other math
// functions are refused by name.
func (a *API) GetMetricData(ctx context.Context, in *cw.GetMetricDataInput) (*cw.GetMetricDataOutput, error) {
	acct, region := scope(ctx)
	if len(in.MetricDataQueries) == 0 {
		return nil, errMissing("The parameter MetricDataQueries is required.")
	}
	if len(in.MetricDataQueries) > maxQueries {
		return nil, errInvalid("The collection MetricDataQueries must not have a size greater than %d.", maxQueries)
	}
	if !in.EndTime.After(in.StartTime.Time) {
		return nil, errInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	vars := map[string]metrics.Series{}
	var all []metrics.Series
	var exprs []int
	for i, q := range in.MetricDataQueries {
		id := awsapi.Deref(q.Id)
		if !queryID.MatchString(id) {
			return nil, errInvalid("The value %s for parameter MetricDataQueries.member.%d.Id is invalid: it must start with a lowercase letter and hold only letters, digits and underscores.", id, i+1)
		}
		if _, dup := vars[id]; dup || slices.ContainsFunc(exprs, func(j int) bool { return awsapi.Deref(in.MetricDataQueries[j].Id) == id }) {
			return nil, errInvalid("The value %s for parameter MetricDataQueries.member.%d.Id is not unique.", id, i+1)
		}
		if q.Expression != nil {
			if q.MetricStat != nil {
				return nil, errCombination("MetricDataQueries.member.%d must specify either MetricStat or Expression, not both.", i+1)
			}
			exprs = append(exprs, i)
			continue
		}
		ms := q.MetricStat
		if ms == nil || ms.Metric == nil {
			return nil, errMissing("MetricDataQueries.member.%d must specify MetricStat or Expression.", i+1)
		}
		period := int64(awsapi.Deref(ms.Period))
		if err := checkPeriod(period, "MetricDataQueries.member.MetricStat.Period"); err != nil {
			return nil, err
		}
		stat := awsapi.Deref(ms.Stat)
		if !validStat(stat) {
			return nil, errInvalid("The value %s for parameter MetricDataQueries.member.%d.MetricStat.Stat is not supported: wharf serves SampleCount, Average, Sum, Minimum, Maximum and pNN.NN.", stat, i+1)
		}
		s := metrics.Series{}
		start, minPeriod := alignStart(in.StartTime.Time, a.Now())
		if bucketPeriod := max(period, 60); bucketPeriod%minPeriod == 0 {
			mid := metrics.ID{Account: acct, Region: region, Namespace: awsapi.Deref(ms.Metric.Namespace), Name: awsapi.Deref(ms.Metric.MetricName), Dims: dims(ms.Metric.Dimensions)}
			buckets, _ := a.M.Fetch(metrics.Query{ID: mid, Unit: string(ms.Unit), Start: start, End: in.EndTime.Time, Period: bucketPeriod})
			for _, b := range buckets {
				if v, ok := b.Stat(stat); ok {
					s[b.Start.Unix()] = v
				}
			}
		}
		vars[id] = s
		all = append(all, s)
	}
	// Expressions may use one another: evaluate those whose ids are known
	// until none is left (or none can go on).
	for pending := exprs; len(pending) > 0; {
		var next []int
		var lastErr error
		for _, i := range pending {
			q := in.MetricDataQueries[i]
			s, err := metrics.EvalExpression(*q.Expression, vars, all)
			if err != nil {
				next, lastErr = append(next, i), fmt.Errorf("MetricDataQueries.member.%d: %s: %w", i+1, *q.Expression, err)
				continue
			}
			vars[awsapi.Deref(q.Id)] = s
		}
		if len(next) == len(pending) {
			return nil, errInvalid("%v", lastErr)
		}
		pending = next
	}

	limit := defaultMaxPoints
	if in.MaxDatapoints != nil && *in.MaxDatapoints > 0 {
		limit = int(*in.MaxDatapoints)
	}
	skip, err := metricDataOffset(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &cw.GetMetricDataOutput{MetricDataResults: []cw.MetricDataResult{}}
	// The datapoints of all results, in order, are one sequence: a page
	// holds at most limit of them, the NextToken says how many came before.
	seen, taken := 0, 0
	for _, q := range in.MetricDataQueries {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		res := cw.MetricDataResult{Id: q.Id, Label: q.Label, StatusCode: cw.StatusCodeComplete, Timestamps: []shape.Timestamp{}, Values: []float64{}}
		if res.Label == nil {
			if q.MetricStat != nil {
				res.Label = q.MetricStat.Metric.MetricName
			} else {
				res.Label = q.Id
			}
		}
		s := vars[awsapi.Deref(q.Id)]
		ts := slices.Sorted(maps.Keys(s))
		if in.ScanBy != cw.ScanByTimestampAscending {
			slices.Reverse(ts)
		}
		for _, t := range ts {
			seen++
			if seen <= skip {
				continue
			}
			if taken >= limit {
				res.StatusCode = cw.StatusCodePartialData
				out.NextToken = awsapi.Cursor{List: "metricdata"}.Next(fmt.Sprintf("%020d", skip+taken))
				break
			}
			res.Timestamps = append(res.Timestamps, shape.TimeOf(time.Unix(t, 0).UTC()))
			res.Values = append(res.Values, s[t])
			taken++
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	return out, nil
}

// metricDataOffset is how many datapoints earlier pages returned.
func metricDataOffset(tok *string) (int, error) {
	bad := awsapi.Errorf(codeInvalidNextToken, "The service cannot decode the NextToken.")
	c, err := awsapi.ParseCursor("metricdata", tok, bad)
	if err != nil || c.After == "" {
		return 0, err
	}
	n, err := strconv.Atoi(c.After)
	if err != nil || n < 0 {
		return 0, bad
	}
	return n, nil
}

func validStat(s string) bool {
	switch s {
	case "SampleCount", "Average", "Sum", "Minimum", "Maximum":
		return true
	}
	_, ok := metrics.ParsePercentile(s)
	return ok
}

// listPage is ListMetrics' page size, as CloudWatch's.
const listPage = 500

// ListMetrics lists the metrics with data in the last two weeks (three
// hours with RecentlyActive=PT3H), filtered by namespace, name and
// dimensions (a filter without a value matches any value).
func (a *API) ListMetrics(ctx context.Context, in *cw.ListMetricsInput) (*cw.ListMetricsOutput, error) {
	acct, region := scope(ctx)
	c, err := awsapi.ParseCursor("metrics", in.NextToken, awsapi.Errorf(codeInvalidNextToken, "The service cannot decode the NextToken."))
	if err != nil {
		return nil, err
	}
	f := metrics.Filter{Account: acct, Region: region, Namespace: awsapi.Deref(in.Namespace), Name: awsapi.Deref(in.MetricName),
		RecentlyActive: in.RecentlyActive == cw.RecentlyActivePt3h}
	for _, d := range in.Dimensions {
		f.Dims = append(f.Dims, metrics.Dim{Name: awsapi.Deref(d.Name), Value: awsapi.Deref(d.Value)})
	}
	all := a.M.List(f)
	slices.SortFunc(all, func(x, y metrics.Info) int { return strings.Compare(infoKey(x), infoKey(y)) })
	page, next := awsapi.SlicePage(all, infoKey, c, listPage)
	out := &cw.ListMetricsOutput{Metrics: make([]cw.Metric, 0, len(page)), NextToken: next}
	for _, m := range page {
		out.Metrics = append(out.Metrics, cw.Metric{Namespace: new(m.Namespace), MetricName: new(m.Name), Dimensions: wireDims(m.Dims)})
	}
	return out, nil
}

func infoKey(m metrics.Info) string {
	var b strings.Builder
	b.WriteString(m.Namespace + "\x00" + m.Name)
	for _, d := range m.Dims {
		b.WriteString("\x00" + d.Name + "=" + d.Value)
	}
	return b.String()
}

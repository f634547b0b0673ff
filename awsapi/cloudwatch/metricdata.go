package cloudwatch

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	cw "github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/metrics"
)

// Limits CloudWatch documents for PutMetricData and the reads.
const (
	maxPutData       = 1000
	maxValues        = 150
	maxDims          = 30
	maxDatapoints    = 1440 // GetMetricStatistics
	maxQueries       = 500  // GetMetricData
	defaultMaxPoints = 100800
	pastLimit        = 14 * 24 * time.Hour // PutMetricData accepts two weeks back
	futureLimit      = 2 * time.Hour
)

// PutMetricData stores values, statistic sets and Values/Counts arrays.
func (a *API) PutMetricData(ctx context.Context, in *cw.PutMetricDataInput) (*struct{}, error) {
	acct, region := scope(ctx)
	ns := awsapi.Deref(in.Namespace)
	if strings.HasPrefix(ns, "AWS/") {
		return nil, errInvalid("The value AWS/ for parameter Namespace is invalid: namespaces beginning with AWS/ are reserved for AWS services.")
	}
	if len(in.MetricData) == 0 {
		return nil, errMissing("The parameter MetricData is required.")
	}
	if len(in.MetricData) > maxPutData {
		return nil, errInvalid("The collection MetricData must not have a size greater than %d.", maxPutData)
	}
	now := a.Now()
	data := make([]metrics.Datum, 0, len(in.MetricData))
	for i, md := range in.MetricData {
		d, err := datum(md, now, i+1)
		if err != nil {
			return nil, err
		}
		d.Account, d.Region, d.Namespace = acct, region, ns
		data = append(data, d)
	}
	a.M.Put(data...)
	return nil, nil
}

// datum checks one MetricDatum as CloudWatch does and converts it.
func datum(md cw.MetricDatum, now time.Time, n int) (metrics.Datum, error) {
	at := fmt.Sprintf("MetricData.member.%d", n)
	has := 0
	for _, b := range []bool{md.Value != nil, md.StatisticValues != nil, len(md.Values) > 0} {
		if b {
			has++
		}
	}
	if has > 1 {
		return metrics.Datum{}, errCombination("The parameters %s.Value, %s.StatisticValues and %s.Values are mutually exclusive and you have specified more than one.", at, at, at)
	}
	if has == 0 {
		return metrics.Datum{}, errMissing("At least one of the parameters %s.Value, %s.StatisticValues or %s.Values must be specified.", at, at, at)
	}
	if len(md.Dimensions) > maxDims {
		return metrics.Datum{}, errInvalid("The collection %s.Dimensions must not have a size greater than %d.", at, maxDims)
	}
	if len(md.Values) > maxValues {
		return metrics.Datum{}, errInvalid("The collection %s.Values must not have a size greater than %d.", at, maxValues)
	}
	if len(md.Counts) > 0 && len(md.Counts) != len(md.Values) {
		return metrics.Datum{}, errInvalid("The parameters %s.Values and %s.Counts must be of the same size.", at, at)
	}
	if r := awsapi.Deref(md.StorageResolution); md.StorageResolution != nil && r != 1 && r != 60 {
		return metrics.Datum{}, errInvalid("The value %d for parameter %s.StorageResolution is invalid: it must be 1 or 60.", r, at)
	}
	for _, v := range append(append([]float64{awsapi.Deref(md.Value)}, md.Values...), md.Counts...) {
		if math.IsNaN(v) || math.IsInf(v, 0) || (v != 0 && (math.Abs(v) > 1e108 || math.Abs(v) < 1e-130)) {
			return metrics.Datum{}, errInvalid("The value %v for parameter %s is invalid: values must be in the range -2^360 to 2^360, or 0.", v, at)
		}
	}
	t := now
	if !md.Timestamp.IsZero() {
		t = md.Timestamp.Time
		if t.Before(now.Add(-pastLimit)) || t.After(now.Add(futureLimit)) {
			return metrics.Datum{}, errInvalid("The parameter %s.Timestamp must specify a time no more than two weeks in the past or two hours in the future.", at)
		}
	}
	d := metrics.Datum{ID: metrics.ID{Name: awsapi.Deref(md.MetricName), Dims: dims(md.Dimensions)},
		Unit: string(md.Unit), Time: t, Value: md.Value, Values: md.Values, Counts: md.Counts}
	if s := md.StatisticValues; s != nil {
		d.Set = &metrics.StatSet{Sum: awsapi.Deref(s.Sum), SampleCount: awsapi.Deref(s.SampleCount), Min: awsapi.Deref(s.Minimum), Max: awsapi.Deref(s.Maximum)}
		if d.Set.SampleCount <= 0 || d.Set.Min > d.Set.Max {
			return metrics.Datum{}, errInvalid("The parameter %s.StatisticValues is invalid: SampleCount must be positive and Minimum not above Maximum.", at)
		}
	}
	return d, nil
}

func dims(in []cw.Dimension) []metrics.Dim {
	out := make([]metrics.Dim, 0, len(in))
	for _, d := range in {
		out = append(out, metrics.Dim{Name: awsapi.Deref(d.Name), Value: awsapi.Deref(d.Value)})
	}
	return out
}

func wireDims(in []metrics.Dim) []cw.Dimension {
	out := make([]cw.Dimension, 0, len(in))
	for _, d := range in {
		out = append(out, cw.Dimension{Name: new(d.Name), Value: new(d.Value)})
	}
	return out
}

// alignStart rounds a query's start as CloudWatch documents: down to the
// minute when under 15 days old, to 5 minutes until 63 days, to the hour
// beyond. minPeriod is the period the data of that age is kept at: a
// request whose period is not a multiple of it gets no data points there.
func alignStart(start, now time.Time) (aligned time.Time, minPeriod int64) {
	age := now.Sub(start)
	switch {
	case age <= metrics.Keep1m:
		return start.Truncate(time.Minute), 60
	case age <= metrics.Keep5m:
		return start.Truncate(5 * time.Minute), 300
	default:
		return start.Truncate(time.Hour), 3600
	}
}

// checkPeriod checks a period as CloudWatch does: 1, 5, 10, 20, 30 or a
// multiple of 60 seconds.
func checkPeriod(p int64, member string) error {
	switch {
	case p <= 0:
		return errInvalid("The parameter %s must be greater than 0.", member)
	case p < 60 && !slices.Contains([]int64{1, 5, 10, 20, 30}, p):
		return errInvalid("The parameter %s must be 1, 5, 10, 20, 30, or a multiple of 60.", member)
	case p >= 60 && p%60 != 0:
		return errInvalid("The parameter %s must be 1, 5, 10, 20, 30, or a multiple of 60.", member)
	}
	return nil
}

// GetMetricStatistics answers statistics and percentiles per period.
func (a *API) GetMetricStatistics(ctx context.Context, in *cw.GetMetricStatisticsInput) (*cw.GetMetricStatisticsOutput, error) {
	acct, region := scope(ctx)
	if len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0 {
		return nil, errMissing("Must specify either Statistics or ExtendedStatistics.")
	}
	if len(in.Statistics)+len(in.ExtendedStatistics) > 10 {
		return nil, errInvalid("The collections Statistics and ExtendedStatistics must not have more than 10 members together.")
	}
	for _, e := range in.ExtendedStatistics {
		if _, ok := metrics.ParsePercentile(e); !ok {
			return nil, errInvalid("The value %s for parameter ExtendedStatistics is not supported: wharf serves percentiles pNN.NN.", e)
		}
	}
	period := int64(awsapi.Deref(in.Period))
	if err := checkPeriod(period, "Period"); err != nil {
		return nil, err
	}
	if !in.EndTime.After(in.StartTime.Time) {
		return nil, errInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	start, minPeriod := alignStart(in.StartTime.Time, a.Now())
	bucketPeriod := max(period, 60)
	if (in.EndTime.Sub(start)/time.Second)/time.Duration(bucketPeriod) > maxDatapoints {
		return nil, errInvalid("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
			int64(in.EndTime.Sub(start)/time.Second)/bucketPeriod, maxDatapoints)
	}
	out := &cw.GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []cw.Datapoint{}}
	if bucketPeriod%minPeriod != 0 {
		return out, nil
	}
	id := metrics.ID{Account: acct, Region: region, Namespace: awsapi.Deref(in.Namespace), Name: awsapi.Deref(in.MetricName), Dims: dims(in.Dimensions)}
	buckets, unit := a.M.Fetch(metrics.Query{ID: id, Unit: string(in.Unit), Start: start, End: in.EndTime.Time, Period: bucketPeriod})
	for _, b := range buckets {
		dp := cw.Datapoint{Timestamp: shape.TimeOf(b.Start), Unit: cw.StandardUnit(unit)}
		for _, s := range in.Statistics {
			v, _ := b.Stat(string(s))
			switch s {
			case cw.StatisticSampleCount:
				dp.SampleCount = new(v)
			case cw.StatisticAverage:
				dp.Average = new(v)
			case cw.StatisticSum:
				dp.Sum = new(v)
			case cw.StatisticMinimum:
				dp.Minimum = new(v)
			case cw.StatisticMaximum:
				dp.Maximum = new(v)
			}
		}
		for _, e := range in.ExtendedStatistics {
			if v, ok := b.Stat(e); ok {
				if dp.ExtendedStatistics == nil {
					dp.ExtendedStatistics = map[string]float64{}
				}
				dp.ExtendedStatistics[e] = v
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

// xmlDatapoint is a Datapoint for the Query protocol, whose maps are lists
// of entry elements (encoding/xml does not encode Go maps).
type xmlDatapoint struct {
	Timestamp          shape.Timestamp `xml:"Timestamp"`
	SampleCount        *float64        `xml:"SampleCount,omitempty"`
	Average            *float64        `xml:"Average,omitempty"`
	Sum                *float64        `xml:"Sum,omitempty"`
	Minimum            *float64        `xml:"Minimum,omitempty"`
	Maximum            *float64        `xml:"Maximum,omitempty"`
	Unit               string          `xml:"Unit,omitempty"`
	ExtendedStatistics []xmlEntry      `xml:"ExtendedStatistics>entry,omitempty"`
}

type xmlEntry struct {
	Key   string  `xml:"key"`
	Value float64 `xml:"value"`
}

type xmlStatisticsOutput struct {
	Label      *string        `xml:"Label,omitempty"`
	Datapoints []xmlDatapoint `xml:"Datapoints>member"`
}

func (a *API) getMetricStatisticsXML(ctx context.Context, in *cw.GetMetricStatisticsInput) (*xmlStatisticsOutput, error) {
	out, err := a.GetMetricStatistics(ctx, in)
	if err != nil {
		return nil, err
	}
	x := &xmlStatisticsOutput{Label: out.Label}
	for _, dp := range out.Datapoints {
		xd := xmlDatapoint{Timestamp: dp.Timestamp, SampleCount: dp.SampleCount, Average: dp.Average, Sum: dp.Sum,
			Minimum: dp.Minimum, Maximum: dp.Maximum, Unit: string(dp.Unit)}
		for _, k := range slices.Sorted(maps.Keys(dp.ExtendedStatistics)) {
			xd.ExtendedStatistics = append(xd.ExtendedStatistics, xmlEntry{Key: k, Value: dp.ExtendedStatistics[k]})
		}
		x.Datapoints = append(x.Datapoints, xd)
	}
	return x, nil
}

package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	cw "github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
)

var treatments = []string{"breaching", "notBreaching", "ignore", "missing"}

// PutMetricAlarm creates an alarm in INSUFFICIENT_DATA, or overwrites an
// existing alarm's configuration leaving its state (and tags) unchanged,
// as CloudWatch does.
func (a *API) PutMetricAlarm(ctx context.Context, in *cw.PutMetricAlarmInput) (*struct{}, error) {
	acct, region := scope(ctx)
	al, err := alarmFromInput(in)
	if err != nil {
		return nil, err
	}
	al.Account, al.Region = acct, region
	al.ARN = metrics.AlarmARN(acct, region, al.Name)
	now := a.Now().UTC()
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		key := metrics.AlarmKey(acct, region, al.Name)
		old, exists, err := store.Get[metrics.Alarm](tx, key)
		if err != nil {
			return err
		}
		if exists && old.Rule != "" {
			return errInvalid("The alarm %s is a composite alarm; a metric alarm needs another name.", al.Name)
		}
		return putAlarm(tx, key, &al, old, exists, in.Tags, now, func(al metrics.Alarm) any { return toWire(al) })
	})
	return nil, wrap("PutMetricAlarm", err)
}

// alarmFromInput checks a PutMetricAlarm request as CloudWatch does and
// builds the alarm's definition.
func alarmFromInput(in *cw.PutMetricAlarmInput) (metrics.Alarm, error) {
	if in.ThresholdMetricId != nil {
		return metrics.Alarm{}, errInvalid("Alarms on anomaly detection bands (ThresholdMetricId) are not served by wharf yet.")
	}
	if len(in.Metrics) > 0 {
		return mathAlarm(in)
	}
	if in.MetricName == nil || in.Namespace == nil {
		return metrics.Alarm{}, errMissing("The parameters MetricName and Namespace are required for an alarm on a single metric.")
	}
	if (in.Statistic == "") == (in.ExtendedStatistic == nil) {
		return metrics.Alarm{}, errCombination("Exactly one of the parameters Statistic and ExtendedStatistic must be specified.")
	}
	if in.ExtendedStatistic != nil {
		if _, ok := metrics.ParsePercentile(*in.ExtendedStatistic); !ok {
			return metrics.Alarm{}, errInvalid("The value %s for parameter ExtendedStatistic is not supported: wharf serves percentiles pNN.NN.", *in.ExtendedStatistic)
		}
	}
	if in.Period == nil {
		return metrics.Alarm{}, errMissing("The parameter Period is required.")
	}
	period := int64(*in.Period)
	if slices.Contains([]int64{10, 20, 30}, period) {
		return metrics.Alarm{}, errInvalid("The value %d for parameter Period is not served: wharf keeps metrics at 1-minute resolution, so high-resolution alarms (10, 20 or 30 seconds) are not evaluated; use a multiple of 60.", period)
	}
	if period < 60 || period%60 != 0 {
		return metrics.Alarm{}, errInvalid("The value %d for parameter Period is invalid: it must be 10, 20, 30 or a multiple of 60.", period)
	}
	return alarmRest(in, metrics.Alarm{Namespace: *in.Namespace, MetricName: *in.MetricName, Dims: dims(in.Dimensions), Unit: string(in.Unit),
		Statistic: string(in.Statistic), ExtendedStatistic: awsapi.Deref(in.ExtendedStatistic), Period: period})
}

// mathAlarm checks a metric math alarm's Metrics: no single-metric member
// beside them, exactly one query returning data, periods of whole
// minutes, expressions wharf can evaluate.
func mathAlarm(in *cw.PutMetricAlarmInput) (metrics.Alarm, error) {
	if in.MetricName != nil || in.Namespace != nil || in.Statistic != "" || in.ExtendedStatistic != nil || in.Period != nil || len(in.Dimensions) > 0 || in.Unit != "" {
		return metrics.Alarm{}, errCombination("Metrics cannot be specified together with MetricName, Namespace, Statistic, ExtendedStatistic, Period, Dimensions or Unit.")
	}
	al := metrics.Alarm{}
	returning := 0
	trial := map[string]metrics.Series{}
	for i, q := range in.Metrics {
		aq := metrics.AlarmQuery{ID: awsapi.Deref(q.Id), Expression: awsapi.Deref(q.Expression), Label: awsapi.Deref(q.Label),
			ReturnData: q.ReturnData == nil || *q.ReturnData, Period: int64(awsapi.Deref(q.Period))}
		if !queryID.MatchString(aq.ID) {
			return al, errInvalid("The value %s for parameter Metrics.member.%d.Id is invalid.", aq.ID, i+1)
		}
		if (q.Expression == nil) == (q.MetricStat == nil) {
			return al, errCombination("Metrics.member.%d must specify exactly one of MetricStat and Expression.", i+1)
		}
		if ms := q.MetricStat; ms != nil {
			if ms.Metric == nil || !validStat(awsapi.Deref(ms.Stat)) {
				return al, errInvalid("Metrics.member.%d.MetricStat needs a Metric and a Stat wharf serves (SampleCount, Average, Sum, Minimum, Maximum, pNN.NN).", i+1)
			}
			aq.Namespace, aq.MetricName, aq.Dims = awsapi.Deref(ms.Metric.Namespace), awsapi.Deref(ms.Metric.MetricName), dims(ms.Metric.Dimensions)
			aq.Period, aq.Stat, aq.Unit = int64(awsapi.Deref(ms.Period)), awsapi.Deref(ms.Stat), string(ms.Unit)
			if aq.Period < 60 || aq.Period%60 != 0 {
				return al, errInvalid("The value %d for parameter Metrics.member.%d.MetricStat.Period is not served: wharf evaluates alarms on whole minutes (a multiple of 60).", aq.Period, i+1)
			}
		}
		if aq.ReturnData {
			returning++
			if aq.Period > 0 {
				al.Period = aq.Period
			}
		}
		if al.Period == 0 && aq.Period > 0 && aq.Expression == "" {
			al.Period = aq.Period
		}
		trial[aq.ID] = metrics.Series{}
		al.Queries = append(al.Queries, aq)
	}
	if returning != 1 {
		return al, errInvalid("Exactly one element of the Metrics list must have ReturnData set to true.")
	}
	for i, q := range al.Queries {
		if q.Expression == "" {
			continue
		}
		if _, err := metrics.EvalExpression(q.Expression, trial, nil); err != nil && !strings.Contains(err.Error(), "single number") {
			return al, errInvalid("Metrics.member.%d.Expression %q: %v", i+1, q.Expression, err)
		}
	}
	if al.Period == 0 {
		return al, errMissing("A metric math alarm needs a Period on its MetricStat queries or on the expression that returns data.")
	}
	return alarmRest(in, al)
}

// alarmRest checks and fills in what both kinds of alarm share.
func alarmRest(in *cw.PutMetricAlarmInput, al metrics.Alarm) (metrics.Alarm, error) {
	period := al.Period
	n := int(awsapi.Deref(in.EvaluationPeriods))
	if n < 1 {
		return metrics.Alarm{}, errInvalid("The parameter EvaluationPeriods must be greater than or equal to 1.")
	}
	if period*int64(n) > 7*86400 {
		return metrics.Alarm{}, errInvalid("The product of EvaluationPeriods and Period must not exceed 604800 seconds (7 days).")
	}
	m := int(awsapi.Deref(in.DatapointsToAlarm))
	if in.DatapointsToAlarm != nil && (m < 1 || m > n) {
		return metrics.Alarm{}, errInvalid("DatapointsToAlarm must be between 1 and EvaluationPeriods (%d).", n)
	}
	if in.Threshold == nil {
		return metrics.Alarm{}, errMissing("The parameter Threshold is required.")
	}
	switch in.ComparisonOperator {
	case cw.ComparisonOperatorGreaterThanOrEqualToThreshold, cw.ComparisonOperatorGreaterThanThreshold,
		cw.ComparisonOperatorLessThanThreshold, cw.ComparisonOperatorLessThanOrEqualToThreshold:
	default:
		return metrics.Alarm{}, errInvalid("The value %s for parameter ComparisonOperator is not served: anomaly detection bands need ThresholdMetricId, which wharf does not serve yet.", in.ComparisonOperator)
	}
	treat := awsapi.Deref(in.TreatMissingData)
	if treat != "" && !slices.Contains(treatments, treat) {
		return metrics.Alarm{}, errInvalid("The value %s for parameter TreatMissingData is invalid: it must be one of %s.", treat, strings.Join(treatments, ", "))
	}
	if e := awsapi.Deref(in.EvaluateLowSampleCountPercentile); e != "" && e != "evaluate" && e != "ignore" {
		return metrics.Alarm{}, errInvalid("The value %s for parameter EvaluateLowSampleCountPercentile is invalid: it must be evaluate or ignore.", e)
	}
	for _, group := range [][]string{in.OKActions, in.AlarmActions, in.InsufficientDataActions} {
		if len(group) > 5 {
			return metrics.Alarm{}, errInvalid("An alarm may have at most 5 actions for each state.")
		}
		for _, arn := range group {
			if !strings.HasPrefix(arn, "arn:") {
				return metrics.Alarm{}, errInvalid("Invalid arn syntax: %s", arn)
			}
		}
	}
	enabled := true
	if in.ActionsEnabled != nil {
		enabled = *in.ActionsEnabled
	}
	al.Name, al.Description, al.ActionsEnabled = awsapi.Deref(in.AlarmName), awsapi.Deref(in.AlarmDescription), enabled
	al.OKActions, al.AlarmActions, al.InsufficientDataActions = in.OKActions, in.AlarmActions, in.InsufficientDataActions
	al.EvaluationPeriods, al.DatapointsToAlarm, al.Threshold = n, m, *in.Threshold
	al.ComparisonOperator, al.TreatMissingData = string(in.ComparisonOperator), treat
	al.EvaluateLowSampleCountPercentile = awsapi.Deref(in.EvaluateLowSampleCountPercentile)
	return al, nil
}

// toWire is an alarm as DescribeAlarms answers it.
func toWire(al metrics.Alarm) cw.MetricAlarm {
	w := cw.MetricAlarm{
		AlarmName: new(al.Name), AlarmArn: new(al.ARN), ActionsEnabled: new(al.ActionsEnabled),
		AlarmConfigurationUpdatedTimestamp: shape.TimeOf(al.ConfigUpdated),
		OKActions:                          awsapi.OrEmpty(al.OKActions), AlarmActions: awsapi.OrEmpty(al.AlarmActions),
		InsufficientDataActions: awsapi.OrEmpty(al.InsufficientDataActions),
		StateValue:              cw.StateValue(al.State), StateReason: new(al.StateReason),
		StateUpdatedTimestamp:      shape.TimeOf(al.StateUpdated),
		StateTransitionedTimestamp: shape.TimeOf(al.StateTransitioned),
		MetricName:                 new(al.MetricName), Namespace: new(al.Namespace), Statistic: cw.Statistic(al.Statistic),
		Dimensions: wireDims(al.Dims), Period: new(int32(al.Period)), Unit: cw.StandardUnit(al.Unit),
		EvaluationPeriods: new(int32(al.EvaluationPeriods)), Threshold: new(al.Threshold),
		ComparisonOperator: cw.ComparisonOperator(al.ComparisonOperator),
	}
	if al.Description != "" {
		w.AlarmDescription = new(al.Description)
	}
	if al.StateReasonData != "" {
		w.StateReasonData = new(al.StateReasonData)
	}
	if al.ExtendedStatistic != "" {
		w.ExtendedStatistic = new(al.ExtendedStatistic)
	}
	if al.DatapointsToAlarm > 0 {
		w.DatapointsToAlarm = new(int32(al.DatapointsToAlarm))
	}
	if al.TreatMissingData != "" {
		w.TreatMissingData = new(al.TreatMissingData)
	}
	if al.EvaluateLowSampleCountPercentile != "" {
		w.EvaluateLowSampleCountPercentile = new(al.EvaluateLowSampleCountPercentile)
	}
	if len(al.Queries) > 0 {
		w.MetricName, w.Namespace, w.Period, w.Dimensions = nil, nil, nil, nil
		for _, q := range al.Queries {
			mq := cw.MetricDataQuery{Id: new(q.ID), ReturnData: new(q.ReturnData)}
			if q.Label != "" {
				mq.Label = new(q.Label)
			}
			if q.Expression != "" {
				mq.Expression = new(q.Expression)
				if q.Period > 0 {
					mq.Period = new(int32(q.Period))
				}
			} else {
				mq.MetricStat = &cw.MetricStat{Metric: &cw.Metric{Namespace: new(q.Namespace), MetricName: new(q.MetricName), Dimensions: wireDims(q.Dims)},
					Period: new(int32(q.Period)), Stat: new(q.Stat), Unit: cw.StandardUnit(q.Unit)}
			}
			w.Metrics = append(w.Metrics, mq)
		}
	}
	return w
}

// DescribeAlarms lists metric alarms (and composite alarms when
// AlarmTypes asks) by names or name prefix, state and
// action prefix, in name order.
func (a *API) DescribeAlarms(ctx context.Context, in *cw.DescribeAlarmsInput) (*cw.DescribeAlarmsOutput, error) {
	acct, region := scope(ctx)
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, errCombination("AlarmNames and AlarmNamePrefix cannot be specified together.")
	}
	if in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil {
		return a.describeRelatives(ctx, in)
	}
	out := &cw.DescribeAlarmsOutput{MetricAlarms: []cw.MetricAlarm{}, CompositeAlarms: []cw.CompositeAlarm{}}
	c, err := awsapi.ParseCursor("alarms", in.NextToken, awsapi.Errorf(codeInvalidNextToken, "The service cannot decode the NextToken."))
	if err != nil {
		return nil, err
	}
	keep := func(al *metrics.Alarm) bool {
		return alarmTypeWanted(in.AlarmTypes, al) && (len(in.AlarmNames) == 0 || slices.Contains(in.AlarmNames, al.Name)) &&
			(in.StateValue == "" || al.State == string(in.StateValue)) &&
			(in.ActionPrefix == nil || hasActionPrefix(al, *in.ActionPrefix))
	}
	items, next, err := awsapi.ViewPage(ctx, a.DB, metrics.AlarmsPrefix(acct, region), awsapi.Deref(in.AlarmNamePrefix), c, awsapi.PageLimit(in.MaxRecords, 50), keep)
	if err != nil {
		return nil, wrap("DescribeAlarms", err)
	}
	for _, al := range items {
		if al.Rule != "" {
			out.CompositeAlarms = append(out.CompositeAlarms, compositeToWire(al))
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, toWire(al))
	}
	out.NextToken = next
	return out, nil
}

func hasActionPrefix(al *metrics.Alarm, p string) bool {
	for _, g := range [][]string{al.OKActions, al.AlarmActions, al.InsufficientDataActions} {
		for _, arn := range g {
			if strings.HasPrefix(arn, p) {
				return true
			}
		}
	}
	return false
}

// DescribeAlarmsForMetric lists the alarms on one metric (its dimensions
// exactly), narrowed by statistic, period and unit when given.
func (a *API) DescribeAlarmsForMetric(ctx context.Context, in *cw.DescribeAlarmsForMetricInput) (*cw.DescribeAlarmsOutput, error) {
	acct, region := scope(ctx)
	want := metrics.ID{Account: acct, Region: region, Namespace: awsapi.Deref(in.Namespace), Name: awsapi.Deref(in.MetricName), Dims: dims(in.Dimensions)}
	all, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]metrics.Alarm, error) {
		return store.List[metrics.Alarm](tx, metrics.AlarmsPrefix(acct, region))
	})
	if err != nil {
		return nil, wrap("DescribeAlarmsForMetric", err)
	}
	out := &cw.DescribeAlarmsOutput{MetricAlarms: []cw.MetricAlarm{}}
	for _, al := range all {
		if !metrics.SameMetric(al.MetricID(), want) ||
			(in.Statistic != "" && al.Statistic != string(in.Statistic)) ||
			(in.ExtendedStatistic != nil && al.ExtendedStatistic != *in.ExtendedStatistic) ||
			(in.Period != nil && al.Period != int64(*in.Period)) ||
			(in.Unit != "" && al.Unit != string(in.Unit)) {
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, toWire(al))
	}
	return out, nil
}

// DeleteAlarms deletes alarms; if one does not exist nothing is deleted.
func (a *API) DeleteAlarms(ctx context.Context, in *cw.DeleteAlarmsInput) (*struct{}, error) {
	return nil, wrap("DeleteAlarms", a.deleteAlarms(ctx, in.AlarmNames, false))
}

func (a *API) deleteAlarms(ctx context.Context, names []string, missingOK bool) error {
	acct, region := scope(ctx)
	if len(names) > 100 {
		return errInvalid("The collection AlarmNames must not have a size greater than 100.")
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		var missing []string
		for _, n := range names {
			_, ok, err := tx.Get(metrics.AlarmKey(acct, region, n))
			if err != nil {
				return err
			}
			if !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 && !missingOK {
			return awsapi.Errorf(codeNotFound, "The following alarms were not found: [%s]", strings.Join(missing, ", "))
		}
		for _, n := range names {
			if err := tx.Delete(metrics.AlarmKey(acct, region, n)); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// SetAlarmState sets an alarm's state until its next evaluation; the
// actions of the new state run when the state changes.
func (a *API) SetAlarmState(ctx context.Context, in *cw.SetAlarmStateInput) (*struct{}, error) {
	acct, region := scope(ctx)
	if d := awsapi.Deref(in.StateReasonData); d != "" && !json.Valid([]byte(d)) {
		return nil, errInvalid("The parameter StateReasonData must be valid JSON.")
	}
	now := a.Now().UTC()
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key := metrics.AlarmKey(acct, region, awsapi.Deref(in.AlarmName))
		al, err := awsapi.Find[metrics.Alarm](tx, key, func() error {
			return awsapi.Errorf(codeNotFound, "Alarm %s not found", awsapi.Deref(in.AlarmName))
		})
		if err != nil {
			return err
		}
		h := metrics.Transition(&al, string(in.StateValue), awsapi.Deref(in.StateReason), awsapi.Deref(in.StateReasonData), now)
		if err := store.Put(tx, key, al); err != nil {
			return err
		}
		if h == nil {
			return nil
		}
		return metrics.PutHistory(tx, acct, region, *h)
	})
	return nil, wrap("SetAlarmState", err)
}

// EnableAlarmActions turns on the actions of alarms.
func (a *API) EnableAlarmActions(ctx context.Context, in *cw.EnableAlarmActionsInput) (*struct{}, error) {
	return nil, wrap("EnableAlarmActions", a.setActions(ctx, in.AlarmNames, true))
}

// DisableAlarmActions turns off the actions of alarms.
func (a *API) DisableAlarmActions(ctx context.Context, in *cw.DisableAlarmActionsInput) (*struct{}, error) {
	return nil, wrap("DisableAlarmActions", a.setActions(ctx, in.AlarmNames, false))
}

// setActions sets ActionsEnabled on the named alarms that exist (CloudWatch
// ignores names that name nothing).
func (a *API) setActions(ctx context.Context, names []string, on bool) error {
	acct, region := scope(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		for _, n := range names {
			key := metrics.AlarmKey(acct, region, n)
			al, ok, err := store.Get[metrics.Alarm](tx, key)
			if err != nil {
				return err
			}
			if !ok || al.ActionsEnabled == on {
				continue
			}
			al.ActionsEnabled = on
			if err := store.Put(tx, key, al); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// DescribeAlarmHistory lists history items (30 days are kept), newest
// first unless ScanBy says otherwise.
func (a *API) DescribeAlarmHistory(ctx context.Context, in *cw.DescribeAlarmHistoryInput) (*cw.DescribeAlarmHistoryOutput, error) {
	acct, region := scope(ctx)
	c, err := awsapi.ParseCursor("history", in.NextToken, awsapi.Errorf(codeInvalidNextToken, "The service cannot decode the NextToken."))
	if err != nil {
		return nil, err
	}
	all, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]metrics.HistoryItem, error) {
		return store.List[metrics.HistoryItem](tx, metrics.HistoryPrefix(acct, region))
	})
	if err != nil {
		return nil, wrap("DescribeAlarmHistory", err)
	}
	if len(in.AlarmTypes) > 0 && !slices.Contains(in.AlarmTypes, cw.AlarmTypeMetricAlarm) {
		all = nil
	}
	kept := all[:0]
	for _, h := range all {
		if (in.AlarmName == nil || h.AlarmName == *in.AlarmName) &&
			(in.HistoryItemType == "" || h.Type == string(in.HistoryItemType)) &&
			(in.StartDate.IsZero() || !h.Time.Before(in.StartDate.Time)) &&
			(in.EndDate.IsZero() || h.Time.Before(in.EndDate.Time)) {
			kept = append(kept, h)
		}
	}
	// Keys sort ascending by time; the page key makes either order a
	// strictly ascending sequence for SlicePage.
	key := func(h metrics.HistoryItem) string { return metrics.HistoryKey(acct, region, h) }
	if in.ScanBy != cw.ScanByTimestampAscending {
		slices.Reverse(kept)
		key = func(h metrics.HistoryItem) string {
			return fmt.Sprintf("%020d", ^uint64(h.Time.UnixNano())) + h.AlarmName
		}
	}
	page, next := awsapi.SlicePage(kept, key, c, awsapi.PageLimit(in.MaxRecords, 100))
	out := &cw.DescribeAlarmHistoryOutput{AlarmHistoryItems: []cw.AlarmHistoryItem{}, NextToken: next}
	for _, h := range page {
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, cw.AlarmHistoryItem{AlarmName: new(h.AlarmName), AlarmType: cw.AlarmTypeMetricAlarm,
			Timestamp: shape.TimeOf(h.Time), HistoryItemType: cw.HistoryItemType(h.Type), HistorySummary: new(h.Summary), HistoryData: new(h.Data)})
	}
	return out, nil
}

// putAlarm stores a metric or composite alarm al at key and records the
// configuration update in its history (wire: the alarm as DescribeAlarms
// shows it). An existing alarm (old) keeps its state, tags and due
// actions, as CloudWatch does; a new one starts INSUFFICIENT_DATA with
// tags.
func putAlarm(tx store.Tx, key string, al *metrics.Alarm, old metrics.Alarm, exists bool, tags []cw.Tag, now time.Time, wire func(metrics.Alarm) any) error {
	summary := fmt.Sprintf("Alarm %q created", al.Name)
	if exists {
		summary = fmt.Sprintf("Alarm %q updated", al.Name)
		al.State, al.StateReason, al.StateReasonData = old.State, old.StateReason, old.StateReasonData
		al.StateUpdated, al.StateTransitioned, al.LastEvaluated = old.StateUpdated, old.StateTransitioned, old.LastEvaluated
		al.Tags, al.ActionsDue = old.Tags, old.ActionsDue
	} else {
		if err := checkTags(tags); err != nil {
			return err
		}
		al.State, al.StateReason = metrics.StateInsufficientData, "Unchecked: Initial alarm creation"
		al.StateUpdated, al.StateTransitioned = now, now
		for _, t := range tags {
			al.Tags = append(al.Tags, metrics.Tag{Key: awsapi.Deref(t.Key), Value: awsapi.Deref(t.Value)})
		}
	}
	al.ConfigUpdated = now
	if err := store.Put(tx, key, *al); err != nil {
		return err
	}
	data, _ := json.Marshal(map[string]any{"type": "Update", "version": "1.0", "updatedAlarm": wire(*al)})
	return metrics.PutHistory(tx, al.Account, al.Region, metrics.HistoryItem{AlarmName: al.Name, AlarmARN: al.ARN,
		Type: string(cw.HistoryItemTypeConfigurationUpdate), Time: now, Summary: summary, Data: string(data)})
}

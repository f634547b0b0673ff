package cloudwatch

import (
	"context"
	"slices"
	"strings"

	cw "github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
)

// Composite alarms: an AlarmRule over other alarms' states (metrics.Rule),
// stored beside the metric alarms (metrics.Alarm with Rule set) so that
// DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions and the history
// serve both. The alarm controller evaluates them (TRUE: ALARM, FALSE:
// OK). Action suppression (ActionsSuppressor) is not served.

// maxRuleLength is AlarmRule's limit.
const maxRuleLength = 10240

// PutCompositeAlarm creates a composite alarm in INSUFFICIENT_DATA, or
// updates one's configuration leaving its state, as CloudWatch does. The
// alarms its rule names must exist.
func (a *API) PutCompositeAlarm(ctx context.Context, in *cw.PutCompositeAlarmInput) (*struct{}, error) {
	acct, region := scope(ctx)
	name, ruleText := awsapi.Deref(in.AlarmName), awsapi.Deref(in.AlarmRule)
	if name == "" || ruleText == "" {
		return nil, errMissing("The parameters AlarmName and AlarmRule are required.")
	}
	if len(ruleText) > maxRuleLength {
		return nil, errInvalid("The parameter AlarmRule must be at most %d characters long.", maxRuleLength)
	}
	if in.ActionsSuppressor != nil {
		return nil, errInvalid("ActionsSuppressor is not served by wharf yet.")
	}
	rule, err := metrics.ParseRule(ruleText)
	if err != nil {
		return nil, errInvalid("The AlarmRule is invalid: %v.", err)
	}
	for _, group := range [][]string{in.OKActions, in.AlarmActions, in.InsufficientDataActions} {
		if len(group) > 5 {
			return nil, errInvalid("An alarm may have at most 5 actions for each state.")
		}
		for _, arn := range group {
			if !strings.HasPrefix(arn, "arn:") {
				return nil, errInvalid("Invalid arn syntax: %s", arn)
			}
		}
	}
	enabled := in.ActionsEnabled == nil || *in.ActionsEnabled
	al := metrics.Alarm{Account: acct, Region: region, Name: name, ARN: metrics.AlarmARN(acct, region, name), Description: awsapi.Deref(in.AlarmDescription),
		ActionsEnabled: enabled, OKActions: in.OKActions, AlarmActions: in.AlarmActions, InsufficientDataActions: in.InsufficientDataActions, Rule: ruleText}
	now := a.Now().UTC()
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		var missing []string
		for _, n := range rule.Names() {
			if n == name {
				return errInvalid("The AlarmRule of %s cannot name the alarm itself.", name)
			}
			if _, ok, err := tx.Get(metrics.AlarmKey(acct, region, n)); err != nil {
				return err
			} else if !ok && !slices.Contains(missing, n) {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return awsapi.Errorf("ValidationError", "Could not save the composite alarm as alarms [%s] in the alarm rule do not exist", strings.Join(missing, ", "))
		}
		key := metrics.AlarmKey(acct, region, name)
		old, exists, err := store.Get[metrics.Alarm](tx, key)
		if err != nil {
			return err
		}
		if exists && old.Rule == "" {
			return errInvalid("The alarm %s is a metric alarm; a composite alarm needs another name.", name)
		}
		// A composite alarm is never evaluated by period, so the
		// LastEvaluated putAlarm carries over is always zero.
		return putAlarm(tx, key, &al, old, exists, in.Tags, now, func(al metrics.Alarm) any { return compositeToWire(al) })
	})
	return nil, wrap("PutCompositeAlarm", err)
}

// compositeToWire is a composite alarm as DescribeAlarms answers it.
func compositeToWire(al metrics.Alarm) cw.CompositeAlarm {
	w := cw.CompositeAlarm{AlarmName: new(al.Name), AlarmArn: new(al.ARN), ActionsEnabled: new(al.ActionsEnabled), AlarmRule: new(al.Rule),
		AlarmConfigurationUpdatedTimestamp: shape.TimeOf(al.ConfigUpdated),
		OKActions:                          awsapi.OrEmpty(al.OKActions), AlarmActions: awsapi.OrEmpty(al.AlarmActions),
		InsufficientDataActions: awsapi.OrEmpty(al.InsufficientDataActions),
		StateValue:              cw.StateValue(al.State), StateReason: new(al.StateReason),
		StateUpdatedTimestamp: shape.TimeOf(al.StateUpdated), StateTransitionedTimestamp: shape.TimeOf(al.StateTransitioned)}
	if al.Description != "" {
		w.AlarmDescription = new(al.Description)
	}
	if al.StateReasonData != "" {
		w.StateReasonData = new(al.StateReasonData)
	}
	return w
}

// alarmTypeWanted reports whether DescribeAlarms' AlarmTypes (metric
// alarms only when empty, as CloudWatch) takes al.
func alarmTypeWanted(types []cw.AlarmType, al *metrics.Alarm) bool {
	if al.Rule != "" {
		return slices.Contains(types, cw.AlarmTypeCompositeAlarm)
	}
	return len(types) == 0 || slices.Contains(types, cw.AlarmTypeMetricAlarm)
}

// describeRelatives answers DescribeAlarms' ChildrenOfAlarmName (the
// alarms a composite alarm's rule names) and ParentsOfAlarmName (the
// composite alarms whose rule names the alarm), in name order.
func (a *API) describeRelatives(ctx context.Context, in *cw.DescribeAlarmsInput) (*cw.DescribeAlarmsOutput, error) {
	acct, region := scope(ctx)
	if in.ChildrenOfAlarmName != nil && in.ParentsOfAlarmName != nil {
		return nil, errCombination("ChildrenOfAlarmName and ParentsOfAlarmName cannot be specified together.")
	}
	all, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]metrics.Alarm, error) {
		return store.List[metrics.Alarm](tx, metrics.AlarmsPrefix(acct, region))
	})
	if err != nil {
		return nil, wrap("DescribeAlarms", err)
	}
	var names map[string]bool
	if child := awsapi.Deref(in.ChildrenOfAlarmName); in.ChildrenOfAlarmName != nil {
		names = map[string]bool{}
		for _, al := range all {
			if al.Name != child || al.Rule == "" {
				continue
			}
			if r, err := metrics.ParseRule(al.Rule); err == nil {
				for _, n := range r.Names() {
					names[n] = true
				}
			}
		}
	}
	parent := awsapi.Deref(in.ParentsOfAlarmName)
	out := &cw.DescribeAlarmsOutput{MetricAlarms: []cw.MetricAlarm{}, CompositeAlarms: []cw.CompositeAlarm{}}
	for _, al := range all {
		take := names[al.Name]
		if in.ParentsOfAlarmName != nil && al.Rule != "" {
			if r, err := metrics.ParseRule(al.Rule); err == nil && slices.Contains(r.Names(), parent) {
				take = true
			}
		}
		switch {
		case !take:
		case al.Rule != "":
			out.CompositeAlarms = append(out.CompositeAlarms, compositeToWire(al))
		default:
			out.MetricAlarms = append(out.MetricAlarms, toWire(al))
		}
	}
	return out, nil
}

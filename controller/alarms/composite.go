package alarms

import (
	"context"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
)

// Composite alarms are evaluated each pass, after the metric alarms, from
// the states of the alarms their rule names: TRUE is ALARM, FALSE is OK.
// Their actions run once per state change (none repeats).

// EvaluateComposite is a composite alarm's state and reason for the
// states of the alarms of its scope, by name.
func EvaluateComposite(al *metrics.Alarm, states map[string]string) (state, reason string, err error) {
	r, err := metrics.ParseRule(al.Rule)
	if err != nil {
		return "", "", fmt.Errorf("rule of %s: %w", al.Name, err)
	}
	if r.Eval(states) {
		return metrics.StateAlarm, "The alarm rule " + al.Rule + " evaluated to TRUE.", nil
	}
	return metrics.StateOK, "The alarm rule " + al.Rule + " evaluated to FALSE.", nil
}

// composites evaluates the composite alarms among all, reading the
// states after the metric alarms' evaluation.
func (c *Controller) composites(ctx context.Context, now time.Time) error {
	type scope struct{ account, region string }
	states := map[scope]map[string]string{}
	var comps []metrics.Alarm
	all, err := c.readAlarms(ctx)
	if err != nil {
		return err
	}
	for _, al := range all {
		sc := scope{al.Account, al.Region}
		if states[sc] == nil {
			states[sc] = map[string]string{}
		}
		states[sc][al.Name] = al.State
		if al.Rule != "" {
			comps = append(comps, al)
		}
	}
	var errs []error
	for i := range comps {
		if err := c.evaluateComposite(ctx, &comps[i], states[scope{comps[i].Account, comps[i].Region}], now); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("composite alarms: %d failed, first: %w", len(errs), errs[0])
	}
	return nil
}

func (c *Controller) evaluateComposite(ctx context.Context, seen *metrics.Alarm, states map[string]string, now time.Time) error {
	state, reason, err := EvaluateComposite(seen, states)
	if err != nil {
		return err
	}
	if state == seen.State && !seen.ActionsDue {
		return nil
	}
	key := metrics.AlarmKey(seen.Account, seen.Region, seen.Name)
	var al metrics.Alarm
	var old string
	_, err = c.DB.Update(ctx, func(tx store.Tx) error {
		cur, ok, err := store.Get[metrics.Alarm](tx, key)
		if err != nil || !ok || cur.Rule != seen.Rule {
			al = metrics.Alarm{}
			return err // gone or changed meanwhile: the next pass sees it
		}
		al, old = cur, cur.State
		h := metrics.Transition(&al, state, reason, "", now)
		if h == nil {
			return nil
		}
		if err := store.Put(tx, key, al); err != nil {
			return err
		}
		return metrics.PutHistory(tx, al.Account, al.Region, *h)
	})
	if err != nil || al.Name == "" {
		return wrapErr(seen.Name, err)
	}
	if !al.ActionsDue {
		return nil
	}
	if al.ActionsEnabled {
		change := AlarmChange{Alarm: al, OldState: old, NewState: al.State, Reason: al.StateReason, Time: now}
		for _, arn := range al.ActionsFor(al.State) {
			c.run(ctx, arn, change)
		}
	}
	return c.clearDue(ctx, key, &al)
}

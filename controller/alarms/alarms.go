// Package alarms evaluates CloudWatch metric alarms: once a period end,
// each alarm's evaluation range is read from the metrics store, Evaluate
// (a pure function) decides the state, a change is written with its
// history item, and the new state's actions run through the handlers
// registered by ARN prefix (Application Auto Scaling registers its
// scaling policies' arn:aws:autoscaling: prefix).
//
// It imports metrics and store; it never calls another controller.
package alarms

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
)

// AlarmChange is what an action handler is told: the alarm (a copy) as
// it is now, and the state it left.
type AlarmChange struct {
	Alarm    metrics.Alarm
	OldState string
	NewState string
	Reason   string
	Time     time.Time
	// Repeat is true when the alarm stays in NewState and the action runs
	// again (Auto Scaling actions run once a period while the state holds).
	Repeat bool
	// Value is the newest datapoint of the evaluation range (nil when all
	// are missing): what target tracking scales by.
	Value *float64
}

// ActionHandler runs one alarm action.
type ActionHandler func(ctx context.Context, actionARN string, change AlarmChange) error

// handlerFor is the handler of the longest prefix of arn in actions (nil
// when none).
func handlerFor(actions map[string]ActionHandler, arn string) ActionHandler {
	best := ""
	for p := range actions {
		if strings.HasPrefix(arn, p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return nil
	}
	return actions[best]
}

// repeats reports whether an action runs again every period while the
// state holds: CloudWatch does so for Auto Scaling actions only.
func repeats(arn string) bool { return strings.HasPrefix(arn, "arn:aws:autoscaling:") }

// Controller evaluates every alarm of every scope.
type Controller struct {
	DB  store.Backend
	M   *metrics.Store
	Log *slog.Logger
	// Now is the metrics clock (scaled in tests).
	Now func() time.Time
	// Actions run alarm actions by ARN prefix (the longest prefix wins):
	// "arn:aws:autoscaling:" for Application Auto Scaling policies.
	Actions map[string]ActionHandler
}

// readAlarms reads every alarm of every scope (their records only, not
// their history).
func (c *Controller) readAlarms(ctx context.Context) ([]metrics.Alarm, error) {
	var all []metrics.Alarm
	err := c.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List(metrics.AlarmsRoot, "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if kind(kv.Key) != "alarms" {
				continue
			}
			var al metrics.Alarm
			if err := json.Unmarshal(kv.Value, &al); err != nil {
				return fmt.Errorf("decode alarm %s: %w", kv.Key, err)
			}
			all = append(all, al)
		}
		return nil
	})
	return all, err
}

// Pass evaluates the alarms whose current period ended since their last
// evaluation, runs due actions, and drops history older than 30 days.
func (c *Controller) Pass(ctx context.Context) error {
	now := c.Now().UTC()
	all, err := c.readAlarms(ctx)
	if err != nil {
		return fmt.Errorf("alarms: list: %w", err)
	}
	var errs []error
	for i := range all {
		if all[i].Rule != "" {
			continue // a composite alarm (composite.go)
		}
		if err := c.evaluate(ctx, &all[i], now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.composites(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if err := c.prune(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("alarms: %d of %d failed, first: %w", len(errs), len(all), errs[0])
	}
	return nil
}

// Range reads an alarm's evaluation range ending at end from m.
func Range(m *metrics.Store, al *metrics.Alarm, end time.Time) []Datapoint {
	p := time.Duration(al.Period) * time.Second
	start := end.Add(-time.Duration(al.EvaluationPeriods) * p)
	dps := make([]Datapoint, al.EvaluationPeriods)
	for i := range dps {
		dps[i].Start = start.Add(time.Duration(i) * p)
	}
	if len(al.Queries) > 0 {
		// A metric math alarm: an expression that cannot be evaluated
		// leaves its datapoints missing.
		ser, _ := m.QuerySeries(al, start, end)
		for t, v := range ser {
			if i := int(time.Unix(t, 0).Sub(start) / p); i >= 0 && i < len(dps) {
				dps[i].Value = &v
			}
		}
		return dps
	}
	buckets, _ := m.Fetch(metrics.Query{ID: al.MetricID(), Unit: al.Unit, Start: start, End: end, Period: max(al.Period, 60)})
	for _, b := range buckets {
		i := int(b.Start.Sub(start) / p)
		if i < 0 || i >= len(dps) {
			continue
		}
		if v, ok := b.Stat(al.Stat()); ok {
			dps[i].Value = &v
		}
	}
	return dps
}

func (c *Controller) evaluate(ctx context.Context, seen *metrics.Alarm, now time.Time) error {
	p := time.Duration(max(seen.Period, 60)) * time.Second
	end := now.Truncate(p)
	fresh := end.After(seen.LastEvaluated)
	if !fresh && !seen.ActionsDue {
		return nil
	}
	key := metrics.AlarmKey(seen.Account, seen.Region, seen.Name)
	var al metrics.Alarm
	var old string
	// The evaluation range, read once: it decides the state and gives the
	// actions the newest datapoint.
	var dps []Datapoint
	_, err := c.DB.Update(ctx, func(tx store.Tx) error {
		cur, ok, err := store.Get[metrics.Alarm](tx, key)
		if err != nil || !ok {
			al = metrics.Alarm{}
			return err
		}
		al, old = cur, cur.State
		if !fresh {
			return nil
		}
		dps = Range(c.M, &al, end)
		v := Evaluate(&al, dps)
		al.LastEvaluated = end
		h := metrics.Transition(&al, v.State, v.Reason, "", now)
		if err := store.Put(tx, key, al); err != nil {
			return err
		}
		if h != nil {
			return metrics.PutHistory(tx, al.Account, al.Region, *h)
		}
		return nil
	})
	if err != nil || al.Name == "" {
		return wrapErr(seen.Name, err)
	}
	if !al.ActionsEnabled {
		return c.clearDue(ctx, key, &al)
	}
	change := AlarmChange{Alarm: al, OldState: old, NewState: al.State, Reason: al.StateReason, Time: now,
		Value: newest(dps)}
	if !fresh {
		// Actions still due from an earlier pass: the range as it is now.
		change.Value = newest(Range(c.M, &al, end))
	}
	var runs []string
	for _, arn := range al.ActionsFor(al.State) {
		if al.ActionsDue || (fresh && repeats(arn)) {
			runs = append(runs, arn)
		}
	}
	if !al.ActionsDue {
		change.Repeat = true
	}
	for _, arn := range runs {
		c.run(ctx, arn, change)
	}
	return c.clearDue(ctx, key, &al)
}

// run runs one action and records its outcome in the alarm's history.
func (c *Controller) run(ctx context.Context, arn string, change AlarmChange) {
	al := &change.Alarm
	h := handlerFor(c.Actions, arn)
	summary := "Successfully executed action " + arn
	var err error
	if h == nil {
		err = fmt.Errorf("no handler for this kind of action in wharf")
	} else {
		err = h(ctx, arn, change)
	}
	if err != nil {
		summary = fmt.Sprintf("Failed to execute action %s. Received error: %q", arn, err.Error())
		c.Log.Warn("alarm action failed", "alarm", al.Name, "action", arn, "err", err)
	}
	if change.Repeat && err == nil {
		return // repeated Auto Scaling runs leave no history each period
	}
	data, _ := json.Marshal(map[string]any{"actionState": map[bool]string{true: "Succeeded", false: "Failed"}[err == nil], "notificationResource": arn})
	_, werr := c.DB.Update(ctx, func(tx store.Tx) error {
		return metrics.PutHistory(tx, al.Account, al.Region, metrics.HistoryItem{AlarmName: al.Name, AlarmARN: al.ARN,
			Type: "Action", Time: c.Now().UTC(), Summary: summary, Data: string(data)})
	})
	if werr != nil {
		c.Log.Warn("record alarm action", "alarm", al.Name, "err", werr)
	}
}

func (c *Controller) clearDue(ctx context.Context, key string, seen *metrics.Alarm) error {
	if !seen.ActionsDue {
		return nil
	}
	_, err := c.DB.Update(ctx, func(tx store.Tx) error {
		cur, ok, err := store.Get[metrics.Alarm](tx, key)
		// Clear only if the state is still the one whose actions ran.
		if err != nil || !ok || cur.State != seen.State || !cur.StateTransitioned.Equal(seen.StateTransitioned) {
			return err
		}
		cur.ActionsDue = false
		return store.Put(tx, key, cur)
	})
	return wrapErr(seen.Name, err)
}

// prune drops history items older than 30 days (their keys sort by time).
func (c *Controller) prune(ctx context.Context, now time.Time) error {
	cut := fmt.Sprintf("%020d", now.Add(-metrics.HistoryKeep).UnixNano())
	// The key says when, so no record is read. A flapping alarm makes
	// more history a day than a backend writes in one transaction: it
	// goes at most store.DeleteBatch a transaction.
	return store.DeleteKeysWhere(ctx, c.DB, metrics.AlarmsRoot, func(key string) bool {
		if kind(key) != "history" {
			return false
		}
		return strings.SplitN(key, "/", 6)[4] < cut
	})
}

// kind is the record kind of a key cloudwatch/ACCOUNT/REGION/KIND/…
func kind(key string) string {
	parts := strings.SplitN(key, "/", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

func wrapErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("alarm %s: %w", name, err)
}

// newest is the value of the last datapoint that has one.
func newest(dps []Datapoint) *float64 {
	for i := len(dps) - 1; i >= 0; i-- {
		if dps[i].Value != nil {
			return dps[i].Value
		}
	}
	return nil
}

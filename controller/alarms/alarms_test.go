package alarms

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestPassTransitionsAndActions runs the controller on a real store: a
// metric above the threshold for two minutes sets ALARM once (one history
// item, one action run); an Auto Scaling action runs again each period
// the state holds; a disabled alarm runs none.
func TestPassTransitionsAndActions(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 2, 5, 0, time.UTC)
	ms := metrics.NewStore()
	ms.Now = func() time.Time { return now }
	runs := map[string]int{}
	count := func(_ context.Context, arn string, _ AlarmChange) error { runs[arn]++; return nil }
	c := &Controller{DB: db, M: ms, Log: slog.Default(), Now: func() time.Time { return now },
		Actions: map[string]ActionHandler{"arn:aws:sns:": count, "arn:aws:autoscaling:": count}}
	id := metrics.ID{Account: "000000000000", Region: "us-east-1", Namespace: "App", Name: "Load"}
	for m := range 2 {
		v := 90.0
		ms.Put(metrics.Datum{ID: id, Time: now.Add(time.Duration(m-2) * time.Minute), Value: &v})
	}
	const sns, scale = "arn:aws:sns:us-east-1:000000000000:t", "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:p"
	put := func(name string, enabled bool) {
		al := metrics.Alarm{Account: id.Account, Region: id.Region, Name: name, Namespace: "App", MetricName: "Load", Statistic: "Maximum",
			Period: 60, EvaluationPeriods: 2, Threshold: 50, ComparisonOperator: "GreaterThanThreshold", State: metrics.StateInsufficientData,
			ActionsEnabled: enabled, AlarmActions: []string{sns, scale}}
		if _, err := db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, metrics.AlarmKey(id.Account, id.Region, name), al) }); err != nil {
			t.Fatal(err)
		}
	}
	put("on", true)
	put("off", false)
	get := func(name string) metrics.Alarm {
		var al metrics.Alarm
		_ = db.View(ctx, func(tx store.ReadTx) (err error) {
			al, _, err = store.Get[metrics.Alarm](tx, metrics.AlarmKey(id.Account, id.Region, name))
			return err
		})
		return al
	}

	if err := c.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if al := get("on"); al.State != metrics.StateAlarm || al.ActionsDue || runs[sns] != 1 || runs[scale] != 1 {
		t.Fatalf("first pass: state %s due %v runs %v", al.State, al.ActionsDue, runs)
	}
	if al := get("off"); al.State != metrics.StateAlarm || al.ActionsDue {
		t.Fatalf("disabled alarm: state %s due %v", al.State, al.ActionsDue)
	}
	// The same period again: nothing runs.
	if err := c.Pass(ctx); err != nil || runs[sns] != 1 || runs[scale] != 1 {
		t.Fatalf("same period: %v %v", runs, err)
	}
	// The next period, still breaching: only the Auto Scaling action runs again.
	v := 95.0
	ms.Put(metrics.Datum{ID: id, Time: now, Value: &v})
	now = now.Add(time.Minute)
	if err := c.Pass(ctx); err != nil || runs[sns] != 1 || runs[scale] != 2 {
		t.Fatalf("next period: %v %v", runs, err)
	}
	var hist []metrics.HistoryItem
	_ = db.View(ctx, func(tx store.ReadTx) (err error) {
		hist, err = store.List[metrics.HistoryItem](tx, metrics.HistoryPrefix(id.Account, id.Region))
		return err
	})
	states := 0
	for _, h := range hist {
		if h.Type == "StateUpdate" && h.AlarmName == "on" {
			states++
		}
	}
	if states != 1 {
		t.Fatalf("state updates for 'on': %d (%+v)", states, hist)
	}
}

// TestRangeMetricMath: a metric math alarm's range is its expression's
// series, period by period.
func TestRangeMetricMath(t *testing.T) {
	ms := metrics.NewStore()
	end := time.Date(2026, 1, 1, 12, 3, 0, 0, time.UTC)
	ms.Now = func() time.Time { return end }
	put := func(name string, minute int, v float64) {
		ms.Put(metrics.Datum{ID: metrics.ID{Account: "a", Region: "r", Namespace: "App", Name: name}, Time: end.Add(time.Duration(minute-3) * time.Minute), Value: &v})
	}
	put("Errors", 0, 5)
	put("Requests", 0, 100)
	put("Errors", 1, 30)
	put("Requests", 1, 60)
	put("Requests", 2, 50)
	al := &metrics.Alarm{Account: "a", Region: "r", Period: 60, EvaluationPeriods: 3, Queries: []metrics.AlarmQuery{
		{ID: "e", Namespace: "App", MetricName: "Errors", Period: 60, Stat: "Sum"},
		{ID: "r", Namespace: "App", MetricName: "Requests", Period: 60, Stat: "Sum"},
		{ID: "rate", Expression: "e * 100 / r", ReturnData: true},
	}}
	dps := Range(ms, al, end)
	if len(dps) != 3 || dps[0].Value == nil || *dps[0].Value != 5 || dps[1].Value == nil || *dps[1].Value != 50 || dps[2].Value != nil {
		t.Fatalf("range: %+v", dps)
	}
}

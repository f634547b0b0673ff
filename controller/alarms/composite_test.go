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

// TestCompositeAlarms: a composite alarm follows its rule over the other
// alarms' states, pass by pass, records each transition and runs its
// actions once per change.
func TestCompositeAlarms(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 2, 5, 0, time.UTC)
	runs := map[string]int{}
	count := func(_ context.Context, arn string, ch AlarmChange) error { runs[arn+" "+ch.NewState]++; return nil }
	c := &Controller{DB: db, M: metrics.NewStore(), Log: slog.Default(), Now: func() time.Time { return now },
		Actions: map[string]ActionHandler{"arn:aws:sns:": count}}
	const acct, region, sns = "000000000000", "us-east-1", "arn:aws:sns:us-east-1:000000000000:t"
	put := func(al metrics.Alarm) {
		t.Helper()
		al.Account, al.Region = acct, region
		if _, err := db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, metrics.AlarmKey(acct, region, al.Name), al) }); err != nil {
			t.Fatal(err)
		}
	}
	// Child alarms whose state the test sets (a metric alarm with no data
	// for its metric would be re-evaluated: give them a far future period).
	child := func(name, state string) {
		put(metrics.Alarm{Name: name, State: state, Namespace: "App", MetricName: name, Statistic: "Maximum", Period: 86400,
			EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold", LastEvaluated: now.Add(24 * time.Hour)})
	}
	child("cpu", metrics.StateAlarm)
	child("deploying", metrics.StateOK)
	put(metrics.Alarm{Name: "page", Rule: `ALARM(cpu) AND NOT ALARM("deploying")`, State: metrics.StateInsufficientData,
		ActionsEnabled: true, AlarmActions: []string{sns}, OKActions: []string{sns}})
	get := func() metrics.Alarm {
		var al metrics.Alarm
		_ = db.View(ctx, func(tx store.ReadTx) (err error) {
			al, _, err = store.Get[metrics.Alarm](tx, metrics.AlarmKey(acct, region, "page"))
			return err
		})
		return al
	}
	steps := []struct {
		name    string
		setup   func()
		state   string
		actions map[string]int
	}{
		{"cpu in ALARM, no deployment", func() {}, metrics.StateAlarm, map[string]int{sns + " ALARM": 1}},
		{"unchanged: no second action", func() {}, metrics.StateAlarm, map[string]int{sns + " ALARM": 1}},
		{"a deployment suppresses it", func() { child("deploying", metrics.StateAlarm) }, metrics.StateOK, map[string]int{sns + " ALARM": 1, sns + " OK": 1}},
		{"deployment over", func() { child("deploying", metrics.StateOK) }, metrics.StateAlarm, map[string]int{sns + " ALARM": 2, sns + " OK": 1}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.setup()
			now = now.Add(10 * time.Second)
			if err := c.Pass(ctx); err != nil {
				t.Fatal(err)
			}
			al := get()
			if al.State != s.state || al.ActionsDue {
				t.Fatalf("state %s (due %v), want %s: %s", al.State, al.ActionsDue, s.state, al.StateReason)
			}
			for k, v := range s.actions {
				if runs[k] != v {
					t.Fatalf("runs %v, want %v", runs, s.actions)
				}
			}
		})
	}
	var history int
	_ = db.View(ctx, func(tx store.ReadTx) error {
		items, err := store.List[metrics.HistoryItem](tx, metrics.HistoryPrefix(acct, region))
		for _, h := range items {
			if h.AlarmName == "page" && h.Type == "StateUpdate" {
				history++
			}
		}
		return err
	})
	if history != 3 {
		t.Fatalf("%d state updates in the history, want 3", history)
	}
}

func TestEvaluateComposite(t *testing.T) {
	cases := []struct {
		name, rule, want string
	}{
		{"or true", `ALARM(a) OR ALARM(b)`, metrics.StateAlarm},
		{"and false", `ALARM(a) AND ALARM(b)`, metrics.StateOK},
		{"insufficient data", `INSUFFICIENT_DATA(c)`, metrics.StateAlarm},
	}
	states := map[string]string{"a": metrics.StateAlarm, "b": metrics.StateOK, "c": metrics.StateInsufficientData}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, reason, err := EvaluateComposite(&metrics.Alarm{Name: "x", Rule: tc.rule}, states)
			if err != nil || got != tc.want || reason == "" {
				t.Fatalf("%s %q %v, want %s", got, reason, err, tc.want)
			}
		})
	}
}

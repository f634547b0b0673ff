package applicationautoscaling

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// fixture is the API over a real store holding one ACTIVE service
// c/web of desired count 1, on a clock the test sets.
type fixture struct {
	db  *bolt.DB
	now time.Time
	sc  model.Scope
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "wharf.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fx := &fixture{db: db, now: time.Date(2026, 3, 2, 12, 1, 0, 0, time.UTC), sc: model.Scope{Account: awsapi.DefaultAccount, Region: awsapi.DefaultRegion}}
	_, err = db.Update(context.Background(), func(tx store.Tx) error {
		return store.Put(tx, state.ServiceKey(fx.sc, "c", "web"), model.ServiceRecord{Service: ecstypes.Service{
			ServiceName: new("web"), Status: new(model.ServiceActive), DesiredCount: 1}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// api is a fresh API over the fixture's store: a new one is what a
// restarted wharf has.
func (fx *fixture) api() *API {
	a := New(fx.db, slog.New(slog.DiscardHandler))
	a.Now = func() time.Time { return fx.now }
	return a
}

func (fx *fixture) desired(t *testing.T) int32 {
	t.Helper()
	rec, err := awsapi.Read(context.Background(), fx.db, func(tx store.ReadTx) (model.ServiceRecord, error) {
		r, _, err := store.Get[model.ServiceRecord](tx, state.ServiceKey(fx.sc, "c", "web"))
		return r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.Service.DesiredCount
}

func (fx *fixture) activities(t *testing.T, a *API) []aas.ScalingActivity {
	t.Helper()
	out, err := a.DescribeScalingActivities(context.Background(), &aas.DescribeScalingActivitiesRequest{ServiceNamespace: namespace, ResourceId: new("service/c/web")})
	if err != nil {
		t.Fatal(err)
	}
	return out.ScalingActivities
}

// TestRunDueFiresEachTickOnce: a cron action fires at its tick, not
// again after a restart within the same tick, once (for the latest tick
// only) after an absence, and a tick skipped while suspended stays
// skipped.
func TestRunDueFiresEachTickOnce(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	a := fx.api()
	if _, err := a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetRequest{ServiceNamespace: namespace, ResourceId: new("service/c/web"),
		ScalableDimension: dimension, MinCapacity: new(int32(1)), MaxCapacity: new(int32(5))}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutScheduledAction(ctx, &aas.PutScheduledActionRequest{ServiceNamespace: namespace, ResourceId: new("service/c/web"),
		ScalableDimension: dimension, ScheduledActionName: new("every5"), Schedule: new("cron(0/5 * * * ? *)"),
		ScalableTargetAction: &aas.ScalableTargetAction{MinCapacity: new(int32(2))}}); err != nil {
		t.Fatal(err)
	}
	step := func(name string, at time.Time, api *API, wantActs int, wantDesired int32, wantNext time.Time) {
		t.Helper()
		fx.now = at
		next, err := api.RunDue(ctx, at)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := len(fx.activities(t, api)); n != wantActs {
			t.Fatalf("%s: %d activities, want %d", name, n, wantActs)
		}
		if d := fx.desired(t); d != wantDesired {
			t.Fatalf("%s: desired %d, want %d", name, d, wantDesired)
		}
		if !wantNext.IsZero() && !next.Equal(wantNext) {
			t.Fatalf("%s: next %v, want %v", name, next, wantNext)
		}
	}
	at := func(hm string) time.Time {
		v, _ := time.Parse("15:04:05", hm)
		return time.Date(2026, 3, 2, v.Hour(), v.Minute(), v.Second(), 0, time.UTC)
	}
	step("before the tick", at("12:04:59"), a, 0, 1, at("12:05:00"))
	step("at the tick", at("12:05:00"), a, 2, 2, at("12:10:00")) // the bounds, then the desired count
	step("again in the same tick", at("12:05:30"), a, 2, 2, time.Time{})
	step("after a restart in the same tick", at("12:06:00"), fx.api(), 2, 2, time.Time{})
	step("after an absence: the latest tick once", at("12:21:00"), fx.api(), 3, 2, at("12:25:00"))

	if _, err := a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetRequest{ServiceNamespace: namespace, ResourceId: new("service/c/web"),
		ScalableDimension: dimension, SuspendedState: &aas.SuspendedState{ScheduledScalingSuspended: new(true)}}); err != nil {
		t.Fatal(err)
	}
	step("suspended", at("12:25:00"), a, 3, 2, time.Time{})
	if _, err := a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetRequest{ServiceNamespace: namespace, ResourceId: new("service/c/web"),
		ScalableDimension: dimension, SuspendedState: &aas.SuspendedState{ScheduledScalingSuspended: new(false)}}); err != nil {
		t.Fatal(err)
	}
	step("resumed: the suspended tick stays skipped", at("12:26:00"), a, 3, 2, time.Time{})
	step("the next tick fires", at("12:30:00"), a, 4, 2, time.Time{})
}

// TestRunDueFinishesPending: activities a crash left InProgress are
// applied by the next pass; of two, the newer overrides the older, which
// never lands.
func TestRunDueFinishesPending(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	a := fx.api()
	if _, err := a.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetRequest{ServiceNamespace: namespace, ResourceId: new("service/c/web"),
		ScalableDimension: dimension, MinCapacity: new(int32(1)), MaxCapacity: new(int32(5))}); err != nil {
		t.Fatal(err)
	}
	var older string
	for i, n := range []int32{4, 3} {
		_, err := fx.db.Update(ctx, func(tx store.Tx) error {
			tr, err := getTarget(tx, fx.sc, "service/c/web")
			if err != nil {
				return err
			}
			act := scaleActivity(&tr, fx.now.Add(time.Duration(i)*time.Second), n, "monitor alarm x in state ALARM triggered policy p")
			k, err := putActivity(tx, &act)
			if i == 0 {
				older = k
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	status := func() []aas.ScalingActivityStatusCode {
		var out []aas.ScalingActivityStatusCode
		for _, act := range fx.activities(t, a) {
			out = append(out, act.StatusCode)
		}
		return out
	}
	if got := status(); len(got) != 2 || got[0] != aas.ScalingActivityStatusCodeInProgress || got[1] != aas.ScalingActivityStatusCodeOverridden || fx.desired(t) != 1 {
		t.Fatalf("before: %v, desired %d", got, fx.desired(t))
	}
	if _, err := fx.api().RunDue(ctx, fx.now); err != nil {
		t.Fatal(err)
	}
	if got := status(); len(got) != 2 || got[0] != aas.ScalingActivityStatusCodeSuccessful || fx.desired(t) != 3 {
		t.Fatalf("after: %v, desired %d", got, fx.desired(t))
	}
	// Applying the overridden one late changes nothing.
	if err := a.apply(ctx, older); err != nil || fx.desired(t) != 3 {
		t.Fatalf("late apply of the overridden activity: %v, desired %d", err, fx.desired(t))
	}
}

func TestScheduledDue(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name string
		s    scheduledRecord
		now  time.Time
		want time.Time // zero: not due
	}{
		{"hourly, due", scheduledRecord{Schedule: "cron(0 * * * ? *)", Since: day(9, 30)}, day(10, 5), day(10, 0)},
		{"a tick before the action was put never fires", scheduledRecord{Schedule: "cron(0 * * * ? *)", Since: day(10, 1)}, day(10, 5), time.Time{}},
		{"already fired", scheduledRecord{Schedule: "cron(0 * * * ? *)", Since: day(9, 30), LastFired: day(10, 0)}, day(10, 5), time.Time{}},
		{"before StartTime", scheduledRecord{Schedule: "cron(0 * * * ? *)", Since: day(9, 30), Start: day(11, 0)}, day(10, 5), time.Time{}},
		{"at StartTime", scheduledRecord{Schedule: "cron(0 * * * ? *)", Since: day(9, 30), Start: day(11, 0)}, day(11, 0), day(11, 0)},
		{"after EndTime", scheduledRecord{Schedule: "cron(0 * * * ? *)", Since: day(9, 30), End: day(9, 59)}, day(10, 5), time.Time{}},
		{"rate counts from StartTime", scheduledRecord{Schedule: "rate(20 minutes)", Since: day(9, 0), Start: day(9, 10)}, day(9, 55), day(9, 50)},
		{"rate counts from the put without StartTime", scheduledRecord{Schedule: "rate(20 minutes)", Since: day(9, 0)}, day(9, 55), day(9, 40)},
		{"cron in its time zone", scheduledRecord{Schedule: "cron(0 9 * * ? *)", Timezone: "Asia/Tokyo", Since: day(0, 0).Add(-time.Hour)}, day(0, 30), day(0, 0)},
		{"at() in its time zone", scheduledRecord{Schedule: "at(2026-03-02T05:00:00)", Timezone: "America/New_York", Since: day(0, 0)}, day(10, 0), day(10, 0)},
		{"at() not yet", scheduledRecord{Schedule: "at(2026-03-02T05:00:00)", Timezone: "America/New_York", Since: day(0, 0)}, day(9, 59), time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.s.due(tc.now)
			if tc.want.IsZero() {
				if ok {
					t.Fatalf("due at %v, want not due", got)
				}
				return
			}
			if !ok || !got.Equal(tc.want) {
				t.Fatalf("due = %v (%v), want %v", got, ok, tc.want)
			}
		})
	}
}

package eventbridge

import (
	"context"
	"encoding/json"
	"time"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// FireDue fires every schedule rule whose tick is due, and returns when
// the next tick is due (zero when none is). Each tick is claimed in the
// store — its record moved on to the following tick — before the rule's
// targets run, so a tick fires at most once whatever restarts; a tick
// missed while wharf was down fires once, late, and the schedule goes on
// from now.
func (a *API) FireDue(ctx context.Context) (time.Time, error) {
	now := a.Now()
	return awsapi.FireDueTicks(ctx, a.DB, ticksRoot, now, func(t tickRecord) time.Time { return t.Next },
		func(t tickRecord) (time.Time, func(), error) {
			rule, next, fired, err := a.claim(ctx, t, now)
			if err != nil || !fired {
				return next, nil, err
			}
			return next, func() {
				if err := a.fire(ctx, model.Scope{Account: t.Account, Region: t.Region}, &rule, t.Next); err != nil {
					// The tick is claimed: it does not fire again (at most once).
					a.Log.Error("events: scheduled event not queued", "rule", rule.Name, "tick", t.Next, "err", err)
				}
			}, nil
		})
}

// claim moves a due tick on in one transaction, re-reading it: fired is
// false when another pass claimed it first or the rule changed.
func (a *API) claim(ctx context.Context, seen tickRecord, now time.Time) (rule ruleRecord, next time.Time, fired bool, err error) {
	sc := model.Scope{Account: seen.Account, Region: seen.Region}
	key := tickKey(sc, seen.Bus, seen.Rule)
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		fired = false
		t, ok, err := store.Get[tickRecord](tx, key)
		if err != nil || !ok || !t.Next.Equal(seen.Next) {
			next = t.Next
			return err
		}
		r, ok, err := store.Get[ruleRecord](tx, ruleKey(sc, t.Bus, t.Rule))
		if err != nil {
			return err
		}
		if !ok || r.ScheduleExpression == "" || r.State != eventbridgetypes.RuleStateEnabled {
			return tx.Delete(key)
		}
		s, err := ruleSchedule(r.ScheduleExpression, a.Minute)
		if err != nil {
			return tx.Delete(key)
		}
		next = s.Next(t.Next)
		if !next.IsZero() && !next.After(now) {
			next = s.Next(now) // missed ticks fire once, not each
		}
		t.Last, t.Next = t.Next, next
		rule, fired = r, true
		if next.IsZero() {
			return tx.Delete(key)
		}
		return store.Put(tx, key, t)
	})
	return rule, next, fired, err
}

// fire queues a rule's Scheduled Event for its targets.
func (a *API) fire(ctx context.Context, sc model.Scope, r *ruleRecord, tick time.Time) error {
	if len(r.Targets) == 0 {
		return nil
	}
	env := map[string]any{
		"version": "0", "id": awsapi.NewUUID(), "detail-type": "Scheduled Event", "source": "aws.events",
		"account": sc.Account, "time": tick.UTC().Format(time.RFC3339), "region": sc.Region,
		"resources": []string{ruleARN(sc, r.Bus, r.Name)}, "detail": json.RawMessage("{}"),
	}
	eventJSON := marshal(env)
	return a.enqueue(ctx, sc, []*ruleRecord{r}, eventJSON)
}

package scheduler

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/schedexpr"
	"github.com/wharfhq/wharf/store"
)

// firstTick is a schedule's first tick at or after from: a rate() starts
// at once (or at its StartDate), the others at their expression's first
// time; none after the EndDate.
func firstTick(s schedexpr.Schedule, r *scheduleRecord, now time.Time) time.Time {
	from := now
	if r.StartDate.After(now) {
		from = r.StartDate
	}
	var t time.Time
	if _, isRate := s.(schedexpr.Rate); isRate {
		t = from
	} else {
		t = s.Next(from.Add(-time.Nanosecond))
	}
	return bounded(t, r)
}

// nextTick is the tick after the one at prev; ticks missed while wharf
// was down fire once, then the schedule goes on from now.
func nextTick(s schedexpr.Schedule, r *scheduleRecord, prev, now time.Time) time.Time {
	t := s.Next(prev)
	if !t.IsZero() && !t.After(now) {
		t = s.Next(now)
	}
	return bounded(t, r)
}

func bounded(t time.Time, r *scheduleRecord) time.Time {
	if !r.EndDate.IsZero() && t.After(r.EndDate) {
		return time.Time{}
	}
	return t
}

// window is how late within its flexible window a tick may run.
func (a *API) window(r *scheduleRecord) time.Duration {
	if r.Window.Mode != schedulertypes.FlexibleTimeWindowModeFlexible || r.Window.MaximumWindowInMinutes == nil {
		return 0
	}
	return time.Duration(*r.Window.MaximumWindowInMinutes) * a.Minute
}

// syncTick writes or removes a schedule's tick record after a change.
func (a *API) syncTick(tx store.Tx, sc model.Scope, r *scheduleRecord, now time.Time) error {
	key := tickKey(sc, r.Group, r.Name)
	if r.State != schedulertypes.ScheduleStateEnabled {
		return tx.Delete(key)
	}
	s, err := a.schedule(r)
	if err != nil {
		return err
	}
	t := firstTick(s, r, now)
	if t.IsZero() {
		return tx.Delete(key)
	}
	return store.Put(tx, key, tickRecord{Account: sc.Account, Region: sc.Region, Group: r.Group, Name: r.Name,
		Nominal: t, Next: t.Add(a.jitter(a.window(r)))})
}

// FireDue runs every schedule whose tick is due and returns when the next
// is due (zero: none). Each tick is claimed in the store — the record
// moved on to the following tick, or removed after the last — before its
// target runs.
func (a *API) FireDue(ctx context.Context) (time.Time, error) {
	now := a.Now()
	return awsapi.FireDueTicks(ctx, a.DB, ticksRoot, now, func(t tickRecord) time.Time { return t.Next },
		func(t tickRecord) (time.Time, func(), error) {
			r, next, fired, err := a.claim(ctx, t, now)
			if err != nil || !fired {
				return next, nil, err
			}
			// The target runs beside the other due ticks (RunTask may wait
			// for instances) and ends with the controller.
			return next, func() { go a.invoke(ctx, model.Scope{Account: t.Account, Region: t.Region}, r) }, nil
		})
}

// claim moves a due tick on in one transaction; fired is false when
// another pass claimed it first or the schedule changed meanwhile. A
// one-time schedule set to DELETE after completion goes with its last
// tick.
func (a *API) claim(ctx context.Context, seen tickRecord, now time.Time) (r scheduleRecord, next time.Time, fired bool, err error) {
	sc := model.Scope{Account: seen.Account, Region: seen.Region}
	key := tickKey(sc, seen.Group, seen.Name)
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		fired, next = false, time.Time{}
		t, ok, err := store.Get[tickRecord](tx, key)
		if err != nil || !ok || !t.Next.Equal(seen.Next) {
			next = t.Next
			return err
		}
		rec, ok, err := store.Get[scheduleRecord](tx, scheduleKey(sc, t.Group, t.Name))
		if err != nil {
			return err
		}
		if !ok || rec.State != schedulertypes.ScheduleStateEnabled {
			return tx.Delete(key)
		}
		s, err := a.schedule(&rec)
		if err != nil {
			return tx.Delete(key)
		}
		r, fired = rec, true
		nominal := nextTick(s, &rec, t.Nominal, now)
		if nominal.IsZero() {
			if rec.AfterCompletion == schedulertypes.ActionAfterCompletionDelete {
				if err := tx.Delete(scheduleKey(sc, rec.Group, rec.Name)); err != nil {
					return err
				}
			}
			return tx.Delete(key)
		}
		t.Last, t.Nominal = t.Next, nominal
		t.Next = nominal.Add(a.jitter(a.window(&rec)))
		next = t.Next
		return store.Put(tx, key, t)
	})
	return r, next, fired, err
}

// invoke runs a schedule's target once.
func (a *API) invoke(ctx context.Context, sc model.Scope, r scheduleRecord) {
	arn := awsapi.Deref(r.Target.Arn)
	if !isECS(arn) || a.tasks == nil {
		a.Log.Warn("scheduler: wharf does not invoke this target", "schedule", scheduleARN(sc, r.Group, r.Name), "target", arn)
		return
	}
	req, err := runTaskRequest(arn, r.Target.EcsParameters, "chronos-schedule/"+r.Name, awsapi.Deref(r.Target.Input))
	if err != nil {
		a.Log.Warn("scheduler: RunTask not made", "schedule", scheduleARN(sc, r.Group, r.Name), "err", err)
		return
	}
	resp, err := a.runAs(ctx, sc, req)
	switch {
	case err != nil:
		a.Log.Warn("scheduler: RunTask failed", "schedule", scheduleARN(sc, r.Group, r.Name), "err", err)
	case len(resp.Tasks) == 0 && len(resp.Failures) > 0:
		a.Log.Warn("scheduler: RunTask placed no task", "schedule", scheduleARN(sc, r.Group, r.Name), "reason", awsapi.Deref(resp.Failures[0].Reason))
	}
}

// runTaskRequest is the RunTask an ECS target makes (model.TargetRunTask,
// shared with EventBridge); an Input that is a JSON object of task
// overrides overrides the task.
func runTaskRequest(cluster string, p *schedulertypes.EcsParameters, startedBy, input string) (*ecstypes.RunTaskRequest, error) {
	var tags []ecstypes.Tag
	for _, m := range p.Tags {
		for k, v := range m {
			tags = append(tags, ecstypes.Tag{Key: new(k), Value: new(v)})
		}
	}
	return model.TargetRunTask(cluster, p, tags, startedBy, input)
}

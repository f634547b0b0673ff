package applicationautoscaling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	// Time zones work whether or not the host has tzdata.
	_ "time/tzdata"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/schedexpr"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// scheduledRecord is one scheduled action, inside its target's record.
type scheduledRecord struct {
	Name     string    `json:"name"`
	ID       string    `json:"id"`
	Schedule string    `json:"schedule"`
	Timezone string    `json:"timezone,omitempty"`
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	Min      *int32    `json:"min,omitempty"`
	Max      *int32    `json:"max,omitempty"`
	Created  time.Time `json:"created"`
	// Since is when the action was last put: ticks before it never fire.
	Since time.Time `json:"since"`
	// LastFired is the last tick fired, recorded before acting on it.
	LastFired time.Time `json:"lastFired,omitzero"`
}

// plan is the parsed schedule of an action: its expression (in its time
// zone) and the anchor its rate() counts from.
func (s *scheduledRecord) plan() (schedexpr.Schedule, time.Time, error) {
	loc := time.UTC
	if s.Timezone != "" {
		var err error
		if loc, err = time.LoadLocation(s.Timezone); err != nil {
			return nil, time.Time{}, err
		}
	}
	expr, err := schedexpr.Parse(s.Schedule, loc)
	if err != nil {
		return nil, time.Time{}, err
	}
	anchor := s.Since
	if !s.Start.IsZero() {
		anchor = s.Start
	}
	return expr, anchor, nil
}

// tickAfter is the first tick strictly after after. rate() ticks are
// anchor + k·Every, k ≥ 1, so that an action keeps its phase across
// restarts.
func tickAfter(expr schedexpr.Schedule, after, anchor time.Time) (time.Time, bool) {
	if r, ok := expr.(schedexpr.Rate); ok {
		if after.Before(anchor) {
			return anchor.Add(r.Every), true
		}
		return anchor.Add((after.Sub(anchor)/r.Every + 1) * r.Every), true
	}
	t := expr.Next(after)
	return t, !t.IsZero()
}

// latestTick is the last tick in (after, now]: the one tick fired on
// return after an absence (AWS does not replay the ticks it missed).
func latestTick(expr schedexpr.Schedule, after, now, anchor time.Time) (time.Time, bool) {
	if r, ok := expr.(schedexpr.Rate); ok {
		if now.Before(anchor.Add(r.Every)) {
			return time.Time{}, false
		}
		t := anchor.Add(now.Sub(anchor) / r.Every * r.Every)
		return t, t.After(after)
	}
	next, ok := tickAfter(expr, after, anchor)
	if !ok || next.After(now) {
		return time.Time{}, false
	}
	// A cron fires at most once a minute; after a long absence start from
	// the last two days. Bounded either way.
	if now.Sub(next) > 48*time.Hour {
		if later, ok := tickAfter(expr, now.Add(-48*time.Hour), anchor); ok && !later.After(now) {
			next = later
		}
	}
	for range 2 * 24 * 60 {
		n, ok := tickAfter(expr, next, anchor)
		if !ok || n.After(now) {
			break
		}
		next = n
	}
	return next, true
}

// due is the tick to fire at now, if any: the latest tick after the last
// one fired (and after the action was put), within StartTime and EndTime.
func (s *scheduledRecord) due(now time.Time) (time.Time, bool) {
	expr, anchor, err := s.plan()
	if err != nil {
		return time.Time{}, false
	}
	after := s.Since
	if s.LastFired.After(after) {
		after = s.LastFired
	}
	if !s.Start.IsZero() && s.Start.Add(-time.Nanosecond).After(after) {
		after = s.Start.Add(-time.Nanosecond)
	}
	tick, ok := latestTick(expr, after, now, anchor)
	if !ok || !s.End.IsZero() && tick.After(s.End) {
		return time.Time{}, false
	}
	return tick, true
}

// next is the action's next tick after now (zero when none).
func (s *scheduledRecord) next(now time.Time) time.Time {
	expr, anchor, err := s.plan()
	if err != nil {
		return time.Time{}
	}
	from := now
	if !s.Start.IsZero() && s.Start.After(from) {
		from = s.Start.Add(-time.Nanosecond)
	}
	t, ok := tickAfter(expr, from, anchor)
	if !ok || !s.End.IsZero() && t.After(s.End) {
		return time.Time{}
	}
	return t
}

// PutScheduledAction creates or updates a scheduled action: what an update
// leaves out keeps its value, but for StartTime and EndTime, which it
// clears.
func (a *API) PutScheduledAction(ctx context.Context, in *aas.PutScheduledActionRequest) (*aas.PutScheduledActionResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	resourceID, name := awsapi.Deref(in.ResourceId), awsapi.Deref(in.ScheduledActionName)
	if _, _, err := checkTarget(in.ServiceNamespace, in.ScalableDimension, resourceID); err != nil {
		return nil, err
	}
	if in.Schedule != nil {
		if _, err := schedexpr.Parse(*in.Schedule, time.UTC); err != nil {
			reason := err.Error()
			if e, ok := err.(*schedexpr.Error); ok {
				reason = e.Reason
			}
			return nil, errValidation("Invalid schedule expression: %s", reason)
		}
	}
	if in.Timezone != nil {
		if _, err := time.LoadLocation(*in.Timezone); err != nil || *in.Timezone == "" || *in.Timezone == "Local" {
			return nil, errValidation("Invalid Timezone: %s is not a time zone of the IANA Time Zone Database.", *in.Timezone)
		}
	}
	if ta := in.ScalableTargetAction; ta != nil {
		if ta.MinCapacity != nil && *ta.MinCapacity < 0 || ta.MaxCapacity != nil && *ta.MaxCapacity < 0 {
			return nil, errValidation("Minimum and maximum capacity must be 0 or more.")
		}
		if ta.MinCapacity != nil && ta.MaxCapacity != nil && *ta.MinCapacity > *ta.MaxCapacity {
			return nil, errValidation("Minimum capacity cannot be greater than maximum capacity")
		}
	}
	start, end := in.StartTime.Time, in.EndTime.Time
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		return nil, errValidation("EndTime must be after StartTime.")
	}
	now := a.Now().UTC()
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		t, err := getTarget(tx, sc, resourceID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Scheduled, func(s scheduledRecord) bool { return s.Name == name })
		if i < 0 {
			if in.Schedule == nil {
				return errValidation("Schedule is required when creating a scheduled action.")
			}
			if len(t.Scheduled) >= maxScheduled {
				return awsapi.Errorf(codeLimitExceeded, "A scalable target can have at most %d scheduled actions.", maxScheduled)
			}
			t.Scheduled = append(t.Scheduled, scheduledRecord{Name: name, ID: awsapi.NewUUID(), Created: now})
			i = len(t.Scheduled) - 1
		}
		s := &t.Scheduled[i]
		s.Since = now
		if in.Schedule != nil {
			s.Schedule = *in.Schedule
		}
		if in.Timezone != nil {
			s.Timezone = *in.Timezone
		}
		// An update without start and end times deletes the old ones, as
		// AWS documents.
		s.Start, s.End = start.UTC(), end.UTC()
		if ta := in.ScalableTargetAction; ta != nil {
			if ta.MinCapacity != nil {
				s.Min = ta.MinCapacity
			}
			if ta.MaxCapacity != nil {
				s.Max = ta.MaxCapacity
			}
		}
		return store.Put(tx, targetKey(sc, resourceID), t)
	})
	if err != nil {
		return nil, wrap("PutScheduledAction", err)
	}
	a.poke()
	return &aas.PutScheduledActionResponse{}, nil
}

// DescribeScheduledActions answers scheduled actions by target and name.
func (a *API) DescribeScheduledActions(ctx context.Context, in *aas.DescribeScheduledActionsRequest) (*aas.DescribeScheduledActionsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	out := &aas.DescribeScheduledActionsResponse{ScheduledActions: []aas.ScheduledAction{}}
	if in.ServiceNamespace != namespace || in.ScalableDimension != "" && in.ScalableDimension != dimension {
		return out, nil
	}
	c, err := awsapi.ParseCursor("scheduled", in.NextToken, awsapi.Errorf(codeInvalidNextToken, "Invalid token"))
	if err != nil {
		return nil, err
	}
	targets, err := a.targetsOf(ctx, sc, in.ResourceId)
	if err != nil {
		return nil, wrap("DescribeScheduledActions", err)
	}
	var all []aas.ScheduledAction
	for _, t := range targets {
		for _, s := range t.Scheduled {
			if len(in.ScheduledActionNames) > 0 && !slices.Contains(in.ScheduledActionNames, s.Name) {
				continue
			}
			sa := aas.ScheduledAction{ScheduledActionName: new(s.Name), ScheduledActionARN: new(scheduledARN(sc, s.ID, t.ResourceID, s.Name)),
				ServiceNamespace: namespace, Schedule: new(s.Schedule), ResourceId: new(t.ResourceID), ScalableDimension: dimension,
				ScalableTargetAction: &aas.ScalableTargetAction{MinCapacity: s.Min, MaxCapacity: s.Max}, CreationTime: shape.TimeOf(s.Created)}
			if s.Timezone != "" {
				sa.Timezone = new(s.Timezone)
			}
			if !s.Start.IsZero() {
				sa.StartTime = shape.TimeOf(s.Start)
			}
			if !s.End.IsZero() {
				sa.EndTime = shape.TimeOf(s.End)
			}
			all = append(all, sa)
		}
	}
	key := func(s aas.ScheduledAction) string { return *s.ResourceId + "\x00" + *s.ScheduledActionName }
	slices.SortFunc(all, func(x, y aas.ScheduledAction) int { return strings.Compare(key(x), key(y)) })
	page, next := awsapi.SlicePage(all, key, c, awsapi.PageLimit(in.MaxResults, 50))
	out.ScheduledActions, out.NextToken = append(out.ScheduledActions, page...), next
	return out, nil
}

// DeleteScheduledAction deletes a scheduled action.
func (a *API) DeleteScheduledAction(ctx context.Context, in *aas.DeleteScheduledActionRequest) (*aas.DeleteScheduledActionResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	resourceID, name := awsapi.Deref(in.ResourceId), awsapi.Deref(in.ScheduledActionName)
	if _, _, err := checkTarget(in.ServiceNamespace, in.ScalableDimension, resourceID); err != nil {
		return nil, err
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		t, ok, err := store.Get[targetRecord](tx, targetKey(sc, resourceID))
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Scheduled, func(s scheduledRecord) bool { return s.Name == name })
		if !ok || i < 0 {
			return awsapi.Errorf(codeNotFound, "No scheduled action found for service namespace: ecs, resource ID: %s, scalable dimension: ecs:service:DesiredCount, scheduled action name: %s", resourceID, name)
		}
		t.Scheduled = slices.Delete(t.Scheduled, i, i+1)
		return store.Put(tx, targetKey(sc, resourceID), t)
	})
	if err != nil {
		return nil, wrap("DeleteScheduledAction", err)
	}
	return &aas.DeleteScheduledActionResponse{}, nil
}

// RunDue is one pass of scheduled scaling at now: it finishes activities a
// crash left InProgress, fires every scheduled action that came due (each
// tick once: the fire is recorded in the store before the service is
// touched), and answers when the next action comes due (zero: none).
func (a *API) RunDue(ctx context.Context, now time.Time) (time.Time, error) {
	if err := a.finishPending(ctx); err != nil {
		return time.Time{}, err
	}
	targets, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]targetRecord, error) {
		return store.List[targetRecord](tx, targetsRoot())
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("list scalable targets: %w", err)
	}
	var next time.Time
	var first error
	for _, t := range targets {
		for _, s := range t.Scheduled {
			if _, ok := s.due(now); ok {
				if err := a.fire(ctx, t.scope(), t.ResourceID, s.Name, now); err != nil && first == nil {
					first = err
				}
			}
			if n := s.next(now); !n.IsZero() && (next.IsZero() || n.Before(next)) {
				next = n
			}
		}
	}
	if now.Sub(a.lastPrune) > time.Hour {
		if err := a.pruneActivities(ctx); err != nil && first == nil {
			first = err
		}
		a.lastPrune = now
	}
	return next, first
}

// fire runs one due scheduled action: in one transaction it records the
// tick, sets the target's new bounds and records the activities; then it
// brings the service's desired count within the bounds. With scheduled
// scaling suspended the tick is recorded and nothing else happens.
func (a *API) fire(ctx context.Context, sc model.Scope, resourceID, name string, now time.Time) error {
	cluster, service, err := checkTarget(namespace, dimension, resourceID)
	if err != nil {
		return err
	}
	var pending string
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		key := targetKey(sc, resourceID)
		t, ok, err := store.Get[targetRecord](tx, key)
		if err != nil || !ok {
			return err
		}
		i := slices.IndexFunc(t.Scheduled, func(s scheduledRecord) bool { return s.Name == name })
		if i < 0 {
			return nil
		}
		s := &t.Scheduled[i]
		tick, ok := s.due(now)
		if !ok {
			return nil // fired meanwhile
		}
		s.LastFired = tick
		if t.Suspended.Scheduled {
			a.Log.Info("scheduled scaling is suspended: skipping a scheduled action", "resource", resourceID, "action", name, "tick", tick)
			return store.Put(tx, key, t)
		}
		if s.Min != nil {
			t.Min = *s.Min
		}
		if s.Max != nil {
			t.Max = *s.Max
		}
		// One bound alone may cross the other: the other follows.
		switch {
		case s.Min != nil && t.Min > t.Max:
			t.Max = t.Min
		case s.Max != nil && t.Max < t.Min:
			t.Min = t.Max
		}
		cause := fmt.Sprintf("scheduled action name %s was triggered", name)
		desc := fmt.Sprintf("Setting min capacity to %d and max capacity to %d", t.Min, t.Max)
		act := newActivity(&t, now, desc, cause)
		act.StatusMessage = fmt.Sprintf("Successfully set min capacity to %d and max capacity to %d", t.Min, t.Max)
		if _, err := putActivity(tx, &act); err != nil {
			return err
		}
		svc, ok, err := store.Get[model.ServiceRecord](tx, state.ServiceKey(sc, cluster, service))
		if err != nil {
			return err
		}
		if ok && awsapi.Deref(svc.Service.Status) == model.ServiceActive {
			// A nanosecond later, so that it sorts above the bounds' activity.
			if pending, err = boundsActivity(tx, &t, svc.Service.DesiredCount, now.Add(time.Nanosecond)); err != nil {
				return err
			}
		}
		a.Log.Info("scheduled action fired", "resource", resourceID, "action", name, "tick", tick, "min", t.Min, "max", t.Max)
		return store.Put(tx, key, t)
	})
	if err != nil {
		return fmt.Errorf("scheduled action %s of %s: %w", name, resourceID, err)
	}
	return a.apply(ctx, pending)
}

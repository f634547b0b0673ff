package scheduler

import (
	"context"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/schedexpr"
	"github.com/wharfhq/wharf/store"
)

// spec is what CreateSchedule and UpdateSchedule share.
type spec struct {
	name, group, expr, tz, description, kms *string
	start, end                              shape.Timestamp
	state                                   schedulertypes.ScheduleState
	target                                  *schedulertypes.Target
	window                                  *schedulertypes.FlexibleTimeWindow
	after                                   schedulertypes.ActionAfterCompletion
}

// record checks a spec and makes the schedule it describes.
func (a *API) record(s spec, now time.Time) (scheduleRecord, error) {
	r := scheduleRecord{Name: *s.name, Group: groupOf(s.group), Expression: awsapi.Deref(s.expr), Timezone: awsapi.Deref(s.tz),
		StartDate: s.start.Time, EndDate: s.end.Time, Description: awsapi.Deref(s.description), State: s.state,
		KmsKeyArn: awsapi.Deref(s.kms), AfterCompletion: s.after, Created: now, Modified: now}
	if r.State == "" {
		r.State = schedulertypes.ScheduleStateEnabled
	}
	if r.AfterCompletion == "" {
		r.AfterCompletion = schedulertypes.ActionAfterCompletionNone
	}
	if s.target != nil {
		r.Target = *s.target
	}
	if s.window != nil {
		r.Window = *s.window
	}
	if _, err := a.schedule(&r); err != nil {
		return r, err
	}
	switch r.Window.Mode {
	case schedulertypes.FlexibleTimeWindowModeFlexible:
		if r.Window.MaximumWindowInMinutes == nil {
			return r, errValidation("MaximumWindowInMinutes is required when the FlexibleTimeWindow mode is FLEXIBLE.")
		}
	case schedulertypes.FlexibleTimeWindowModeOff:
		if r.Window.MaximumWindowInMinutes != nil {
			return r, errValidation("MaximumWindowInMinutes must not be set when the FlexibleTimeWindow mode is OFF.")
		}
	}
	if !r.StartDate.IsZero() && !r.EndDate.IsZero() && !r.EndDate.After(r.StartDate) {
		return r, errValidation("The EndDate must be after the StartDate.")
	}
	if isECS(awsapi.Deref(r.Target.Arn)) && r.Target.EcsParameters == nil {
		return r, errValidation("EcsParameters are required for an Amazon ECS target.")
	}
	return r, nil
}

func isECS(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws:ecs:") && strings.Contains(arn, ":cluster/")
}

// schedule parses a schedule's expression in its time zone; a rate()'s
// period is scaled to the API's minute.
func (a *API) schedule(r *scheduleRecord) (schedexpr.Schedule, error) {
	loc := time.UTC
	if r.Timezone != "" {
		l, err := time.LoadLocation(r.Timezone)
		if err != nil || r.Timezone == "Local" {
			return nil, errValidation("Invalid ScheduleExpressionTimezone: %s", r.Timezone)
		}
		loc = l
	}
	s, err := schedexpr.Parse(r.Expression, loc)
	if err != nil {
		return nil, errValidation("Invalid Schedule Expression %s.", r.Expression)
	}
	if rt, ok := s.(schedexpr.Rate); ok && a.Minute > 0 && a.Minute != time.Minute {
		s = schedexpr.Rate{Every: time.Duration(float64(rt.Every) * float64(a.Minute) / float64(time.Minute))}
	}
	return s, nil
}

func requireGroup(tx store.ReadTx, sc model.Scope, group string) error {
	if group == defaultGroup {
		return nil
	}
	g, err := awsapi.Find[groupRecord](tx, groupKey(sc, group), func() error {
		return awsapi.Errorf(codeNotFound, "Schedule group %s does not exist.", group)
	})
	if err == nil && g.Deleting {
		return awsapi.Errorf(codeConflict, "Schedule group %s is being deleted.", group)
	}
	return err
}

func notFound(group, name string) error {
	return awsapi.Errorf(codeNotFound, "Schedule %s does not exist.", name)
}

// CreateSchedule creates a schedule.
func (a *API) CreateSchedule(ctx context.Context, in *schedulertypes.CreateScheduleInput) (*schedulertypes.CreateScheduleOutput, error) {
	arn, err := a.putSchedule(ctx, "CreateSchedule", spec{name: in.Name, group: in.GroupName, expr: in.ScheduleExpression, tz: in.ScheduleExpressionTimezone,
		description: in.Description, kms: in.KmsKeyArn, start: in.StartDate, end: in.EndDate, state: in.State,
		target: in.Target, window: in.FlexibleTimeWindow, after: in.ActionAfterCompletion},
		func(tx store.Tx, key string, r *scheduleRecord) error {
			if _, ok, err := tx.Get(key); err != nil || ok {
				if ok {
					return awsapi.Errorf(codeConflict, "Schedule %s already exists.", r.Name)
				}
				return err
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return &schedulertypes.CreateScheduleOutput{ScheduleArn: arn}, nil
}

// UpdateSchedule replaces a schedule's definition: members left out take
// their defaults, as in Scheduler.
func (a *API) UpdateSchedule(ctx context.Context, in *schedulertypes.UpdateScheduleInput) (*schedulertypes.UpdateScheduleOutput, error) {
	arn, err := a.putSchedule(ctx, "UpdateSchedule", spec{name: in.Name, group: in.GroupName, expr: in.ScheduleExpression, tz: in.ScheduleExpressionTimezone,
		description: in.Description, kms: in.KmsKeyArn, start: in.StartDate, end: in.EndDate, state: in.State,
		target: in.Target, window: in.FlexibleTimeWindow, after: in.ActionAfterCompletion},
		func(tx store.Tx, key string, r *scheduleRecord) error {
			old, err := awsapi.Find[scheduleRecord](tx, key, func() error { return notFound(r.Group, r.Name) })
			r.Created = old.Created
			return err
		})
	if err != nil {
		return nil, err
	}
	return &schedulertypes.UpdateScheduleOutput{ScheduleArn: arn}, nil
}

// putSchedule stores the schedule sp defines, in its group, with its tick:
// CreateSchedule and UpdateSchedule differ only in what they ask of the
// record stored at key before (check).
func (a *API) putSchedule(ctx context.Context, op string, sp spec, check func(tx store.Tx, key string, r *scheduleRecord) error) (*string, error) {
	sc := awsapi.ScopeOf(ctx)
	now := a.Now()
	r, err := a.record(sp, now)
	if err != nil {
		return nil, err
	}
	key := scheduleKey(sc, r.Group, r.Name)
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireGroup(tx, sc, r.Group); err != nil {
			return err
		}
		if err := check(tx, key, &r); err != nil {
			return err
		}
		if err := store.Put(tx, key, r); err != nil {
			return err
		}
		return a.syncTick(tx, sc, &r, now)
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	a.poke()
	return new(scheduleARN(sc, r.Group, r.Name)), nil
}

// GetSchedule describes a schedule.
func (a *API) GetSchedule(ctx context.Context, in *schedulertypes.GetScheduleInput) (*schedulertypes.GetScheduleOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	group := groupOf(in.GroupName)
	r, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (scheduleRecord, error) {
		if err := requireGroup(tx, sc, group); err != nil {
			return scheduleRecord{}, err
		}
		return awsapi.Find[scheduleRecord](tx, scheduleKey(sc, group, *in.Name), func() error { return notFound(group, *in.Name) })
	})
	if err != nil {
		return nil, wrap("GetSchedule", err)
	}
	out := &schedulertypes.GetScheduleOutput{Arn: new(scheduleARN(sc, r.Group, r.Name)), GroupName: new(r.Group), Name: new(r.Name),
		ScheduleExpression: new(r.Expression), State: r.State, CreationDate: shape.TimeOf(r.Created), LastModificationDate: shape.TimeOf(r.Modified),
		Target: &r.Target, FlexibleTimeWindow: &r.Window, ActionAfterCompletion: r.AfterCompletion,
		StartDate: shape.TimeOf(r.StartDate), EndDate: shape.TimeOf(r.EndDate)}
	if r.Timezone != "" {
		out.ScheduleExpressionTimezone = new(r.Timezone)
	}
	if r.Description != "" {
		out.Description = new(r.Description)
	}
	if r.KmsKeyArn != "" {
		out.KmsKeyArn = new(r.KmsKeyArn)
	}
	return out, nil
}

// DeleteSchedule deletes a schedule.
func (a *API) DeleteSchedule(ctx context.Context, in *schedulertypes.DeleteScheduleInput) (*schedulertypes.DeleteScheduleOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	group := groupOf(in.GroupName)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireGroup(tx, sc, group); err != nil {
			return err
		}
		if _, err := awsapi.Find[scheduleRecord](tx, scheduleKey(sc, group, *in.Name), func() error { return notFound(group, *in.Name) }); err != nil {
			return err
		}
		if err := tx.Delete(scheduleKey(sc, group, *in.Name)); err != nil {
			return err
		}
		return tx.Delete(tickKey(sc, group, *in.Name))
	})
	if err != nil {
		return nil, wrap("DeleteSchedule", err)
	}
	return &schedulertypes.DeleteScheduleOutput{}, nil
}

// ListSchedules lists schedules, of one group or all, by group then name.
func (a *API) ListSchedules(ctx context.Context, in *schedulertypes.ListSchedulesInput) (*schedulertypes.ListSchedulesOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	c, err := awsapi.ParseCursor("schedules", in.NextToken, errValidation("Invalid NextToken."))
	if err != nil {
		return nil, err
	}
	match := ""
	if in.GroupName != nil {
		match = *in.GroupName + "/"
	}
	prefix := awsapi.Deref(in.NamePrefix)
	keep := func(r *scheduleRecord) bool {
		return strings.HasPrefix(r.Name, prefix) && (in.State == "" || r.State == in.State)
	}
	recs, next, err := awsapi.ViewPage(ctx, a.DB, schedulesPrefix(sc), match, c, awsapi.PageLimit(in.MaxResults, 100), keep)
	if err != nil {
		return nil, wrap("ListSchedules", err)
	}
	out := &schedulertypes.ListSchedulesOutput{Schedules: []schedulertypes.ScheduleSummary{}, NextToken: next}
	for _, r := range recs {
		out.Schedules = append(out.Schedules, schedulertypes.ScheduleSummary{Arn: new(scheduleARN(sc, r.Group, r.Name)), Name: new(r.Name),
			GroupName: new(r.Group), State: r.State, CreationDate: shape.TimeOf(r.Created), LastModificationDate: shape.TimeOf(r.Modified),
			Target: &schedulertypes.TargetSummary{Arn: r.Target.Arn}})
	}
	return out, nil
}

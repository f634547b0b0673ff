package eventbridge

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/eventpattern"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/schedexpr"
	"github.com/wharfhq/wharf/store"
)

var tagRules = awsapi.TagRulesIn(maxTags, errValidation, func(format string, args ...any) error {
	return awsapi.Errorf(codeLimitExceeded, format, args...)
})

func tagKV(t eventbridgetypes.Tag) (string, string) {
	return awsapi.Deref(t.Key), awsapi.Deref(t.Value)
}

// PutRule creates a rule or updates one (its targets and tags stay).
func (a *API) PutRule(ctx context.Context, in *eventbridgetypes.PutRuleRequest) (*eventbridgetypes.PutRuleResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	bus := busName(in.EventBusName)
	expr, pattern := awsapi.Deref(in.ScheduleExpression), awsapi.Deref(in.EventPattern)
	if expr == "" && pattern == "" {
		return nil, errValidation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if expr != "" {
		if bus != defaultBus {
			return nil, errValidation("ScheduleExpression is supported only on the default event bus.")
		}
		if _, err := ruleSchedule(expr, time.Minute); err != nil {
			return nil, errValidation("Parameter ScheduleExpression is not valid.")
		}
	}
	if pattern != "" {
		if _, err := eventpattern.Compile(pattern); err != nil {
			return nil, awsapi.Errorf(codeInvalidPattern, "%s", err.Error())
		}
	}
	state := in.State
	if state == "" {
		state = eventbridgetypes.RuleStateEnabled
	}
	if err := awsapi.CheckTags(tagRules, in.Tags, tagKV); err != nil {
		return nil, err
	}
	now := a.Now()
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireBus(tx, sc, bus); err != nil {
			return err
		}
		r, exists, err := store.Get[ruleRecord](tx, ruleKey(sc, bus, *in.Name))
		if err != nil {
			return err
		}
		if !exists {
			r = ruleRecord{Name: *in.Name, Bus: bus, Created: now, Tags: in.Tags}
		}
		reschedule := r.ScheduleExpression != expr || r.State != state
		r.EventPattern, r.ScheduleExpression, r.State = pattern, expr, state
		r.Description, r.RoleArn = awsapi.Deref(in.Description), awsapi.Deref(in.RoleArn)
		if err := store.Put(tx, ruleKey(sc, bus, r.Name), r); err != nil {
			return err
		}
		if reschedule || !exists {
			return a.syncTick(tx, sc, &r, now)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("PutRule", err)
	}
	a.poke() // after the commit, so that the controller reads the new tick
	return &eventbridgetypes.PutRuleResponse{RuleArn: new(ruleARN(sc, bus, *in.Name))}, nil
}

// ruleSchedule parses a rule's expression: rate() or cron(), in UTC (a
// rule has no time zone, and no at()). A rate's period is scaled to the
// API's minute.
func ruleSchedule(expr string, minute time.Duration) (schedexpr.Schedule, error) {
	if strings.HasPrefix(expr, "at(") {
		return nil, errors.New("rules take rate() or cron()")
	}
	s, err := schedexpr.Parse(expr, time.UTC)
	if err != nil {
		return nil, err
	}
	return ScaleRate(s, minute), nil
}

// ScaleRate shortens a rate() to a clock whose minute lasts minute (tests
// that shorten the clock); other schedules are unchanged.
func ScaleRate(s schedexpr.Schedule, minute time.Duration) schedexpr.Schedule {
	if r, ok := s.(schedexpr.Rate); ok && minute > 0 && minute != time.Minute {
		return schedexpr.Rate{Every: time.Duration(float64(r.Every) * float64(minute) / float64(time.Minute))}
	}
	return s
}

// syncTick writes or removes a rule's tick record: an enabled schedule
// rule fires next at its expression's next time after now.
func (a *API) syncTick(tx store.Tx, sc model.Scope, r *ruleRecord, now time.Time) error {
	key := tickKey(sc, r.Bus, r.Name)
	if r.ScheduleExpression == "" || r.State != eventbridgetypes.RuleStateEnabled {
		return tx.Delete(key)
	}
	s, err := ruleSchedule(r.ScheduleExpression, a.Minute)
	if err != nil {
		return err
	}
	next := s.Next(now)
	if next.IsZero() {
		return tx.Delete(key)
	}
	return store.Put(tx, key, tickRecord{Account: sc.Account, Region: sc.Region, Bus: r.Bus, Rule: r.Name, Next: next})
}

// poke wakes the schedules controller after a tick changed (after the
// commit: woken earlier, it would read the old tick and sleep on).
func (a *API) poke() {
	select {
	case a.nudge <- struct{}{}:
	default:
	}
}

// Nudges receives when a schedule changed.
func (a *API) Nudges() <-chan struct{} { return a.nudge }

func requireBus(tx store.ReadTx, sc model.Scope, bus string) error {
	if bus == defaultBus {
		return nil
	}
	_, err := awsapi.Find[busRecord](tx, busKey(sc, bus), func() error { return busNotFound(bus) })
	return err
}

func getRule(tx store.ReadTx, sc model.Scope, bus, name string) (ruleRecord, error) {
	if err := requireBus(tx, sc, bus); err != nil {
		return ruleRecord{}, err
	}
	return awsapi.Find[ruleRecord](tx, ruleKey(sc, bus, name), func() error { return ruleNotFound(name, bus) })
}

func (r *ruleRecord) wire(sc model.Scope) eventbridgetypes.Rule {
	out := eventbridgetypes.Rule{Name: new(r.Name), Arn: new(ruleARN(sc, r.Bus, r.Name)), State: r.State, EventBusName: new(r.Bus)}
	if r.EventPattern != "" {
		out.EventPattern = new(r.EventPattern)
	}
	if r.ScheduleExpression != "" {
		out.ScheduleExpression = new(r.ScheduleExpression)
	}
	if r.Description != "" {
		out.Description = new(r.Description)
	}
	if r.RoleArn != "" {
		out.RoleArn = new(r.RoleArn)
	}
	return out
}

// DescribeRule describes one rule.
func (a *API) DescribeRule(ctx context.Context, in *eventbridgetypes.DescribeRuleRequest) (*eventbridgetypes.DescribeRuleResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	r, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (ruleRecord, error) {
		return getRule(tx, sc, busName(in.EventBusName), *in.Name)
	})
	if err != nil {
		return nil, wrap("DescribeRule", err)
	}
	w := r.wire(sc)
	return &eventbridgetypes.DescribeRuleResponse{Name: w.Name, Arn: w.Arn, EventPattern: w.EventPattern,
		ScheduleExpression: w.ScheduleExpression, State: w.State, Description: w.Description, RoleArn: w.RoleArn,
		EventBusName: w.EventBusName, CreatedBy: new(sc.Account)}, nil
}

// ListRules lists a bus's rules in name order, optionally by name prefix.
func (a *API) ListRules(ctx context.Context, in *eventbridgetypes.ListRulesRequest) (*eventbridgetypes.ListRulesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	bus := busName(in.EventBusName)
	c, err := awsapi.ParseCursor("rules/"+bus, in.NextToken, errValidation("The NextToken is not valid."))
	if err != nil {
		return nil, err
	}
	var recs []ruleRecord
	var next *string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireBus(tx, sc, bus); err != nil {
			return err
		}
		recs, next, err = awsapi.StorePage[ruleRecord](tx, rulesPrefix(sc, bus), awsapi.Deref(in.NamePrefix), c, awsapi.PageLimit(in.Limit, 100), nil)
		return err
	})
	if err != nil {
		return nil, wrap("ListRules", err)
	}
	out := &eventbridgetypes.ListRulesResponse{Rules: []eventbridgetypes.Rule{}, NextToken: next}
	for i := range recs {
		out.Rules = append(out.Rules, recs[i].wire(sc))
	}
	return out, nil
}

// DeleteRule deletes a rule; as EventBridge, not while it has targets.
func (a *API) DeleteRule(ctx context.Context, in *eventbridgetypes.DeleteRuleRequest) (*struct{}, error) {
	sc := awsapi.ScopeOf(ctx)
	bus := busName(in.EventBusName)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireBus(tx, sc, bus); err != nil {
			return err
		}
		r, ok, err := store.Get[ruleRecord](tx, ruleKey(sc, bus, *in.Name))
		if err != nil || !ok {
			return err // deleting a missing rule succeeds, as EventBridge
		}
		if len(r.Targets) > 0 {
			return errValidation("Rule can't be deleted since it has targets.")
		}
		if err := tx.Delete(ruleKey(sc, bus, r.Name)); err != nil {
			return err
		}
		return tx.Delete(tickKey(sc, bus, r.Name))
	})
	return nil, wrap("DeleteRule", err)
}

// EnableRule enables a rule.
func (a *API) EnableRule(ctx context.Context, in *eventbridgetypes.EnableRuleRequest) (*struct{}, error) {
	return nil, wrap("EnableRule", a.setState(ctx, busName(in.EventBusName), *in.Name, eventbridgetypes.RuleStateEnabled))
}

// DisableRule disables a rule: it stops matching events and firing.
func (a *API) DisableRule(ctx context.Context, in *eventbridgetypes.DisableRuleRequest) (*struct{}, error) {
	return nil, wrap("DisableRule", a.setState(ctx, busName(in.EventBusName), *in.Name, eventbridgetypes.RuleStateDisabled))
}

func (a *API) setState(ctx context.Context, bus, name string, state eventbridgetypes.RuleState) error {
	sc := awsapi.ScopeOf(ctx)
	now := a.Now()
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		r, err := getRule(tx, sc, bus, name)
		if err != nil || r.State == state {
			return err
		}
		r.State = state
		if err := store.Put(tx, ruleKey(sc, bus, name), r); err != nil {
			return err
		}
		return a.syncTick(tx, sc, &r, now)
	})
	if err == nil {
		a.poke()
	}
	return err
}

// TestEventPattern tests an event against a pattern.
func (a *API) TestEventPattern(ctx context.Context, in *eventbridgetypes.TestEventPatternRequest) (*eventbridgetypes.TestEventPatternResponse, error) {
	p, err := eventpattern.Compile(*in.EventPattern)
	if err != nil {
		return nil, awsapi.Errorf(codeInvalidPattern, "%s", err.Error())
	}
	// EventBridge requires the envelope's fields in the test event.
	ev, err := decodeObject(*in.Event)
	if err != nil {
		return nil, errValidation("Parameter Event is not valid.")
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := ev[f]; !ok {
			return nil, errValidation("Parameter Event is not valid. Reason: Provided JSON is missing field: %s", f)
		}
	}
	return &eventbridgetypes.TestEventPatternResponse{Result: p.MatchValue(ev)}, nil
}

package eventbridge

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// PutTargets adds targets to a rule or replaces those with the same Id.
// A target refused for its own reason is a failed entry; the others are
// stored.
func (a *API) PutTargets(ctx context.Context, in *eventbridgetypes.PutTargetsRequest) (*eventbridgetypes.PutTargetsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	bus := busName(in.EventBusName)
	out := &eventbridgetypes.PutTargetsResponse{FailedEntries: []eventbridgetypes.PutTargetsResultEntry{}}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		out.FailedEntries = out.FailedEntries[:0]
		r, err := getRule(tx, sc, bus, *in.Rule)
		if err != nil {
			return err
		}
		for _, t := range in.Targets {
			if msg := checkTarget(t); msg != "" {
				out.FailedEntries = append(out.FailedEntries, eventbridgetypes.PutTargetsResultEntry{
					TargetId: t.Id, ErrorCode: new(codeValidation), ErrorMessage: new(msg)})
				continue
			}
			i := slices.IndexFunc(r.Targets, func(old eventbridgetypes.Target) bool { return *old.Id == *t.Id })
			if i >= 0 {
				r.Targets[i] = t
				continue
			}
			r.Targets = append(r.Targets, t)
		}
		if len(r.Targets) > maxTargets {
			return awsapi.Errorf(codeLimitExceeded, "The requested resource exceeds the maximum number allowed.")
		}
		return store.Put(tx, ruleKey(sc, bus, r.Name), r)
	})
	if err != nil {
		return nil, wrap("PutTargets", err)
	}
	out.FailedEntryCount = int32(len(out.FailedEntries))
	return out, nil
}

// checkTarget is why EventBridge refuses a target, or "".
func checkTarget(t eventbridgetypes.Target) string {
	inputs := 0
	for _, set := range []bool{t.Input != nil, t.InputPath != nil, t.InputTransformer != nil} {
		if set {
			inputs++
		}
	}
	if inputs > 1 {
		return "Only one of Input, InputPath, or InputTransformer must be provided."
	}
	if t.Input != nil {
		if _, err := decodeAny(*t.Input); err != nil {
			return "Input is not valid JSON."
		}
	}
	if t.InputPath != nil {
		if _, err := parsePath(*t.InputPath); err != nil {
			return "InputPath is not a valid JSON path: " + err.Error()
		}
	}
	if tr := t.InputTransformer; tr != nil {
		for k, p := range tr.InputPathsMap {
			if strings.HasPrefix(k, "aws.") {
				return "InputTransformer's InputPathsMap cannot use the reserved key " + k + "."
			}
			if _, err := parsePath(p); err != nil {
				return "InputPathsMap value for " + k + " is not a valid JSON path: " + err.Error()
			}
		}
	}
	if strings.HasPrefix(*t.Arn, "arn:aws:ecs:") && t.EcsParameters == nil {
		return "EcsParameters must be specified for target " + *t.Id + " with an ECS cluster ARN."
	}
	return ""
}

// RemoveTargets removes targets from a rule; an Id the rule lacks is a
// failed entry.
func (a *API) RemoveTargets(ctx context.Context, in *eventbridgetypes.RemoveTargetsRequest) (*eventbridgetypes.RemoveTargetsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	bus := busName(in.EventBusName)
	out := &eventbridgetypes.RemoveTargetsResponse{FailedEntries: []eventbridgetypes.RemoveTargetsResultEntry{}}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		out.FailedEntries = out.FailedEntries[:0]
		r, err := getRule(tx, sc, bus, *in.Rule)
		if err != nil {
			return err
		}
		for _, id := range in.Ids {
			i := slices.IndexFunc(r.Targets, func(t eventbridgetypes.Target) bool { return *t.Id == id })
			if i < 0 {
				out.FailedEntries = append(out.FailedEntries, eventbridgetypes.RemoveTargetsResultEntry{
					TargetId: new(id), ErrorCode: new(codeNotFound), ErrorMessage: new("Target " + id + " does not exist on rule " + r.Name + ".")})
				continue
			}
			r.Targets = slices.Delete(r.Targets, i, i+1)
		}
		return store.Put(tx, ruleKey(sc, bus, r.Name), r)
	})
	if err != nil {
		return nil, wrap("RemoveTargets", err)
	}
	out.FailedEntryCount = int32(len(out.FailedEntries))
	return out, nil
}

// ListTargetsByRule lists a rule's targets in the order they were added.
func (a *API) ListTargetsByRule(ctx context.Context, in *eventbridgetypes.ListTargetsByRuleRequest) (*eventbridgetypes.ListTargetsByRuleResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	bus := busName(in.EventBusName)
	r, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (ruleRecord, error) { return getRule(tx, sc, bus, *in.Rule) })
	if err != nil {
		return nil, wrap("ListTargetsByRule", err)
	}
	c, err := awsapi.ParseCursor("targets/"+bus+"/"+r.Name, in.NextToken, errValidation("The NextToken is not valid."))
	if err != nil {
		return nil, err
	}
	// Ids sort as added: the token holds the index of the last one sent.
	indexed := make([]string, len(r.Targets))
	for i := range r.Targets {
		indexed[i] = fmt.Sprintf("%04d", i)
	}
	page, next := awsapi.SlicePage(indexed, func(s string) string { return s }, c, awsapi.PageLimit(in.Limit, 100))
	out := &eventbridgetypes.ListTargetsByRuleResponse{Targets: []eventbridgetypes.Target{}, NextToken: next}
	for _, k := range page {
		i, _ := strconv.Atoi(k)
		out.Targets = append(out.Targets, r.Targets[i])
	}
	return out, nil
}

// ListRuleNamesByTarget lists the rules of a bus that have a target with
// the given ARN, by name.
func (a *API) ListRuleNamesByTarget(ctx context.Context, in *eventbridgetypes.ListRuleNamesByTargetRequest) (*eventbridgetypes.ListRuleNamesByTargetResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	bus := busName(in.EventBusName)
	c, err := awsapi.ParseCursor("rules-by-target/"+bus, in.NextToken, errValidation("The NextToken is not valid."))
	if err != nil {
		return nil, err
	}
	keep := func(r *ruleRecord) bool {
		return slices.ContainsFunc(r.Targets, func(t eventbridgetypes.Target) bool { return awsapi.Deref(t.Arn) == *in.TargetArn })
	}
	var recs []ruleRecord
	var next *string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireBus(tx, sc, bus); err != nil {
			return err
		}
		recs, next, err = awsapi.StorePage(tx, rulesPrefix(sc, bus), "", c, awsapi.PageLimit(in.Limit, 100), keep)
		return err
	})
	if err != nil {
		return nil, wrap("ListRuleNamesByTarget", err)
	}
	out := &eventbridgetypes.ListRuleNamesByTargetResponse{RuleNames: []string{}, NextToken: next}
	for _, r := range recs {
		out.RuleNames = append(out.RuleNames, r.Name)
	}
	return out, nil
}

package elbv2

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strconv"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// maxRules is ELB's limit of rules (besides the default) on one listener.
const maxRules = 100

var (
	hostValueRE   = regexp.MustCompile(`^[A-Za-z0-9.*?-]+(:[0-9]+)?$`)
	methodValueRE = regexp.MustCompile(`^[A-Z_-]+$`)
)

// checkConditions validates a rule's conditions and returns them as ELB
// describes them: path-pattern and host-header carry both Values and their
// Config.
func checkConditions(conds []elbv2types.RuleCondition) ([]elbv2types.RuleCondition, error) {
	if len(conds) == 0 {
		return nil, validation("A rule must have at least one condition.")
	}
	out := make([]elbv2types.RuleCondition, 0, len(conds))
	once := map[string]bool{}
	for _, c := range conds {
		field := awsapi.Deref(c.Field)
		var vals []string
		pick := func(cfg []string) error {
			if len(c.Values) > 0 && len(cfg) > 0 {
				return validation("Condition %s: give Values or its config, not both.", field)
			}
			vals = append(slices.Clone(c.Values), cfg...)
			if len(vals) == 0 {
				return validation("Condition %s needs at least one value.", field)
			}
			for _, v := range vals {
				if len(v) > 128 {
					return validation("Condition %s: values must be at most 128 characters, got %q.", field, v)
				}
			}
			return nil
		}
		n := elbv2types.RuleCondition{Field: new(field)}
		switch field {
		case "path-pattern", "host-header", "http-request-method", "source-ip":
			if once[field] {
				return nil, validation("A rule can have at most one %s condition.", field)
			}
			once[field] = true
		}
		switch field {
		case "path-pattern":
			var cfg []string
			if c.PathPatternConfig != nil {
				cfg = c.PathPatternConfig.Values
			}
			if err := pick(cfg); err != nil {
				return nil, err
			}
			n.Values, n.PathPatternConfig = vals, &elbv2types.PathPatternConditionConfig{Values: vals}
		case "host-header":
			var cfg []string
			if c.HostHeaderConfig != nil {
				cfg = c.HostHeaderConfig.Values
			}
			if err := pick(cfg); err != nil {
				return nil, err
			}
			for _, v := range vals {
				if !hostValueRE.MatchString(v) {
					return nil, validation("Condition host-header: %q may contain only A-Z, a-z, 0-9, '-', '.', '*' and '?'.", v)
				}
			}
			n.Values, n.HostHeaderConfig = vals, &elbv2types.HostHeaderConditionConfig{Values: vals}
		case "http-header":
			h := c.HttpHeaderConfig
			if h == nil || awsapi.Deref(h.HttpHeaderName) == "" || len(h.Values) == 0 {
				return nil, validation("Condition http-header needs HttpHeaderConfig with a header name and values.")
			}
			n.HttpHeaderConfig = &elbv2types.HttpHeaderConditionConfig{HttpHeaderName: new(awsapi.Deref(h.HttpHeaderName)), Values: slices.Clone(h.Values)}
		case "http-request-method":
			if c.HttpRequestMethodConfig == nil || len(c.HttpRequestMethodConfig.Values) == 0 {
				return nil, validation("Condition http-request-method needs HttpRequestMethodConfig with values.")
			}
			for _, v := range c.HttpRequestMethodConfig.Values {
				if !methodValueRE.MatchString(v) {
					return nil, validation("Condition http-request-method: %q is not a method name (A-Z, '-', '_').", v)
				}
			}
			n.HttpRequestMethodConfig = &elbv2types.HttpRequestMethodConditionConfig{Values: slices.Clone(c.HttpRequestMethodConfig.Values)}
		case "query-string":
			if c.QueryStringConfig == nil || len(c.QueryStringConfig.Values) == 0 {
				return nil, validation("Condition query-string needs QueryStringConfig with values.")
			}
			for _, kv := range c.QueryStringConfig.Values {
				if awsapi.Deref(kv.Value) == "" {
					return nil, validation("Condition query-string: every pair needs a Value.")
				}
			}
			n.QueryStringConfig = &elbv2types.QueryStringConditionConfig{Values: slices.Clone(c.QueryStringConfig.Values)}
		case "source-ip":
			if c.SourceIpConfig == nil || len(c.SourceIpConfig.Values) == 0 {
				return nil, validation("Condition source-ip needs SourceIpConfig with CIDR values.")
			}
			for _, v := range c.SourceIpConfig.Values {
				if _, err := netip.ParsePrefix(v); err != nil {
					return nil, validation("Condition source-ip: %q is not a CIDR block.", v)
				}
			}
			n.SourceIpConfig = &elbv2types.SourceIpConditionConfig{Values: slices.Clone(c.SourceIpConfig.Values)}
		default:
			return nil, validation("Condition field %q is not valid: use path-pattern, host-header, http-header, http-request-method, query-string or source-ip.", field)
		}
		out = append(out, n)
	}
	return out, nil
}

// ruleRef is a resolved rule ARN: the listener, and the rule unless it is
// the listener's default rule.
type ruleRef struct {
	listener  lbstate.Listener
	rule      lbstate.Rule
	isDefault bool
}

func getRule(tx store.ReadTx, sc model.Scope, arn string) (ruleRef, error) {
	r, err := parseRef(sc, arn, "listener-rule", "RuleArn", ruleNotFound)
	if err != nil {
		return ruleRef{}, err
	}
	l, ok, err := store.Get[lbstate.Listener](tx, lbstate.ListenerKey(sc, r.LBID, r.ListenerID))
	if err != nil {
		return ruleRef{}, err
	}
	if !ok {
		return ruleRef{}, ruleNotFound(arn)
	}
	if r.ID == l.DefaultRuleID {
		return ruleRef{listener: l, isDefault: true}, nil
	}
	rule, ok, err := store.Get[lbstate.Rule](tx, lbstate.RuleKey(sc, l.ID, r.ID))
	if err != nil {
		return ruleRef{}, err
	}
	if !ok {
		return ruleRef{}, ruleNotFound(arn)
	}
	return ruleRef{listener: l, rule: rule}, nil
}

// defaultRule is a listener's default rule as DescribeRules shows it.
func defaultRule(l lbstate.Listener) elbv2types.Rule {
	return elbv2types.Rule{
		RuleArn:    new(lbstate.RuleARN(l.Scope, l.LBName, l.LBID, l.ID, l.DefaultRuleID)),
		Priority:   new("default"),
		Conditions: []elbv2types.RuleCondition{},
		Actions:    l.L.DefaultActions,
		IsDefault:  new(true),
	}
}

func checkPriority(tx store.ReadTx, sc model.Scope, l lbstate.Listener, self string, prio int32) error {
	if prio < 1 || prio > 50000 {
		return validation("Rule priority must be from 1 to 50000, got %d.", prio)
	}
	rules, err := store.List[lbstate.Rule](tx, lbstate.RulesPrefix(sc, l.ID))
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.ID != self && r.Priority == int(prio) {
			return apiError(codePriorityInUse, "Priority %d is already in use by rule %s of this listener.", prio, awsapi.Deref(r.R.RuleArn))
		}
	}
	return nil
}

// CreateRule adds a rule to a listener.
func (a *API) CreateRule(ctx context.Context, in *elbv2types.CreateRuleInput) (*elbv2types.CreateRuleOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	conds, err := checkConditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	var out elbv2types.Rule
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		l, err := getListener(tx, sc, awsapi.Deref(in.ListenerArn))
		if err != nil {
			return err
		}
		if err := checkPriority(tx, sc, l, "", awsapi.Deref(in.Priority)); err != nil {
			return err
		}
		existing, err := tx.List(lbstate.RulesPrefix(sc, l.ID), "", 0)
		if err != nil {
			return err
		}
		if len(existing) >= maxRules {
			return apiError(codeTooManyRules, "A listener can have at most %d rules besides its default rule.", maxRules)
		}
		actions, err := checkActions(tx, sc, awsapi.Deref(l.L.LoadBalancerArn), in.Actions)
		if err != nil {
			return err
		}
		id := lbstate.NewID()
		prio := awsapi.Deref(in.Priority)
		out = elbv2types.Rule{
			RuleArn: new(lbstate.RuleARN(sc, l.LBName, l.LBID, l.ID, id)), Priority: new(strconv.Itoa(int(prio))),
			Conditions: conds, Actions: actions, IsDefault: new(false),
		}
		return store.Put(tx, lbstate.RuleKey(sc, l.ID, id), lbstate.Rule{R: out, ID: id, ListenerID: l.ID, Priority: int(prio), Scope: sc, Tags: in.Tags})
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.CreateRuleOutput{Rules: []elbv2types.Rule{out}}, nil
}

// DescribeRules describes a listener's rules (its default rule last), or
// the named ones.
func (a *API) DescribeRules(ctx context.Context, in *elbv2types.DescribeRulesInput) (*elbv2types.DescribeRulesOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	if in.ListenerArn == nil && len(in.RuleArns) == 0 {
		return nil, validation("You must specify either a listener ARN or one or more rule ARNs.")
	}
	var rules []elbv2types.Rule
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		if len(in.RuleArns) > 0 {
			for _, arn := range in.RuleArns {
				r, err := getRule(tx, sc, arn)
				if err != nil {
					return err
				}
				if r.isDefault {
					rules = append(rules, defaultRule(r.listener))
				} else {
					rules = append(rules, r.rule.R)
				}
			}
			return nil
		}
		l, err := getListener(tx, sc, awsapi.Deref(in.ListenerArn))
		if err != nil {
			return err
		}
		all, err := store.List[lbstate.Rule](tx, lbstate.RulesPrefix(sc, l.ID))
		if err != nil {
			return err
		}
		slices.SortStableFunc(all, func(x, y lbstate.Rule) int { return x.Priority - y.Priority })
		for _, r := range all {
			rules = append(rules, r.R)
		}
		rules = append(rules, defaultRule(l))
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Pages follow the priority order: the marker is the position.
	pos := make(map[string]string, len(rules))
	for i, r := range rules {
		pos[awsapi.Deref(r.RuleArn)] = strconv.Itoa(100000 + i)
	}
	page, next, err := pageOf(rules, func(r elbv2types.Rule) string { return pos[awsapi.Deref(r.RuleArn)] }, "rules", in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &elbv2types.DescribeRulesOutput{Rules: page, NextMarker: next}, nil
}

// ModifyRule replaces a rule's conditions and/or actions.
func (a *API) ModifyRule(ctx context.Context, in *elbv2types.ModifyRuleInput) (*elbv2types.ModifyRuleOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	var conds []elbv2types.RuleCondition
	if len(in.Conditions) > 0 {
		var err error
		if conds, err = checkConditions(in.Conditions); err != nil {
			return nil, err
		}
	}
	var out elbv2types.Rule
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		r, err := getRule(tx, sc, awsapi.Deref(in.RuleArn))
		if err != nil {
			return err
		}
		if r.isDefault {
			return apiError(codeOperationNotPermit, "The default rule cannot be modified with ModifyRule: change the listener's default actions with ModifyListener.")
		}
		if conds != nil {
			r.rule.R.Conditions = conds
		}
		if len(in.Actions) > 0 {
			actions, err := checkActions(tx, sc, awsapi.Deref(r.listener.L.LoadBalancerArn), in.Actions)
			if err != nil {
				return err
			}
			r.rule.R.Actions = actions
		}
		out = r.rule.R
		return store.Put(tx, lbstate.RuleKey(sc, r.listener.ID, r.rule.ID), r.rule)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.ModifyRuleOutput{Rules: []elbv2types.Rule{out}}, nil
}

// DeleteRule deletes a rule; the default rule cannot be deleted.
func (a *API) DeleteRule(ctx context.Context, in *elbv2types.DeleteRuleInput) (*elbv2types.DeleteRuleOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		r, err := getRule(tx, sc, awsapi.Deref(in.RuleArn))
		if err != nil {
			return err
		}
		if r.isDefault {
			return apiError(codeOperationNotPermit, "The default rule of a listener cannot be deleted.")
		}
		return tx.Delete(lbstate.RuleKey(sc, r.listener.ID, r.rule.ID))
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.DeleteRuleOutput{}, nil
}

// SetRulePriorities changes the priorities of rules of one listener at once.
func (a *API) SetRulePriorities(ctx context.Context, in *elbv2types.SetRulePrioritiesInput) (*elbv2types.SetRulePrioritiesOutput, error) {
	sc := awsapi.ScopeOf(ctx)
	var out []elbv2types.Rule
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		var listenerID string
		for _, p := range in.RulePriorities {
			r, err := getRule(tx, sc, awsapi.Deref(p.RuleArn))
			if err != nil {
				return err
			}
			if r.isDefault {
				return apiError(codeOperationNotPermit, "The priority of the default rule cannot be changed.")
			}
			if listenerID != "" && r.listener.ID != listenerID {
				return validation("All rules given to SetRulePriorities must belong to one listener.")
			}
			listenerID = r.listener.ID
			prio := awsapi.Deref(p.Priority)
			if prio < 1 || prio > 50000 {
				return validation("Rule priority must be from 1 to 50000, got %d.", prio)
			}
			r.rule.Priority, r.rule.R.Priority = int(prio), new(strconv.Itoa(int(prio)))
			if err := store.Put(tx, lbstate.RuleKey(sc, r.listener.ID, r.rule.ID), r.rule); err != nil {
				return err
			}
			out = append(out, r.rule.R)
		}
		if listenerID == "" {
			return nil
		}
		// Check the result as a whole: swaps are allowed, clashes are not.
		all, err := store.List[lbstate.Rule](tx, lbstate.RulesPrefix(sc, listenerID))
		if err != nil {
			return err
		}
		seen := map[int]string{}
		for _, r := range all {
			if other, ok := seen[r.Priority]; ok {
				return apiError(codePriorityInUse, "Priority %d would be used by both %s and %s.", r.Priority, other, awsapi.Deref(r.R.RuleArn))
			}
			seen[r.Priority] = awsapi.Deref(r.R.RuleArn)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2types.SetRulePrioritiesOutput{Rules: out}, nil
}

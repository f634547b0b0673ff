package elbv2

import (
	"regexp"
	"slices"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

var (
	fixedStatusRE  = regexp.MustCompile(`^(2|4|5)\d\d$`)
	fixedTypes     = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
	redirectProtRE = regexp.MustCompile(`^(HTTPS?|#\{protocol\})$`)
)

// checkActions validates a listener's default actions or a rule's actions
// for load balancer lbARN and returns them normalized as ELB describes them:
// every forward carries a ForwardConfig (weight 1 when not given) and, when
// it names one group, TargetGroupArn; every action has an Order.
func checkActions(tx store.ReadTx, sc model.Scope, lbARN string, actions []elbv2types.Action) ([]elbv2types.Action, error) {
	if len(actions) == 0 {
		return nil, validation("At least one action must be specified.")
	}
	used, err := usage(tx, sc)
	if err != nil {
		return nil, err
	}
	out := make([]elbv2types.Action, 0, len(actions))
	terminal := 0
	var orders []int32
	for i, a := range actions {
		a := a
		if a.Order == nil {
			a.Order = new(int32(i + 1))
		}
		if o := *a.Order; o < 1 || o > 50000 {
			return nil, validation("Action order must be from 1 to 50000, got %d.", o)
		}
		if slices.Contains(orders, *a.Order) {
			return nil, apiError(codeInvalidAction, "Action order %d is used more than once.", *a.Order)
		}
		orders = append(orders, *a.Order)
		switch a.Type {
		case elbv2types.ActionTypeEnumForward:
			terminal++
			fwd, err := checkForward(tx, sc, lbARN, a, used)
			if err != nil {
				return nil, err
			}
			a = fwd
		case elbv2types.ActionTypeEnumFixedResponse:
			terminal++
			c := a.FixedResponseConfig
			if c == nil {
				return nil, validation("A fixed-response action needs FixedResponseConfig.")
			}
			if !fixedStatusRE.MatchString(awsapi.Deref(c.StatusCode)) {
				return nil, validation("Fixed response status code must be 2XX, 4XX or 5XX, got %q.", awsapi.Deref(c.StatusCode))
			}
			if ct := awsapi.Deref(c.ContentType); ct != "" && !slices.Contains(fixedTypes, ct) {
				return nil, validation("Fixed response content type must be one of %v, got %q.", fixedTypes, ct)
			}
			if len(awsapi.Deref(c.MessageBody)) > 1024 {
				return nil, validation("Fixed response message body must be at most 1024 characters.")
			}
		case elbv2types.ActionTypeEnumRedirect:
			terminal++
			c := a.RedirectConfig
			if c == nil {
				return nil, validation("A redirect action needs RedirectConfig.")
			}
			if c.StatusCode == "" {
				return nil, validation("Redirect status code must be HTTP_301 or HTTP_302.")
			}
			if p := awsapi.Deref(c.Protocol); p != "" && !redirectProtRE.MatchString(p) {
				return nil, validation("Redirect protocol must be HTTP, HTTPS or #{protocol}, got %q.", p)
			}
		case elbv2types.ActionTypeEnumAuthenticateOidc, elbv2types.ActionTypeEnumAuthenticateCognito:
			return nil, apiError(codeInvalidAction, "wharf does not serve %s actions.", a.Type)
		default:
			return nil, validation("Action type %q is not valid: use forward, fixed-response or redirect.", a.Type)
		}
		out = append(out, a)
	}
	if terminal != 1 {
		return nil, apiError(codeInvalidAction, "Exactly one forward, fixed-response or redirect action must be given, got %d.", terminal)
	}
	slices.SortStableFunc(out, func(x, y elbv2types.Action) int { return int(*x.Order - *y.Order) })
	return out, nil
}

func checkForward(tx store.ReadTx, sc model.Scope, lbARN string, a elbv2types.Action, used map[string][]string) (elbv2types.Action, error) {
	var tuples []elbv2types.TargetGroupTuple
	if a.ForwardConfig != nil {
		tuples = a.ForwardConfig.TargetGroups
	}
	arn := awsapi.Deref(a.TargetGroupArn)
	switch {
	case arn != "" && len(tuples) == 0:
		tuples = []elbv2types.TargetGroupTuple{{TargetGroupArn: new(arn)}}
	case arn != "" && (len(tuples) != 1 || awsapi.Deref(tuples[0].TargetGroupArn) != arn):
		return a, validation("With both TargetGroupArn and ForwardConfig, ForwardConfig must name that one target group.")
	case len(tuples) == 0:
		return a, validation("A forward action needs TargetGroupArn or ForwardConfig.TargetGroups.")
	case len(tuples) > 5:
		return a, validation("A forward action can name at most 5 target groups, got %d.", len(tuples))
	}
	out := make([]elbv2types.TargetGroupTuple, 0, len(tuples))
	var seen []string
	for _, t := range tuples {
		tgARN := awsapi.Deref(t.TargetGroupArn)
		if slices.Contains(seen, tgARN) {
			return a, validation("Target group %q is named more than once in one forward action.", tgARN)
		}
		seen = append(seen, tgARN)
		if _, err := getTG(tx, sc, tgARN); err != nil {
			return a, err
		}
		for _, other := range used[tgARN] {
			if other != lbARN {
				return a, apiError(codeTGAssociationLimit, "Target group %q is already used by load balancer %q; an application load balancer target group serves one load balancer.", tgARN, other)
			}
		}
		w := int32(1)
		if t.Weight != nil {
			w = *t.Weight
		}
		if w < 0 || w > 999 {
			return a, validation("Target group weight must be from 0 to 999, got %d.", w)
		}
		out = append(out, elbv2types.TargetGroupTuple{TargetGroupArn: new(tgARN), Weight: new(w)})
	}
	stick := &elbv2types.TargetGroupStickinessConfig{Enabled: new(false)}
	if a.ForwardConfig != nil && a.ForwardConfig.TargetGroupStickinessConfig != nil {
		stick = a.ForwardConfig.TargetGroupStickinessConfig
	}
	a.ForwardConfig = &elbv2types.ForwardActionConfig{TargetGroups: out, TargetGroupStickinessConfig: stick}
	a.TargetGroupArn = nil
	if len(out) == 1 {
		a.TargetGroupArn = new(awsapi.Deref(out[0].TargetGroupArn))
	}
	return a, nil
}

package sts

import (
	"context"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/iampolicy"
	"github.com/wharfhq/wharf/store"
)

// CheckSessionPolicy is the part of authorization that AssumeRole's
// inline session policy adds: a call of such a session must also be
// allowed by it (IAM's rule: the session's permissions are the
// intersection of the role's and the session policy's). Calls of other
// principals pass. It runs after IAM's authorizer.
func (a *API) CheckSessionPolicy(ctx context.Context, req *awsapi.Request, action string, resources []string) error {
	p := req.Principal
	if p == nil || !strings.HasPrefix(p.AccessKey, "ASIA") || action == "sts:GetCallerIdentity" {
		return nil
	}
	s, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (sessionOK, error) {
		s, ok, err := store.Get[session](tx, prefix+p.AccessKey)
		return sessionOK{s, ok}, err
	})
	if err != nil {
		return awsapi.Wrap("read the session", err)
	}
	if !s.ok || s.s.Policy == "" {
		return nil
	}
	// The document was checked by AssumeRole; one that no longer parses
	// allows nothing.
	pol, _ := iampolicy.Parse(s.s.Policy, iampolicy.Identity)
	r := &iampolicy.Request{Action: action}
	for k, v := range awsapi.ConditionKeys(ctx) {
		r.Set(k, v...)
	}
	for _, res := range resources {
		r.Resource = res
		d := iampolicy.ImplicitDeny
		if pol != nil {
			d = pol.Evaluate(r)
		}
		switch d {
		case iampolicy.Allow:
			continue
		case iampolicy.ExplicitDeny:
			return denied(p.ARN, action, res, "with an explicit deny in a session policy")
		default:
			return denied(p.ARN, action, res, "because no session policy allows the "+action+" action")
		}
	}
	return nil
}

func denied(caller, action, resource, why string) error {
	return &awsapi.Error{Code: awsapi.CodeAccessDenied,
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", caller, action, resource, why)}
}

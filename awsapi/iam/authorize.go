package iam

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/iampolicy"
	"github.com/wharfhq/wharf/store"
)

// alwaysAllowed are the actions no policy can refuse: AWS documents that
// GetCallerIdentity needs no permission, even under an explicit deny, and
// that policies cannot control GetSessionToken (an authentication call).
var alwaysAllowed = map[string]bool{"sts:GetCallerIdentity": true, "sts:GetSessionToken": true}

// Authorize is the awsapi.Authorizer: it evaluates the principal's
// identity-based policies for action on each resource, as IAM does (an
// explicit deny wins, then an allow, else the implicit deny), and answers
// AccessDeniedException in AWS's wording. The account's root user may do
// anything. A role's session (task credentials, AssumeRole) has its
// role's policies; a role wharf minted credentials for but IAM does not
// know keeps wharf's behaviour before IAM (everything) unless Strict.
// sts:AssumeRole is also allowed when the role's trust policy names the
// caller itself, as a same-account resource-based policy allows.
func (a *API) Authorize(ctx context.Context, req *awsapi.Request, action string, resources []string) error {
	p := req.Principal
	if p == nil || p.Type == "Root" || alwaysAllowed[action] {
		return nil
	}
	set, err := a.policiesOf(ctx, p)
	if err != nil {
		return err
	}
	if set == nil {
		return nil
	}
	r := &iampolicy.Request{Action: action, Context: map[string][]string{}}
	for k, v := range awsapi.ConditionKeys(ctx) {
		r.Set(k, v...)
	}
	now := a.Now().UTC()
	r.Set("aws:CurrentTime", now.Format("2006-01-02T15:04:05Z"))
	r.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	r.Set("aws:PrincipalAccount", p.Account)
	r.Set("aws:PrincipalArn", set.principalARN)
	r.Set("aws:PrincipalType", set.principalType)
	r.Set("aws:userid", set.userID)
	if set.principalType == "User" {
		r.Set("aws:username", p.UserName)
	}
	for k, v := range set.tags {
		r.Set("aws:PrincipalTag/"+k, v)
	}
	for k, v := range p.Tags {
		r.Set("aws:PrincipalTag/"+k, v)
	}
	for _, res := range resources {
		r.Resource = res
		tags := resourceTags(ctx, res)
		r.Resolve = tags.resolve
		d, by := iampolicy.EvaluateBounded(r, set.boundary, set.policies...)
		if tags.err != nil {
			return awsapi.Wrap("read the tags of "+res, tags.err)
		}
		if d == iampolicy.Allow {
			continue
		}
		if d == iampolicy.ImplicitDeny && by == iampolicy.ByIdentity && action == "sts:AssumeRole" && a.trustNamesCaller(ctx, res, p) {
			continue
		}
		return denied(p.ARN, action, res, d, by)
	}
	return nil
}

// denied is AWS's refusal, naming the caller, the action, the resource
// and the type of policy that refused.
func denied(caller, action, resource string, d iampolicy.Decision, by iampolicy.Source) error {
	kind := "identity-based policy"
	if by == iampolicy.ByBoundary {
		kind = "permissions boundary"
	}
	why := "because no " + kind + " allows the " + action + " action"
	if d == iampolicy.ExplicitDeny {
		why = "with an explicit deny in a"
		if by == iampolicy.ByIdentity {
			why += "n"
		}
		why += " " + kind
	}
	return &awsapi.Error{Code: awsapi.CodeAccessDenied,
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", caller, action, resource, why)}
}

// lazyTags reads one resource's tags the first time a policy's condition
// names aws:ResourceTag/KEY or the resource's own service's
// <service>:ResourceTag/KEY.
type lazyTags struct {
	ctx     context.Context
	arn     string
	service string // the ARN's service field
	fetched bool
	tags    map[string]string
	err     error
}

func resourceTags(ctx context.Context, arn string) *lazyTags {
	t := &lazyTags{ctx: ctx, arn: arn}
	if parts := strings.SplitN(arn, ":", 4); len(parts) == 4 {
		t.service = parts[2]
	}
	return t
}

// resolve answers a lower-cased condition key for iampolicy.
func (t *lazyTags) resolve(key string) ([]string, bool) {
	svc, name, ok := strings.Cut(key, ":resourcetag/")
	if !ok || name == "" || (svc != "aws" && svc != t.service) {
		return nil, false
	}
	if !t.fetched {
		t.fetched = true
		t.tags, t.err = awsapi.ResourceTags(t.ctx, t.arn)
	}
	for k, v := range t.tags {
		if strings.EqualFold(k, name) {
			return []string{v}, true
		}
	}
	return nil, false
}

// policySet is what a principal's calls are judged by.
type policySet struct {
	policies      []*iampolicy.Policy
	principalARN  string // the user's, or the role's for a session
	principalType string // "User" or "AssumedRole"
	userID        string
	tags          map[string]string
	// boundary is the user's or role's permissions boundary (nil: none).
	boundary *iampolicy.Policy
}

// policiesOf gathers a principal's identity-based policies: a user's
// inline and attached ones and those of its groups; a role session's
// role's. It answers nil (allow everything) for a role IAM does not know
// unless Strict, and an empty set (deny everything) for a user that is
// gone.
func (a *API) policiesOf(ctx context.Context, p *awsapi.Principal) (*policySet, error) {
	set := &policySet{tags: map[string]string{}}
	err := a.read(ctx, func(tx store.ReadTx) error {
		if p.Type == "User" {
			set.principalType, set.principalARN = "User", p.ARN
			u, ok, err := store.Get[entity](tx, key(p.Account, kindUser, p.UserName))
			if err != nil || !ok {
				return err
			}
			set.userID = u.ID
			for _, t := range u.Tags {
				set.tags[t.Key] = t.Value
			}
			if err := a.collect(tx, p.Account, &u, set); err != nil {
				return err
			}
			if set.boundary, err = a.boundaryOf(tx, p.Account, &u); err != nil {
				return err
			}
			for _, g := range u.Groups {
				ge, ok, err := store.Get[entity](tx, key(p.Account, kindGroup, g))
				if err != nil {
					return err
				}
				if ok {
					if err := a.collect(tx, p.Account, &ge, set); err != nil {
						return err
					}
				}
			}
			return nil
		}
		set.principalType, set.principalARN = "AssumedRole", p.RoleARN
		role, ok, err := a.roleByARN(tx, p.RoleARN)
		if err != nil {
			return err
		}
		if !ok {
			if !a.strict {
				set = nil
			}
			return nil
		}
		set.userID = role.ID + ":" + p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]
		for _, t := range role.Tags {
			set.tags[t.Key] = t.Value
		}
		if set.boundary, err = a.boundaryOf(tx, p.Account, &role); err != nil {
			return err
		}
		return a.collect(tx, p.Account, &role, set)
	})
	if err != nil {
		return nil, awsapi.Wrap("read the caller's policies", err)
	}
	return set, nil
}

// collect adds an entity's inline and attached policies to set.
func (a *API) collect(tx store.ReadTx, acct string, e *entity, set *policySet) error {
	for _, doc := range e.Inline {
		if p := a.cache.parse(doc); p != nil {
			set.policies = append(set.policies, p)
		}
	}
	for _, arn := range e.Managed {
		ap, mp, err := findPolicy(tx, acct, arn)
		if awsapi.IsCode(err, CodeNoSuchEntity) {
			continue // deleted since: it grants nothing
		}
		if err != nil {
			return err
		}
		if ap != nil {
			set.policies = append(set.policies, ap.parsed)
		} else if p := a.cache.parse(mp.defaultDoc()); p != nil {
			set.policies = append(set.policies, p)
		}
	}
	return nil
}

// roleByARN reads the role an IAM role ARN names (its path is not part
// of the lookup: names are unique in an account).
func (a *API) roleByARN(tx store.ReadTx, arn string) (entity, bool, error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	acct, res, ok2 := strings.Cut(rest, ":role/")
	if !ok || !ok2 || res == "" {
		return entity{}, false, nil
	}
	return store.Get[entity](tx, key(acct, kindRole, res[strings.LastIndexByte(res, '/')+1:]))
}

// trustNamesCaller reports whether the trust policy of the role roleARN
// names the caller itself (not only its account).
func (a *API) trustNamesCaller(ctx context.Context, roleARN string, p *awsapi.Principal) bool {
	role, ok, err := a.RoleByARN(ctx, roleARN)
	if err != nil || !ok || role.Trust == nil {
		return false
	}
	return role.Trust.NamesPrincipal(CallerRequest(p, "sts:AssumeRole"))
}

// CallerRequest is the iampolicy request of a principal acting, for a
// trust policy: the ARNs a Principal element may name it by.
func CallerRequest(p *awsapi.Principal, action string) *iampolicy.Request {
	r := &iampolicy.Request{Action: action, PrincipalAccount: p.Account}
	switch {
	case p.Type == "Root":
		r.PrincipalARNs = []string{"arn:aws:iam::" + p.Account + ":root"}
	case p.Type == "User":
		r.PrincipalARNs = []string{p.ARN}
	default:
		r.PrincipalARNs = []string{p.ARN, p.RoleARN}
	}
	return r
}

// Role is what STS needs of a role.
type Role struct {
	ARN, Name, ID string
	Trust         *iampolicy.Policy
	MaxSession    int32
	Tags          map[string]string
}

// RoleByARN reads the role an ARN names, for STS's AssumeRole.
func (a *API) RoleByARN(ctx context.Context, arn string) (Role, bool, error) {
	var out Role
	var found bool
	err := a.read(ctx, func(tx store.ReadTx) error {
		e, ok, err := a.roleByARN(tx, arn)
		if err != nil || !ok {
			return err
		}
		found = true
		out = Role{ARN: e.ARN, Name: e.Name, ID: e.ID, Trust: a.cache.parseTrust(e.Trust), MaxSession: e.MaxSession, Tags: map[string]string{}}
		for _, t := range e.Tags {
			out.Tags[t.Key] = t.Value
		}
		return nil
	})
	return out, found, err
}

// UserID is a user's unique id (AIDA…), for STS's GetCallerIdentity.
func (a *API) UserID(ctx context.Context, acct, name string) (string, error) {
	e, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (entity, error) { return getEntity(tx, acct, kindUser, name) })
	return e.ID, err
}

// policyCache keeps parsed documents by their text, so a call does not
// parse its caller's policies again. It is bounded: when full it starts
// over (documents are few; a reparse is cheap).
type policyCache struct {
	mu sync.Mutex
	m  map[string]*iampolicy.Policy
}

const policyCacheMax = 4096

func newPolicyCache() *policyCache { return &policyCache{m: map[string]*iampolicy.Policy{}} }

func (c *policyCache) get(doc string, kind iampolicy.Kind) *iampolicy.Policy {
	k := strconv.Itoa(int(kind)) + doc
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[k]; ok {
		return p
	}
	// Stored documents were checked when written; one that no longer
	// parses grants nothing.
	p, _ := iampolicy.Parse(doc, kind)
	if len(c.m) >= policyCacheMax {
		c.m = map[string]*iampolicy.Policy{}
	}
	c.m[k] = p
	return p
}

func (c *policyCache) parse(doc string) *iampolicy.Policy      { return c.get(doc, iampolicy.Identity) }
func (c *policyCache) parseTrust(doc string) *iampolicy.Policy { return c.get(doc, iampolicy.Trust) }

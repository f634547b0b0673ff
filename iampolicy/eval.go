package iampolicy

import (
	"strings"
)

// Decision is the outcome of evaluating policies for one request.
type Decision int

const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allow: a statement allows it and none denies it.
	Allow
	// ExplicitDeny: a Deny statement matches.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Request is what a policy is judged against: the action, the resource,
// the caller (for trust policies) and the request context's keys.
type Request struct {
	Action   string // "ecs:ListClusters"
	Resource string // an ARN, or "*"
	// PrincipalARNs are the ARNs a Principal element may name the caller
	// by (an assumed-role session also matches its role's ARN), and
	// PrincipalAccount its account; PrincipalService a service principal
	// ("ecs-tasks.amazonaws.com") when a service is the caller.
	PrincipalARNs    []string
	PrincipalAccount string
	PrincipalService string
	// Context holds the condition keys, by lower-cased name
	// ("aws:sourceip", "aws:principaltag/team", "ecs:cluster").
	Context map[string][]string
	// Resolve, when set, is asked for a key Context lacks (given
	// lower-cased): keys that cost a read, such as aws:ResourceTag/…,
	// are fetched only when a policy names them.
	Resolve func(key string) ([]string, bool)
}

// Set stores a context key (name case-insensitive).
func (r *Request) Set(key string, values ...string) {
	if r.Context == nil {
		r.Context = map[string][]string{}
	}
	r.Context[strings.ToLower(key)] = values
}

func (r *Request) lookup(key string) ([]string, bool) {
	k := strings.ToLower(key)
	v, ok := r.Context[k]
	if !ok && r.Resolve != nil {
		v, ok = r.Resolve(k)
	}
	return v, ok
}

// Evaluate judges r against every policy as IAM combines policies of one
// kind: any matching Deny wins, else any matching Allow, else an implicit
// deny.
func Evaluate(r *Request, policies ...*Policy) Decision {
	d := ImplicitDeny
	for _, p := range policies {
		if p == nil {
			continue
		}
		switch p.Evaluate(r) {
		case ExplicitDeny:
			return ExplicitDeny
		case Allow:
			d = Allow
		}
	}
	return d
}

// Evaluate judges r against one policy.
func (p *Policy) Evaluate(r *Request) Decision {
	d := ImplicitDeny
	vars := p.Version == Version2012
	for i := range p.Statements {
		st := &p.Statements[i]
		if !st.applies(r, vars) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitDeny
		}
		d = Allow
	}
	return d
}

// NamesPrincipal reports whether a statement of the policy that allows r
// names the caller itself (its ARN, not only its account or "*"): for a
// role's trust policy in the role's own account, such a grant suffices
// without an identity-based policy, as IAM's resource-policy logic says.
func (p *Policy) NamesPrincipal(r *Request) bool {
	vars := p.Version == Version2012
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != "Allow" || st.Principal == nil || st.Principal.Any || !st.applies(r, vars) {
			continue
		}
		for _, v := range st.Principal.ByKind["AWS"] {
			for _, arn := range r.PrincipalARNs {
				if v == arn {
					return true
				}
			}
		}
	}
	return false
}

func (st *Statement) applies(r *Request, vars bool) bool {
	if st.Action != nil && !matchAny(st.Action, r.Action, true, nil, false) {
		return false
	}
	if st.NotAction != nil && matchAny(st.NotAction, r.Action, true, nil, false) {
		return false
	}
	if st.Resource != nil && !matchAny(st.Resource, r.Resource, false, r, vars) {
		return false
	}
	if st.NotResource != nil && matchAny(st.NotResource, r.Resource, false, r, vars) {
		return false
	}
	if st.Principal != nil && !st.Principal.matches(r) {
		return false
	}
	if st.NotPrincipal != nil && st.NotPrincipal.matches(r) {
		return false
	}
	for i := range st.Conditions {
		if !st.Conditions[i].holds(r, vars) {
			return false
		}
	}
	return true
}

// matchAny reports whether value matches one of patterns (IAM's * and ?
// wildcards; actions compare case-insensitively).
func matchAny(patterns []string, value string, fold bool, r *Request, vars bool) bool {
	if fold {
		value = strings.ToLower(value)
	}
	for _, p := range patterns {
		if vars {
			s, ok := substitute(p, r, true)
			if !ok {
				continue
			}
			p = s
		}
		if fold {
			p = strings.ToLower(p)
		}
		if Match(p, value) {
			return true
		}
	}
	return false
}

// matches reports whether a Principal element names the caller: "*", its
// ARN (a session also by its role's ARN), its account (id or root ARN),
// or its service.
func (p *Principals) matches(r *Request) bool {
	if p.Any {
		return true
	}
	for _, v := range p.ByKind["AWS"] {
		if v == "*" || (r.PrincipalAccount != "" && (v == r.PrincipalAccount || v == "arn:aws:iam::"+r.PrincipalAccount+":root")) {
			return true
		}
		for _, arn := range r.PrincipalARNs {
			if v == arn {
				return true
			}
		}
	}
	for _, v := range p.ByKind["Service"] {
		if r.PrincipalService != "" && v == r.PrincipalService {
			return true
		}
	}
	return false
}

// Literal stand-ins for the ${*}, ${?} and ${$} variables: Match treats
// them as the plain characters.
const (
	litStar  = '\x00'
	litQuest = '\x01'
)

// Match reports whether s matches pattern, where * matches any run of
// characters (none included) and ? exactly one.
func Match(pattern, s string) bool {
	// Iterative glob with one backtrack point: linear in practice.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si] ||
			(pattern[pi] == litStar && s[si] == '*') || (pattern[pi] == litQuest && s[si] == '?')):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// substitute replaces policy variables (${aws:username}, ${aws:PrincipalTag/team},
// ${key, 'default'}) with the request's values. It reports false when a
// variable has no value and no default: the element then matches nothing,
// as in IAM. glob says the result is a pattern, so that ${*} and ${?}
// stay literal characters.
func substitute(s string, r *Request, glob bool) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		name := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+1:]
		switch name {
		case "*":
			b.WriteByte(pick(glob, litStar, '*'))
			continue
		case "?":
			b.WriteByte(pick(glob, litQuest, '?'))
			continue
		case "$":
			b.WriteByte('$')
			continue
		}
		def, hasDef := "", false
		if k, d, ok := strings.Cut(name, ","); ok {
			name = strings.TrimSpace(k)
			d = strings.TrimSpace(d)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				def, hasDef = d[1:len(d)-1], true
			}
		}
		vals, ok := r.lookup(name)
		switch {
		case ok && len(vals) == 1:
			b.WriteString(vals[0])
		case hasDef:
			b.WriteString(def)
		default:
			return "", false
		}
	}
}

func pick(glob bool, a, b byte) byte {
	if glob {
		return a
	}
	return b
}

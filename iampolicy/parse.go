package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind says what a document is for: what it attaches to decides which
// elements it must and must not have.
type Kind int

const (
	// Identity is a policy attached to a user, group or role (inline or
	// managed): no Principal, a Resource in every statement.
	Identity Kind = iota
	// Trust is a role's AssumeRolePolicyDocument: a Principal in every
	// statement, no Resource needed.
	Trust
)

// Version2012 is the policy language version that has policy variables.
const Version2012 = "2012-10-17"

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Conditions   []Condition
}

// Principals is a Principal element: "*" (Any) or principals by kind
// ("AWS", "Service", "Federated", "CanonicalUser").
type Principals struct {
	Any    bool
	ByKind map[string][]string
}

// Condition is one operator/key pair of a Condition element, with the
// values the policy names for the key.
type Condition struct {
	Operator string // as written: "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
	op       operator
}

// Error is a malformed policy document; Message is in IAM's wording for
// MalformedPolicyDocument.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func malformed(format string, args ...any) error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// Parse reads a policy document of the given kind.
func Parse(doc string, kind Kind) (*Policy, error) {
	var raw struct {
		Version   *string
		Id        *string
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	if err := dec.Decode(&raw); err != nil {
		return nil, malformed("Syntax errors in policy.")
	}
	if dec.More() {
		return nil, malformed("Syntax errors in policy.")
	}
	p := &Policy{Version: "2008-10-17"}
	if raw.Version != nil {
		p.Version = *raw.Version
		if p.Version != Version2012 && p.Version != "2008-10-17" {
			return nil, malformed("The policy failed legacy parsing")
		}
	}
	if raw.Id != nil {
		p.ID = *raw.Id
	}
	if len(raw.Statement) == 0 {
		return nil, malformed("Missing required field Statement")
	}
	var stmts []json.RawMessage
	if t := bytes.TrimSpace(raw.Statement); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &stmts); err != nil {
			return nil, malformed("Syntax errors in policy.")
		}
	} else {
		stmts = []json.RawMessage{raw.Statement}
	}
	if len(stmts) == 0 {
		return nil, malformed("Missing required field Statement")
	}
	for _, rs := range stmts {
		st, err := parseStatement(rs, kind)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// MustParse is Parse for documents compiled into wharf (AWS managed
// policies); it panics on a malformed one.
func MustParse(doc string, kind Kind) *Policy {
	p, err := Parse(doc, kind)
	if err != nil {
		panic("iampolicy: " + err.Error())
	}
	return p
}

func parseStatement(b json.RawMessage, kind Kind) (Statement, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Statement{}, malformed("Syntax errors in policy.")
	}
	var st Statement
	for k, v := range raw {
		var err error
		switch k {
		case "Sid":
			err = json.Unmarshal(v, &st.Sid)
		case "Effect":
			err = json.Unmarshal(v, &st.Effect)
		case "Action":
			st.Action, err = stringOrList(v)
		case "NotAction":
			st.NotAction, err = stringOrList(v)
		case "Resource":
			st.Resource, err = stringOrList(v)
		case "NotResource":
			st.NotResource, err = stringOrList(v)
		case "Principal":
			st.Principal, err = parsePrincipals(v)
		case "NotPrincipal":
			st.NotPrincipal, err = parsePrincipals(v)
		case "Condition":
			st.Conditions, err = parseConditions(v)
		default:
			return Statement{}, malformed("Policy document has an unrecognized field %s", k)
		}
		if err != nil {
			if _, ok := err.(*Error); ok {
				return Statement{}, err
			}
			return Statement{}, malformed("Syntax errors in policy.")
		}
	}
	switch {
	case st.Effect != "Allow" && st.Effect != "Deny":
		if st.Effect == "" {
			return Statement{}, malformed("Missing required field Effect")
		}
		return Statement{}, malformed("Invalid effect: %s", st.Effect)
	case st.Action == nil && st.NotAction == nil:
		return Statement{}, malformed("Policy statement must contain actions.")
	case st.Action != nil && st.NotAction != nil:
		return Statement{}, malformed("Statement can not have both Action and NotAction")
	case st.Resource != nil && st.NotResource != nil:
		return Statement{}, malformed("Statement can not have both Resource and NotResource")
	}
	for _, a := range append(append([]string(nil), st.Action...), st.NotAction...) {
		if a != "*" && !strings.Contains(a, ":") {
			return Statement{}, malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
	}
	if kind == Identity {
		if st.Principal != nil || st.NotPrincipal != nil {
			return Statement{}, malformed("Policy document should not specify a principal.")
		}
		if st.Resource == nil && st.NotResource == nil {
			return Statement{}, malformed("Policy statement must contain resources.")
		}
	} else if st.Principal == nil && st.NotPrincipal == nil {
		return Statement{}, malformed("Missing required field Principal")
	}
	return st, nil
}

// stringOrList reads an element that may be one string or a list of them.
func stringOrList(b json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, err
	}
	if list == nil {
		list = []string{}
	}
	return list, nil
}

func parsePrincipals(b json.RawMessage) (*Principals, error) {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		if one != "*" {
			return nil, malformed("Invalid principal in policy: %q", one)
		}
		return &Principals{Any: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	p := &Principals{ByKind: map[string][]string{}}
	for k, v := range m {
		vals, err := stringOrList(v)
		if err != nil {
			return nil, err
		}
		switch k {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return nil, malformed("Invalid principal in policy: %q", k)
		}
		p.ByKind[k] = vals
	}
	return p, nil
}

// parseConditions reads {"Operator": {"key": value-or-values}} into a
// sorted list, so that evaluation and errors are deterministic.
func parseConditions(b json.RawMessage) ([]Condition, error) {
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var out []Condition
	for opName, keys := range m {
		op, ok := parseOperator(opName)
		if !ok {
			return nil, malformed("Invalid Condition type : %s", opName)
		}
		for key, v := range keys {
			vals, err := conditionValues(v)
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: opName, Key: key, Values: vals, op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// conditionValues reads a condition's value, which IAM accepts as a
// string, a number, a boolean, or a list of those.
func conditionValues(b json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, err
		}
	} else {
		list = []json.RawMessage{b}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			out = append(out, s)
			continue
		}
		var f json.Number
		if err := json.Unmarshal(v, &f); err == nil {
			out = append(out, f.String())
			continue
		}
		var bo bool
		if err := json.Unmarshal(v, &bo); err != nil {
			return nil, err
		}
		out = append(out, strconv.FormatBool(bo))
	}
	return out, nil
}

// Package eventpattern is EventBridge's event pattern language as pure
// functions: Compile checks a pattern as PutRule does and Match tests an
// event against it, with EventBridge's matching rules.
//
// A pattern is a JSON object. A key whose value is an object matches the
// event's object at that key, recursively; a key whose value is an array
// matches when the event's value there equals any of the array's elements
// (OR). An element is a literal (string, number, boolean, null) or a
// content filter: prefix, suffix, equals-ignore-case, anything-but,
// numeric, exists, cidr, wildcard. "$or" takes a list of patterns, any of
// which may match. Where the event holds an array, the field matches when
// any of its elements does. Every key of a pattern must match (AND).
package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Error is a pattern that EventBridge refuses; Reason says why in
// EventBridge's words (PutRule answers "Event pattern is not valid.
// Reason: …").
type Error struct{ Reason string }

func (e *Error) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func invalid(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Pattern is a compiled event pattern.
type Pattern struct{ root node }

// node is one object level of a pattern: fields that must all match, and
// $or alternatives of which one must match.
type node struct {
	leaves map[string][]matcher // key → any of these
	nested map[string]*node
	or     [][]*node // each $or: any of its patterns
}

// matcher tests one event value (a scalar: string, json.Number, bool or
// nil). present is false when the field is absent.
type matcher interface {
	match(v any, present bool) bool
}

// maxDepth bounds a pattern's nesting, as EventBridge bounds a pattern's
// size; it also keeps a hostile pattern from exhausting the stack.
const maxDepth = 64

// Compile parses and checks a pattern.
func Compile(pattern string) (*Pattern, error) {
	v, err := decode([]byte(pattern))
	if err != nil {
		return nil, invalid("Filter is not an object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Filter is not an object")
	}
	n, err := compileObject(obj, 0)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: *n}, nil
}

func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func compileObject(obj map[string]any, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, invalid("Filter is nested too deeply")
	}
	if len(obj) == 0 {
		return nil, invalid("Empty objects are not allowed")
	}
	n := &node{leaves: map[string][]matcher{}, nested: map[string]*node{}}
	for k, v := range obj {
		switch val := v.(type) {
		case map[string]any:
			sub, err := compileObject(val, depth+1)
			if err != nil {
				return nil, err
			}
			n.nested[k] = sub
		case []any:
			if k == "$or" {
				alts, err := compileOr(val, depth)
				if err != nil {
					return nil, err
				}
				n.or = append(n.or, alts)
				continue
			}
			if len(val) == 0 {
				return nil, invalid("Empty arrays are not allowed")
			}
			ms := make([]matcher, 0, len(val))
			for _, el := range val {
				m, err := compileElement(el)
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			}
			n.leaves[k] = ms
		default:
			return nil, invalid("Match value must be String, number, true, false, or null")
		}
	}
	return n, nil
}

func compileOr(alts []any, depth int) ([]*node, error) {
	if len(alts) < 2 {
		return nil, invalid("Must have at least 2 elements in $or")
	}
	out := make([]*node, 0, len(alts))
	for _, a := range alts {
		obj, ok := a.(map[string]any)
		if !ok {
			return nil, invalid("Elements of $or must be objects")
		}
		n, err := compileObject(obj, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// compileElement is one element of a match array: a literal or a content
// filter object with exactly one key.
func compileElement(el any) (matcher, error) {
	obj, ok := el.(map[string]any)
	if !ok {
		if _, isArr := el.([]any); isArr {
			return nil, invalid("Match value must be String, number, true, false, or null")
		}
		return literal{v: el}, nil
	}
	if len(obj) != 1 {
		return nil, invalid("Only one key allowed in a content filter object")
	}
	for op, arg := range obj {
		switch op {
		case "prefix", "suffix":
			return compileAffix(op, arg)
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("equals-ignore-case match pattern must be a string")
			}
			return foldEq{s: s}, nil
		case "wildcard":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("wildcard match pattern must be a string")
			}
			return compileWildcard(s)
		case "anything-but":
			return compileAnythingBut(arg)
		case "numeric":
			return compileNumeric(arg)
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, invalid("exists match pattern must be either true or false.")
			}
			return exists(b), nil
		case "cidr":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("prefix match pattern must be a string")
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, invalid("Nonstandard IP address: %s", s)
			}
			return cidr{p: p.Masked()}, nil
		default:
			return nil, invalid("Unrecognized match type %s", op)
		}
	}
	panic("unreachable")
}

func compileAffix(op string, arg any) (matcher, error) {
	switch a := arg.(type) {
	case string:
		return affix{suffix: op == "suffix", s: a}, nil
	case map[string]any:
		// {"prefix": {"equals-ignore-case": "x"}}
		if s, ok := a["equals-ignore-case"].(string); ok && len(a) == 1 {
			return affix{suffix: op == "suffix", s: s, fold: true}, nil
		}
	}
	return nil, invalid("%s match pattern must be a string", op)
}

func compileAnythingBut(arg any) (matcher, error) {
	switch a := arg.(type) {
	case []any:
		if len(a) == 0 {
			return nil, invalid("Empty arrays are not allowed")
		}
		ms := make([]matcher, 0, len(a))
		for _, el := range a {
			switch el.(type) {
			case string, json.Number:
				ms = append(ms, literal{v: el})
			default:
				return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		return anythingBut{not: ms}, nil
	case map[string]any:
		if len(a) != 1 {
			return nil, invalid("Only one key allowed in a content filter object")
		}
		for op, inner := range a {
			var m matcher
			var err error
			switch op {
			case "prefix", "suffix":
				m, err = compileAffix(op, inner)
			case "equals-ignore-case":
				m, err = compileFoldList(inner)
			case "wildcard":
				m, err = compileWildcardList(inner)
			default:
				return nil, invalid("Unsupported anything-but pattern: %s", op)
			}
			if err != nil {
				return nil, err
			}
			return anythingBut{not: []matcher{m}}, nil
		}
	case string, json.Number, bool, nil:
		return anythingBut{not: []matcher{literal{v: a}}}, nil
	}
	return nil, invalid("Value of anything-but must be an array or single string/number value.")
}

func compileFoldList(arg any) (matcher, error) {
	switch a := arg.(type) {
	case string:
		return foldEq{s: a}, nil
	case []any:
		var ms anyOf
		for _, el := range a {
			s, ok := el.(string)
			if !ok {
				return nil, invalid("Inside equals-ignore-case list, number|start|null|boolean is not supported.")
			}
			ms = append(ms, foldEq{s: s})
		}
		return ms, nil
	}
	return nil, invalid("equals-ignore-case match pattern must be a string")
}

func compileWildcardList(arg any) (matcher, error) {
	switch a := arg.(type) {
	case string:
		return compileWildcard(a)
	case []any:
		var ms anyOf
		for _, el := range a {
			s, ok := el.(string)
			if !ok {
				return nil, invalid("wildcard match pattern must be a string")
			}
			m, err := compileWildcard(s)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
		return ms, nil
	}
	return nil, invalid("wildcard match pattern must be a string")
}

// numericLimit is the largest magnitude EventBridge compares (±5.0e9).
const numericLimit = 5e9

func compileNumeric(arg any) (matcher, error) {
	a, ok := arg.([]any)
	if !ok || len(a) == 0 || len(a)%2 != 0 || len(a) > 4 {
		return nil, invalid("Value of numeric must be an array.")
	}
	var m numeric
	for i := 0; i < len(a); i += 2 {
		op, ok := a[i].(string)
		if !ok {
			return nil, invalid("Invalid member in numeric match: %v", a[i])
		}
		num, ok := a[i+1].(json.Number)
		if !ok {
			return nil, invalid("Value of %s must be numeric", op)
		}
		f, err := num.Float64()
		if err != nil || math.Abs(f) > numericLimit {
			return nil, invalid("Value of %s must be numeric", op)
		}
		m.ops = append(m.ops, cmp{op: op, v: f})
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, invalid("Unrecognized numeric range operator: %s", op)
		}
		if op == "=" && len(a) > 2 {
			return nil, invalid("Bad numeric range: = cannot be combined")
		}
	}
	if len(m.ops) == 2 {
		lo, hi := m.ops[0], m.ops[1]
		if !strings.HasPrefix(lo.op, ">") || !strings.HasPrefix(hi.op, "<") {
			return nil, invalid("Bad numeric range operator: a range is a lower bound (> or >=) then an upper bound (< or <=)")
		}
		if lo.v >= hi.v {
			return nil, invalid("Bottom must be less than top")
		}
	}
	return m, nil
}

// Match reports whether event (a JSON object) matches the pattern.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decode(event)
	if err != nil {
		return false, fmt.Errorf("event is not valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false, fmt.Errorf("event is not a JSON object")
	}
	return p.root.match(obj), nil
}

// MatchValue is Match on an already decoded event (decoded with
// json.Decoder.UseNumber, so numbers are json.Number).
func (p *Pattern) MatchValue(event map[string]any) bool { return p.root.match(event) }

func (n *node) match(obj map[string]any) bool {
	for k, ms := range n.leaves {
		v, present := obj[k]
		if !matchField(ms, v, present) {
			return false
		}
	}
	for k, sub := range n.nested {
		if !matchNested(sub, obj[k]) {
			return false
		}
	}
	for _, alts := range n.or {
		ok := false
		for _, a := range alts {
			if a.match(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchNested matches a nested pattern against an object, or against any
// object in an array of them.
func matchNested(n *node, v any) bool {
	switch val := v.(type) {
	case map[string]any:
		return n.match(val)
	case []any:
		for _, el := range val {
			if m, ok := el.(map[string]any); ok && n.match(m) {
				return true
			}
		}
	case nil:
		// An absent object matches only if every leaf below accepts
		// absence ({"exists": false}).
		return n.match(map[string]any{})
	}
	return false
}

func matchField(ms []matcher, v any, present bool) bool {
	if arr, isArr := v.([]any); isArr {
		if len(arr) == 0 {
			return matchAny(ms, nil, false)
		}
		for _, el := range arr {
			if matchAny(ms, el, true) {
				return true
			}
		}
		return false
	}
	if _, isObj := v.(map[string]any); isObj {
		// Leaf filters match values, not objects; exists still sees it.
		for _, m := range ms {
			if e, ok := m.(exists); ok && bool(e) {
				return true
			}
		}
		return false
	}
	return matchAny(ms, v, present)
}

func matchAny(ms []matcher, v any, present bool) bool {
	for _, m := range ms {
		if m.match(v, present) {
			return true
		}
	}
	return false
}

type literal struct{ v any }

func (l literal) match(v any, present bool) bool {
	if !present {
		return false
	}
	switch want := l.v.(type) {
	case json.Number:
		got, ok := v.(json.Number)
		if !ok {
			return false
		}
		if want == got {
			return true
		}
		a, e1 := want.Float64()
		b, e2 := got.Float64()
		return e1 == nil && e2 == nil && a == b
	default:
		return v == l.v
	}
}

type affix struct {
	suffix, fold bool
	s            string
}

func (a affix) match(v any, present bool) bool {
	s, ok := v.(string)
	if !ok || !present {
		return false
	}
	want := a.s
	if a.fold {
		s, want = strings.ToLower(s), strings.ToLower(want)
	}
	if a.suffix {
		return strings.HasSuffix(s, want)
	}
	return strings.HasPrefix(s, want)
}

type foldEq struct{ s string }

func (f foldEq) match(v any, present bool) bool {
	s, ok := v.(string)
	return ok && present && strings.EqualFold(s, f.s)
}

type anyOf []matcher

func (ms anyOf) match(v any, present bool) bool { return matchAny(ms, v, present) }

// anythingBut matches a present value that none of not matches; an absent
// field never matches.
type anythingBut struct{ not []matcher }

func (a anythingBut) match(v any, present bool) bool {
	if !present {
		return false
	}
	return !matchAny(a.not, v, present)
}

type exists bool

func (e exists) match(_ any, present bool) bool { return present == bool(e) }

type cmp struct {
	op string
	v  float64
}

type numeric struct{ ops []cmp }

func (n numeric) match(v any, present bool) bool {
	num, ok := v.(json.Number)
	if !ok || !present {
		return false
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return false
	}
	for _, c := range n.ops {
		var ok bool
		switch c.op {
		case "=":
			ok = f == c.v
		case "<":
			ok = f < c.v
		case "<=":
			ok = f <= c.v
		case ">":
			ok = f > c.v
		case ">=":
			ok = f >= c.v
		}
		if !ok {
			return false
		}
	}
	return true
}

type cidr struct{ p netip.Prefix }

func (c cidr) match(v any, present bool) bool {
	s, ok := v.(string)
	if !ok || !present {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && c.p.Contains(a)
}

// wildcard is a pattern where * stands for any run of characters and \*
// for a literal star. EventBridge refuses two stars in a row.
type wildcard struct{ parts []string } // literal runs between stars

func compileWildcard(s string) (matcher, error) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return nil, invalid("Consecutive wildcard characters at pos %d", i+1)
			}
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	parts = append(parts, cur.String())
	return wildcard{parts: parts}, nil
}

func (w wildcard) match(v any, present bool) bool {
	s, ok := v.(string)
	if !ok || !present {
		return false
	}
	if len(w.parts) == 1 {
		return s == w.parts[0]
	}
	first, last := w.parts[0], w.parts[len(w.parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, mid := range w.parts[1 : len(w.parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

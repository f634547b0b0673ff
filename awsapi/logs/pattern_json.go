package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// expr is a boolean expression over a JSON document: conditions joined by
// && and || (&& binds tighter), with parentheses.
type expr interface {
	eval(doc any) bool
}

type andExpr struct{ l, r expr }
type orExpr struct{ l, r expr }

func (e andExpr) eval(doc any) bool { return e.l.eval(doc) && e.r.eval(doc) }
func (e orExpr) eval(doc any) bool  { return e.l.eval(doc) || e.r.eval(doc) }

// step is one selector step: a member name, an array index, or * (any
// member or element).
type step struct {
	name  string
	index int // -1: not an index
	any   bool
}

// literal is the right side of a comparison.
type literal struct {
	str    string
	num    float64
	isNum  bool
	quoted bool
	re     *regexp.Regexp
}

// cond compares what a selector selects with a literal, or tests it (IS
// NULL, IS TRUE, IS FALSE, NOT EXISTS).
type cond struct {
	sel []step
	op  string
	lit literal
}

func (c cond) eval(doc any) bool {
	vals := selectAll(doc, c.sel)
	if c.op == "NOT EXISTS" {
		return len(vals) == 0
	}
	for _, v := range vals {
		if c.test(v) {
			return true
		}
	}
	return false
}

func (c cond) test(v any) bool {
	switch c.op {
	case "IS NULL":
		return v == nil
	case "IS TRUE", "IS FALSE":
		b, ok := v.(bool)
		return ok && b == (c.op == "IS TRUE")
	}
	if c.lit.isNum && !c.lit.quoted {
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		if err != nil {
			return false
		}
		return compareNum(c.op, f, c.lit.num)
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = strconv.FormatBool(x)
	default:
		return false
	}
	var eq bool
	switch {
	case c.lit.re != nil:
		eq = c.lit.re.MatchString(s)
	default:
		eq = globMatch(c.lit.str, s)
	}
	switch c.op {
	case "=":
		return eq
	case "!=":
		return !eq
	}
	return false // < > on strings
}

func compareNum(op string, a, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

// selectAll returns every value sel selects in doc (none when a step is
// missing).
func selectAll(doc any, sel []step) []any {
	cur := []any{doc}
	for _, st := range sel {
		var next []any
		for _, v := range cur {
			switch x := v.(type) {
			case map[string]any:
				if st.any {
					for _, m := range x {
						next = append(next, m)
					}
				} else if m, ok := x[st.name]; ok && st.index < 0 {
					next = append(next, m)
				}
			case []any:
				switch {
				case st.any:
					next = append(next, x...)
				case st.index >= 0 && st.index < len(x):
					next = append(next, x[st.index])
				}
			}
		}
		cur = next
	}
	return cur
}

// matchJSON parses msg as JSON and evaluates e; anything else never matches.
func (p *exprParser) matchJSON(msg string) bool {
	msg = strings.TrimSpace(msg)
	if msg == "" || msg[0] != '{' && msg[0] != '[' {
		return false
	}
	d := json.NewDecoder(strings.NewReader(msg))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return false
	}
	return p.root.eval(doc)
}

// exprParser parses the inside of a JSON pattern's braces.
type exprParser struct {
	s    string
	root expr
}

func parseJSONPattern(s string) (*exprParser, error) {
	p := &exprParser{s: s}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.s != "" {
		return nil, fmt.Errorf("unexpected %q", truncate(p.s, 20))
	}
	p.root = e
	return p, nil
}

func (p *exprParser) skip() { p.s = strings.TrimLeft(p.s, " \t\r\n") }

func (p *exprParser) eat(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.s, tok) {
		p.s = p.s[len(tok):]
		return true
	}
	return false
}

func (p *exprParser) or() (expr, error) {
	l, err := p.and()
	for err == nil && p.eat("||") {
		var r expr
		if r, err = p.and(); err == nil {
			l = orExpr{l, r}
		}
	}
	return l, err
}

func (p *exprParser) and() (expr, error) {
	l, err := p.unary()
	for err == nil && p.eat("&&") {
		var r expr
		if r, err = p.unary(); err == nil {
			l = andExpr{l, r}
		}
	}
	return l, err
}

func (p *exprParser) unary() (expr, error) {
	if p.eat("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, errors.New("missing )")
		}
		return e, nil
	}
	p.skip()
	if !strings.HasPrefix(p.s, "$") {
		return nil, fmt.Errorf("expected a selector starting with $ at %q", truncate(p.s, 20))
	}
	sel, err := p.selector()
	if err != nil {
		return nil, err
	}
	c := cond{sel: sel}
	switch {
	case p.eat("IS NULL"):
		c.op = "IS NULL"
	case p.eat("IS TRUE"):
		c.op = "IS TRUE"
	case p.eat("IS FALSE"):
		c.op = "IS FALSE"
	case p.eat("NOT EXISTS"):
		c.op = "NOT EXISTS"
	default:
		if c.op, c.lit, err = p.comparison(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// selector reads $.a.b[0].*[*] (the leading $ included).
func (p *exprParser) selector() ([]step, error) {
	p.s = p.s[1:]
	var sel []step
	for len(p.s) > 0 {
		switch p.s[0] {
		case '.':
			p.s = p.s[1:]
			end := strings.IndexAny(p.s, ".[ \t=!<>)&|")
			if end < 0 {
				end = len(p.s)
			}
			name := p.s[:end]
			if name == "" {
				return nil, errors.New("empty selector member")
			}
			p.s = p.s[end:]
			sel = append(sel, step{name: name, index: -1, any: name == "*"})
		case '[':
			end := strings.IndexByte(p.s, ']')
			if end < 0 {
				return nil, errors.New("missing ] in selector")
			}
			idx := p.s[1:end]
			p.s = p.s[end+1:]
			if idx == "*" {
				sel = append(sel, step{index: -1, any: true})
				continue
			}
			n, err := strconv.Atoi(idx)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad array index %q", idx)
			}
			sel = append(sel, step{index: n})
		default:
			return sel, nil
		}
	}
	return sel, nil
}

// comparison reads an operator and a literal.
func (p *exprParser) comparison() (string, literal, error) {
	p.skip()
	var op string
	for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(p.s, o) {
			op = o
			break
		}
	}
	if op == "" {
		return "", literal{}, fmt.Errorf("expected a comparison at %q", truncate(p.s, 20))
	}
	p.s = p.s[len(op):]
	lit, rest, err := readLiteral(p.s, ")&|")
	p.s = rest
	if err == nil && (op != "=" && op != "!=") && (!lit.isNum || lit.quoted) {
		err = fmt.Errorf("%s needs a number", op)
	}
	return op, lit, err
}

// readLiteral reads a quoted string, a %regex%, or a bare word (ended by
// whitespace or a byte of stop) at the start of s.
func readLiteral(s, stop string) (literal, string, error) {
	s = strings.TrimLeft(s, " \t\r\n")
	if s == "" {
		return literal{}, "", errors.New("missing value")
	}
	switch s[0] {
	case '"':
		text, rest, err := readQuoted(s)
		return literal{str: text, quoted: true}, rest, err
	case '%':
		end := strings.IndexByte(s[1:], '%')
		if end < 0 {
			return literal{}, "", errors.New("unterminated %regex%")
		}
		re, err := compileRegex(s[1 : end+1])
		return literal{re: re}, s[end+2:], err
	}
	end := strings.IndexAny(s, " \t\r\n"+stop)
	if end < 0 {
		end = len(s)
	}
	word := s[:end]
	if word == "" {
		return literal{}, "", errors.New("missing value")
	}
	lit := literal{str: word}
	if f, err := strconv.ParseFloat(word, 64); err == nil {
		lit.num, lit.isNum = f, true
	}
	return lit, s[end:], nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// delimited is a space-delimited pattern: one spec per field, "..." for any
// number of fields.
type delimited struct{ fields []fieldSpec }

type fieldSpec struct {
	name     string
	ellipsis bool
	op       string // "" matches any value
	lit      literal
}

func parseDelimited(s string) (*delimited, error) {
	d := &delimited{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, errors.New("empty field in a space-delimited pattern")
		}
		if part == "..." {
			d.fields = append(d.fields, fieldSpec{ellipsis: true})
			continue
		}
		end := strings.IndexAny(part, " \t=!<>")
		if end < 0 {
			d.fields = append(d.fields, fieldSpec{name: part})
			continue
		}
		f := fieldSpec{name: part[:end]}
		p := &exprParser{s: part[end:]}
		op, lit, err := p.comparison()
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
		if p.skip(); p.s != "" {
			return nil, fmt.Errorf("field %s: unexpected %q", f.name, truncate(p.s, 20))
		}
		f.op, f.lit = op, lit
		d.fields = append(d.fields, f)
	}
	return d, nil
}

func (d *delimited) match(msg string) bool { return d.matchFrom(d.fields, splitFields(msg)) }

func (d *delimited) matchFrom(specs []fieldSpec, vals []string) bool {
	for i, f := range specs {
		if f.ellipsis {
			for skip := 0; skip <= len(vals); skip++ {
				if d.matchFrom(specs[i+1:], vals[skip:]) {
					return true
				}
			}
			return false
		}
		if len(vals) == 0 {
			return false
		}
		if f.op != "" && !(cond{op: f.op, lit: f.lit}).test(fieldValue(vals[0], f.lit)) {
			return false
		}
		vals = vals[1:]
	}
	return len(vals) == 0
}

// fieldValue types a field for comparison: a number when the literal is.
func fieldValue(v string, lit literal) any {
	if lit.isNum && !lit.quoted {
		return json.Number(v)
	}
	return v
}

// splitFields splits a message on spaces; text in "…" or […] is one field
// (without its quotes or brackets).
func splitFields(msg string) []string {
	var out []string
	b := []byte(strings.TrimSpace(msg))
	for len(b) > 0 {
		var field []byte
		switch b[0] {
		case '"', '[':
			closer := byte('"')
			if b[0] == '[' {
				closer = ']'
			}
			end := bytes.IndexByte(b[1:], closer)
			if end < 0 {
				field, b = b, nil
			} else {
				field, b = b[1:end+1], b[end+2:]
			}
		default:
			end := bytes.IndexAny(b, " \t")
			if end < 0 {
				end = len(b)
			}
			field, b = b[:end], b[end:]
		}
		out = append(out, string(field))
		b = bytes.TrimLeft(b, " \t")
	}
	return out
}

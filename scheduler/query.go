package scheduler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file parses the cluster query language of memberOf constraints and
// ListContainerInstances' filter. Grammar (lowest precedence first):
//
//	expr       = and { ("or" | "||") and }
//	and        = unary { ("and" | "&&") unary }
//	unary      = ("not" | "!") unary | "(" expr ")" | comparison
//	comparison = subject operator [ value | "[" value { "," value } "]" ]
//
// Subjects: attribute:NAME, task:group, agentConnected, agentVersion,
// ec2InstanceId, registeredAt, runningTasksCount. Operators: ==/equals,
// !=/not_equals, >/greater_than, >=/greater_than_equal, </less_than,
// <=/less_than_equal, exists, !exists/not_exists, in, !in/not_in,
// =~/matches, !~/not_matches. Values are bare words or quoted with ' or ";
// quote a value that holds spaces, brackets, parentheses, commas or
// operator characters. Evaluation is in query_eval.go.

// MaxExpressionLength is ECS's limit on a constraint expression.
const MaxExpressionLength = 2000

// SyntaxError is a cluster query expression that does not parse. The API
// reports it as an InvalidParameterException.
type SyntaxError struct {
	Expression string
	Offset     int // byte offset of the problem in Expression
	Message    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid expression %q: at position %d: %s", e.Expression, e.Offset+1, e.Message)
}

// Expression is a parsed cluster query expression.
type Expression struct {
	src  string
	root exprNode
}

// String returns the expression as it was written.
func (e *Expression) String() string { return e.src }

// ParseExpression parses a cluster query language expression.
func ParseExpression(s string) (*Expression, error) {
	if len(s) > MaxExpressionLength {
		return nil, &SyntaxError{Expression: s, Offset: MaxExpressionLength, Message: fmt.Sprintf("longer than %d characters", MaxExpressionLength)}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	if p.peek().kind == tEOF {
		return nil, p.errorf(p.peek(), "empty expression")
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %s after a complete expression: join expressions with and / or", t)
	}
	return &Expression{src: s, root: root}, nil
}

type tokenKind int

const (
	tEOF tokenKind = iota
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tAnd  // &&
	tOr   // ||
	tBang // ! on its own
	tOp   // == != =~ !~ > >= < <=
	tWord
	tString // quoted
)

type token struct {
	kind tokenKind
	text string // words and operators; the unquoted content of strings
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return strconv.Quote(t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case len(toks) > 0 && isPatternOp(toks[len(toks)-1]) && c != '\'' && c != '"' && patternEnd(s, i) > i:
			start := i
			i = patternEnd(s, i)
			toks = append(toks, token{kind: tWord, text: s[start:i], pos: start})
		case strings.IndexByte("()[],", c) >= 0:
			kind := map[byte]tokenKind{'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack, ',': tComma}[c]
			toks = append(toks, token{kind: kind, text: string(c), pos: i})
			i++
		case strings.HasPrefix(s[i:], "&&"):
			toks = append(toks, token{kind: tAnd, text: "&&", pos: i})
			i += 2
		case strings.HasPrefix(s[i:], "||"):
			toks = append(toks, token{kind: tOr, text: "||", pos: i})
			i += 2
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, &SyntaxError{Expression: s, Offset: i, Message: fmt.Sprintf("unterminated quoted value: add the closing %c", c)}
			}
			toks = append(toks, token{kind: tString, text: s[i+1 : i+1+end], pos: i})
			i += end + 2
		case c == '=' || c == '!' || c == '<' || c == '>':
			op := lexOp(s[i:])
			if op == "" {
				return nil, &SyntaxError{Expression: s, Offset: i, Message: fmt.Sprintf("unknown operator %q: use ==, !=, >, >=, <, <=, =~ or !~", string(c))}
			}
			kind := tOp
			if op == "!" {
				kind = tBang
			}
			toks = append(toks, token{kind: kind, text: op, pos: i})
			i += len(op)
		default:
			start := i
			for i < len(s) && !wordEnd(s[i:]) {
				i++
			}
			toks = append(toks, token{kind: tWord, text: s[start:i], pos: start})
		}
	}
	return append(toks, token{kind: tEOF, pos: len(s)}), nil
}

// isPatternOp reports whether t is a matching operator, whose unquoted
// argument is read as a raw pattern so that g2.*, i-0[45] or (a|b)x work.
func isPatternOp(t token) bool {
	switch strings.ToLower(t.text) {
	case "=~", "!~":
		return t.kind == tOp
	case "matches", "not_matches":
		return t.kind == tWord
	}
	return false
}

// patternEnd returns the end of a raw pattern starting at i: it runs to
// whitespace outside brackets, or to a ")" that closes an enclosing
// parenthesis of the expression.
func patternEnd(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		case '\\':
			i++ // an escaped character never opens or closes
		case '(', '[':
			depth++
		case ')', ']':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return min(i, len(s))
}

func lexOp(s string) string {
	for _, op := range []string{"==", "!=", "=~", "!~", ">=", "<=", ">", "<", "!"} {
		if strings.HasPrefix(s, op) {
			return op
		}
	}
	return ""
}

func wordEnd(s string) bool {
	switch s[0] {
	case ' ', '\t', '\n', '\r', '(', ')', '[', ']', ',', '\'', '"', '=', '!', '<', '>':
		return true
	}
	return strings.HasPrefix(s, "&&") || strings.HasPrefix(s, "||")
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &SyntaxError{Expression: p.src, Offset: t.pos, Message: fmt.Sprintf(format, args...)}
}

func (p *parser) isWord(t token, words ...string) bool {
	if t.kind != tWord {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

func (p *parser) parseOr() (exprNode, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOr || p.isWord(t, "or"); t = p.peek() {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = orNode{left, right}
	}
	return left, nil
}

func (p *parser) parseAnd() (exprNode, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tAnd || p.isWord(t, "and"); t = p.peek() {
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = andNode{left, right}
	}
	return left, nil
}

func (p *parser) parseUnary() (exprNode, error) {
	t := p.peek()
	switch {
	case t.kind == tBang || p.isWord(t, "not"):
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	case t.kind == tLParen:
		p.next()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errorf(c, "expected ) to close the ( at position %d, found %s", t.pos+1, c)
		}
		return x, nil
	case t.kind == tEOF:
		return nil, p.errorf(t, "expected an expression such as attribute:NAME == VALUE, found end of expression")
	}
	return p.parseComparison()
}

type subjectKind int

const (
	subjAttribute subjectKind = iota
	subjTaskGroup
	subjAgentConnected
	subjAgentVersion
	subjEC2InstanceID
	subjRegisteredAt
	subjRunningTasks
)

var subjects = map[string]subjectKind{
	"task:group":        subjTaskGroup,
	"agentconnected":    subjAgentConnected,
	"agentversion":      subjAgentVersion,
	"ec2instanceid":     subjEC2InstanceID,
	"registeredat":      subjRegisteredAt,
	"runningtaskscount": subjRunningTasks,
}

type opKind int

const (
	opEq opKind = iota
	opNe
	opGt
	opGe
	opLt
	opLe
	opExists
	opNotExists
	opIn
	opNotIn
	opMatches
	opNotMatches
)

var opNames = map[string]opKind{
	"==": opEq, "equals": opEq,
	"!=": opNe, "not_equals": opNe,
	">": opGt, "greater_than": opGt,
	">=": opGe, "greater_than_equal": opGe,
	"<": opLt, "less_than": opLt,
	"<=": opLe, "less_than_equal": opLe,
	"exists": opExists, "!exists": opNotExists, "not_exists": opNotExists,
	"in": opIn, "!in": opNotIn, "not_in": opNotIn,
	"=~": opMatches, "matches": opMatches,
	"!~": opNotMatches, "not_matches": opNotMatches,
}

// allowedOps lists, per subject other than attribute:NAME (which takes
// every operator), the operators ECS documents for it.
var allowedOps = map[subjectKind][]opKind{
	subjTaskGroup:      {opEq, opNe, opIn, opNotIn, opMatches, opNotMatches, opExists, opNotExists},
	subjAgentConnected: {opEq, opNe, opIn, opNotIn, opMatches, opNotMatches},
	subjEC2InstanceID:  {opEq, opNe, opIn, opNotIn, opMatches, opNotMatches},
	subjAgentVersion:   {opEq, opNe, opGt, opGe, opLt, opLe},
	subjRegisteredAt:   {opEq, opNe, opGt, opGe, opLt, opLe},
	subjRunningTasks:   {opEq, opNe, opGt, opGe, opLt, opLe},
}

func (p *parser) parseComparison() (exprNode, error) {
	st := p.next()
	if st.kind != tWord || p.isWord(st, "and", "or") {
		return nil, p.errorf(st, "expected a subject such as attribute:NAME, found %s", st)
	}
	c := &cmpNode{subjectText: st.text}
	if name, ok := cutPrefixFold(st.text, "attribute:"); ok {
		if name == "" {
			return nil, p.errorf(st, "attribute: needs a name, e.g. attribute:ecs.instance-type")
		}
		c.subject, c.name = subjAttribute, name
	} else if k, ok := subjects[strings.ToLower(st.text)]; ok {
		c.subject = k
	} else {
		return nil, p.errorf(st, "unknown subject %q: use attribute:NAME, task:group, agentConnected, agentVersion, ec2InstanceId, registeredAt or runningTasksCount", st.text)
	}

	ot := p.next()
	opText := ot.text
	if ot.kind == tBang && p.isWord(p.peek(), "exists", "in") {
		opText = "!" + strings.ToLower(p.next().text)
	}
	op, ok := opNames[strings.ToLower(opText)]
	if !ok || (ot.kind != tOp && ot.kind != tWord && ot.kind != tBang) {
		return nil, p.errorf(ot, "expected an operator after %q (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~), found %s", st.text, ot)
	}
	c.op = op
	if allowed, limited := allowedOps[c.subject]; limited && !containsOp(allowed, op) {
		return nil, p.errorf(ot, "operator %q is not supported for %s", opText, st.text)
	}

	switch op {
	case opExists, opNotExists:
		return c, nil
	case opIn, opNotIn:
		if t := p.next(); t.kind != tLBrack {
			return nil, p.errorf(t, "%s %s needs a list like [a, b], found %s", st.text, opText, t)
		}
		for {
			v := p.next()
			if v.kind != tWord && v.kind != tString {
				return nil, p.errorf(v, "expected a value in the list, found %s", v)
			}
			c.args = append(c.args, v.text)
			sep := p.next()
			if sep.kind == tRBrack {
				break
			}
			if sep.kind != tComma {
				return nil, p.errorf(sep, "expected , or ] in the list, found %s", sep)
			}
		}
	default:
		v := p.next()
		if v.kind != tWord && v.kind != tString {
			return nil, p.errorf(v, "expected a value after %q, found %s", opText, v)
		}
		c.args = []string{v.text}
	}
	if err := c.compile(); err != nil {
		return nil, p.errorf(st, "%s", err)
	}
	return c, nil
}

// compile checks and pre-parses the arguments for the subject and operator.
func (c *cmpNode) compile() error {
	if c.op == opMatches || c.op == opNotMatches {
		// ECS documents Java's Pattern.matches: the whole value must match.
		re, err := regexp.Compile("^(?:" + c.args[0] + ")$")
		if err != nil {
			return fmt.Errorf("invalid pattern %q: %v", c.args[0], err)
		}
		c.re = re
		return nil
	}
	for _, a := range c.args {
		switch c.subject {
		case subjAgentConnected:
			if a != "true" && a != "false" {
				return fmt.Errorf("agentConnected compares with true or false, not %q", a)
			}
		case subjRunningTasks:
			n, err := strconv.Atoi(a)
			if err != nil {
				return fmt.Errorf("runningTasksCount compares with a whole number, not %q", a)
			}
			c.num = n
		case subjAgentVersion:
			v, ok := parseVersion(a)
			if !ok {
				return fmt.Errorf("agentVersion compares with a version such as 1.14.5, not %q", a)
			}
			c.version = v
		case subjRegisteredAt:
			t, dateOnly, ok := parseDate(a)
			if !ok {
				return fmt.Errorf("registeredAt compares with a date such as 2018-06-18 or 2018-06-18T22:28:28Z, not %q", a)
			}
			c.time, c.dateOnly = t, dateOnly
		}
	}
	return nil
}

// Date forms registeredAt accepts, as documented by ECS.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"}

func parseDate(s string) (t time.Time, dateOnly, ok bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), l == "2006-01-02", true
		}
	}
	return time.Time{}, false, false
}

// parseVersion reads "1.14.5" (an optional leading v, and a suffix after -
// or + ignored) as its numeric parts.
func parseVersion(s string) ([]int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return nil, false
	}
	var out []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func containsOp(ops []opKind, op opKind) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

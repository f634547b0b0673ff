package metrics

import (
	"fmt"
	"strings"
	"unicode"
)

// A composite alarm's AlarmRule, as CloudWatch writes it:
//
//	ALARM(name) | OK(name) | INSUFFICIENT_DATA(name)   an alarm's state
//	TRUE | FALSE
//	NOT r, r AND r, r OR r, (r)
//
// NOT binds tightest, then AND, then OR. A name is an alarm's name or
// ARN, in double quotes or bare (without spaces or parentheses).

// Rule is a parsed AlarmRule.
type Rule struct {
	root  ruleNode
	names []string
}

type ruleNode func(states map[string]string) bool

// Names are the alarms the rule reads, by name, in order of appearance.
func (r *Rule) Names() []string { return r.names }

// Eval is the rule's value for the alarms' states by name; an alarm
// missing from states matches no state function.
func (r *Rule) Eval(states map[string]string) bool { return r.root(states) }

// ParseRule parses an AlarmRule.
func ParseRule(s string) (*Rule, error) {
	p := &ruleParser{s: s}
	r := &Rule{}
	p.rule = r
	node, err := p.or()
	if err != nil {
		return nil, err
	}
	if tok := p.next(); tok != "" {
		return nil, fmt.Errorf("unexpected %q at %d", tok, p.pos)
	}
	r.root = node
	return r, nil
}

type ruleParser struct {
	s    string
	pos  int
	rule *Rule
}

// next returns the next token: "(", ")", a quoted string (with its
// quotes) or a word; "" at the end.
func (p *ruleParser) next() string {
	for p.pos < len(p.s) && unicode.IsSpace(rune(p.s[p.pos])) {
		p.pos++
	}
	if p.pos >= len(p.s) {
		return ""
	}
	start := p.pos
	switch c := p.s[p.pos]; {
	case c == '(' || c == ')':
		p.pos++
	case c == '"':
		p.pos++
		for p.pos < len(p.s) && p.s[p.pos] != '"' {
			if p.s[p.pos] == '\\' {
				p.pos++
			}
			p.pos++
		}
		p.pos = min(p.pos+1, len(p.s))
	default:
		for p.pos < len(p.s) && !unicode.IsSpace(rune(p.s[p.pos])) && p.s[p.pos] != '(' && p.s[p.pos] != ')' {
			p.pos++
		}
	}
	return p.s[start:p.pos]
}

func (p *ruleParser) peek() string {
	at := p.pos
	tok := p.next()
	p.pos = at
	return tok
}

func (p *ruleParser) or() (ruleNode, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "OR") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(st map[string]string) bool { return l(st) || right(st) }
	}
	return left, nil
}

func (p *ruleParser) and() (ruleNode, error) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "AND") {
		p.next()
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(st map[string]string) bool { return l(st) && right(st) }
	}
	return left, nil
}

func (p *ruleParser) not() (ruleNode, error) {
	if strings.EqualFold(p.peek(), "NOT") {
		p.next()
		inner, err := p.not()
		if err != nil {
			return nil, err
		}
		return func(st map[string]string) bool { return !inner(st) }, nil
	}
	return p.primary()
}

func (p *ruleParser) primary() (ruleNode, error) {
	tok := p.next()
	switch up := strings.ToUpper(tok); up {
	case "":
		return nil, fmt.Errorf("the rule ends early")
	case "(":
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("missing ) at %d", p.pos)
		}
		return inner, nil
	case "TRUE":
		return func(map[string]string) bool { return true }, nil
	case "FALSE":
		return func(map[string]string) bool { return false }, nil
	case StateAlarm, StateOK, StateInsufficientData:
		if p.next() != "(" {
			return nil, fmt.Errorf("%s needs an alarm name in parentheses", up)
		}
		name := p.next()
		if name == "" || name == ")" || name == "(" {
			return nil, fmt.Errorf("%s needs an alarm name", up)
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("missing ) after the alarm name of %s", up)
		}
		name = alarmRef(name)
		p.rule.names = append(p.rule.names, name)
		return func(st map[string]string) bool { return st[name] == up }, nil
	}
	return nil, fmt.Errorf("unexpected %q at %d", tok, p.pos)
}

// alarmRef is the alarm name of a rule's reference: unquoted, and the
// name part of an alarm ARN.
func alarmRef(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	if _, name, ok := strings.Cut(s, ":alarm:"); ok && strings.HasPrefix(s, "arn:") {
		return name
	}
	return s
}

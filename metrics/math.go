package metrics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Metric math, the simple part: arithmetic (+ - * / and parentheses) on
// query ids and numbers, and SUM, AVG, MIN, MAX over ids or METRICS()
// (every MetricStat query of the request), evaluated per timestamp as
// CloudWatch does: a binary operation between two series keeps the
// timestamps both have; a function over several series takes, at each
// timestamp, the series that have a value there. Other functions are
// refused by name.

// Series is one time series: value by Unix time.
type Series map[int64]float64

// mathValue is a scalar, a series, or a list of series (METRICS() or an
// array literal such as [m1, m2]).
type mathValue struct {
	scalar *float64
	s      Series
	list   []Series
}

type mathParser struct {
	toks []string
	pos  int
	vars map[string]Series // the request's evaluated queries, by id
	all  []Series          // METRICS()
}

// EvalExpression evaluates expr over vars; all is what METRICS() returns.
func EvalExpression(expr string, vars map[string]Series, all []Series) (Series, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return nil, err
	}
	p := &mathParser{toks: toks, vars: vars, all: all}
	v, err := p.sum()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	switch {
	case v.s != nil:
		return v.s, nil
	case v.list != nil:
		return nil, fmt.Errorf("the expression returns several time series; wrap METRICS() or the array in SUM, AVG, MIN or MAX")
	}
	return nil, fmt.Errorf("the expression returns a single number, not a time series")
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.ContainsRune("+-*/(),[]", c):
			toks = append(toks, string(c))
			i++
		case unicode.IsDigit(c) || c == '.':
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return toks, nil
}

func (p *mathParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *mathParser) sum() (mathValue, error) { return p.leftAssoc(p.product, "+", "-") }

func (p *mathParser) product() (mathValue, error) { return p.leftAssoc(p.unary, "*", "/") }

// leftAssoc parses operand (op operand)* for the two operators of one
// precedence level, folding from the left: a-b-c is (a-b)-c.
func (p *mathParser) leftAssoc(operand func() (mathValue, error), op1, op2 string) (mathValue, error) {
	v, err := operand()
	for err == nil && (p.peek() == op1 || p.peek() == op2) {
		op := p.toks[p.pos]
		p.pos++
		var r mathValue
		if r, err = operand(); err == nil {
			v, err = binary(op, v, r)
		}
	}
	return v, err
}

func (p *mathParser) unary() (mathValue, error) {
	if p.peek() == "-" {
		p.pos++
		v, err := p.unary()
		if err != nil {
			return v, err
		}
		return binary("*", mathValue{scalar: new(-1.0)}, v)
	}
	return p.atom()
}

func (p *mathParser) atom() (mathValue, error) {
	tok := p.peek()
	if tok == "" {
		return mathValue{}, fmt.Errorf("the expression ends too soon")
	}
	p.pos++
	switch {
	case tok == "(":
		v, err := p.sum()
		if err == nil && p.peek() != ")" {
			err = fmt.Errorf("missing )")
		}
		p.pos++
		return v, err
	case tok == "[":
		return p.array()
	case unicode.IsDigit(rune(tok[0])) || tok[0] == '.':
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return mathValue{}, fmt.Errorf("bad number %q", tok)
		}
		return mathValue{scalar: &f}, nil
	case p.peek() == "(":
		return p.call(tok)
	}
	s, ok := p.vars[tok]
	if !ok {
		return mathValue{}, fmt.Errorf("unknown id %q", tok)
	}
	return mathValue{s: s}, nil
}

func (p *mathParser) call(name string) (mathValue, error) {
	p.pos++ // (
	fn := strings.ToUpper(name)
	if fn == "METRICS" {
		if p.peek() != ")" {
			return mathValue{}, fmt.Errorf("METRICS() takes no arguments in wharf")
		}
		p.pos++
		return mathValue{list: p.all}, nil
	}
	if fn != "SUM" && fn != "AVG" && fn != "MIN" && fn != "MAX" {
		return mathValue{}, fmt.Errorf("the function %s is not served by wharf yet (served: SUM, AVG, MIN, MAX, METRICS)", name)
	}
	args, err := p.seriesList(")", fn+"() takes time series", "expected , or ) in "+fn+"()")
	if err != nil {
		return mathValue{}, err
	}
	return mathValue{s: reduce(fn, args)}, nil
}

// array reads an array of time series, "[m1, m2]" (the opening bracket
// read), as the argument of a function such as MAX([errors, requests]).
func (p *mathParser) array() (mathValue, error) {
	list, err := p.seriesList("]", "an array [...] holds time series, not numbers", "expected , or ] in an array")
	if err != nil {
		return mathValue{}, err
	}
	return mathValue{list: append([]Series{}, list...)}, nil
}

// seriesList reads comma-separated expressions up to and including end,
// each a time series or a list of them (METRICS(), an array), flattened;
// notSeries and badSep are the errors for a number and for a missing
// separator.
func (p *mathParser) seriesList(end, notSeries, badSep string) ([]Series, error) {
	var list []Series
	for {
		v, err := p.sum()
		if err != nil {
			return nil, err
		}
		switch {
		case v.s != nil:
			list = append(list, v.s)
		case v.list != nil:
			list = append(list, v.list...)
		default:
			return nil, errors.New(notSeries)
		}
		switch p.peek() {
		case ",":
			p.pos++
			continue
		case end:
			p.pos++
			return list, nil
		}
		return nil, errors.New(badSep)
	}
}

// reduce applies SUM, AVG, MIN or MAX across Series at each timestamp.
func reduce(fn string, args []Series) Series {
	out := Series{}
	n := map[int64]float64{}
	for _, s := range args {
		for t, v := range s {
			cur, seen := out[t]
			switch {
			case !seen:
				out[t] = v
			case fn == "MIN":
				out[t] = min(cur, v)
			case fn == "MAX":
				out[t] = max(cur, v)
			default:
				out[t] = cur + v
			}
			n[t]++
		}
	}
	if fn == "AVG" {
		for t := range out {
			out[t] /= n[t]
		}
	}
	return out
}

func binary(op string, l, r mathValue) (mathValue, error) {
	if l.list != nil || r.list != nil {
		return mathValue{}, fmt.Errorf("arithmetic on METRICS() or an array needs SUM, AVG, MIN or MAX first")
	}
	apply := func(a, b float64) (float64, bool) {
		switch op {
		case "+":
			return a + b, true
		case "-":
			return a - b, true
		case "*":
			return a * b, true
		}
		if b == 0 {
			return 0, false // no value where the divisor is 0
		}
		return a / b, true
	}
	switch {
	case l.scalar != nil && r.scalar != nil:
		v, ok := apply(*l.scalar, *r.scalar)
		if !ok {
			return mathValue{}, fmt.Errorf("division by zero")
		}
		return mathValue{scalar: &v}, nil
	case l.scalar != nil:
		out := Series{}
		for t, b := range r.s {
			if v, ok := apply(*l.scalar, b); ok {
				out[t] = v
			}
		}
		return mathValue{s: out}, nil
	case r.scalar != nil:
		out := Series{}
		for t, a := range l.s {
			if v, ok := apply(a, *r.scalar); ok {
				out[t] = v
			}
		}
		return mathValue{s: out}, nil
	}
	out := Series{}
	for t, a := range l.s {
		if b, both := r.s[t]; both {
			if v, ok := apply(a, b); ok {
				out[t] = v
			}
		}
	}
	return mathValue{s: out}, nil
}

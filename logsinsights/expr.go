package logsinsights

import (
	"math"
	"regexp"
	"strings"
	"time"
)

// expr is a compiled expression, evaluated against one record.
type expr interface {
	eval(r *record) Value
}

type litExpr struct{ v Value }

func (e litExpr) eval(*record) Value { return e.v }

type fieldExpr struct{ name string }

func (e fieldExpr) eval(r *record) Value { return r.get(e.name) }

// regexExpr is a /regex/ used as a value (outside like and =~): its source.
type regexExpr struct{ re *regexp.Regexp }

func (e regexExpr) eval(*record) Value { return str(e.re.String()) }

type notExpr struct{ x expr }

func (e notExpr) eval(r *record) Value { return boolean(!e.x.eval(r).truthy()) }

type negExpr struct{ x expr }

func (e negExpr) eval(r *record) Value {
	n, ok := e.x.eval(r).number()
	if !ok {
		return null()
	}
	return num(-n)
}

type logicExpr struct {
	and  bool
	l, r expr
}

func (e logicExpr) eval(r *record) Value {
	l := e.l.eval(r).truthy()
	if e.and {
		return boolean(l && e.r.eval(r).truthy())
	}
	return boolean(l || e.r.eval(r).truthy())
}

// cmpExpr compares two values; an absent side makes every comparison but
// != false.
type cmpExpr struct {
	op   string
	l, r expr
}

func (e cmpExpr) eval(r *record) Value {
	a, b := e.l.eval(r), e.r.eval(r)
	if a.k == kNull || b.k == kNull {
		return boolean(e.op == "!=" && a.k != b.k)
	}
	c := compareValues(a, b)
	switch e.op {
	case "=":
		return boolean(c == 0)
	case "!=":
		return boolean(c != 0)
	case "<":
		return boolean(c < 0)
	case "<=":
		return boolean(c <= 0)
	case ">":
		return boolean(c > 0)
	case ">=":
		return boolean(c >= 0)
	}
	return null()
}

// arithExpr is + - * / % ^ over numbers; anything not a number yields
// an absent value.
type arithExpr struct {
	op   byte
	l, r expr
}

func (e arithExpr) eval(r *record) Value {
	a, ok1 := e.l.eval(r).number()
	b, ok2 := e.r.eval(r).number()
	if !ok1 || !ok2 {
		return null()
	}
	switch e.op {
	case '+':
		return num(a + b)
	case '-':
		return num(a - b)
	case '*':
		return num(a * b)
	case '/':
		if b == 0 {
			return null()
		}
		return num(a / b)
	case '%':
		if b == 0 {
			return null()
		}
		return num(math.Mod(a, b))
	case '^':
		return num(math.Pow(a, b))
	}
	return null()
}

// likeExpr is `x like /re/`, `x =~ /re/` or `x like "text"` (a substring).
type likeExpr struct {
	x   expr
	re  *regexp.Regexp
	sub expr // when not a regex
	not bool
}

func (e likeExpr) eval(r *record) Value {
	v := e.x.eval(r)
	if v.k == kNull {
		return boolean(false)
	}
	var m bool
	if e.re != nil {
		m = e.re.MatchString(v.String())
	} else {
		s := e.sub.eval(r)
		m = s.k != kNull && strings.Contains(v.String(), s.String())
	}
	return boolean(m != e.not)
}

type inExpr struct {
	x    expr
	list []expr
	not  bool
}

func (e inExpr) eval(r *record) Value {
	v := e.x.eval(r)
	if v.k == kNull {
		return boolean(false)
	}
	found := false
	for _, x := range e.list {
		if w := x.eval(r); w.k != kNull && compareValues(v, w) == 0 {
			found = true
			break
		}
	}
	return boolean(found != e.not)
}

type isNullExpr struct {
	x   expr
	not bool
}

func (e isNullExpr) eval(r *record) Value { return boolean((e.x.eval(r).k == kNull) != e.not) }

// callExpr is a scalar function call.
type callExpr struct {
	fn   *function
	args []expr
}

func (e callExpr) eval(r *record) Value {
	var buf [4]Value
	args := buf[:0]
	for _, a := range e.args {
		args = append(args, a.eval(r))
	}
	return e.fn.call(r, args)
}

// binExpr is bin(period): @timestamp rounded down to a multiple of
// period (calendar months, quarters and years for mo, q, y).
type binExpr struct{ period float64 }

func (e binExpr) eval(r *record) Value {
	ts := r.get("@timestamp")
	ms, ok := ts.number()
	if !ok {
		return null()
	}
	return timeMillis(floorTime(int64(ms), e.period))
}

func floorTime(ms int64, period float64) int64 {
	if period > 0 {
		p := int64(period)
		return ms - ((ms%p)+p)%p
	}
	t := time.UnixMilli(ms).UTC()
	months := int(-period)
	m := (int(t.Month()) - 1) / months * months
	return time.Date(t.Year(), time.Month(m+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}

// aggExpr stands for an aggregate's result inside a stats expression
// (stats count(*) / 60 as perSecond): the stats stage sets the record's
// aggregate values before it evaluates the expression.
type aggExpr struct{ i int }

func (e aggExpr) eval(r *record) Value {
	if e.i < len(r.aggs) {
		return r.aggs[e.i]
	}
	return null()
}

// function is a scalar function of the query language.
type function struct {
	min, max int // argument counts (max -1: any)
	call     func(r *record, args []Value) Value
}

func strFn(f func(string) string) *function {
	return &function{1, 1, func(_ *record, a []Value) Value {
		if a[0].k == kNull {
			return null()
		}
		return str(f(a[0].String()))
	}}
}

func numFn(f func(float64) float64) *function {
	return &function{1, 1, func(_ *record, a []Value) Value {
		n, ok := a[0].number()
		if !ok {
			return null()
		}
		return num(f(n))
	}}
}

// functions are the scalar functions, by lower-case name.
var functions = map[string]*function{
	"strlen": {1, 1, func(_ *record, a []Value) Value {
		if a[0].k == kNull {
			return null()
		}
		return num(float64(len([]rune(a[0].String()))))
	}},
	"tolower": strFn(strings.ToLower),
	"toupper": strFn(strings.ToUpper),
	"trim":    strFn(strings.TrimSpace),
	"ltrim":   strFn(func(s string) string { return strings.TrimLeft(s, " \t\r\n") }),
	"rtrim":   strFn(func(s string) string { return strings.TrimRight(s, " \t\r\n") }),
	"concat": {1, -1, func(_ *record, a []Value) Value {
		var b strings.Builder
		for _, v := range a {
			b.WriteString(v.String())
		}
		return str(b.String())
	}},
	"substr": {2, 3, func(_ *record, a []Value) Value {
		if a[0].k == kNull {
			return null()
		}
		s := []rune(a[0].String())
		from, ok := a[1].number()
		if !ok {
			return null()
		}
		i := min(max(int(from), 0), len(s))
		j := len(s)
		if len(a) == 3 {
			n, ok := a[2].number()
			if !ok {
				return null()
			}
			j = min(i+max(int(n), 0), len(s))
		}
		return str(string(s[i:j]))
	}},
	"replace": {3, 3, func(_ *record, a []Value) Value {
		if a[0].k == kNull {
			return null()
		}
		return str(strings.ReplaceAll(a[0].String(), a[1].String(), a[2].String()))
	}},
	"strcontains": {2, 2, func(_ *record, a []Value) Value {
		if a[0].k == kNull {
			return boolean(false)
		}
		return boolean(strings.Contains(a[0].String(), a[1].String()))
	}},
	"isempty": {1, 1, func(_ *record, a []Value) Value { return boolean(a[0].k == kNull || a[0].String() == "") }},
	"isblank": {1, 1, func(_ *record, a []Value) Value {
		return boolean(a[0].k == kNull || strings.TrimSpace(a[0].String()) == "")
	}},
	"ispresent": {1, 1, func(_ *record, a []Value) Value { return boolean(a[0].k != kNull) }},
	"coalesce": {1, -1, func(_ *record, a []Value) Value {
		for _, v := range a {
			if v.k != kNull {
				return v
			}
		}
		return null()
	}},
	"abs":   numFn(math.Abs),
	"ceil":  numFn(math.Ceil),
	"floor": numFn(math.Floor),
	"sqrt":  numFn(math.Sqrt),
	"log":   numFn(math.Log),
	"round": {1, 2, func(_ *record, a []Value) Value {
		n, ok := a[0].number()
		if !ok {
			return null()
		}
		digits := 0.0
		if len(a) == 2 {
			digits, _ = a[1].number()
		}
		p := math.Pow(10, digits)
		return num(math.Round(n*p) / p)
	}},
	"greatest": {1, -1, func(_ *record, a []Value) Value { return extreme(a, 1) }},
	"least":    {1, -1, func(_ *record, a []Value) Value { return extreme(a, -1) }},
	"datefloor": {2, 2, func(_ *record, a []Value) Value {
		ms, ok := a[0].number()
		if !ok {
			return null()
		}
		return timeMillis(floorTime(int64(ms), a[1].n))
	}},
	"dateceil": {2, 2, func(_ *record, a []Value) Value {
		ms, ok := a[0].number()
		if !ok {
			return null()
		}
		return timeMillis(ceilTime(int64(ms), a[1].n))
	}},
	"frommillis": {1, 1, func(_ *record, a []Value) Value {
		ms, ok := a[0].number()
		if !ok {
			return null()
		}
		return timeMillis(int64(ms))
	}},
	"tomillis": {1, 1, func(_ *record, a []Value) Value {
		ms, ok := a[0].number()
		if !ok {
			return null()
		}
		return num(ms)
	}},
}

// ceilTime rounds ms up to a period boundary (see floorTime).
func ceilTime(ms int64, period float64) int64 {
	f := floorTime(ms, period)
	switch {
	case f == ms:
		return f
	case period > 0:
		return f + int64(period)
	}
	return time.UnixMilli(f).UTC().AddDate(0, int(-period), 0).UnixMilli()
}

func extreme(a []Value, sign int) Value {
	best := null()
	for _, v := range a {
		if v.k == kNull {
			continue
		}
		if best.k == kNull || compareValues(v, best)*sign > 0 {
			best = v
		}
	}
	return best
}

package logsinsights

import (
	"fmt"
	"regexp"
	"strings"
)

// Query is a compiled Logs Insights query: commands joined by |.
type Query struct {
	src  string
	cmds []command
	// columns are the fields a result row shows, in order (nil: the
	// default @timestamp and @message).
	columns []string
	stats   bool
}

// HasStats reports whether the query aggregates (its rows are not log
// events and carry no @ptr).
func (q *Query) HasStats() bool { return q.stats }

type command interface{}

// namedExpr is an expression with the field name it is shown or stored
// as: its alias, or its own text.
type namedExpr struct {
	name string
	x    expr
}

type fieldsCmd struct{ items []namedExpr }
type displayCmd struct{ names []string }
type filterCmd struct{ cond expr }

// limitCmd is limit N, or limit any N: any stops the query at the Nth
// event found instead of returning the N first in the query's order.
type limitCmd struct {
	n   int
	any bool
}
type dedupCmd struct{ names []string }

type sortKey struct {
	x    expr
	desc bool
}
type sortCmd struct{ keys []sortKey }

// parseCmd extracts fields from src with a regex: a glob's * become its
// groups, named by the as list.
type parseCmd struct {
	src   expr
	re    *regexp.Regexp
	names []string // one per capture group ("" for an unnamed group of a regex)
}

type statsCmd struct {
	aggs []aggSpec
	outs []namedExpr // over aggExprs
	by   []namedExpr
}

// Parse compiles a query string; a malformed one is an *Error.
func Parse(src string) (*Query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	q := &Query{src: src}
	for {
		c, err := p.command(q)
		if err != nil {
			return nil, err
		}
		q.cmds = append(q.cmds, c)
		t := p.peek()
		if t.kind == tEOF {
			break
		}

		if !p.isOp("|") {
			return nil, p.unexpected(t)
		}
		p.i++
	}
	q.defaultOrder()
	return q, nil
}

// maxLimit is the largest limit a query may ask for.
const maxLimit = 100000

// defaultOrder gives a query of log events that sorts nothing the order
// Logs Insights answers in, newest first: a sort by @timestamp desc before
// its first limit or dedup, so that `limit 20` is the 20 most recent
// events. A query with stats, a sort, or a limit any keeps its order.
func (q *Query) defaultOrder() {
	at := len(q.cmds)
	for i, c := range q.cmds {
		switch c := c.(type) {
		case *statsCmd, sortCmd:
			return
		case limitCmd:
			if c.any {
				return
			}
			at = min(at, i)
		case dedupCmd:
			at = min(at, i)
		}
	}
	newest := sortCmd{keys: []sortKey{{x: fieldExpr{"@timestamp"}, desc: true}}}
	q.cmds = append(q.cmds[:at], append([]command{newest}, q.cmds[at:]...)...)
}

type parser struct {
	src  string
	toks []token
	i    int
	// stats collects the aggregates of the stats command being parsed;
	// nil elsewhere, where an aggregate is an error.
	stats *statsCmd
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) take() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isOp(op string) bool { t := p.peek(); return t.kind == tOp && t.text == op }

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}

func (p *parser) unexpected(t token) error {
	if t.kind == tEOF {
		line, col := position(p.src, t.start)
		return &Error{Msg: fmt.Sprintf("unexpected end of query at line %d and position %d", line, col), Start: t.start, End: t.start}
	}
	return syntaxError(p.src, t.start, t.end, p.src[t.start:t.end])
}

func (p *parser) errAt(t token, format string, args ...any) error {
	line, col := position(p.src, t.start)
	return &Error{Msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" at line %d and position %d", line, col), Start: t.start, End: t.end}
}

func (p *parser) expectOp(op string) error {
	if !p.isOp(op) {
		return p.unexpected(p.peek())
	}
	p.i++
	return nil
}

func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind != tIdent {
		return "", p.unexpected(t)
	}
	p.i++
	return t.text, nil
}

// command parses one command and records the columns it shows.
func (p *parser) command(q *Query) (command, error) {
	t := p.take()
	if t.kind != tIdent {
		return nil, p.unexpected(t)
	}
	switch strings.ToLower(t.text) {
	case "fields":
		items, err := p.namedList()
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			q.columns = appendColumn(q.columns, it.name)
		}
		return fieldsCmd{items}, nil
	case "display":
		names, err := p.nameList()
		if err != nil {
			return nil, err
		}
		q.columns = append([]string(nil), names...)
		return displayCmd{names}, nil
	case "filter":
		x, err := p.expr()
		return filterCmd{x}, err
	case "stats":
		st, err := p.statsCommand()
		if err != nil {
			return nil, err
		}
		q.stats = true
		q.columns = nil
		for _, b := range st.by {
			q.columns = appendColumn(q.columns, b.name)
		}
		for _, o := range st.outs {
			q.columns = appendColumn(q.columns, o.name)
		}
		return st, nil
	case "sort":
		return p.sortCommand()
	case "limit":
		anyN := p.isWord("any")
		if anyN {
			p.i++
		}
		n := p.take()
		if n.kind != tNum || n.num != float64(int(n.num)) || n.num < 1 || n.num > maxLimit {
			return nil, p.errAt(n, "limit needs a whole number from 1 to %d", maxLimit)
		}
		return limitCmd{n: int(n.num), any: anyN}, nil
	case "dedup":
		names, err := p.nameList()
		return dedupCmd{names}, err
	case "parse":
		pc, err := p.parseCommand()
		if err != nil {
			return nil, err
		}
		for _, n := range pc.names {
			if n != "" {
				q.columns = appendColumn(q.columns, n)
			}
		}
		return pc, nil
	case "unmask", "pattern", "diff", "anomaly", "source", "filterindex", "lookup":
		return nil, p.errAt(t, "the %s command is not supported by wharf", t.text)
	}
	return nil, p.errAt(t, "unknown command %q", t.text)
}

func appendColumn(cols []string, name string) []string {
	for _, c := range cols {
		if c == name {
			return cols
		}
	}
	return append(cols, name)
}

// namedList parses `expr [as name], …`.
func (p *parser) namedList() ([]namedExpr, error) {
	var out []namedExpr
	for {
		start := p.peek().start
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		name := strings.TrimSpace(p.src[start:p.toks[p.i-1].end])
		if f, ok := x.(fieldExpr); ok {
			name = f.name
		}
		if p.isWord("as") {
			p.i++
			if name, err = p.ident(); err != nil {
				return nil, err
			}
		}
		out = append(out, namedExpr{name, x})
		if !p.isOp(",") {
			return out, nil
		}
		p.i++
	}
}

func (p *parser) nameList() ([]string, error) {
	var out []string
	for {
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if !p.isOp(",") {
			return out, nil
		}
		p.i++
	}
}

func (p *parser) statsCommand() (*statsCmd, error) {
	st := &statsCmd{}
	p.stats = st
	outs, err := p.namedList()
	p.stats = nil
	if err != nil {
		return nil, err
	}
	if len(st.aggs) == 0 {
		return nil, p.errAt(p.toks[p.i-1], "stats needs an aggregate function such as count(*)")
	}
	st.outs = outs
	if p.isWord("by") {
		p.i++
		if st.by, err = p.namedList(); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (p *parser) sortCommand() (sortCmd, error) {
	var sc sortCmd
	for {
		x, err := p.expr()
		if err != nil {
			return sc, err
		}
		k := sortKey{x: x}
		switch {
		case p.isWord("desc"):
			p.i++
			k.desc = true
		case p.isWord("asc"):
			p.i++
		}
		sc.keys = append(sc.keys, k)
		if !p.isOp(",") {
			return sc, nil
		}
		p.i++
	}
}

// parseCommand parses `parse [FIELD] 'glob' as a, b` and
// `parse [FIELD] /regex with (?<name>groups)/`; FIELD defaults to
// @message.
func (p *parser) parseCommand() (parseCmd, error) {
	pc := parseCmd{src: fieldExpr{"@message"}}
	if t := p.peek(); t.kind != tStr && t.kind != tRegex {
		x, err := p.primary()
		if err != nil {
			return pc, err
		}
		pc.src = x
	}
	t := p.take()
	switch t.kind {
	case tRegex:
		re, err := p.compileRegex(t)
		if err != nil {
			return pc, err
		}
		pc.re, pc.names = re, re.SubexpNames()[1:]
		named := false
		for _, n := range pc.names {
			named = named || n != ""
		}
		if !named {
			return pc, p.errAt(t, "a parse regex needs named groups such as (?<name>\\S+)")
		}
		return pc, nil
	case tStr:
		parts := strings.Split(t.text, "*")
		if len(parts) < 2 {
			return pc, p.errAt(t, "a parse pattern needs at least one *")
		}
		var b strings.Builder
		b.WriteString("(?s)")
		for i, part := range parts {
			if i > 0 {
				if i == len(parts)-1 && part == "" {
					b.WriteString("(.*)") // a trailing * takes the rest
				} else {
					b.WriteString("(.*?)")
				}
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
		re, err := regexp.Compile(b.String())
		if err != nil { // invalid UTF-8
			return pc, p.errAt(t, "invalid parse pattern: %v", err)
		}
		pc.re = re
		if !p.isWord("as") {
			return pc, p.errAt(p.peek(), "parse with a pattern needs `as` and a name for each *")
		}
		p.i++
		names, err := p.nameList()
		if err != nil {
			return pc, err
		}
		if len(names) != len(parts)-1 {
			return pc, p.errAt(t, "the parse pattern has %d * but %d names follow as", len(parts)-1, len(names))
		}
		pc.names = names
		return pc, nil
	}
	return pc, p.unexpected(t)
}

func (p *parser) compileRegex(t token) (*regexp.Regexp, error) {
	re, err := regexp.Compile(t.text)
	if err != nil {
		return nil, p.errAt(t, "invalid regex /%s/: %v", t.text, err)
	}
	return re, nil
}

// Expressions, loosest binding first.

func (p *parser) expr() (expr, error) { return p.or() }

func (p *parser) or() (expr, error) {
	l, err := p.and()
	for err == nil && (p.isWord("or")) {
		p.i++
		var r expr
		if r, err = p.and(); err == nil {
			l = logicExpr{and: false, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) and() (expr, error) {
	l, err := p.not()
	for err == nil && (p.isWord("and")) {
		p.i++
		var r expr
		if r, err = p.not(); err == nil {
			l = logicExpr{and: true, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) not() (expr, error) {
	if p.isWord("not") || p.isOp("!") {
		p.i++
		x, err := p.not()
		return notExpr{x}, err
	}
	return p.comparison()
}

func (p *parser) comparison() (expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == tOp {
		switch t.text {
		case "=", "!=", "<", "<=", ">", ">=":
			p.i++
			r, err := p.additive()
			return cmpExpr{op: t.text, l: l, r: r}, err
		case "=~":
			p.i++
			rt := p.take()
			if rt.kind != tRegex {
				return nil, p.errAt(rt, "=~ needs a /regex/")
			}
			re, err := p.compileRegex(rt)
			return likeExpr{x: l, re: re}, err
		}
		return l, nil
	}
	negate := false
	if p.isWord("not") && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tIdent &&
		(strings.EqualFold(p.toks[p.i+1].text, "like") || strings.EqualFold(p.toks[p.i+1].text, "in")) {
		negate = true
		p.i++
	}
	switch {
	case p.isWord("like"):
		p.i++
		if rt := p.peek(); rt.kind == tRegex {
			p.i++
			re, err := p.compileRegex(rt)
			return likeExpr{x: l, re: re, not: negate}, err
		}
		r, err := p.additive()
		return likeExpr{x: l, sub: r, not: negate}, err
	case p.isWord("in"):
		p.i++
		if err := p.expectOp("["); err != nil {
			return nil, err
		}
		var list []expr
		for !p.isOp("]") {
			x, err := p.additive()
			if err != nil {
				return nil, err
			}
			list = append(list, x)
			if !p.isOp(",") {
				break
			}
			p.i++
		}
		return inExpr{x: l, list: list, not: negate}, p.expectOp("]")
	case negate:
		return nil, p.unexpected(p.peek())
	case p.isWord("is"):
		p.i++
		not := false
		if p.isWord("not") {
			p.i++
			not = true
		}
		if !p.isWord("null") {
			return nil, p.unexpected(p.peek())
		}
		p.i++
		return isNullExpr{x: l, not: not}, nil
	}
	return l, nil
}

func (p *parser) additive() (expr, error) {
	l, err := p.multiplicative()
	for err == nil && (p.isOp("+") || p.isOp("-")) {
		op := p.take().text[0]
		var r expr
		if r, err = p.multiplicative(); err == nil {
			l = arithExpr{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) multiplicative() (expr, error) {
	l, err := p.unary()
	for err == nil && (p.isOp("*") || p.isOp("/") || p.isOp("%")) {
		op := p.take().text[0]
		var r expr
		if r, err = p.unary(); err == nil {
			l = arithExpr{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) unary() (expr, error) {
	if p.isOp("-") {
		p.i++
		x, err := p.unary()
		return negExpr{x}, err
	}
	x, err := p.primary()
	if err == nil && p.isOp("^") {
		p.i++
		var r expr
		if r, err = p.unary(); err == nil {
			x = arithExpr{op: '^', l: x, r: r}
		}
	}
	return x, err
}

func (p *parser) primary() (expr, error) {
	t := p.take()
	switch t.kind {
	case tNum, tDur:
		return litExpr{num(t.num)}, nil
	case tStr:
		return litExpr{str(t.text)}, nil
	case tRegex:
		re, err := p.compileRegex(t)
		return regexExpr{re}, err
	case tOp:
		if t.text == "(" {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expectOp(")")
		}
	case tIdent:
		if p.isOp("(") && p.src[t.start] != '`' {
			return p.call(t)
		}
		switch strings.ToLower(t.text) {
		case "true":
			return litExpr{num(1)}, nil
		case "false":
			return litExpr{num(0)}, nil
		}
		return fieldExpr{t.text}, nil
	}
	return nil, p.unexpected(t)
}

// call parses the arguments of a function or, inside stats, an
// aggregate.
func (p *parser) call(name token) (expr, error) {
	p.i++ // (
	lname := strings.ToLower(name.text)
	_, isAgg := aggregates[lname]
	if lname == "percentile" {
		lname, isAgg = "pct", true
	}
	var args []expr
	star := false
	if p.isOp("*") && isAgg {
		p.i++
		star = true
	} else if !p.isOp(")") {
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			args = append(args, x)
			if !p.isOp(",") {
				break
			}
			p.i++
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if isAgg {
		if p.stats == nil {
			return nil, p.errAt(name, "the aggregate function %s is only allowed in stats", name.text)
		}
		spec, err := p.aggregate(name, lname, args, star)
		if err != nil {
			return nil, err
		}
		p.stats.aggs = append(p.stats.aggs, spec)
		return aggExpr{len(p.stats.aggs) - 1}, nil
	}
	if lname == "bin" {
		if len(args) != 1 {
			return nil, p.errAt(name, "bin takes one period such as 5m")
		}
		period, ok := args[0].(litExpr)
		if !ok || period.v.k != kNum || period.v.n == 0 {
			return nil, p.errAt(name, "bin needs a period such as 5m, 1h or 1d")
		}
		return binExpr{period.v.n}, nil
	}
	fn, ok := functions[lname]
	if !ok {
		return nil, p.errAt(name, "unknown function %s", name.text)
	}
	if len(args) < fn.min || fn.max >= 0 && len(args) > fn.max {
		return nil, p.errAt(name, "wrong number of arguments for %s: %d", name.text, len(args))
	}
	return callExpr{fn: fn, args: args}, nil
}

func (p *parser) aggregate(name token, lname string, args []expr, star bool) (aggSpec, error) {
	spec := aggSpec{kind: lname}
	switch {
	case lname == "count":
		if len(args) > 1 {
			return spec, p.errAt(name, "count takes one field or *")
		}
		if len(args) == 1 {
			spec.arg = args[0]
		}
		return spec, nil
	case star:
		return spec, p.errAt(name, "%s does not take *", name.text)
	case lname == "pct":
		if len(args) != 2 {
			return spec, p.errAt(name, "pct takes a field and a percentile: pct(latency, 99)")
		}
		l, ok := args[1].(litExpr)
		if !ok || l.v.k != kNum || l.v.n < 0 || l.v.n > 100 {
			return spec, p.errAt(name, "the percentile of pct must be a number from 0 to 100")
		}
		spec.arg, spec.pct = args[0], l.v.n
		return spec, nil
	case len(args) != 1:
		return spec, p.errAt(name, "%s takes one argument", name.text)
	}
	spec.arg = args[0]
	return spec, nil
}

// String returns the query's source.
func (q *Query) String() string { return q.src }

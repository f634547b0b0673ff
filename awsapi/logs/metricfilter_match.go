package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/store"
)

// MetricSink receives the datapoints metric filters extract from ingested
// log events: the server wires it to the CloudWatch metrics store. A
// datapoint's time is its log event's timestamp; unit is a CloudWatch
// StandardUnit ("None" when the filter gives none).
type MetricSink func(ctx context.Context, namespace, metricName string, dimensions map[string]string, value float64, unit string, at time.Time) error

// SetMetricSink sets where metric filters publish; nil (the default)
// drops their datapoints.
func (a *API) SetMetricSink(s MetricSink) {
	if s == nil {
		a.filters.sink.Store(nil)
		return
	}
	a.filters.sink.Store(&s)
}

// metricFilters caches compiled filters by their key, reused while the
// stored record is byte for byte the same, so that ingestion pays a
// prefix scan per batch and no parsing.
type metricFilters struct {
	mu    sync.Mutex
	cache map[string]*compiledFilter
	sink  atomic.Pointer[MetricSink]
}

func newMetricFilters() *metricFilters { return &metricFilters{cache: map[string]*compiledFilter{}} }

func (m *metricFilters) forget(key string) {
	m.mu.Lock()
	delete(m.cache, key)
	m.mu.Unlock()
}

// forGroup returns a group's compiled metric filters, read in tx.
func (m *metricFilters) forGroup(tx store.ReadTx, sc scope, group string) ([]*compiledFilter, error) {
	kvs, err := tx.List(groupFiltersPrefix(sc.Account, sc.Region, group), "", 0)
	if err != nil || len(kvs) == 0 {
		return nil, err
	}
	out := make([]*compiledFilter, 0, len(kvs))
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, kv := range kvs {
		if c := m.cache[kv.Key]; c != nil && bytes.Equal(c.raw, kv.Value) {
			out = append(out, c)
			continue
		}
		var rec filterRec
		if err := json.Unmarshal(kv.Value, &rec); err != nil {
			return nil, err
		}
		c, err := compileFilter(rec)
		if err != nil {
			return nil, err // stored filters compiled when they were put
		}
		c.raw = bytes.Clone(kv.Value)
		m.cache[kv.Key] = c
		out = append(out, c)
	}
	return out, nil
}

// matcher is a compiled filter pattern that can also say what a match
// extracted: the named fields of a space-delimited pattern, the JSON
// document of a JSON pattern.
type matcher struct {
	terms *Pattern
	json  *exprParser
	delim *delimited
}

func compileMatcher(src string) (*matcher, error) {
	s := strings.TrimSpace(src)
	m := &matcher{}
	var err error
	switch {
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		m.json, err = parseJSONPattern(s[1 : len(s)-1])
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		if m.delim, err = parseDelimited(s[1 : len(s)-1]); err == nil {
			// "..., ..." means what one "..." does; each one more would
			// multiply the ways a message is tried on every ingested event.
			m.delim = &delimited{fields: slices.CompactFunc(m.delim.fields, func(x, y fieldSpec) bool { return x.ellipsis && y.ellipsis })}
		}
	default:
		m.terms, err = ParsePattern(s)
	}
	if err != nil {
		return nil, invalidParam("Invalid filter pattern: %v", err)
	}
	return m, nil
}

// matchEvent is one message with what matching it computed, shared by
// every filter of its group: the JSON document is decoded at most once.
type matchEvent struct {
	msg     string
	decoded bool
	doc     any
	isJSON  bool
	fields  []string
	split   bool
}

func (e *matchEvent) reset(msg string) { *e = matchEvent{msg: msg} }

func (e *matchEvent) document() (any, bool) {
	if !e.decoded {
		e.decoded = true
		s := strings.TrimSpace(e.msg)
		if s != "" && (s[0] == '{' || s[0] == '[') {
			d := json.NewDecoder(strings.NewReader(s))
			d.UseNumber()
			e.isJSON = d.Decode(&e.doc) == nil
		}
	}
	return e.doc, e.isJSON
}

func (e *matchEvent) delimitedFields() []string {
	if !e.split {
		e.split, e.fields = true, splitFields(e.msg)
	}
	return e.fields
}

// match reports whether the event matches and, for a space-delimited
// pattern when bind is set, the values of its named fields.
func (m *matcher) match(e *matchEvent, bind bool) (bool, map[string]string) {
	switch {
	case m.json != nil:
		if !mayMatchJSON(m.json.root, e.msg) {
			return false, nil
		}
		doc, ok := e.document()
		return ok && m.json.root.eval(doc), nil
	case m.delim != nil:
		if !bindDelimited(m.delim.fields, e.delimitedFields(), nil) {
			return false, nil
		}
		if !bind {
			return true, nil
		}
		bound := map[string]string{}
		bindDelimited(m.delim.fields, e.delimitedFields(), bound)
		return true, bound
	}
	return m.terms.Match(e.msg), nil
}

// mayMatchJSON is a cheap test that rules out most messages a JSON
// pattern cannot match without decoding them: a condition on $.a.key
// needs "key" in the message, and an equality with a plain quoted word
// needs the word. It never rules out a message that matches.
func mayMatchJSON(x expr, msg string) bool {
	switch x := x.(type) {
	case andExpr:
		return mayMatchJSON(x.l, msg) && mayMatchJSON(x.r, msg)
	case orExpr:
		return mayMatchJSON(x.l, msg) || mayMatchJSON(x.r, msg)
	case cond:
		if x.op == "NOT EXISTS" || len(x.sel) == 0 {
			return true
		}
		last := x.sel[len(x.sel)-1]
		if last.any || last.index >= 0 || !plainWord(last.name) {
			return true
		}
		if !strings.Contains(msg, `"`+last.name+`"`) {
			return false
		}
		if x.op == "=" && x.lit.quoted && x.lit.re == nil && plainWord(x.lit.str) && x.lit.str != "" {
			return strings.Contains(msg, x.lit.str)
		}
	}
	return true
}

// plainWord reports whether s appears verbatim in any JSON encoding of it
// (no character JSON may escape).
func plainWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) && c < 0x80 || c == '_' || c == '-' || c == '.' || c == ' ') {
			return false
		}
	}
	return true
}

// bindDelimited is delimited.matchFrom that also records each named
// field's value. A failed branch after "..." may leave bindings behind,
// but the branch that succeeds rebinds every field after it.
func bindDelimited(specs []fieldSpec, vals []string, bind map[string]string) bool {
	for i, f := range specs {
		if f.ellipsis {
			for skip := 0; skip <= len(vals); skip++ {
				if bindDelimited(specs[i+1:], vals[skip:], bind) {
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
		if bind != nil {
			bind[f.name] = vals[0]
		}
		vals = vals[1:]
	}
	return len(vals) == 0
}

// valueSrc is a metric value or dimension: a number, $.selector of a JSON
// pattern, or $field of a space-delimited one.
type valueSrc struct {
	num   float64
	isNum bool
	sel   []step
	field string
}

func parseValueSrc(s string, m *matcher, what string) (valueSrc, error) {
	if !isSelector(s) {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return valueSrc{}, invalidParam("Invalid %s %q: use a number, $.field for a JSON filter pattern or $field for a space-delimited one.", what, s)
		}
		return valueSrc{num: f, isNum: true}, nil
	}
	if strings.HasPrefix(s, "$.") || strings.HasPrefix(s, "$[") {
		if m.json == nil {
			return valueSrc{}, invalidParam("Invalid %s %q: a $. selector needs a JSON filter pattern ({ … }).", what, s)
		}
		p := &exprParser{s: s}
		sel, err := p.selector()
		if err != nil || p.s != "" || len(sel) == 0 {
			return valueSrc{}, invalidParam("Invalid %s %q: not a valid JSON selector.", what, s)
		}
		return valueSrc{sel: sel}, nil
	}
	name := s[1:]
	if m.delim == nil {
		return valueSrc{}, invalidParam("Invalid %s %q: a $field needs a space-delimited filter pattern ([ … ]).", what, s)
	}
	for _, f := range m.delim.fields {
		if !f.ellipsis && f.name == name {
			return valueSrc{field: name}, nil
		}
	}
	return valueSrc{}, invalidParam("Invalid %s %q: the filter pattern names no field %s.", what, s, name)
}

// get is the source's value for a matched event.
func (v valueSrc) get(e *matchEvent, bound map[string]string) (string, bool) {
	switch {
	case v.isNum:
		return "", true
	case v.field != "":
		s, ok := bound[v.field]
		return s, ok
	}
	doc, ok := e.document()
	if !ok {
		return "", false
	}
	vals := selectAll(doc, v.sel)
	if len(vals) == 0 {
		return "", false
	}
	switch x := vals[0].(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func (v valueSrc) number(e *matchEvent, bound map[string]string) (float64, bool) {
	if v.isNum {
		return v.num, true
	}
	s, ok := v.get(e, bound)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// compiledFilter is a metric filter ready to run on events.
type compiledFilter struct {
	raw []byte
	m   *matcher
	ts  []compiledTransform
	// binds: a value or dimension names a space-delimited field.
	binds bool
}

type compiledTransform struct {
	rec   transformRec
	value valueSrc
	dims  []namedSrc
	unit  string
}

type namedSrc struct {
	name string
	src  valueSrc
}

// maxDimensions is CloudWatch Logs' limit of dimensions per metric
// transformation.
const maxDimensions = 3

// compileFilter checks and compiles a metric filter; its errors are the
// API's.
func compileFilter(rec filterRec) (*compiledFilter, error) {
	m, err := compileMatcher(rec.Pattern)
	if err != nil {
		return nil, err
	}
	c := &compiledFilter{m: m}
	for _, t := range rec.Transformations {
		ct := compiledTransform{rec: t, unit: t.Unit}
		if ct.unit == "" {
			ct.unit = "None"
		}
		if ct.value, err = parseValueSrc(t.Value, m, "metricValue"); err != nil {
			return nil, err
		}
		if len(t.Dimensions) > 0 {
			switch {
			case len(t.Dimensions) > maxDimensions:
				return nil, invalidParam("A metric transformation can have at most %d dimensions; %d were given.", maxDimensions, len(t.Dimensions))
			case t.Default != nil:
				return nil, invalidParam("A metric transformation with dimensions cannot have a defaultValue.")
			case m.terms != nil:
				return nil, invalidParam("Dimensions are supported only with JSON and space-delimited filter patterns.")
			}
		}
		for name, v := range t.Dimensions {
			if !isSelector(v) {
				return nil, invalidParam("Invalid dimension %s value %q: use $.field or $field.", name, v)
			}
			src, err := parseValueSrc(v, m, "dimension "+name+" value")
			if err != nil {
				return nil, err
			}
			ct.dims = append(ct.dims, namedSrc{name, src})
			c.binds = c.binds || src.field != ""
		}
		c.binds = c.binds || ct.value.field != ""
		c.ts = append(c.ts, ct)
	}
	return c, nil
}

// emitMetrics runs a group's filters over the events PutLogEvents has
// stored and hands what they produce to the sink. A transformation with a
// defaultValue reports it once for each minute of the batch in which
// events arrived but none matched.
func (a *API) emitMetrics(ctx context.Context, group string, fs []*compiledFilter, evs []event) {
	if len(fs) == 0 || len(evs) == 0 {
		return
	}
	sinkp := a.filters.sink.Load()
	if sinkp == nil {
		a.Log.Debug("logs: no metric sink; metric filter datapoints dropped", "group", group, "filters", len(fs), "events", len(evs))
		return
	}
	sink := *sinkp
	type minute struct {
		matched bool
		first   int64
	}
	var defaults map[*compiledTransform]map[int64]*minute
	failed, firstErr := 0, error(nil)
	publish := func(t *compiledTransform, dims map[string]string, v float64, ts int64) {
		if err := sink(ctx, t.rec.Namespace, t.rec.MetricName, dims, v, t.unit, time.UnixMilli(ts)); err != nil {
			if failed++; firstErr == nil {
				firstErr = err
			}
		}
	}
	var me matchEvent
	for i := range evs {
		e := &evs[i]
		me.reset(e.msg)
		for _, f := range fs {
			ok, bound := f.m.match(&me, f.binds)
			for k := range f.ts {
				t := &f.ts[k]
				if t.rec.Default != nil {
					if defaults == nil {
						defaults = map[*compiledTransform]map[int64]*minute{}
					}
					mins := defaults[t]
					if mins == nil {
						mins = map[int64]*minute{}
						defaults[t] = mins
					}
					mn := mins[e.ts/60000]
					if mn == nil {
						mn = &minute{first: e.ts}
						mins[e.ts/60000] = mn
					}
					mn.matched = mn.matched || ok
				}
				if !ok {
					continue
				}
				v, ok := t.value.number(&me, bound)
				if !ok {
					continue // a non-numeric or missing value publishes nothing, as CloudWatch
				}
				var dims map[string]string
				if len(t.dims) > 0 {
					dims = make(map[string]string, len(t.dims))
					for _, d := range t.dims {
						s, ok := d.src.get(&me, bound)
						if !ok {
							dims = nil
							break
						}
						dims[d.name] = s
					}
					if dims == nil {
						continue
					}
				}
				publish(t, dims, v, e.ts)
			}
		}
	}
	for t, mins := range defaults {
		for _, mn := range mins {
			if !mn.matched {
				publish(t, nil, *t.rec.Default, mn.first)
			}
		}
	}
	if failed > 0 {
		a.Log.Warn("logs: metric filter datapoints not published", "group", group, "failed", failed, "err", firstErr)
	}
}

package logsinsights

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Event is one log event as a query sees it.
type Event struct {
	Timestamp     int64 // milliseconds since the epoch
	IngestionTime int64
	Message       string
	LogStream     string
	Log           string // @log: ACCOUNT:GROUP
	Ptr           string // @ptr: the caller's pointer back to the event
}

// Field is one field of a result row.
type Field struct{ Name, Value string }

// Result is what a query produced.
type Result struct {
	Rows [][]Field
	// Matched counts the records that reached the query's first
	// aggregation, sort, dedup or limit (or its end): the events the
	// filters matched.
	Matched int64
}

// record is a log event, or a row that stats produced, with the fields
// commands have set.
type record struct {
	ev       Event
	hasEvent bool
	fields   map[string]Value
	json     bool    // JSON fields of the message discovered
	aggs     []Value // a stats stage's aggregate results, while it evaluates its outputs
}

func (r *record) get(name string) Value {
	if v, ok := r.fields[name]; ok {
		return v
	}
	if !r.hasEvent {
		return null()
	}
	switch name {
	case "@timestamp":
		return timeMillis(r.ev.Timestamp)
	case "@ingestionTime":
		return timeMillis(r.ev.IngestionTime)
	case "@message":
		return str(r.ev.Message)
	case "@logStream":
		return str(r.ev.LogStream)
	case "@log":
		return str(r.ev.Log)
	case "@ptr":
		return str(r.ev.Ptr)
	}
	if !r.json {
		r.json = true
		r.discover()
		if v, ok := r.fields[name]; ok {
			return v
		}
	}
	return null()
}

func (r *record) set(name string, v Value) {
	if r.fields == nil {
		r.fields = make(map[string]Value, 4)
	}
	r.fields[name] = v
}

// maxDiscovered bounds the fields discovered in one JSON event, as
// CloudWatch's 200.
const maxDiscovered = 200

// discover adds the fields of a JSON message, flattened with dots
// (a.b, list.0), to those not set already.
func (r *record) discover() {
	msg := strings.TrimSpace(r.ev.Message)
	if msg == "" || msg[0] != '{' {
		return
	}
	d := json.NewDecoder(strings.NewReader(msg))
	d.UseNumber()
	var doc map[string]any
	if d.Decode(&doc) != nil {
		return
	}
	n := 0
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if n >= maxDiscovered {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for k, m := range x {
				walk(join(prefix, k), m)
			}
			return
		case []any:
			for i, m := range x {
				walk(join(prefix, strconv.Itoa(i)), m)
			}
			return
		}
		if _, ok := r.fields[prefix]; ok {
			return
		}
		n++
		switch x := v.(type) {
		case string:
			r.set(prefix, str(x))
		case json.Number:
			if f, err := x.Float64(); err == nil {
				r.set(prefix, num(f))
			} else {
				r.set(prefix, str(x.String()))
			}
		case bool:
			r.set(prefix, str(strconv.FormatBool(x)))
		case nil:
			// A JSON null is a field without a value.
		}
	}
	walk("", doc)
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// stage is one command in the pipeline. push hands it a record and
// reports whether it wants more; finish flushes what it holds.
type stage interface {
	push(r *record) bool
	finish()
	// need is the most records the stage can use from upstream (-1: no
	// bound), so that a sort keeps only the top of its input.
	need() int
}

// Exec runs a query over events added one by one.
type Exec struct {
	head    stage
	counter *counter
	out     *collector
}

// Exec starts a run of the query that returns at most limit rows.
func (q *Query) Exec(limit int) *Exec {
	out := &collector{limit: limit, columns: q.columns}
	var next stage = out
	cnt := &counter{}
	// Build back to front; the counter sits before the first barrier.
	first := len(q.cmds)
	for i, c := range q.cmds {
		switch c.(type) {
		case *statsCmd, sortCmd, dedupCmd, limitCmd:
			first = min(first, i)
		}
	}
	for i := len(q.cmds); i >= 0; i-- {
		if i < len(q.cmds) {
			next = newStage(q.cmds[i], next)
		}
		if i == first {
			cnt.next = next
			next = cnt
		}
	}
	return &Exec{head: next, counter: cnt, out: out}
}

// Add runs one event through the query; false means the query needs no
// more events (its limit is reached).
func (x *Exec) Add(ev *Event) bool {
	return x.head.push(&record{ev: *ev, hasEvent: true})
}

// Finish flushes the pipeline and returns the result.
func (x *Exec) Finish() Result {
	x.head.finish()
	return Result{Rows: x.out.rows, Matched: x.counter.n}
}

func newStage(c command, next stage) stage {
	switch c := c.(type) {
	case fieldsCmd:
		return &fieldsStage{c.items, next}
	case displayCmd:
		return next // display only chooses the columns
	case filterCmd:
		return &filterStage{c.cond, next}
	case limitCmd:
		return &limitStage{n: c.n, next: next}
	case dedupCmd:
		return &dedupStage{names: c.names, seen: map[string]struct{}{}, next: next}
	case sortCmd:
		return &sortStage{keys: c.keys, next: next}
	case parseCmd:
		return &parseStage{c, next}
	case *statsCmd:
		return &statsStage{cmd: c, groups: map[string]*group{}, next: next}
	}
	panic("logsinsights: unknown command")
}

type counter struct {
	n    int64
	next stage
}

func (s *counter) push(r *record) bool { s.n++; return s.next.push(r) }
func (s *counter) finish()             { s.next.finish() }
func (s *counter) need() int           { return s.next.need() }

type fieldsStage struct {
	items []namedExpr
	next  stage
}

func (s *fieldsStage) push(r *record) bool {
	for _, it := range s.items {
		if f, ok := it.x.(fieldExpr); ok && f.name == it.name {
			continue // shown, not computed
		}
		if v := it.x.eval(r); v.k != kNull {
			r.set(it.name, v)
		}
	}
	return s.next.push(r)
}
func (s *fieldsStage) finish()   { s.next.finish() }
func (s *fieldsStage) need() int { return s.next.need() }

type filterStage struct {
	cond expr
	next stage
}

func (s *filterStage) push(r *record) bool {
	if !s.cond.eval(r).truthy() {
		return true
	}
	return s.next.push(r)
}
func (s *filterStage) finish()   { s.next.finish() }
func (s *filterStage) need() int { return -1 }

type parseStage struct {
	cmd  parseCmd
	next stage
}

func (s *parseStage) push(r *record) bool {
	src := s.cmd.src.eval(r)
	if src.k != kNull {
		if m := s.cmd.re.FindStringSubmatch(src.String()); m != nil {
			for i, name := range s.cmd.names {
				if name != "" {
					r.set(name, str(m[i+1]))
				}
			}
		}
	}
	return s.next.push(r)
}
func (s *parseStage) finish()   { s.next.finish() }
func (s *parseStage) need() int { return s.next.need() }

type limitStage struct {
	n, seen int
	next    stage
}

func (s *limitStage) push(r *record) bool {
	if s.seen >= s.n {
		return false
	}
	s.seen++
	return s.next.push(r) && s.seen < s.n
}
func (s *limitStage) finish() { s.next.finish() }
func (s *limitStage) need() int {
	if n := s.next.need(); n >= 0 {
		return min(n, s.n)
	}
	return s.n
}

type dedupStage struct {
	names []string
	seen  map[string]struct{}
	next  stage
}

func (s *dedupStage) push(r *record) bool {
	var b strings.Builder
	for _, n := range s.names {
		v := r.get(n)
		if v.k == kNull {
			return s.next.push(r) // a record without the fields is never a duplicate
		}
		b.WriteString(v.String())
		b.WriteByte(0)
	}
	k := b.String()
	if _, dup := s.seen[k]; dup {
		return true
	}
	s.seen[k] = struct{}{}
	return s.next.push(r)
}
func (s *dedupStage) finish()   { s.next.finish() }
func (s *dedupStage) need() int { return -1 }

// sortStage holds its input; when downstream needs only the first n it
// keeps no more than 2n between trims.
type sortStage struct {
	keys []sortKey
	recs []*sorted
	next stage
	seq  int
}

type sorted struct {
	r    *record
	keys []Value
	seq  int // arrival order: ties keep it
}

func (s *sortStage) push(r *record) bool {
	ks := make([]Value, len(s.keys))
	for i, k := range s.keys {
		ks[i] = k.x.eval(r)
	}
	s.recs = append(s.recs, &sorted{r, ks, s.seq})
	s.seq++
	if n := s.next.need(); n >= 0 && len(s.recs) >= 2*n+64 {
		s.sort()
		s.recs = s.recs[:n]
	}
	return true
}

func (s *sortStage) sort() {
	slices.SortFunc(s.recs, func(a, b *sorted) int {
		for i, k := range s.keys {
			c := naturalLess(a.keys[i], b.keys[i])
			if k.desc && a.keys[i].k != kNull && b.keys[i].k != kNull {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return a.seq - b.seq
	})
}

func (s *sortStage) finish() {
	s.sort()
	for _, x := range s.recs {
		if !s.next.push(x.r) {
			break
		}
	}
	s.recs = nil
	s.next.finish()
}
func (s *sortStage) need() int { return -1 }

// statsStage aggregates its input by the by expressions and, at the end,
// hands on one record per group, ordered by the group's values.
type statsStage struct {
	cmd    *statsCmd
	groups map[string]*group
	next   stage
}

type group struct {
	by   []Value
	aggs []aggregator
}

func (s *statsStage) push(r *record) bool {
	var key strings.Builder
	by := make([]Value, len(s.cmd.by))
	for i, b := range s.cmd.by {
		by[i] = b.x.eval(r)
		key.WriteString(strconv.Itoa(int(by[i].k)))
		key.WriteString(by[i].String())
		key.WriteByte(0)
	}
	g := s.groups[key.String()]
	if g == nil {
		g = &group{by: by, aggs: make([]aggregator, len(s.cmd.aggs))}
		for i, a := range s.cmd.aggs {
			g.aggs[i] = aggregates[a.kind](a)
		}
		s.groups[key.String()] = g
	}
	ts, _ := r.get("@timestamp").number()
	for i, a := range s.cmd.aggs {
		v := num(1) // count(*)
		if a.arg != nil {
			v = a.arg.eval(r)
		}
		g.aggs[i].add(v, ts)
	}
	return true
}

func (s *statsStage) finish() {
	groups := make([]*group, 0, len(s.groups))
	for _, g := range s.groups {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		for k := range groups[i].by {
			if c := naturalLess(groups[i].by[k], groups[j].by[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	for _, g := range groups {
		out := &record{}
		for i, b := range s.cmd.by {
			if g.by[i].k != kNull {
				out.set(b.name, g.by[i])
			}
		}
		out.aggs = make([]Value, len(g.aggs))
		for i, a := range g.aggs {
			out.aggs[i] = a.result()
		}
		for _, o := range s.cmd.outs {
			if v := o.x.eval(out); v.k != kNull {
				out.set(o.name, v)
			}
		}
		out.aggs = nil
		if !s.next.push(out) {
			break
		}
	}
	s.groups = nil
	s.next.finish()
}
func (s *statsStage) need() int { return -1 }

// collector keeps the result rows: the columns each record has, and the
// @ptr of log events.
type collector struct {
	limit   int
	columns []string
	rows    [][]Field
}

var defaultColumns = []string{"@timestamp", "@message"}

func (c *collector) push(r *record) bool {
	if len(c.rows) >= c.limit {
		return false
	}
	cols := c.columns
	if cols == nil {
		cols = defaultColumns
	}
	row := make([]Field, 0, len(cols)+1)
	for _, name := range cols {
		if v := r.get(name); v.k != kNull {
			row = append(row, Field{name, v.String()})
		}
	}
	if r.hasEvent && r.ev.Ptr != "" {
		row = append(row, Field{"@ptr", r.ev.Ptr})
	}
	c.rows = append(c.rows, row)
	return len(c.rows) < c.limit
}
func (c *collector) finish()   {}
func (c *collector) need() int { return c.limit }

// DiscoveredFields are the fields Logs Insights finds in a message (those
// of a JSON event, flattened with dots), as GetLogRecord shows them.
func DiscoveredFields(msg string) map[string]string {
	r := &record{ev: Event{Message: msg}, hasEvent: true}
	r.discover()
	out := make(map[string]string, len(r.fields))
	for k, v := range r.fields {
		out[k] = v.String()
	}
	return out
}

package logsinsights

import (
	"math"
	"slices"
)

// aggSpec is one aggregate call of a stats command.
type aggSpec struct {
	kind string
	arg  expr // nil for count(*)
	pct  float64
}

// aggregates are the stats functions, by lower-case name.
var aggregates = map[string]func(aggSpec) aggregator{
	"count":          func(aggSpec) aggregator { return &countAgg{} },
	"count_distinct": func(aggSpec) aggregator { return &distinctAgg{seen: map[string]struct{}{}} },
	"sum":            func(aggSpec) aggregator { return &sumAgg{} },
	"avg":            func(aggSpec) aggregator { return &sumAgg{avg: true} },
	"min":            func(aggSpec) aggregator { return &extremeAgg{sign: -1} },
	"max":            func(aggSpec) aggregator { return &extremeAgg{sign: 1} },
	"stddev":         func(aggSpec) aggregator { return &stddevAgg{} },
	"pct":            func(s aggSpec) aggregator { return &pctAgg{p: s.pct} },
	"earliest":       func(aggSpec) aggregator { return &timedAgg{} },
	"latest":         func(aggSpec) aggregator { return &timedAgg{latest: true} },
}

// aggregator accumulates one aggregate over one group's records.
type aggregator interface {
	// add takes the argument's value (for count(*), a present one) and the
	// record's @timestamp.
	add(v Value, ts float64)
	result() Value
}

type countAgg struct{ n float64 }

func (a *countAgg) add(v Value, _ float64) {
	if v.k != kNull {
		a.n++
	}
}
func (a *countAgg) result() Value { return num(a.n) }

// distinctAgg counts exactly (CloudWatch estimates above 10,000 values).
type distinctAgg struct{ seen map[string]struct{} }

func (a *distinctAgg) add(v Value, _ float64) {
	if v.k != kNull {
		a.seen[v.String()] = struct{}{}
	}
}
func (a *distinctAgg) result() Value { return num(float64(len(a.seen))) }

type sumAgg struct {
	sum, n float64
	avg    bool
}

func (a *sumAgg) add(v Value, _ float64) {
	if f, ok := v.number(); ok {
		a.sum += f
		a.n++
	}
}
func (a *sumAgg) result() Value {
	switch {
	case a.n == 0:
		return null()
	case a.avg:
		return num(a.sum / a.n)
	}
	return num(a.sum)
}

// extremeAgg is min or max: numerically, or of timestamps (which stay
// dates).
type extremeAgg struct {
	best Value
	sign int
}

func (a *extremeAgg) add(v Value, _ float64) {
	f, ok := v.number()
	if !ok {
		return
	}
	if v.k == kStr {
		v = num(f)
	}
	if a.best.k == kNull || float64(a.sign)*(f-a.best.n) > 0 {
		a.best = v
	}
}
func (a *extremeAgg) result() Value { return a.best }

// stddevAgg is the sample standard deviation (Welford's method).
type stddevAgg struct{ n, mean, m2 float64 }

func (a *stddevAgg) add(v Value, _ float64) {
	f, ok := v.number()
	if !ok {
		return
	}
	a.n++
	d := f - a.mean
	a.mean += d / a.n
	a.m2 += d * (f - a.mean)
}
func (a *stddevAgg) result() Value {
	if a.n < 2 {
		return null()
	}
	return num(math.Sqrt(a.m2 / (a.n - 1)))
}

// pctAgg keeps the group's values: exact percentiles (nearest rank).
type pctAgg struct {
	vals []float64
	p    float64
}

func (a *pctAgg) add(v Value, _ float64) {
	if f, ok := v.number(); ok {
		a.vals = append(a.vals, f)
	}
}
func (a *pctAgg) result() Value {
	if len(a.vals) == 0 {
		return null()
	}
	slices.Sort(a.vals)
	rank := int(math.Ceil(a.p / 100 * float64(len(a.vals))))
	return num(a.vals[min(max(rank-1, 0), len(a.vals)-1)])
}

// timedAgg is earliest or latest: the value of the record with the
// smallest or largest @timestamp.
type timedAgg struct {
	v      Value
	ts     float64
	latest bool
}

func (a *timedAgg) add(v Value, ts float64) {
	if v.k == kNull {
		return
	}
	if a.v.k == kNull || a.latest && ts >= a.ts || !a.latest && ts < a.ts {
		a.v, a.ts = v, ts
	}
}
func (a *timedAgg) result() Value { return a.v }

package metrics

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// maxCentroids bounds the values an aggregate keeps for percentiles. Up to
// this many distinct values a percentile is exact; beyond, the two closest
// neighbours merge into their weighted mean (a small centroid sketch), so
// the error of a percentile stays within the gap between neighbours.
const maxCentroids = 32

// Centroid is a value and how many samples it stands for.
type Centroid struct {
	Mean   float64
	Weight float64
}

// Agg is what wharf keeps of one metric over one period (a minute, five
// minutes or an hour): enough for every statistic CloudWatch serves.
type Agg struct {
	Sum, Min, Max, N float64
	// C holds the values for percentiles, sorted by Mean. While every
	// value is the same (Min == Max) it stays nil: the common minute of one
	// value, or of a constant, costs no allocation.
	C []Centroid
	// NoPct is set once a statistic set (which carries no values) went into
	// the aggregate: percentiles are then unavailable, as in CloudWatch.
	NoPct bool
}

// AddValue adds value seen count times.
func (a *Agg) AddValue(v, count float64) {
	if count <= 0 {
		return
	}
	a.materialize(v)
	a.addStats(v*count, count, v, v)
	if a.C != nil {
		a.addCentroid(Centroid{Mean: v, Weight: count})
	}
}

// materialize turns the implicit single centroid (every value so far equal
// to Min) into C before a different value v goes in.
func (a *Agg) materialize(v float64) {
	if a.C == nil && !a.NoPct && a.N > 0 && (v != a.Min || a.Min != a.Max) {
		a.C = []Centroid{{Mean: a.Min, Weight: a.N}}
	}
}

// AddSet adds a statistic set (sum, sample count, minimum, maximum).
func (a *Agg) AddSet(sum, count, lo, hi float64) {
	if count <= 0 {
		return
	}
	a.addStats(sum, count, lo, hi)
	a.NoPct = true
	a.C = nil
}

func (a *Agg) addStats(sum, count, lo, hi float64) {
	if a.N == 0 {
		a.Min, a.Max = lo, hi
	} else {
		a.Min, a.Max = math.Min(a.Min, lo), math.Max(a.Max, hi)
	}
	a.Sum += sum
	a.N += count
}

func (a *Agg) addCentroid(c Centroid) {
	if a.NoPct {
		return
	}
	i, found := slices.BinarySearchFunc(a.C, c.Mean, func(e Centroid, m float64) int {
		switch {
		case e.Mean < m:
			return -1
		case e.Mean > m:
			return 1
		}
		return 0
	})
	if found {
		a.C[i].Weight += c.Weight
		return
	}
	a.C = slices.Insert(a.C, i, c)
	if len(a.C) > maxCentroids {
		a.compress()
	}
}

// compress merges the closest pair of neighbours.
func (a *Agg) compress() {
	best, gap := 0, math.Inf(1)
	for i := 0; i+1 < len(a.C); i++ {
		if d := a.C[i+1].Mean - a.C[i].Mean; d < gap {
			best, gap = i, d
		}
	}
	l, r := a.C[best], a.C[best+1]
	w := l.Weight + r.Weight
	a.C[best] = Centroid{Mean: (l.Mean*l.Weight + r.Mean*r.Weight) / w, Weight: w}
	a.C = slices.Delete(a.C, best+1, best+2)
}

// Merge adds b into a (downsampling and period buckets).
func (a *Agg) Merge(b *Agg) {
	if b.N == 0 {
		return
	}
	if b.NoPct {
		a.addStats(b.Sum, b.N, b.Min, b.Max)
		a.NoPct, a.C = true, nil
		return
	}
	if b.C == nil {
		a.AddValue(b.Min, b.N) // b holds one value, N times
		return
	}
	if a.C == nil && !a.NoPct && a.N > 0 {
		a.C = []Centroid{{Mean: a.Min, Weight: a.N}}
	}
	a.addStats(b.Sum, b.N, b.Min, b.Max)
	for _, c := range b.C {
		a.addCentroid(c)
	}
}

// Percentile is the value below which p percent (0–100) of the samples
// lie (nearest rank over the centroids); ok is false when the aggregate
// cannot answer (a statistic set went in, or it is empty).
func (a *Agg) Percentile(p float64) (float64, bool) {
	if a.NoPct || a.N == 0 {
		return 0, false
	}
	if a.C == nil {
		return a.Min, true // every value equal
	}
	rank := p / 100 * a.N
	cum := 0.0
	for _, c := range a.C {
		cum += c.Weight
		if cum >= rank {
			return c.Mean, true
		}
	}
	return a.C[len(a.C)-1].Mean, true
}

// Stat computes one statistic by its CloudWatch name: SampleCount,
// Average, Sum, Minimum, Maximum or pNN[.NN]. ok is false when the
// aggregate cannot answer it.
func (a *Agg) Stat(name string) (float64, bool) {
	if a.N == 0 {
		return 0, false
	}
	switch name {
	case "SampleCount":
		return a.N, true
	case "Average":
		return a.Sum / a.N, true
	case "Sum":
		return a.Sum, true
	case "Minimum":
		return a.Min, true
	case "Maximum":
		return a.Max, true
	}
	if p, ok := ParsePercentile(name); ok {
		return a.Percentile(p)
	}
	return 0, false
}

// ParsePercentile reads an extended statistic pNN or pNN.NN (0 to 100).
func ParsePercentile(s string) (float64, bool) {
	rest, ok := strings.CutPrefix(s, "p")
	if !ok || rest == "" {
		return 0, false
	}
	p, err := strconv.ParseFloat(rest, 64)
	if err != nil || p < 0 || p > 100 || strings.ContainsAny(rest, "eE+-") {
		return 0, false
	}
	return p, true
}

package metrics

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Retention as CloudWatch documents it: data points of a 60-second period
// are available for 15 days, of 300 seconds for 63 days, of 3600 seconds
// for 455 days (15 months). Older 1-minute points are rolled into 5-minute
// points, those into 1-hour points, and 1-hour points expire.
const (
	Keep1m   = 15 * 24 * time.Hour
	Keep5m   = 63 * 24 * time.Hour
	Keep1h   = 455 * 24 * time.Hour
	tierSpan = 3 // 1 minute, 5 minutes, 1 hour
)

// tierStep is each tier's resolution in seconds.
var tierStep = [tierSpan]int64{60, 300, 3600}

// RecentlyActiveWindow is ListMetrics' RecentlyActive=PT3H window.
const RecentlyActiveWindow = 3 * time.Hour

// listWindow: ListMetrics without RecentlyActive lists metrics with data in
// the last two weeks.
const listWindow = 14 * 24 * time.Hour

// Dim is one dimension of a metric.
type Dim struct{ Name, Value string }

// ID names one metric (one series): its scope, namespace, name and
// dimensions, in any order.
type ID struct {
	Account, Region string
	Namespace, Name string
	Dims            []Dim
}

// key is the series' canonical key: the dimensions sorted by name.
func (id ID) key() string {
	var b strings.Builder
	b.Grow(len(id.Account) + len(id.Region) + len(id.Namespace) + len(id.Name) + 16*len(id.Dims) + 8)
	for _, s := range []string{id.Account, id.Region, id.Namespace, id.Name} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	dims := id.Dims
	if !slices.IsSortedFunc(dims, cmpDim) {
		dims = slices.SortedFunc(slices.Values(dims), cmpDim)
	}
	for _, d := range dims {
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
		b.WriteByte(0)
	}
	return b.String()
}

func cmpDim(a, b Dim) int { return strings.Compare(a.Name, b.Name) }

// Point is one period's aggregate of a series, from T (Unix seconds, the
// start of the period).
type Point struct {
	T int64
	Agg
}

type series struct {
	ID
	Unit string
	// Last is when data was last put (RecentlyActive).
	Last int64
	// Tiers: 1-minute, 5-minute and 1-hour points, each sorted by T.
	Tiers [tierSpan][]Point
}

// Store holds every series in memory, persisted to a file by Save. Puts
// take one lock and touch one series: a map lookup and an aggregate update.
type Store struct {
	mu     sync.RWMutex
	series map[string]*series
	// Now is the clock (a field so that tests set it).
	Now func() time.Time
}

// NewStore returns an empty store on the wall clock.
func NewStore() *Store {
	return &Store{series: map[string]*series{}, Now: time.Now}
}

// Datum is one PutMetricData entry, already validated: exactly one of
// Value, Set or Values is meaningful.
type Datum struct {
	ID
	Unit  string
	Time  time.Time
	Value *float64
	Set   *StatSet
	// Values with Counts (nil Counts: 1 each).
	Values, Counts []float64
	// Agg is an aggregate made by an in-process publisher (response times).
	Agg *Agg
}

// StatSet is a CloudWatch statistic set.
type StatSet struct{ Sum, SampleCount, Min, Max float64 }

// Put adds data; a datum's time picks its minute.
func (s *Store) Put(data ...Datum) {
	now := s.Now().Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range data {
		d := &data[i]
		k := d.ID.key()
		se := s.series[k]
		if se == nil {
			id := d.ID
			id.Dims = slices.SortedFunc(slices.Values(id.Dims), cmpDim)
			se = &series{ID: id}
			s.series[k] = se
		}
		if d.Unit != "" && d.Unit != "None" {
			se.Unit = d.Unit
		}
		se.Last = max(se.Last, now)
		p := se.point(0, d.Time.Unix())
		switch {
		case d.Agg != nil:
			p.Merge(d.Agg)
		case d.Set != nil:
			p.AddSet(d.Set.Sum, d.Set.SampleCount, d.Set.Min, d.Set.Max)
		case len(d.Values) > 0:
			for j, v := range d.Values {
				c := 1.0
				if j < len(d.Counts) {
					c = d.Counts[j]
				}
				p.AddValue(v, c)
			}
		case d.Value != nil:
			p.AddValue(*d.Value, 1)
		}
	}
}

// point returns the tier's point for the period holding t, inserting it.
// Data nearly always arrives in time order, so the common case appends.
func (se *series) point(tier int, t int64) *Agg {
	step := tierStep[tier]
	t -= mod(t, step)
	pts := se.Tiers[tier]
	if n := len(pts); n > 0 && pts[n-1].T == t {
		return &pts[n-1].Agg
	}
	i := sort.Search(len(pts), func(i int) bool { return pts[i].T >= t })
	if i < len(pts) && pts[i].T == t {
		return &pts[i].Agg
	}
	se.Tiers[tier] = slices.Insert(pts, i, Point{T: t})
	return &se.Tiers[tier][i].Agg
}

func mod(t, step int64) int64 {
	m := t % step
	if m < 0 {
		m += step
	}
	return m
}

// Bucket is one period of a query's answer.
type Bucket struct {
	Start time.Time
	Agg
}

// Query selects one series over [Start, End) in buckets of Period seconds
// from Start (which the caller rounded as CloudWatch does).
type Query struct {
	ID
	Unit       string // "": any unit
	Start, End time.Time
	Period     int64
}

// Fetch answers q: the non-empty buckets in time order, and the series'
// unit. Points of every tier that start inside a bucket go into it.
func (s *Store) Fetch(q Query) (buckets []Bucket, unit string) {
	if q.Period <= 0 || !q.End.After(q.Start) {
		return nil, ""
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	se := s.series[q.ID.key()]
	if se == nil || (q.Unit != "" && q.Unit != se.unitOrNone()) {
		return nil, ""
	}
	start, end := q.Start.Unix(), q.End.Unix()
	idx := map[int64]int{}
	for tier := range se.Tiers {
		pts := se.Tiers[tier]
		i := sort.Search(len(pts), func(i int) bool { return pts[i].T >= start })
		for ; i < len(pts) && pts[i].T < end; i++ {
			b := start + (pts[i].T-start)/q.Period*q.Period
			j, ok := idx[b]
			if !ok {
				j = len(buckets)
				idx[b] = j
				buckets = append(buckets, Bucket{Start: time.Unix(b, 0).UTC()})
			}
			buckets[j].Merge(&pts[i].Agg)
		}
	}
	slices.SortFunc(buckets, func(a, b Bucket) int { return a.Start.Compare(b.Start) })
	return buckets, se.unitOrNone()
}

func (se *series) unitOrNone() string {
	if se.Unit == "" {
		return "None"
	}
	return se.Unit
}

// Filter selects series for List: empty fields match anything; a Dim with
// an empty Value matches any value of that name.
type Filter struct {
	Account, Region string
	Namespace, Name string
	Dims            []Dim
	// RecentlyActive lists only series with data put in the last 3 hours.
	RecentlyActive bool
}

// Info describes one listed series.
type Info struct {
	ID
	Unit string
}

// List returns the series f selects, sorted by namespace, name, dimensions.
func (s *Store) List(f Filter) []Info {
	now := s.Now().Unix()
	since := now - int64(listWindow/time.Second)
	if f.RecentlyActive {
		since = now - int64(RecentlyActiveWindow/time.Second)
	}
	s.mu.RLock()
	var out []Info
	for k, se := range s.series {
		if se.Account != f.Account || se.Region != f.Region || se.Last < since && !se.hasDataSince(since) {
			continue
		}
		if (f.Namespace != "" && se.Namespace != f.Namespace) || (f.Name != "" && se.Name != f.Name) || !dimsMatch(se.Dims, f.Dims) {
			continue
		}
		_ = k
		out = append(out, Info{ID: se.ID, Unit: se.Unit})
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.key(), b.key()) })
	return out
}

func (se *series) hasDataSince(t int64) bool {
	pts := se.Tiers[0]
	return len(pts) > 0 && pts[len(pts)-1].T >= t
}

func dimsMatch(have, want []Dim) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Name == w.Name && (w.Value == "" || h.Value == w.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Compact applies retention at now: 1-minute points older than 15 days go
// into 5-minute points, 5-minute points older than 63 days into 1-hour
// points, 1-hour points older than 455 days are dropped, and so are series
// left with no point. It returns how many points it moved or dropped.
func (s *Store) Compact(now time.Time) int {
	keep := [tierSpan]int64{
		now.Add(-Keep1m).Unix(), now.Add(-Keep5m).Unix(), now.Add(-Keep1h).Unix(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, se := range s.series {
		for tier := range se.Tiers {
			pts := se.Tiers[tier]
			cut := sort.Search(len(pts), func(i int) bool { return pts[i].T >= keep[tier] })
			if cut == 0 {
				continue
			}
			if tier+1 < tierSpan {
				for i := range cut {
					se.point(tier+1, pts[i].T).Merge(&pts[i].Agg)
				}
			}
			n += cut
			se.Tiers[tier] = slices.Delete(pts, 0, cut)
		}
		if len(se.Tiers[0])+len(se.Tiers[1])+len(se.Tiers[2]) == 0 {
			delete(s.series, k)
		}
	}
	return n
}

// Len is the number of series.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.series)
}

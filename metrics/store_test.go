package metrics

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func id(dims ...Dim) ID {
	return ID{Account: "000000000000", Region: "us-east-1", Namespace: "App", Name: "Latency", Dims: dims}
}

func val(v float64) *float64 { return &v }

func TestAggStatistics(t *testing.T) {
	cases := []struct {
		name string
		fill func(*Agg)
		stat string
		want float64
		ok   bool
	}{
		{"sum of values", func(a *Agg) { a.AddValue(1, 1); a.AddValue(3, 2) }, "Sum", 7, true},
		{"average with counts", func(a *Agg) { a.AddValue(1, 1); a.AddValue(3, 3) }, "Average", 2.5, true},
		{"statistic set min", func(a *Agg) { a.AddSet(10, 2, 4, 6); a.AddValue(1, 1) }, "Minimum", 1, true},
		{"p50 exact", func(a *Agg) {
			for v := 1.0; v <= 9; v++ {
				a.AddValue(v, 1)
			}
		}, "p50", 5, true},
		{"p99 exact", func(a *Agg) {
			for v := 1.0; v <= 100; v++ {
				a.AddValue(v, 1)
			}
		}, "p99", 99, false}, // beyond 32 distinct values the sketch merges: checked below
		{"constant values keep no centroid", func(a *Agg) { a.AddValue(7, 3); a.AddValue(7, 1) }, "p90", 7, true},
		{"merges of constants and mixes", func(a *Agg) {
			var x, y, z Agg
			x.AddValue(1, 2)
			y.AddValue(5, 1)
			z.AddValue(9, 1)
			z.AddValue(10, 1)
			a.Merge(&x)
			a.Merge(&y)
			a.Merge(&z) // 1 1 5 9 10
		}, "p50", 5, true},
		{"median after mixing", func(a *Agg) {
			var x Agg
			x.AddValue(3, 1)
			x.AddValue(4, 1)
			a.AddValue(1, 1)
			a.Merge(&x)
		}, "p50", 3, true},
		{"no percentile after a statistic set", func(a *Agg) { a.AddValue(5, 1); a.AddSet(10, 2, 4, 6) }, "p50", 0, false},
		{"empty", func(*Agg) {}, "Sum", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a Agg
			c.fill(&a)
			got, ok := a.Stat(c.stat)
			if c.name == "p99 exact" {
				if !ok || got < 95 || got > 100 || len(a.C) > maxCentroids {
					t.Fatalf("p99 = %v (ok %v, %d centroids)", got, ok, len(a.C))
				}
				return
			}
			if ok != c.ok || got != c.want {
				t.Fatalf("%s = %v, %v; want %v, %v", c.stat, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestFetchBucketsAndDimsOrder(t *testing.T) {
	s := NewStore()
	s.Now = func() time.Time { return t0 }
	a, b := Dim{"A", "1"}, Dim{"B", "2"}
	for m := range 10 {
		s.Put(Datum{ID: id(a, b), Time: t0.Add(time.Duration(m)*time.Minute + time.Second), Value: val(float64(m))})
	}
	buckets, unit := s.Fetch(Query{ID: id(b, a), Start: t0, End: t0.Add(10 * time.Minute), Period: 300})
	if unit != "None" || len(buckets) != 2 || buckets[0].Sum != 10 || buckets[1].Sum != 35 || buckets[1].N != 5 {
		t.Fatalf("buckets %+v unit %q", buckets, unit)
	}
}

func TestRetentionDownsampling(t *testing.T) {
	s := NewStore()
	now := t0
	s.Now = func() time.Time { return now }
	// One value a minute for 20 minutes, 16 days ago, and one now.
	old := t0.Add(-16 * 24 * time.Hour)
	for m := range 20 {
		s.Put(Datum{ID: id(), Time: old.Add(time.Duration(m) * time.Minute), Value: val(1)})
	}
	s.Put(Datum{ID: id(), Time: t0, Value: val(1)})
	s.Compact(now)
	se := s.series[id().key()]
	if len(se.Tiers[0]) != 1 || len(se.Tiers[1]) != 4 || se.Tiers[1][0].N != 5 {
		t.Fatalf("after 15 days: 1m %d, 5m %d (%+v)", len(se.Tiers[0]), len(se.Tiers[1]), se.Tiers[1])
	}
	// 64 days later the 5-minute points become hourly ones; after 456 days
	// everything is gone and so is the series.
	now = t0.Add(64 * 24 * time.Hour)
	s.Compact(now)
	if len(se.Tiers[1]) != 0 || len(se.Tiers[2]) != 2 || se.Tiers[2][0].N != 20 {
		t.Fatalf("after 63 days: 5m %d, 1h %+v", len(se.Tiers[1]), se.Tiers[2])
	}
	now = t0.Add(456 * 24 * time.Hour)
	s.Compact(now)
	if s.Len() != 0 {
		t.Fatalf("series left after 455 days: %d", s.Len())
	}
}

func TestSaveLoad(t *testing.T) {
	s := NewStore()
	s.Now = func() time.Time { return t0 }
	s.Put(Datum{ID: id(Dim{"A", "1"}), Unit: "Percent", Time: t0, Values: []float64{1, 2}, Counts: []float64{1, 3}})
	path := filepath.Join(t.TempDir(), FileName)
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	r := NewStore()
	if err := r.Load(path); err != nil {
		t.Fatal(err)
	}
	b, unit := r.Fetch(Query{ID: id(Dim{"A", "1"}), Start: t0, End: t0.Add(time.Minute), Period: 60})
	if len(b) != 1 || b[0].Sum != 7 || unit != "Percent" {
		t.Fatalf("loaded %+v %q", b, unit)
	}
}

func TestListFilters(t *testing.T) {
	s := NewStore()
	s.Now = func() time.Time { return t0 }
	s.Put(Datum{ID: id(Dim{"Service", "web"}), Time: t0, Value: val(1)},
		Datum{ID: ID{Account: "000000000000", Region: "us-east-1", Namespace: "Other", Name: "X"}, Time: t0, Value: val(1)})
	cases := []struct {
		name string
		f    Filter
		want int
	}{
		{"all", Filter{}, 2},
		{"namespace", Filter{Namespace: "App"}, 1},
		{"dimension any value", Filter{Dims: []Dim{{Name: "Service"}}}, 1},
		{"dimension other value", Filter{Dims: []Dim{{"Service", "api"}}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.f.Account, c.f.Region = "000000000000", "us-east-1"
			if got := len(s.List(c.f)); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

// BenchmarkPut measures ingestion: one datum into one of 1,000 series,
// each minute new; it reports the memory one series-minute costs.
func BenchmarkPut(b *testing.B) {
	s := NewStore()
	s.Now = func() time.Time { return t0 }
	ids := make([]ID, 1000)
	for i := range ids {
		ids[i] = id(Dim{"ClusterName", "prod"}, Dim{"ServiceName", "svc-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('0'+i/676))})
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Put(Datum{ID: ids[i%len(ids)], Time: t0.Add(time.Duration(i/len(ids)) * time.Minute), Value: val(float64(i % 100))})
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	minutes := 0
	for _, se := range s.series {
		minutes += len(se.Tiers[0])
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(max(minutes, 1)), "B/series-minute")
}

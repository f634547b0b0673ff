package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
)

// point is one datapoint a sink received.
type point struct {
	ns, name string
	dims     string // k=v,… sorted
	value    float64
	unit     string
	at       int64
}

type recorder struct {
	mu     sync.Mutex
	points []point
}

func (r *recorder) sink(_ context.Context, ns, name string, dims map[string]string, v float64, unit string, at time.Time) error {
	var ds []string
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		ds = append(ds, k+"="+dims[k])
	}
	r.mu.Lock()
	r.points = append(r.points, point{ns, name, strings.Join(ds, ","), v, unit, at.UnixMilli()})
	r.mu.Unlock()
	return nil
}

func (r *recorder) take() []point {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.points
	r.points = nil
	return p
}

func TestMetricValueExtraction(t *testing.T) {
	cases := []struct {
		name, pattern, value string
		dims                 map[string]string
		msg                  string
		want                 string // "value dims", or "" for no datapoint
	}{
		{"literal on a term", "ERROR", "1", nil, "2024 ERROR disk full", "1 "},
		{"no match", "ERROR", "1", nil, "all good", ""},
		{"json number", `{ $.latency > 0 }`, "$.latency", nil, `{"latency": 12.5}`, "12.5 "},
		{"json nested with dimensions", `{ $.level = "error" }`, "1", map[string]string{"Service": "$.svc.name", "Code": "$.code"},
			`{"level":"error","svc":{"name":"api"},"code":503}`, "1 Code=503,Service=api"},
		{"json array element", `{ $.sizes[1] = * }`, "$.sizes[1]", nil, `{"sizes":[1,2048]}`, "2048 "},
		{"json string number", `{ $.bytes = * }`, "$.bytes", nil, `{"bytes":"300"}`, "300 "},
		{"json non-numeric value publishes nothing", `{ $.bytes = * }`, "$.bytes", nil, `{"bytes":"lots"}`, ""},
		{"json missing dimension publishes nothing", `{ $.level = "error" }`, "1", map[string]string{"Service": "$.svc"},
			`{"level":"error"}`, ""},
		{"space-delimited field", `[ip, user, ..., status=5*, size]`, "$size", map[string]string{"Status": "$status"},
			`10.0.0.1 bob GET /x HTTP/1.1 503 1200`, "1200 Status=503"},
		{"space-delimited bracketed field", `[ip, id, user, timestamp, request, status_code = 404, size]`, "$size", nil,
			`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`, "1534 "},
		{"space-delimited no match", `[ip, user, status=5*, size]`, "$size", nil, `10.0.0.1 bob 200 10`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := New(openTestDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
			rec := &recorder{}
			a.SetMetricSink(rec.sink)
			ctx := context.Background()
			mustDo(t)(a.CreateLogGroup(ctx, &logstypes.CreateLogGroupRequest{LogGroupName: new("g")}))
			mustDo(t)(a.CreateLogStream(ctx, &logstypes.CreateLogStreamRequest{LogGroupName: new("g"), LogStreamName: new("s")}))
			mustDo(t)(a.PutMetricFilter(ctx, &logstypes.PutMetricFilterRequest{LogGroupName: new("g"), FilterName: new("f"),
				FilterPattern: new(c.pattern), MetricTransformations: []logstypes.MetricTransformation{{MetricName: new("M"),
					MetricNamespace: new("NS"), MetricValue: new(c.value), Dimensions: c.dims}}}))
			ts := time.Now().Add(-time.Minute).UnixMilli()
			mustDo(t)(a.PutLogEvents(ctx, &logstypes.PutLogEventsRequest{LogGroupName: new("g"), LogStreamName: new("s"),
				LogEvents: []logstypes.InputLogEvent{{Timestamp: new(ts), Message: new(c.msg)}}}))
			pts := rec.take()
			got := ""
			if len(pts) == 1 {
				got = fmt.Sprintf("%g %s", pts[0].value, pts[0].dims)
				if pts[0].ns != "NS" || pts[0].name != "M" || pts[0].unit != "None" || pts[0].at != ts {
					t.Errorf("datapoint %+v", pts[0])
				}
			} else if len(pts) > 1 {
				t.Fatalf("%d datapoints: %+v", len(pts), pts)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func mustDo(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestMetricFilterEmission(t *testing.T) {
	a := New(openTestDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	mustDo(t)(a.CreateLogGroup(ctx, &logstypes.CreateLogGroupRequest{LogGroupName: new("/ecs/web")}))
	mustDo(t)(a.CreateLogStream(ctx, &logstypes.CreateLogStreamRequest{LogGroupName: new("/ecs/web"), LogStreamName: new("s")}))
	putFilter := func(name, pattern, value string, def *float64, unit logstypes.StandardUnit) {
		mustDo(t)(a.PutMetricFilter(ctx, &logstypes.PutMetricFilterRequest{LogGroupName: new("/ecs/web"), FilterName: new(name),
			FilterPattern: new(pattern), MetricTransformations: []logstypes.MetricTransformation{{MetricName: new(name),
				MetricNamespace: new("App"), MetricValue: new(value), DefaultValue: def, Unit: unit}}}))
	}
	putFilter("Errors", "ERROR", "1", new(0.0), logstypes.StandardUnitCount)
	putFilter("Latency", `{ $.latency = * }`, "$.latency", nil, logstypes.StandardUnitMilliseconds)
	base := time.Now().Add(-time.Hour).Truncate(time.Minute).UnixMilli()
	send := func(evs ...logstypes.InputLogEvent) {
		mustDo(t)(a.PutLogEvents(ctx, &logstypes.PutLogEventsRequest{LogGroupName: new("/ecs/web"), LogStreamName: new("s"), LogEvents: evs}))
	}
	at := func(sec int64, msg string) logstypes.InputLogEvent {
		return logstypes.InputLogEvent{Timestamp: new(base + sec*1000), Message: new(msg)}
	}

	t.Run("no sink drops datapoints", func(t *testing.T) {
		send(at(0, "ERROR one"))
	})

	rec := &recorder{}
	a.SetMetricSink(rec.sink)
	t.Run("matches and default values", func(t *testing.T) {
		// Minute 1: an error and a request; minute 2: only a request.
		send(at(60, "ERROR boom"), at(61, `{"latency":40}`), at(130, `{"latency":60}`))
		var got []string
		for _, p := range rec.take() {
			got = append(got, fmt.Sprintf("%s=%g %s @%ds", p.name, p.value, p.unit, (p.at-base)/1000))
		}
		slices.Sort(got)
		want := []string{"Errors=0 Count @130s", "Errors=1 Count @60s", "Latency=40 Milliseconds @61s", "Latency=60 Milliseconds @130s"}
		if !slices.Equal(got, want) {
			t.Fatalf("datapoints %q, want %q", got, want)
		}
	})

	t.Run("a changed filter is recompiled, a deleted one stops", func(t *testing.T) {
		putFilter("Latency", `{ $.latency > 50 }`, "$.latency", nil, "")
		mustDo(t)(a.DeleteMetricFilter(ctx, &logstypes.DeleteMetricFilterRequest{LogGroupName: new("/ecs/web"), FilterName: new("Errors")}))
		send(at(200, `{"latency":40}`), at(201, `{"latency":70}`), at(202, "ERROR again"))
		pts := rec.take()
		if len(pts) != 1 || pts[0].name != "Latency" || pts[0].value != 70 || pts[0].unit != "None" {
			t.Fatalf("datapoints %+v, want Latency=70 only", pts)
		}
	})

	t.Run("a deleted group takes its filters", func(t *testing.T) {
		mustDo(t)(a.DeleteLogGroup(ctx, &logstypes.DeleteLogGroupRequest{LogGroupName: new("/ecs/web")}))
		mustDo(t)(a.CreateLogGroup(ctx, &logstypes.CreateLogGroupRequest{LogGroupName: new("/ecs/web")}))
		out, err := a.DescribeMetricFilters(ctx, &logstypes.DescribeMetricFiltersRequest{LogGroupName: new("/ecs/web")})
		if err != nil || len(out.MetricFilters) != 0 {
			t.Fatalf("filters of the new group: %+v, %v", out, err)
		}
	})
}

func TestPutMetricFilterErrors(t *testing.T) {
	a := New(openTestDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	mustDo(t)(a.CreateLogGroup(ctx, &logstypes.CreateLogGroupRequest{LogGroupName: new("g")}))
	cases := []struct {
		name, pattern, value string
		def                  *float64
		dims                 map[string]string
		code, msg            string
	}{
		{"bad pattern", `{ $.a = }`, "1", nil, nil, "InvalidParameterException", "Invalid filter pattern"},
		{"bad value", "ERROR", "lots", nil, nil, "InvalidParameterException", "Invalid metricValue"},
		{"json selector on a term pattern", "ERROR", "$.n", nil, nil, "InvalidParameterException", "needs a JSON filter pattern"},
		{"unknown delimited field", "[a, b]", "$c", nil, nil, "InvalidParameterException", "names no field c"},
		{"dimensions with a default", `{ $.a = 1 }`, "1", new(0.0), map[string]string{"A": "$.a"}, "InvalidParameterException", "cannot have a defaultValue"},
		{"dimensions on a term pattern", "ERROR", "1", nil, map[string]string{"A": "$.a"}, "InvalidParameterException", "only with JSON and space-delimited"},
		{"too many dimensions", `{ $.a = 1 }`, "1", nil, map[string]string{"A": "$.a", "B": "$.b", "C": "$.c", "D": "$.d"}, "InvalidParameterException", "at most 3 dimensions"},
		{"literal dimension", `{ $.a = 1 }`, "1", nil, map[string]string{"A": "x"}, "InvalidParameterException", "use $.field or $field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.PutMetricFilter(ctx, &logstypes.PutMetricFilterRequest{LogGroupName: new("g"), FilterName: new("f"),
				FilterPattern: new(c.pattern), MetricTransformations: []logstypes.MetricTransformation{{MetricName: new("M"),
					MetricNamespace: new("NS"), MetricValue: new(c.value), DefaultValue: c.def, Dimensions: c.dims}}})
			e, ok := awsapi.AsError(err)
			if !ok || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("error %v, want %s with %q", err, c.code, c.msg)
			}
		})
	}
	t.Run("100 filters per group", func(t *testing.T) {
		for i := range 101 {
			_, err := a.PutMetricFilter(ctx, &logstypes.PutMetricFilterRequest{LogGroupName: new("g"), FilterName: new(fmt.Sprintf("f%03d", i)),
				FilterPattern: new("ERROR"), MetricTransformations: []logstypes.MetricTransformation{{MetricName: new("M"),
					MetricNamespace: new("NS"), MetricValue: new("1")}}})
			if i < 100 && err != nil {
				t.Fatalf("filter %d: %v", i, err)
			}
			if i == 100 && !awsapi.IsCode(err, "LimitExceededException") {
				t.Fatalf("filter 101: %v, want LimitExceededException", err)
			}
		}
		// Replacing an existing one is no new filter.
		mustDo(t)(a.PutMetricFilter(ctx, &logstypes.PutMetricFilterRequest{LogGroupName: new("g"), FilterName: new("f000"),
			FilterPattern: new("WARN"), MetricTransformations: []logstypes.MetricTransformation{{MetricName: new("M"),
				MetricNamespace: new("NS"), MetricValue: new("1")}}}))
	})
}

// BenchmarkPutLogEventsMetricFilters prints the ingestion cost per event of
// a group without metric filters and with five (two term patterns, two
// JSON patterns with a $.value, one space-delimited), with a sink that
// discards, calling the API directly so that HTTP does not hide the
// difference.
func BenchmarkPutLogEventsMetricFilters(b *testing.B) {
	for _, filters := range []int{0, 5} {
		b.Run(fmt.Sprintf("filters=%d", filters), func(b *testing.B) {
			a := New(openTestDB(b), slog.New(slog.NewTextHandler(io.Discard, nil)))
			a.SetMetricSink(func(context.Context, string, string, map[string]string, float64, string, time.Time) error { return nil })
			ctx := context.Background()
			if _, err := a.CreateLogGroup(ctx, &logstypes.CreateLogGroupRequest{LogGroupName: new("g")}); err != nil {
				b.Fatal(err)
			}
			if _, err := a.CreateLogStream(ctx, &logstypes.CreateLogStreamRequest{LogGroupName: new("g"), LogStreamName: new("s")}); err != nil {
				b.Fatal(err)
			}
			patterns := []struct{ p, v string }{{"ERROR", "1"}, {"?timeout ?refused", "1"}, {`{ $.level = "error" }`, "1"},
				{`{ $.latency > 100 }`, "$.latency"}, {"[level, ..., code=5*]", "1"}}
			for i, p := range patterns[:filters] {
				if _, err := a.PutMetricFilter(ctx, &logstypes.PutMetricFilterRequest{LogGroupName: new("g"), FilterName: new(fmt.Sprint(i)),
					FilterPattern: new(p.p), MetricTransformations: []logstypes.MetricTransformation{{MetricName: new("M"),
						MetricNamespace: new("NS"), MetricValue: new(p.v)}}}); err != nil {
					b.Fatal(err)
				}
			}
			const batch = 1000
			ts := time.Now().Add(-time.Hour).UnixMilli()
			in := &logstypes.PutLogEventsRequest{LogGroupName: new("g"), LogStreamName: new("s"), LogEvents: make([]logstypes.InputLogEvent, batch)}
			events := 0
			b.ResetTimer()
			for b.Loop() {
				for i := range in.LogEvents {
					msg := fmt.Sprintf(`{"level":"info","msg":"request served","n":%d,"latency":%d}`, events, events%200)
					if events%10 == 0 {
						msg = fmt.Sprintf(`{"level":"error","msg":"request failed: ERROR timeout","n":%d}`, events)
					}
					in.LogEvents[i] = logstypes.InputLogEvent{Timestamp: new(ts + int64(events/100)), Message: new(msg)}
					events++
				}
				if _, err := a.PutLogEvents(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}

// BenchmarkEmitMetrics is the metric filters' share of that cost alone:
// five filters run over one event.
func BenchmarkEmitMetrics(b *testing.B) {
	a := New(openTestDB(b), slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.SetMetricSink(func(context.Context, string, string, map[string]string, float64, string, time.Time) error { return nil })
	var fs []*compiledFilter
	for _, p := range []struct{ p, v string }{{"ERROR", "1"}, {"?timeout ?refused", "1"}, {`{ $.level = "error" }`, "1"},
		{`{ $.latency > 100 }`, "$.latency"}, {"[level, ..., code=5*]", "1"}} {
		c, err := compileFilter(filterRec{Pattern: p.p, Transformations: []transformRec{{MetricName: "M", Namespace: "NS", Value: p.v}}})
		if err != nil {
			b.Fatal(err)
		}
		fs = append(fs, c)
	}
	evs := make([]event, 1000)
	for i := range evs {
		evs[i] = event{ts: int64(i), msg: fmt.Sprintf(`{"level":"info","msg":"request served","n":%d,"latency":%d}`, i, i%200)}
		if i%10 == 0 {
			evs[i].msg = fmt.Sprintf(`{"level":"error","msg":"request failed: ERROR timeout","n":%d}`, i)
		}
	}
	ctx := context.Background()
	for b.Loop() {
		a.emitMetrics(ctx, "g", fs, evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

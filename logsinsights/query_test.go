package logsinsights

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// base is 2024-01-02 03:00:00 UTC.
var base = time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC).UnixMilli()

func ev(offsetSec int, stream, msg string) Event {
	ts := base + int64(offsetSec)*1000
	return Event{Timestamp: ts, IngestionTime: ts + 5, Message: msg, LogStream: stream, Log: "000000000000:/app",
		Ptr: fmt.Sprintf("p%d", offsetSec)}
}

// sample is a small service's log: plain lines, bracketed levels and
// JSON request logs.
var sample = []Event{
	ev(0, "web/1", `[INFO] server started on :8080`),
	ev(10, "web/1", `{"level":"info","path":"/items","status":200,"latency":12,"user":"ann"}`),
	ev(20, "web/1", `{"level":"error","path":"/items","status":500,"latency":250,"user":"bob","err":{"code":"E42"}}`),
	ev(70, "web/2", `{"level":"info","path":"/users","status":200,"latency":30,"user":"ann"}`),
	ev(80, "web/2", `[ERROR] java.lang.NullPointerException at Handler.java:42`),
	ev(130, "web/2", `{"level":"info","path":"/items","status":404,"latency":7,"user":"cid","tags":["a","b"]}`),
	ev(140, "web/1", `[WARN] slow request 900 ms`),
	ev(190, "web/1", `{"level":"error","path":"/users","status":503,"latency":1000,"user":"bob"}`),
}

// format renders rows as "a=1 b=2; …" without @ptr.
func format(rows [][]Field) string {
	var out []string
	for _, r := range rows {
		var fs []string
		for _, f := range r {
			if f.Name != "@ptr" {
				fs = append(fs, f.Name+"="+f.Value)
			}
		}
		out = append(out, strings.Join(fs, " "))
	}
	return strings.Join(out, "; ")
}

func run(t *testing.T, src string, limit int) Result {
	t.Helper()
	q, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	x := q.Exec(limit)
	for i := range sample {
		if !x.Add(&sample[i]) {
			break
		}
	}
	return x.Finish()
}

// The cases follow the query examples of CloudWatch's Logs Insights
// documentation, over the sample above.
func TestQueries(t *testing.T) {
	cases := []struct {
		name, query, want string
	}{
		{"default fields of a bare filter", `filter @message like /NullPointer/`,
			"@timestamp=2024-01-02 03:01:20.000 @message=[ERROR] java.lang.NullPointerException at Handler.java:42"},
		{"newest first with limit", `fields @timestamp, @logStream | sort @timestamp desc | limit 2`,
			"@timestamp=2024-01-02 03:03:10.000 @logStream=web/1; @timestamp=2024-01-02 03:02:20.000 @logStream=web/1"},
		{"json field comparison, newest first", `fields path, status | filter status >= 500`,
			"path=/users status=503; path=/items status=500"},
		{"nested json field", `fields err.code | filter ispresent(err.code)`, "err.code=E42"},
		{"json array element", `fields tags.1 | filter ispresent(tags.0)`, "tags.1=b"},
		{"or and in", `fields user | filter status = 404 or user in ["ann"] | sort @timestamp asc`,
			"user=ann; user=ann; user=cid"},
		{"not in and not like", `fields user | filter ispresent(user) and user not in ["ann", "bob"]`, "user=cid"},
		{"not like regex", `fields @message | filter @message not like /\{/ and @message not like /INFO/`,
			"@message=[WARN] slow request 900 ms; @message=[ERROR] java.lang.NullPointerException at Handler.java:42"},
		{"like substring", `fields @timestamp | filter @message like "slow request"`, "@timestamp=2024-01-02 03:02:20.000"},
		{"regex match operator", `fields user | filter user =~ /^b/ | limit 1`, "user=bob"},
		{"case-insensitive regex", `fields @logStream | filter @message like /(?i)nullpointer/`, "@logStream=web/2"},
		{"is null", `fields @message | filter user is null and @message like /WARN/`, "@message=[WARN] slow request 900 ms"},
		{"count by bin", `stats count(*) by bin(1m)`,
			"bin(1m)=2024-01-02 03:00:00.000 count(*)=3; bin(1m)=2024-01-02 03:01:00.000 count(*)=2; " +
				"bin(1m)=2024-01-02 03:02:00.000 count(*)=2; bin(1m)=2024-01-02 03:03:00.000 count(*)=1"},
		{"exceptions per hour", `filter @message like /Exception/ | stats count(*) as exceptionCount by bin(1h) | sort exceptionCount desc`,
			"bin(1h)=2024-01-02 03:00:00.000 exceptionCount=1"},
		{"aggregates by field", `filter ispresent(latency) | stats avg(latency) as avg, max(latency), min(latency), sum(latency) as total, count(*) as n by path`,
			"path=/items avg=89.66666666666667 max(latency)=250 min(latency)=7 total=269 n=3; path=/users avg=515 max(latency)=1000 min(latency)=30 total=1030 n=2"},
		{"top talkers", `stats sum(latency) as t by user | sort t desc | limit 2`, "user=bob t=1250; user=ann t=42"},
		{"percentiles", `stats pct(latency, 50) as p50, pct(latency, 90) as p90, percentile(latency, 100) as p100`,
			"p50=30 p90=1000 p100=1000"},
		{"count distinct and count of a field", `stats count_distinct(user) as users, count(user) as withUser, count() as all`,
			"users=3 withUser=5 all=8"},
		{"earliest and latest", `filter ispresent(user) | stats earliest(user) as first, latest(user) as last by level`,
			"level=error first=bob last=bob; level=info first=ann last=cid"},
		{"arithmetic over aggregates", `filter ispresent(status) | stats sum(status >= 500) / count(*) * 100 as errorRate`,
			"errorRate=40"},
		{"parse glob", `parse @message "[*] *" as level, text | filter level = "WARN" | display text`,
			"text=slow request 900 ms"},
		{"parse glob then stats", `parse @message "[*] *" as lvl, rest | filter ispresent(lvl) | stats count(*) by lvl`,
			"lvl=ERROR count(*)=1; lvl=INFO count(*)=1; lvl=WARN count(*)=1"},
		{"parse regex named groups", `parse @message /slow request (?<ms>\d+) ms/ | filter ms > 500 | fields ms * 2 as double`,
			"ms=900 double=1800"},
		{"parse a field", `parse path "/*" as resource | stats count(*) as n by resource | sort n desc`,
			"resource=items n=3; n=3; resource=users n=2"}, // events without a path make a group without a resource,
		{"string functions", `fields toupper(user) as u, strlen(path) as l, concat(user, "@", path) as c, substr(path, 1, 3) as s, replace(path, "/", "_") as r | filter user = "cid"`,
			"u=CID l=6 c=cid@/items s=ite r=_items"},
		{"trim and blank checks", `fields trim("  x ") as t, isempty("") as e, isblank("  ") as b, isempty(user) as ne | filter @message like /started/`,
			"t=x e=1 b=1 ne=1"},
		{"number functions", `fields abs(-2.5) as a, ceil(2.1) as c, floor(2.9) as f | limit 1`, "a=2.5 c=3 f=2"},
		{"dedup keeps the newest of each", `fields user | filter ispresent(user) | dedup user`, "user=bob; user=cid; user=ann"},
		{"dedup in time order", `fields user | filter ispresent(user) | sort @timestamp asc | dedup user`, "user=ann; user=bob; user=cid"},
		{"dedup after sort", `fields user, latency | filter ispresent(user) | sort latency desc | dedup user`,
			"user=bob latency=1000; user=ann latency=30; user=cid latency=7"},
		{"sort by a parsed field", `parse @message "[*] *" as v, rest | sort v asc | limit 3 | display v`,
			"v=ERROR; v=INFO; v=WARN"},
		{"stats then filter", `stats count(*) as n by @logStream | filter n > 4`, "@logStream=web/1 n=5"},
		{"ingestion time", `fields @ingestionTime | limit 1`, "@ingestionTime=2024-01-02 03:03:10.005"},
		{"limit is the newest events", `fields @timestamp | limit 2`, "@timestamp=2024-01-02 03:03:10.000; @timestamp=2024-01-02 03:02:20.000"},
		{"limit any is the first found", `fields @timestamp | limit any 2`, "@timestamp=2024-01-02 03:00:00.000; @timestamp=2024-01-02 03:00:10.000"},
		{"log and stream", `fields @log, @logStream | limit 1`, "@log=000000000000:/app @logStream=web/1"},
		{"backquoted field", "fields `err.code` as code | filter ispresent(code)", "code=E42"},
		{"comment lines", "# errors only\nfields status\n| filter status = 503", "status=503"},
		{"bin of 30s", `filter @logStream = "web/2" | stats count(*) as n by bin(30s) as t`,
			"t=2024-01-02 03:01:00.000 n=2; t=2024-01-02 03:02:00.000 n=1"},
		{"datefloor", `fields datefloor(@timestamp, 1h) as h | limit 1`, "h=2024-01-02 03:00:00.000"},
		{"stats without by over nothing", `filter user = "nobody" | stats count(*)`, ""},
		{"latest message per stream", `stats latest(@message) as last by @logStream`,
			`@logStream=web/1 last={"level":"error","path":"/users","status":503,"latency":1000,"user":"bob"}; @logStream=web/2 last={"level":"info","path":"/items","status":404,"latency":7,"user":"cid","tags":["a","b"]}`},
		{"bin with a long unit", `filter @logStream = "web/1" | stats count(*) as n by bin(5min)`, "bin(5min)=2024-01-02 03:00:00.000 n=5"},
		{"regex on a number", `fields path | filter status like /^5\d\d$/`, "path=/users; path=/items"},
		{"string order comparison", `fields user | filter user >= "bob" and user < "c"`, "user=bob; user=bob"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := format(run(t, c.query, 1000).Rows); got != c.want {
				t.Errorf("%s\n got: %s\nwant: %s", c.query, got, c.want)
			}
		})
	}
}

// An access log parsed with a glob, as in CloudWatch's examples.
func TestParseAccessLog(t *testing.T) {
	q, err := Parse(`parse @message '* - * [*] "* * *" * *' as host, ident, date, method, path, proto, status, bytes | filter status >= 400 | display method, path, status, bytes`)
	if err != nil {
		t.Fatal(err)
	}
	x := q.Exec(10)
	for _, m := range []string{
		`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
		`10.1.2.3 - - [10/Oct/2000:13:56:01 -0700] "POST /login HTTP/1.1" 401 12`,
	} {
		x.Add(&Event{Timestamp: base, Message: m})
	}
	if got := format(x.Finish().Rows); got != "method=POST path=/login status=401 bytes=12" {
		t.Errorf("got %s", got)
	}
}

func TestPtrAndMatched(t *testing.T) {
	r := run(t, `fields user | filter status >= 500`, 1000)
	if r.Matched != 2 || len(r.Rows) != 2 {
		t.Fatalf("matched %d rows %d, want 2 and 2", r.Matched, len(r.Rows))
	}
	if last := r.Rows[0][len(r.Rows[0])-1]; last != (Field{"@ptr", "p190"}) {
		t.Errorf("last field %v, want @ptr p190", last)
	}
	st := run(t, `filter ispresent(user) | stats count(*) by user`, 1000)
	if st.Matched != 5 {
		t.Errorf("stats query matched %d, want the 5 events that reached stats", st.Matched)
	}
	for _, row := range st.Rows {
		for _, f := range row {
			if f.Name == "@ptr" {
				t.Errorf("stats row with @ptr: %v", row)
			}
		}
	}
}

func TestLimitStopsEarly(t *testing.T) {
	q, err := Parse(`fields @message | limit any 2`)
	if err != nil {
		t.Fatal(err)
	}
	x := q.Exec(1000)
	added := 0
	for i := range sample {
		added++
		if !x.Add(&sample[i]) {
			break
		}
	}
	if added != 2 || len(x.Finish().Rows) != 2 {
		t.Errorf("added %d events before the limit stopped the run, want 2", added)
	}
	// The run's own limit caps the rows too.
	if rows := run(t, `fields @message`, 3).Rows; len(rows) != 3 {
		t.Errorf("%d rows under a limit of 3", len(rows))
	}
}

func TestSortKeepsTopUnderLimit(t *testing.T) {
	q, err := Parse(`fields n | sort n desc | limit 3`)
	if err != nil {
		t.Fatal(err)
	}
	x := q.Exec(1000)
	for i := range 10000 {
		e := Event{Timestamp: base, Message: fmt.Sprintf(`{"n":%d}`, (i*7919)%10000)}
		x.Add(&e)
	}
	if got := format(x.Finish().Rows); got != "n=9999; n=9998; n=9997" {
		t.Errorf("got %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, query, want string }{
		{"unknown command", `fields a | frobnicate b`, `unknown command "frobnicate" at line 1 and position 12`},
		{"unknown function", `fields nosuch(a)`, "unknown function nosuch at line 1 and position 8"},
		{"dangling operator", `filter a =`, "unexpected end of query at line 1 and position 11"},
		{"aggregate outside stats", `fields count(*)`, "only allowed in stats"},
		{"stats without aggregate", `stats a by b`, "stats needs an aggregate function"},
		{"parse names do not match", `parse @message "* *" as a`, "has 2 * but 1 names"},
		{"parse regex without names", `parse @message /(\d+)/`, "needs named groups"},
		{"bad regex", `filter @message like /(/`, "invalid regex"},
		{"limit zero", `fields a | limit 0`, "limit needs a whole number from 1 to 100000"},
		{"stray symbol", "fields a\n| filter a ; b", "unexpected symbol found ; at line 2 and position 12"},
		{"unsupported command", `pattern @message`, "not supported"},
		{"unterminated string", `filter a = "x`, "unterminated string"},
		{"bin without period", `stats count(*) by bin(a)`, "bin needs a period"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.query)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse(%q) = %v, want an error with %q", c.query, err, c.want)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error %T, want *Error", err)
			}
		})
	}
}

func TestNaturalOrder(t *testing.T) {
	// CloudWatch's documented ascending order.
	in := []string{"0", "a12345hfh", "A9876fghj", "A", "@_", "@", "2345_", "111A", "5A", "0#", "*%04", "#", "!:"}
	want := []string{"!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh", "0"}
	vals := make([]Value, len(in))
	for i, s := range in {
		vals[i] = str(s)
	}
	for i := range vals {
		for j := i + 1; j < len(vals); j++ {
			if naturalLess(vals[j], vals[i]) < 0 {
				vals[i], vals[j] = vals[j], vals[i]
			}
		}
	}
	for i := range vals {
		if vals[i].s != want[i] {
			t.Fatalf("order %v, want %v", vals, want)
		}
	}
}

package logsinsights

import "testing"

// FuzzQuery: no query string makes Parse or a run panic.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		`fields @timestamp, @message | sort @timestamp desc | limit 20`,
		`filter @message like /ERROR/ | stats count(*) as n by bin(5m)`,
		`parse @message "[*] *" as level, text | filter level in ["ERROR", "WARN"] | display text`,
		`parse @message /(?<ms>\d+) ms/ | stats pct(ms, 99), avg(ms) by @logStream | sort 2 desc`,
		"fields `a.b` as c, concat(a, \"x\") | dedup c | limit any 3",
		`stats sum(status >= 500) / count(*) * 100 as rate by datefloor(@timestamp, 1h)`,
		`filter not (a = 1 or b != "x") and c is not null | fields substr(d, 1, 2), -e ^ 2 % 3`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		x := q.Exec(50)
		for i := range sample {
			if !x.Add(&sample[i]) {
				break
			}
		}
		x.Finish()
	})
}

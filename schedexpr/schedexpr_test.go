package schedexpr

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no tzdata for %s: %v", name, err)
	}
	return loc
}

func TestNext(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return v
	}
	anchor := utc("2026-01-01T00:00:00Z")
	tests := []struct {
		name, expr, zone, after, want string // want "" when it never fires again
	}{
		{"at in the future", "at(2026-03-01T10:30:00)", "", "2026-02-01T00:00:00Z", "2026-03-01T10:30:00Z"},
		{"at in the past never fires", "at(2026-03-01T10:30:00)", "", "2026-03-01T10:30:00Z", ""},
		{"at read in its zone", "at(2026-03-01T10:30:00)", "Europe/Paris", "2026-02-01T00:00:00Z", "2026-03-01T09:30:00Z"},
		{"rate from its anchor", "rate(5 minutes)", "", "2026-01-01T00:07:00Z", "2026-01-01T00:10:00Z"},
		{"rate on a tick goes to the next", "rate(1 hour)", "", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"},
		{"rate before its anchor", "rate(1 day)", "", "2025-12-01T00:00:00Z", "2026-01-02T00:00:00Z"},
		{"every minute", "cron(* * * * ? *)", "", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z"},
		{"daily at 10:15", "cron(15 10 * * ? *)", "", "2026-01-01T10:15:00Z", "2026-01-02T10:15:00Z"},
		{"every 15 minutes", "cron(0/15 * * * ? *)", "", "2026-01-01T00:31:00Z", "2026-01-01T00:45:00Z"},
		{"weekdays at 18:00", "cron(0 18 ? * MON-FRI *)", "", "2026-01-02T18:00:00Z", "2026-01-05T18:00:00Z"}, // Fri → Mon
		{"last day of the month", "cron(0 12 L * ? *)", "", "2026-02-01T00:00:00Z", "2026-02-28T12:00:00Z"},
		{"nearest weekday to the 1st (a Saturday)", "cron(0 9 1W * ? *)", "", "2026-07-31T00:00:00Z", "2026-08-03T09:00:00Z"},
		{"last weekday of the month", "cron(0 9 LW * ? *)", "", "2026-05-01T00:00:00Z", "2026-05-29T09:00:00Z"}, // May 31 is a Sunday
		{"third Friday", "cron(0 8 ? * 6#3 *)", "", "2026-01-01T00:00:00Z", "2026-01-16T08:00:00Z"},
		{"last Thursday", "cron(0 8 ? * 5L *)", "", "2026-01-01T00:00:00Z", "2026-01-29T08:00:00Z"},
		{"named months and a list", "cron(0 0 1 JAN,JUL ? *)", "", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"},
		{"a year range that ended", "cron(0 0 1 1 ? 2020-2025)", "", "2026-01-01T00:00:00Z", ""},
		{"in a time zone", "cron(0 9 * * ? *)", "America/New_York", "2026-01-10T00:00:00Z", "2026-01-10T14:00:00Z"},
		{"in a time zone in summer", "cron(0 9 * * ? *)", "America/New_York", "2026-07-10T00:00:00Z", "2026-07-10T13:00:00Z"},
		{"a wall time DST skips does not fire", "cron(30 2 * * ? *)", "America/New_York", "2026-03-07T08:00:00Z", "2026-03-09T06:30:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var loc *time.Location
			if tc.zone != "" {
				loc = mustLoc(t, tc.zone)
			}
			got, ok := s.Next(utc(tc.after), loc, anchor)
			if tc.want == "" {
				if ok {
					t.Fatalf("Next = %v, want none", got)
				}
				return
			}
			if !ok || !got.Equal(utc(tc.want)) {
				t.Fatalf("Next = %v (%v), want %s", got.UTC(), ok, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, expr string }{
		{"no form", "every 5 minutes"},
		{"unknown form", "every(5 minutes)"},
		{"bad at", "at(2026-03-01 10:30)"},
		{"rate zero", "rate(0 minutes)"},
		{"rate singular with many", "rate(5 minute)"},
		{"rate plural with one", "rate(1 minutes)"},
		{"rate unit", "rate(5 weeks)"},
		{"cron five fields", "cron(0 10 * * ?)"},
		{"cron both days", "cron(0 10 1 * MON *)"},
		{"cron neither day is ?", "cron(0 10 1 * 1 *)"},
		{"cron minute out of range", "cron(60 10 * * ? *)"},
		{"cron backwards range", "cron(0 10 ? * FRI-MON *)"},
		{"cron bad nth", "cron(0 10 ? * 6#6 *)"},
		{"cron year out of range", "cron(0 10 * * ? 2300)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.expr); err == nil {
				t.Fatalf("Parse(%q) accepted it", tc.expr)
			}
		})
	}
}

func TestLatest(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		expr       string
		after, now time.Time
		want       time.Time // zero: none
	}{
		{"rate: the last missed tick only", "rate(5 minutes)", base, base.Add(23 * time.Minute), base.Add(20 * time.Minute)},
		{"rate: nothing new", "rate(5 minutes)", base.Add(20 * time.Minute), base.Add(23 * time.Minute), time.Time{}},
		{"cron: the last missed tick after days away", "cron(0 * * * ? *)", base, base.Add(72*time.Hour + 30*time.Minute), base.Add(72 * time.Hour)},
		{"at: due", "at(2026-01-01T00:10:00)", base, base.Add(time.Hour), base.Add(10 * time.Minute)},
		{"at: already fired", "at(2026-01-01T00:10:00)", base.Add(10 * time.Minute), base.Add(time.Hour), time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := s.Latest(tc.after, tc.now, time.UTC, base)
			if tc.want.IsZero() {
				if ok {
					t.Fatalf("Latest = %v, want none", got)
				}
				return
			}
			if !ok || !got.Equal(tc.want) {
				t.Fatalf("Latest = %v (%v), want %v", got, ok, tc.want)
			}
		})
	}
}

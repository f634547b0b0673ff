package schedexpr

import (
	"errors"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string, loc *time.Location) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNext(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	for _, tc := range []struct {
		name, expr string
		tz         *time.Location
		after      string
		want       string // "" for none; in tz
	}{
		{"rate minutes", "rate(5 minutes)", nil, "2026-01-01 10:00", "2026-01-01 10:05"},
		{"rate one hour", "rate(1 hour)", nil, "2026-01-01 10:00", "2026-01-01 11:00"},
		{"rate days", "rate(2 days)", nil, "2026-01-01 10:00", "2026-01-03 10:00"},
		{"at future", "at(2026-03-01T08:30:00)", nil, "2026-01-01 10:00", "2026-03-01 08:30"},
		{"at past", "at(2025-03-01T08:30:00)", nil, "2026-01-01 10:00", ""},
		{"at in zone", "at(2026-03-01T08:30:00)", ny, "2026-01-01 10:00", "2026-03-01 08:30"},
		// AWS's examples (EventBridge "Schedule expressions for rules").
		{"10:15 every day", "cron(15 10 * * ? *)", nil, "2026-01-01 10:15", "2026-01-02 10:15"},
		{"18:00 mon-fri", "cron(0 18 ? * MON-FRI *)", nil, "2026-01-02 18:00", "2026-01-05 18:00"},
		{"8:00 first of month", "cron(0 8 1 * ? *)", nil, "2026-01-01 08:00", "2026-02-01 08:00"},
		{"every 10 min weekdays", "cron(0/10 * ? * MON-FRI *)", nil, "2026-01-02 23:55", "2026-01-05 00:00"},
		{"every 5 min 8-17:55 weekdays", "cron(0/5 8-17 ? * MON-FRI *)", nil, "2026-01-05 17:55", "2026-01-06 08:00"},
		{"9am first monday", "cron(0 9 ? * 2#1 *)", nil, "2026-01-01 00:00", "2026-01-05 09:00"},
		{"last day of month", "cron(0 0 L * ? *)", nil, "2026-02-01 00:00", "2026-02-28 00:00"},
		{"last weekday of month", "cron(0 0 LW * ? *)", nil, "2026-05-01 00:00", "2026-05-29 00:00"},
		{"nearest weekday to 15th (sat)", "cron(0 0 15W * ? *)", nil, "2026-08-01 00:00", "2026-08-14 00:00"},
		{"nearest weekday to 1st (sat) stays in month", "cron(0 0 1W * ? *)", nil, "2026-07-31 00:00", "2026-08-03 00:00"},
		{"last friday", "cron(0 12 ? * 6L *)", nil, "2026-01-01 00:00", "2026-01-30 12:00"},
		{"year bound", "cron(0 0 1 1 ? 2027)", nil, "2026-06-01 00:00", "2027-01-01 00:00"},
		{"years ran out", "cron(0 0 1 1 ? 2025)", nil, "2026-06-01 00:00", ""},
		{"wrapping weekday range", "cron(0 0 ? * FRI-MON *)", nil, "2026-01-06 00:00", "2026-01-09 00:00"},
		{"month names", "cron(30 6 1 JAN,JUL ? *)", nil, "2026-01-02 00:00", "2026-07-01 06:30"},
		{"cron in new york", "cron(0 9 * * ? *)", ny, "2026-01-01 09:00", "2026-01-02 09:00"},
		{"skipped wall time does not fire", "cron(30 2 * * ? *)", ny, "2026-03-07 02:30", "2026-03-09 02:30"},
		{"repeated wall time fires once", "cron(30 1 * * ? *)", ny, "2026-11-01 01:30", "2026-11-02 01:30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.tz
			if loc == nil {
				loc = time.UTC
			}
			s, err := Parse(tc.expr, tc.tz)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := s.Next(mustTime(t, tc.after, loc))
			if tc.want == "" {
				if !got.IsZero() {
					t.Fatalf("Next = %v, want none", got)
				}
				return
			}
			if want := mustTime(t, tc.want, loc); !got.Equal(want) {
				t.Fatalf("Next = %v, want %v", got.In(loc), want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ name, expr string }{
		{"empty", ""},
		{"unknown kind", "every(5 minutes)"},
		{"rate zero", "rate(0 minutes)"},
		{"rate singular with many", "rate(5 minute)"},
		{"rate plural with one", "rate(1 minutes)"},
		{"rate seconds", "rate(5 seconds)"},
		{"cron five fields", "cron(0 10 * * ?)"},
		{"cron both days", "cron(0 10 * * * *)"},
		{"cron both ?", "cron(0 10 ? * ? *)"},
		{"cron minute 60", "cron(60 10 * * ? *)"},
		{"cron bad weekday", "cron(0 10 ? * FUN *)"},
		{"cron nth out of range", "cron(0 10 ? * 2#6 *)"},
		{"at bad time", "at(2026-13-01T00:00:00)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.expr, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, want an *Error", err)
			}
		})
	}
}

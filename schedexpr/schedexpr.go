// Package schedexpr parses the schedule expressions of EventBridge rules,
// EventBridge Scheduler and Application Auto Scaling's scheduled actions —
// at(), rate() and cron() — and computes when they next fire. It is pure:
// no clock, no I/O.
package schedexpr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed expression.
type Schedule interface {
	// Next is the first fire strictly after after, or the zero time when
	// there is none (a past at(), a cron whose years have run out). For
	// rate() the ticks are anchored at after: Next(t) is t plus the rate,
	// so a caller keeps its ticks on the grid of its first one by passing
	// the previous tick.
	Next(after time.Time) time.Time
}

// Error is an expression that does not parse; the message says what to fix.
type Error struct{ Expr, Reason string }

func (e *Error) Error() string {
	return fmt.Sprintf("invalid schedule expression %q: %s", e.Expr, e.Reason)
}

// Parse reads at(…), rate(…) or cron(…). tz is the time zone of at() and
// cron() (nil is UTC); rate() ignores it.
func Parse(expr string, tz *time.Location) (Schedule, error) {
	if tz == nil {
		tz = time.UTC
	}
	fail := func(format string, args ...any) (Schedule, error) {
		return nil, &Error{Expr: expr, Reason: fmt.Sprintf(format, args...)}
	}
	kind, body, ok := strings.Cut(expr, "(")
	if !ok || !strings.HasSuffix(body, ")") {
		return fail("an expression is at(...), rate(...) or cron(...)")
	}
	body = strings.TrimSpace(strings.TrimSuffix(body, ")"))
	switch kind {
	case "rate":
		return parseRate(expr, body)
	case "cron":
		return parseCron(expr, body, tz)
	case "at":
		t, err := time.ParseInLocation("2006-01-02T15:04:05", body, tz)
		if err != nil {
			return fail("at() takes yyyy-mm-ddThh:mm:ss")
		}
		return At{T: t}, nil
	}
	return fail("an expression is at(...), rate(...) or cron(...)")
}

// At fires once, at T.
type At struct{ T time.Time }

// Next is T when it is after after.
func (a At) Next(after time.Time) time.Time {
	if a.T.After(after) {
		return a.T
	}
	return time.Time{}
}

// Rate fires every Every.
type Rate struct{ Every time.Duration }

// Next is after plus the rate.
func (r Rate) Next(after time.Time) time.Time { return after.Add(r.Every) }

func parseRate(expr, body string) (Schedule, error) {
	fail := func(reason string) (Schedule, error) { return nil, &Error{Expr: expr, Reason: reason} }
	f := strings.Fields(body)
	if len(f) != 2 {
		return fail("rate() takes a value and a unit: rate(5 minutes)")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return fail("the value of rate() must be a positive whole number")
	}
	var unit time.Duration
	switch strings.TrimSuffix(f[1], "s") {
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	default:
		return fail("the unit of rate() is minute(s), hour(s) or day(s)")
	}
	// As EventBridge: a value of 1 takes the singular unit, others the plural.
	if plural := strings.HasSuffix(f[1], "s"); plural != (n != 1) {
		if n == 1 {
			return fail("a value of 1 takes a singular unit: rate(1 " + strings.TrimSuffix(f[1], "s") + ")")
		}
		return fail("a value above 1 takes a plural unit: rate(" + f[0] + " " + f[1] + "s)")
	}
	return Rate{Every: time.Duration(n) * unit}, nil
}

// Package schedexpr parses and evaluates AWS schedule expressions, as
// Application Auto Scaling scheduled actions, EventBridge rules and
// EventBridge Scheduler take them:
//
//	at(yyyy-mm-ddThh:mm:ss)                 once, in the schedule's time zone
//	rate(VALUE UNIT)                         every VALUE minute(s), hour(s) or day(s)
//	cron(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)
//
// The cron form is AWS's six fields: day-of-week counts 1 (SUN) to 7 (SAT),
// one of the two day fields must be '?', months and days may be named
// (JAN, MON), and the wildcards are , - * / plus L (last day of the month,
// or in day-of-week the last such weekday: 6L), W (the weekday nearest a
// day of the month: 15W, LW) and # (the nth such weekday: 6#3). The finest
// resolution is one minute.
//
// It is pure: no clock, no I/O. Callers give the time zone and, for rate(),
// the anchor the rate counts from. It imports only the standard library.
package schedexpr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the form of an expression.
type Kind int

const (
	At Kind = iota + 1
	Rate
	Cron
)

// Schedule is one parsed expression.
type Schedule struct {
	Kind Kind
	// Expr is the expression as given.
	Expr string
	// at is the wall-clock time of at(), read in the caller's zone.
	at time.Time
	// Every is the interval of rate().
	Every time.Duration
	cron  *cronSpec
}

// Parse reads an expression; the error says what is wrong in the words a
// caller can act on.
func Parse(expr string) (*Schedule, error) {
	e := strings.TrimSpace(expr)
	open, close := strings.IndexByte(e, '('), strings.LastIndexByte(e, ')')
	if open < 0 || close != len(e)-1 {
		return nil, fmt.Errorf("schedule expression %q must be at(...), rate(...) or cron(...)", expr)
	}
	body := strings.TrimSpace(e[open+1 : close])
	s := &Schedule{Expr: expr}
	switch e[:open] {
	case "at":
		t, err := time.Parse("2006-01-02T15:04:05", body)
		if err != nil {
			return nil, fmt.Errorf("at() expression %q: the time must be yyyy-mm-ddThh:mm:ss", expr)
		}
		s.Kind, s.at = At, t
	case "rate":
		d, err := parseRate(body)
		if err != nil {
			return nil, fmt.Errorf("rate() expression %q: %w", expr, err)
		}
		s.Kind, s.Every = Rate, d
	case "cron":
		c, err := parseCron(body)
		if err != nil {
			return nil, fmt.Errorf("cron() expression %q: %w", expr, err)
		}
		s.Kind, s.cron = Cron, c
	default:
		return nil, fmt.Errorf("schedule expression %q must be at(...), rate(...) or cron(...)", expr)
	}
	return s, nil
}

// parseRate reads "VALUE UNIT": a positive whole number and minute(s),
// hour(s) or day(s), singular exactly when the value is 1, as AWS requires.
func parseRate(body string) (time.Duration, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return 0, errors.New("the rate must be a value and a unit, such as 5 minutes")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 0, errors.New("the value must be a positive whole number")
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := f[1]
	if n != 1 {
		if !strings.HasSuffix(unit, "s") {
			return 0, fmt.Errorf("a value of %d takes a plural unit (minutes, hours, days)", n)
		}
		unit = strings.TrimSuffix(unit, "s")
	}
	d, ok := units[unit]
	if !ok {
		return 0, errors.New("the unit must be minute(s), hour(s) or day(s) (singular for a value of 1)")
	}
	return time.Duration(n) * d, nil
}

// Next is the first time the schedule fires strictly after `after`, in loc
// (nil: UTC). For rate() the ticks are anchor + k·Every, k ≥ 1, so that a
// schedule keeps its phase across restarts. ok is false when it never
// fires again.
func (s *Schedule) Next(after time.Time, loc *time.Location, anchor time.Time) (t time.Time, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch s.Kind {
	case At:
		at := time.Date(s.at.Year(), s.at.Month(), s.at.Day(), s.at.Hour(), s.at.Minute(), s.at.Second(), 0, loc)
		return at, at.After(after)
	case Rate:
		if !after.Before(anchor) {
			k := after.Sub(anchor)/s.Every + 1
			return anchor.Add(k * s.Every), true
		}
		return anchor.Add(s.Every), true
	case Cron:
		return s.cron.next(after.In(loc))
	}
	return time.Time{}, false
}

// Latest is the last tick in (after, now]: the one tick a scheduler that
// was away fires on its return (AWS does not replay the ticks it missed).
// ok is false when there is none.
func (s *Schedule) Latest(after, now time.Time, loc *time.Location, anchor time.Time) (t time.Time, ok bool) {
	if s.Kind == Rate {
		if now.Before(anchor.Add(s.Every)) {
			return time.Time{}, false
		}
		k := now.Sub(anchor) / s.Every
		t = anchor.Add(k * s.Every)
		return t, t.After(after)
	}
	next, ok := s.Next(after, loc, anchor)
	if !ok || next.After(now) {
		return time.Time{}, false
	}
	// Walk forward; bounded, as a cron fires at most once a minute and a
	// caller that was away for long skips to the last day first.
	if gap := now.Sub(next); s.Kind == Cron && gap > 48*time.Hour {
		if later, ok2 := s.Next(now.Add(-48*time.Hour), loc, anchor); ok2 && !later.After(now) {
			next = later
		}
	}
	for range 2 * 24 * 60 {
		n, ok := s.Next(next, loc, anchor)
		if !ok || n.After(now) {
			return next, true
		}
		next = n
	}
	return next, true
}

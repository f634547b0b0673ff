package schedexpr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronSpec is a parsed six-field cron: sets of allowed values, plus the
// day rules that depend on the month (L, W, #).
type cronSpec struct {
	minutes, hours, months uint64   // bit i set: value i allowed
	years                  []bool   // index year-1970
	dom                    dayField // day-of-month; any when '?'
	dow                    dayField // day-of-week (1 SUN … 7 SAT); any when '?'
}

// dayField is a day field: a plain set, or one of the special forms.
type dayField struct {
	any     bool   // '?' (or '*', which AWS reads the same in a day field)
	set     uint64 // plain values
	last    bool   // dom L: the month's last day; dow nL: the last weekday n
	lastOff int    // dom L-n: n days before the last
	weekday int    // dom nW: weekday nearest day n; -1 with last (LW)
	nth     int    // dow n#k: the kth weekday n (nth = k)
	dowVal  int    // the weekday of nL and n#k
}

const (
	minYear = 1970
	maxYear = 2199
)

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(body string) (*cronSpec, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("a cron expression has six fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &cronSpec{}
	var err error
	if c.minutes, err = parseSet(f[0], 0, 59, nil); err != nil {
		return nil, fmt.Errorf("minutes: %w", err)
	}
	if c.hours, err = parseSet(f[1], 0, 23, nil); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	if c.months, err = parseSet(f[3], 1, 12, monthNames); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.dom, err = parseDom(f[2]); err != nil {
		return nil, fmt.Errorf("day-of-month: %w", err)
	}
	if c.dow, err = parseDow(f[4]); err != nil {
		return nil, fmt.Errorf("day-of-week: %w", err)
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, errors.New("one of day-of-month and day-of-week must be '?', and only one")
	}
	c.years = make([]bool, maxYear-minYear+1)
	if f[5] == "*" {
		for i := range c.years {
			c.years[i] = true
		}
	} else {
		for part := range strings.SplitSeq(f[5], ",") {
			lo, hi, step, err := parseRange(part, minYear, maxYear, nil)
			if err != nil {
				return nil, fmt.Errorf("year: %w", err)
			}
			for y := lo; y <= hi; y += step {
				c.years[y-minYear] = true
			}
		}
	}
	return c, nil
}

// parseSet reads a comma-separated list of values, ranges (a-b), steps
// (a/n, a-b/n, */n) and '*'.
func parseSet(field string, lo, hi int, names map[string]int) (uint64, error) {
	var set uint64
	for part := range strings.SplitSeq(field, ",") {
		a, b, step, err := parseRange(part, lo, hi, names)
		if err != nil {
			return 0, err
		}
		for v := a; v <= b; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func parseRange(part string, lo, hi int, names map[string]int) (a, b, step int, err error) {
	step = 1
	if base, s, ok := strings.Cut(part, "/"); ok {
		if step, err = strconv.Atoi(s); err != nil || step <= 0 {
			return 0, 0, 0, fmt.Errorf("%q: the increment must be a positive number", part)
		}
		part = base
		defer func() {
			if err == nil && !strings.Contains(base, "-") && base != "*" {
				b = hi // a/n runs from a to the end of the range
			}
		}()
	}
	if part == "*" {
		return lo, hi, step, nil
	}
	first, last, isRange := strings.Cut(part, "-")
	if a, err = value(first, lo, hi, names); err != nil {
		return 0, 0, 0, err
	}
	b = a
	if isRange {
		if b, err = value(last, lo, hi, names); err != nil {
			return 0, 0, 0, err
		}
		if b < a {
			return 0, 0, 0, fmt.Errorf("%q: a range must run from low to high", part)
		}
	}
	return a, b, step, nil
}

func value(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return v, nil
}

func parseDom(f string) (dayField, error) {
	switch {
	case f == "?" || f == "*":
		return dayField{any: true}, nil
	case f == "L":
		return dayField{last: true}, nil
	case f == "LW":
		return dayField{weekday: -1, last: true}, nil
	case strings.HasPrefix(f, "L-"):
		n, err := strconv.Atoi(f[2:])
		if err != nil || n < 0 || n > 30 {
			return dayField{}, fmt.Errorf("%q: L-n takes n from 0 to 30", f)
		}
		return dayField{last: true, lastOff: n}, nil
	case strings.HasSuffix(f, "W"):
		n, err := value(strings.TrimSuffix(f, "W"), 1, 31, nil)
		if err != nil {
			return dayField{}, err
		}
		return dayField{weekday: n}, nil
	}
	set, err := parseSet(f, 1, 31, nil)
	return dayField{set: set}, err
}

func parseDow(f string) (dayField, error) {
	switch {
	case f == "?" || f == "*":
		return dayField{any: true}, nil
	case f == "L":
		return dayField{set: 1 << 7}, nil
	case strings.HasSuffix(f, "L"):
		d, err := value(strings.TrimSuffix(f, "L"), 1, 7, dayNames)
		return dayField{last: true, dowVal: d}, err
	case strings.Contains(f, "#"):
		ds, ks, _ := strings.Cut(f, "#")
		d, err := value(ds, 1, 7, dayNames)
		if err != nil {
			return dayField{}, err
		}
		k, err := strconv.Atoi(ks)
		if err != nil || k < 1 || k > 5 {
			return dayField{}, fmt.Errorf("%q: the n of d#n runs from 1 to 5", f)
		}
		return dayField{dowVal: d, nth: k}, nil
	}
	set, err := parseSet(f, 1, 7, dayNames)
	return dayField{set: set}, err
}

// dayMatches reports whether the date (y, m, d) passes both day fields.
func (c *cronSpec) dayMatches(y int, m time.Month, d int) bool {
	lastDay := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 SUN … 7 SAT
	return c.dom.matchDom(y, m, d, lastDay) && c.dow.matchDow(d, wd, lastDay)
}

func (f dayField) matchDom(y int, m time.Month, d, lastDay int) bool {
	switch {
	case f.any:
		return true
	case f.weekday != 0:
		target := f.weekday
		if f.weekday < 0 {
			target = lastDay
		}
		return d == nearestWeekday(y, m, target, lastDay)
	case f.last:
		return d == lastDay-f.lastOff
	}
	return f.set&(1<<d) != 0
}

// nearestWeekday is the weekday (MON–FRI) nearest day n of the month,
// never crossing into another month, as W defines it.
func nearestWeekday(y int, m time.Month, n, lastDay int) int {
	n = min(n, lastDay)
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == lastDay {
			return n - 2
		}
		return n + 1
	}
	return n
}

func (f dayField) matchDow(d, wd, lastDay int) bool {
	switch {
	case f.any:
		return true
	case f.last:
		return wd == f.dowVal && d+7 > lastDay
	case f.nth != 0:
		return wd == f.dowVal && (d-1)/7+1 == f.nth
	}
	return f.set&(1<<wd) != 0
}

// next is the first matching minute strictly after t, in t's zone. It
// walks day by day (at most to maxYear), then picks the first allowed
// hour and minute of a matching day; a wall time that a DST change skips
// does not fire, one it repeats fires once.
func (c *cronSpec) next(t time.Time) (time.Time, bool) {
	loc := t.Location()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	for day.Year() <= maxYear {
		y, m, d := day.Date()
		switch {
		case y < minYear || !c.years[y-minYear]:
			day = time.Date(y+1, 1, 1, 0, 0, 0, 0, loc)
			continue
		case c.months&(1<<int(m)) == 0:
			day = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
			continue
		}
		if c.dayMatches(y, m, d) {
			for h := 0; h < 24; h++ {
				if c.hours&(1<<h) == 0 {
					continue
				}
				for mi := 0; mi < 60; mi++ {
					if c.minutes&(1<<mi) == 0 {
						continue
					}
					cand := time.Date(y, m, d, h, mi, 0, 0, loc)
					if cand.Hour() != h || cand.Minute() != mi || !cand.After(t) {
						continue // skipped by DST, or not after t
					}
					return cand, true
				}
			}
		}
		day = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
	return time.Time{}, false
}

package schedexpr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is cron(minutes hours day-of-month month day-of-week year) as AWS
// reads it: all six fields, one of day-of-month and day-of-week is ?, days
// of the week run 1-7 from SUN, and L, W and # as documented.
type Cron struct {
	loc     *time.Location
	minutes [60]bool
	hours   [24]bool
	months  [13]bool // 1-12
	years   map[int]bool
	anyYear bool
	dom     *domSpec // nil when day-of-month is ?
	dow     *dowSpec // nil when day-of-week is ?
}

// domSpec is a day-of-month field.
type domSpec struct {
	days    [32]bool
	last    bool // L
	lastWk  bool // LW: the last weekday of the month
	nearest []int
}

// dowSpec is a day-of-week field (weekdays 0=SUN … 6=SAT, Go's numbering).
type dowSpec struct {
	days [7]bool
	nth  []struct{ day, n int } // 3#2: the second Tuesday
	last []int                  // 5L: the last Thursday
}

const (
	minYear = 1970
	maxYear = 2199
)

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(expr, body string, loc *time.Location) (Schedule, error) {
	fail := func(format string, args ...any) (Schedule, error) {
		return nil, &Error{Expr: expr, Reason: fmt.Sprintf(format, args...)}
	}
	f := strings.Fields(strings.ToUpper(body))
	if len(f) != 6 {
		return fail("cron() takes six fields: minutes hours day-of-month month day-of-week year")
	}
	c := &Cron{loc: loc, years: map[int]bool{}}
	if err := setField(c.minutes[:], f[0], 0, 59, nil); err != nil {
		return fail("minutes: %v", err)
	}
	if err := setField(c.hours[:], f[1], 0, 23, nil); err != nil {
		return fail("hours: %v", err)
	}
	if err := setField(c.months[:], f[3], 1, 12, monthNames); err != nil {
		return fail("month: %v", err)
	}
	if f[5] == "*" {
		c.anyYear = true
	} else {
		ys := make([]bool, maxYear+1)
		if err := setField(ys, f[5], minYear, maxYear, nil); err != nil {
			return fail("year: %v", err)
		}
		for y := minYear; y <= maxYear; y++ {
			if ys[y] {
				c.years[y] = true
			}
		}
	}
	switch {
	case f[2] == "?" && f[4] == "?":
		return fail("day-of-month and day-of-week cannot both be ?")
	case f[2] != "?" && f[4] != "?":
		return fail("one of day-of-month and day-of-week must be ?")
	case f[2] != "?":
		d, err := parseDOM(f[2])
		if err != nil {
			return fail("day-of-month: %v", err)
		}
		c.dom = d
	default:
		d, err := parseDOW(f[4])
		if err != nil {
			return fail("day-of-week: %v", err)
		}
		c.dow = d
	}
	return c, nil
}

// setField fills set[lo..hi] from a field of values, ranges, lists and
// increments (*, 5, 1-5, 1,3, 0/15, 10-40/5).
func setField(set []bool, field string, lo, hi int, names map[string]int) error {
	for _, part := range strings.Split(field, ",") {
		from, to, step := lo, hi, 1
		rng, inc, hasInc := strings.Cut(part, "/")
		if hasInc {
			n, err := strconv.Atoi(inc)
			if err != nil || n < 1 {
				return fmt.Errorf("bad increment %q", inc)
			}
			step = n
		}
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = value(a, lo, hi, names); err != nil {
				return err
			}
			if to, err = value(b, lo, hi, names); err != nil {
				return err
			}
		default:
			v, err := value(rng, lo, hi, names)
			if err != nil {
				return err
			}
			from = v
			if !hasInc {
				to = v
			}
		}
		if from > to {
			// A wrapping range (FRI-MON, NOV-FEB), as AWS allows.
			for v := from; v <= hi; v += step {
				set[v] = true
			}
			for v := lo; v <= to; v += step {
				set[v] = true
			}
			continue
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return nil
}

func value(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[s]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return v, nil
}

func parseDOM(field string) (*domSpec, error) {
	d := &domSpec{}
	for _, part := range strings.Split(field, ",") {
		switch {
		case part == "L":
			d.last = true
		case part == "LW":
			d.lastWk = true
		case strings.HasSuffix(part, "W"):
			n, err := value(strings.TrimSuffix(part, "W"), 1, 31, nil)
			if err != nil {
				return nil, err
			}
			d.nearest = append(d.nearest, n)
		default:
			if err := setField(d.days[:], part, 1, 31, nil); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

func parseDOW(field string) (*dowSpec, error) {
	d := &dowSpec{}
	var set [8]bool // 1-7
	for _, part := range strings.Split(field, ",") {
		switch {
		case part == "L":
			set[7] = true // L alone is the last day of the week: Saturday
		case strings.Contains(part, "#"):
			a, b, _ := strings.Cut(part, "#")
			day, err := value(a, 1, 7, dayNames)
			if err != nil {
				return nil, err
			}
			n, err := value(b, 1, 5, nil)
			if err != nil {
				return nil, err
			}
			d.nth = append(d.nth, struct{ day, n int }{day - 1, n})
		case len(part) > 1 && strings.HasSuffix(part, "L"):
			day, err := value(strings.TrimSuffix(part, "L"), 1, 7, dayNames)
			if err != nil {
				return nil, err
			}
			d.last = append(d.last, day-1)
		default:
			if err := setField(set[:], part, 1, 7, dayNames); err != nil {
				return nil, err
			}
		}
	}
	for i := 1; i <= 7; i++ {
		d.days[i-1] = set[i]
	}
	return d, nil
}

// Next is the first minute strictly after after that the expression
// names, in its time zone.
func (c *Cron) Next(after time.Time) time.Time {
	t := after.In(c.loc)
	// Start from the day of after; walk days until one matches, bounded by
	// the last year a cron can name.
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	end := time.Date(maxYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
	for ; day.Before(end); day = day.AddDate(0, 0, 1) {
		if !c.anyYear && !c.years[day.Year()] {
			if day.Year() > c.lastYear() {
				return time.Time{}
			}
			day = time.Date(day.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
			continue
		}
		if !c.months[day.Month()] {
			day = time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
			continue
		}
		if !c.dayMatches(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hours[h] {
				continue
			}
			for mi := 0; mi < 60; mi++ {
				if !c.minutes[mi] {
					continue
				}
				at := time.Date(day.Year(), day.Month(), day.Day(), h, mi, 0, 0, c.loc)
				// As EventBridge Scheduler: a wall time that a DST
				// change skips does not fire (time.Date moved it to
				// another hour), and a repeated one fires once.
				if at.Hour() != h || at.Minute() != mi {
					continue
				}
				if at.After(after) {
					return at
				}
			}
		}
	}
	return time.Time{}
}

func (c *Cron) lastYear() int {
	last := 0
	for y := range c.years {
		last = max(last, y)
	}
	return last
}

// dayMatches applies the day-of-month or day-of-week field to day (a date
// at midnight UTC; only its calendar fields count).
func (c *Cron) dayMatches(day time.Time) bool {
	dim := daysIn(day.Year(), day.Month())
	if d := c.dom; d != nil {
		if d.days[day.Day()] || d.last && day.Day() == dim {
			return true
		}
		if d.lastWk && day.Day() == nearestWeekday(day.Year(), day.Month(), dim) {
			return true
		}
		for _, n := range d.nearest {
			if n <= dim && day.Day() == nearestWeekday(day.Year(), day.Month(), n) {
				return true
			}
		}
		return false
	}
	d := c.dow
	wd := int(day.Weekday())
	if d.days[wd] {
		return true
	}
	for _, nth := range d.nth {
		if nth.day == wd && (day.Day()-1)/7+1 == nth.n {
			return true
		}
	}
	for _, l := range d.last {
		if l == wd && day.Day()+7 > dim {
			return true
		}
	}
	return false
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nearestWeekday is the weekday nearest day n of the month, never crossing
// into another month (15W: the 15th if a weekday, else the Friday before
// or Monday after).
func nearestWeekday(y int, m time.Month, n int) int {
	dim := daysIn(y, m)
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == dim {
			return n - 2
		}
		return n + 1
	}
	return n
}

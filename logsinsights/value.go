package logsinsights

import (
	"cmp"
	"math"
	"strconv"
	"strings"
	"time"
)

// kind is what a value holds. The query language is loosely typed, as
// CloudWatch's: a string that reads as a number compares and computes as
// one.
type kind uint8

const (
	kNull kind = iota // absent: a field the record does not have
	kStr
	kNum
	kTime // milliseconds since the epoch, shown as a date
)

// Value is one field's value in a record.
type Value struct {
	k kind
	s string
	n float64
}

func null() Value               { return Value{} }
func str(s string) Value        { return Value{k: kStr, s: s} }
func num(n float64) Value       { return Value{k: kNum, n: n} }
func timeMillis(ms int64) Value { return Value{k: kTime, n: float64(ms)} }
func boolean(b bool) Value {
	if b {
		return num(1)
	}
	return num(0)
}

// IsNull reports whether the value is absent.
func (v Value) IsNull() bool { return v.k == kNull }

// timeLayout is how Logs Insights shows @timestamp, bin() and the like.
const timeLayout = "2006-01-02 15:04:05.000"

// String is the value as GetQueryResults shows it.
func (v Value) String() string {
	switch v.k {
	case kStr:
		return v.s
	case kNum:
		return formatNum(v.n)
	case kTime:
		return time.UnixMilli(int64(v.n)).UTC().Format(timeLayout)
	}
	return ""
}

func formatNum(f float64) string {
	switch {
	case math.IsNaN(f), math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'f', -1, 64)
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// number is the value as a number, when it is one or reads as one.
func (v Value) number() (float64, bool) {
	switch v.k {
	case kNum, kTime:
		return v.n, true
	case kStr:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return f, err == nil
	}
	return 0, false
}

// truthy is how filter reads a value: comparisons yield 1 or 0; a bare
// field passes when it is present and not empty, zero or "false".
func (v Value) truthy() bool {
	switch v.k {
	case kNum, kTime:
		return v.n != 0
	case kStr:
		return v.s != "" && v.s != "false"
	}
	return false
}

// compareValues orders two present values: numerically when both read as
// numbers, otherwise as strings.
func compareValues(a, b Value) int {
	if x, ok := a.number(); ok {
		if y, ok := b.number(); ok {
			return cmp.Compare(x, y)
		}
	}
	return strings.Compare(a.String(), b.String())
}

// naturalLess is sort's order, as CloudWatch documents it for ascending
// sorts: absent values last, every non-number before every number,
// numbers by value, and other strings compared chunk by chunk (runs of
// digits by length then value, other characters by code point).
func naturalLess(a, b Value) int {
	switch {
	case a.k == kNull && b.k == kNull:
		return 0
	case a.k == kNull:
		return 1
	case b.k == kNull:
		return -1
	}
	x, aNum := a.number()
	y, bNum := b.number()
	switch {
	case aNum && bNum:
		return cmp.Compare(x, y)
	case aNum:
		return 1
	case bNum:
		return -1
	}
	return naturalCompare(a.String(), b.String())
}

func naturalCompare(a, b string) int {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := 0, 0
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			if i != j {
				if i < j {
					return -1
				}
				return 1
			}
			if c := strings.Compare(a[:i], b[:j]); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

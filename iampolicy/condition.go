package iampolicy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// operator is a parsed condition operator: a base comparison, whether it
// is negated, its set qualifier and whether it ends in IfExists.
type operator struct {
	base     string // "StringEquals", "NumericLessThan", "IpAddress", "Null", …
	negated  bool
	set      string // "", "ForAnyValue", "ForAllValues"
	ifExists bool
}

// negations maps each negated operator to the base it negates.
var negations = map[string]string{
	"StringNotEquals":           "StringEquals",
	"StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringNotLike":             "StringLike",
	"NumericNotEquals":          "NumericEquals",
	"DateNotEquals":             "DateEquals",
	"NotIpAddress":              "IpAddress",
	"ArnNotEquals":              "ArnEquals",
	"ArnNotLike":                "ArnLike",
}

var bases = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"NumericEquals": true, "NumericLessThan": true, "NumericLessThanEquals": true,
	"NumericGreaterThan": true, "NumericGreaterThanEquals": true,
	"DateEquals": true, "DateLessThan": true, "DateLessThanEquals": true,
	"DateGreaterThan": true, "DateGreaterThanEquals": true,
	"Bool": true, "BinaryEquals": true, "IpAddress": true, "ArnEquals": true, "ArnLike": true,
	"Null": true,
}

func parseOperator(name string) (operator, bool) {
	var op operator
	rest := name
	if q, r, ok := strings.Cut(rest, ":"); ok {
		if q != "ForAnyValue" && q != "ForAllValues" {
			return op, false
		}
		op.set, rest = q, r
	}
	if r, ok := strings.CutSuffix(rest, "IfExists"); ok && rest != "Null" {
		op.ifExists, rest = true, r
	}
	if b, ok := negations[rest]; ok {
		op.base, op.negated = b, true
	} else if bases[rest] {
		op.base = rest
	} else {
		return op, false
	}
	if op.base == "Null" && (op.ifExists || op.set != "") {
		return op, false
	}
	return op, true
}

// holds reports whether one condition holds for the request; vars
// substitutes policy variables in the policy's values.
func (c *Condition) holds(r *Request, vars bool) bool {
	ctxVals, present := r.lookup(c.Key)
	if c.op.base == "Null" {
		// "true": the key must be absent; "false": present.
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") == !present {
				return true
			}
		}
		return false
	}
	polVals := c.Values
	if vars {
		polVals = make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			if s, ok := substitute(v, r, c.op.base == "StringLike" || c.op.base == "ArnLike"); ok {
				polVals = append(polVals, s)
			}
		}
	}
	anyMatch := func(ctxVal string) bool {
		for _, pv := range polVals {
			if compare(c.op.base, ctxVal, pv) {
				return true
			}
		}
		return false
	}
	switch c.op.set {
	case "ForAnyValue":
		if !present || len(ctxVals) == 0 {
			return c.op.ifExists
		}
		for _, v := range ctxVals {
			if anyMatch(v) != c.op.negated {
				return true
			}
		}
		return false
	case "ForAllValues":
		for _, v := range ctxVals {
			if anyMatch(v) == c.op.negated {
				return false
			}
		}
		return true
	}
	if !present {
		// AWS: a missing key matches nothing, so a positive operator is
		// false and a negated one true; IfExists makes both true.
		return c.op.ifExists || c.op.negated
	}
	matched := false
	for _, v := range ctxVals {
		if anyMatch(v) {
			matched = true
			break
		}
	}
	return matched != c.op.negated
}

// compare applies a base operator to one value of the request (ctx) and
// one of the policy (pol).
func compare(base, ctx, pol string) bool {
	switch base {
	case "StringEquals", "BinaryEquals":
		return ctx == pol
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(ctx, pol)
	case "StringLike", "ArnLike", "ArnEquals":
		return Match(pol, ctx)
	case "Bool":
		return strings.EqualFold(ctx, pol)
	case "IpAddress":
		return ipIn(ctx, pol)
	}
	if strings.HasPrefix(base, "Numeric") {
		a, err1 := strconv.ParseFloat(ctx, 64)
		b, err2 := strconv.ParseFloat(pol, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return order(strings.TrimPrefix(base, "Numeric"), cmp(a, b))
	}
	if strings.HasPrefix(base, "Date") {
		a, ok1 := parseDate(ctx)
		b, ok2 := parseDate(pol)
		if !ok1 || !ok2 {
			return false
		}
		return order(strings.TrimPrefix(base, "Date"), a.Compare(b))
	}
	return false
}

func cmp(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// order reads a comparison suffix ("LessThanEquals") against c, the sign
// of request value minus policy value.
func order(rel string, c int) bool {
	switch rel {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThan":
		return c > 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// parseDate reads the date forms IAM accepts: ISO 8601 (with or without
// a time) or seconds since the epoch.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// ipIn reports whether addr lies in cidr (a bare address is a /32 or /128).
func ipIn(addr, cidr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if !strings.Contains(cidr, "/") {
		b, err := netip.ParseAddr(cidr)
		return err == nil && b.Unmap() == a
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false
	}
	return p.Contains(a)
}

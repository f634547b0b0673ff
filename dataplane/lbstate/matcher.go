package lbstate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Matcher is a parsed health check HttpCode: the status codes that count as
// a success.
type Matcher []codeRange

type codeRange struct{ lo, hi int }

// ParseMatcher parses an HttpCode as ELB takes it for application load
// balancers: codes from 200 to 499, given as one code ("200"), a list
// ("200,202") or a range ("200-299").
func ParseMatcher(s string) (Matcher, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("must name at least one status code")
	}
	var m Matcher
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 200 || b > 499 || a > b {
			return nil, fmt.Errorf("%q is not a status code or range from 200 to 499", part)
		}
		m = append(m, codeRange{a, b})
	}
	return m, nil
}

// Match reports whether status counts as a success.
func (m Matcher) Match(status int) bool {
	for _, r := range m {
		if status >= r.lo && status <= r.hi {
			return true
		}
	}
	return false
}

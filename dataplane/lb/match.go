package lb

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/wharfhq/wharf/api/elbv2types"
)

// wildcard reports whether s matches pattern, where '*' matches any run of
// characters (also none) and '?' exactly one, as ELB's rule conditions do.
// fold compares letters case-insensitively (host and header values).
func wildcard(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Iterative matching with one backtrack point: linear for the patterns
	// rules use, never exponential.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// condition is one compiled rule condition.
type condition func(r *http.Request) bool

// compileCondition turns a stored rule condition into a matcher. The API
// has validated it; a condition it cannot read matches nothing.
func compileCondition(c elbv2types.RuleCondition) condition {
	field := ""
	if c.Field != nil {
		field = *c.Field
	}
	switch field {
	case "path-pattern":
		vals := c.Values
		if c.PathPatternConfig != nil && len(c.PathPatternConfig.Values) > 0 {
			vals = c.PathPatternConfig.Values
		}
		return func(r *http.Request) bool { return anyMatch(vals, r.URL.Path, false) }
	case "host-header":
		vals := c.Values
		if c.HostHeaderConfig != nil && len(c.HostHeaderConfig.Values) > 0 {
			vals = c.HostHeaderConfig.Values
		}
		return func(r *http.Request) bool { return hostMatch(vals, r.Host) }
	case "http-header":
		h := c.HttpHeaderConfig
		if h == nil || h.HttpHeaderName == nil {
			break
		}
		name, vals := http.CanonicalHeaderKey(*h.HttpHeaderName), h.Values
		return func(r *http.Request) bool {
			for _, v := range r.Header.Values(name) {
				if anyMatch(vals, v, true) {
					return true
				}
			}
			return false
		}
	case "http-request-method":
		if c.HttpRequestMethodConfig == nil {
			break
		}
		vals := c.HttpRequestMethodConfig.Values
		return func(r *http.Request) bool {
			for _, v := range vals {
				if v == r.Method {
					return true
				}
			}
			return false
		}
	case "query-string":
		if c.QueryStringConfig == nil {
			break
		}
		pairs := c.QueryStringConfig.Values
		return func(r *http.Request) bool { return queryMatch(pairs, r) }
	case "source-ip":
		if c.SourceIpConfig == nil {
			break
		}
		var prefixes []netip.Prefix
		for _, v := range c.SourceIpConfig.Values {
			if p, err := netip.ParsePrefix(v); err == nil {
				prefixes = append(prefixes, p.Masked())
			}
		}
		return func(r *http.Request) bool { return sourceMatch(prefixes, r.RemoteAddr) }
	}
	return func(*http.Request) bool { return false }
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if wildcard(p, s, fold) {
			return true
		}
	}
	return false
}

// hostMatch compares the Host header without its port, unless the pattern
// names one.
func hostMatch(patterns []string, host string) bool {
	bare := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		bare = h
	}
	for _, p := range patterns {
		s := bare
		if strings.Contains(p, ":") {
			s = host
		}
		if wildcard(p, s, true) {
			return true
		}
	}
	return false
}

// queryMatch reports whether any pair matches a query parameter: a pair
// without a key matches any parameter's value.
func queryMatch(pairs []elbv2types.QueryStringKeyValuePair, r *http.Request) bool {
	q := r.URL.Query()
	for _, kv := range pairs {
		val := ""
		if kv.Value != nil {
			val = *kv.Value
		}
		for k, vs := range q {
			if kv.Key != nil && !wildcard(*kv.Key, k, true) {
				continue
			}
			if anyMatch([]string{val}, firstOr(vs), true) {
				return true
			}
		}
	}
	return false
}

func firstOr(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func sourceMatch(prefixes []netip.Prefix, remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

package lb

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharfhq/wharf/api/elbv2types"
)

func TestWildcard(t *testing.T) {
	tests := []struct {
		name, pattern, s string
		fold, want       bool
	}{
		{"exact", "/api", "/api", false, true},
		{"exact mismatch", "/api", "/apix", false, false},
		{"star suffix", "/api/*", "/api/users/1", false, true},
		{"star matches empty", "/api/*", "/api/", false, true},
		{"star needs prefix", "/api/*", "/apiv2", false, false},
		{"star middle", "/img/*.png", "/img/a/b.png", false, true},
		{"star middle mismatch", "/img/*.png", "/img/a/b.jpg", false, false},
		{"question one char", "/v?/x", "/v1/x", false, true},
		{"question not empty", "/v?/x", "/v/x", false, false},
		{"case sensitive", "/API", "/api", false, false},
		{"case folded", "*.EXAMPLE.com", "www.example.COM", true, true},
		{"many stars", "*a*b*c*", "xxaxxbxxcxx", false, true},
		{"backtracking", "*ab", "aaab", false, true},
		{"only star", "*", "", false, true},
		{"empty pattern", "", "x", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wildcard(tc.pattern, tc.s, tc.fold); got != tc.want {
				t.Fatalf("wildcard(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	field := func(f string) *string { return &f }
	req := func(method, target, host string, hdr ...string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		r.Host = host
		r.RemoteAddr = "10.1.2.3:5555"
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Add(hdr[i], hdr[i+1])
		}
		return r
	}
	tests := []struct {
		name string
		cond elbv2types.RuleCondition
		req  *http.Request
		want bool
	}{
		{"path legacy values", elbv2types.RuleCondition{Field: field("path-pattern"), Values: []string{"/api/*"}}, req("GET", "/api/x?q=1", "h"), true},
		{"path config", elbv2types.RuleCondition{Field: field("path-pattern"), PathPatternConfig: &elbv2types.PathPatternConditionConfig{Values: []string{"/a", "/b*"}}}, req("GET", "/bcd", "h"), true},
		{"path ignores query", elbv2types.RuleCondition{Field: field("path-pattern"), Values: []string{"/x"}}, req("GET", "/x?y=1", "h"), true},
		{"path no match", elbv2types.RuleCondition{Field: field("path-pattern"), Values: []string{"/api/*"}}, req("GET", "/web", "h"), false},
		{"host without port", elbv2types.RuleCondition{Field: field("host-header"), Values: []string{"*.example.com"}}, req("GET", "/", "api.Example.com:8080"), true},
		{"host with port", elbv2types.RuleCondition{Field: field("host-header"), Values: []string{"a.test:8080"}}, req("GET", "/", "a.test:8080"), true},
		{"host no match", elbv2types.RuleCondition{Field: field("host-header"), Values: []string{"a.test"}}, req("GET", "/", "b.test"), false},
		{"header", elbv2types.RuleCondition{Field: field("http-header"), HttpHeaderConfig: &elbv2types.HttpHeaderConditionConfig{HttpHeaderName: field("x-env"), Values: []string{"PRO?"}}}, req("GET", "/", "h", "X-Env", "prod"), true},
		{"header absent", elbv2types.RuleCondition{Field: field("http-header"), HttpHeaderConfig: &elbv2types.HttpHeaderConditionConfig{HttpHeaderName: field("x-env"), Values: []string{"*"}}}, req("GET", "/", "h"), false},
		{"method", elbv2types.RuleCondition{Field: field("http-request-method"), HttpRequestMethodConfig: &elbv2types.HttpRequestMethodConditionConfig{Values: []string{"POST", "PUT"}}}, req("PUT", "/", "h"), true},
		{"method no match", elbv2types.RuleCondition{Field: field("http-request-method"), HttpRequestMethodConfig: &elbv2types.HttpRequestMethodConditionConfig{Values: []string{"POST"}}}, req("GET", "/", "h"), false},
		{"query key and value", elbv2types.RuleCondition{Field: field("query-string"), QueryStringConfig: &elbv2types.QueryStringConditionConfig{Values: []elbv2types.QueryStringKeyValuePair{{Key: field("version"), Value: field("v2*")}}}}, req("GET", "/?version=V2beta", "h"), true},
		{"query value only", elbv2types.RuleCondition{Field: field("query-string"), QueryStringConfig: &elbv2types.QueryStringConditionConfig{Values: []elbv2types.QueryStringKeyValuePair{{Value: field("blue")}}}}, req("GET", "/?a=red&b=blue", "h"), true},
		{"source ip", elbv2types.RuleCondition{Field: field("source-ip"), SourceIpConfig: &elbv2types.SourceIpConditionConfig{Values: []string{"10.0.0.0/8"}}}, req("GET", "/", "h"), true},
		{"source ip outside", elbv2types.RuleCondition{Field: field("source-ip"), SourceIpConfig: &elbv2types.SourceIpConditionConfig{Values: []string{"192.168.0.0/16"}}}, req("GET", "/", "h"), false},
		{"unknown field", elbv2types.RuleCondition{Field: field("cookie")}, req("GET", "/", "h"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := compileCondition(tc.cond)(tc.req); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

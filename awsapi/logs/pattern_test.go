package logs

import "testing"

func TestPatternMatch(t *testing.T) {
	const (
		bad      = "[ERROR 400] BAD REQUEST"
		unauth   = "[ERROR 401] UNAUTHORIZED REQUEST"
		missing  = "[ERROR 419] MISSING ARGUMENTS"
		invalid  = "[ERROR 420] INVALID ARGUMENTS"
		internal = "[ERROR 500] INTERNAL SERVER ERROR"
		ok       = "[SUCCESS 200] AUTHORIZED REQUEST"
		exiting  = "ERROR: Exiting now"
		plural   = "ERRORS happen"
		jsonErr  = `{"level":"error","msg":"boom","n":2,"ok":false,"user":{"id":7,"name":"ana"},"tags":["a","b"],"gone":null}`
		jsonInfo = `{"level":"info","msg":"fine","n":1,"ok":true,"user":{"id":8,"name":"bob"},"tags":["c"]}`
		access   = `127.0.0.1 frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`
	)
	all := []string{bad, unauth, missing, invalid, internal, ok, exiting, plural, jsonErr, jsonInfo, access}
	cases := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"empty matches all", "", all},
		{"blank matches all", "   ", all},
		{"term", "ERROR", []string{bad, unauth, missing, invalid, internal, exiting}},
		{"term is case sensitive", "error", []string{jsonErr}},
		{"term is a whole word", "AUTHORIZED", []string{ok}},
		{"all terms", "ERROR ARGUMENTS", []string{missing, invalid}},
		{"any term", "?ARGUMENTS ?SUCCESS", []string{missing, invalid, ok}},
		{"exclude", "ERROR -ARGUMENTS", []string{bad, unauth, internal, exiting}},
		{"quoted exclude", `"ERROR" -"Exiting"`, []string{bad, unauth, missing, invalid, internal}},
		{"phrase", `"INTERNAL SERVER ERROR"`, []string{internal}},
		{"phrase with symbols", `"[ERROR 400]"`, []string{bad}},
		{"phrase is whole words", `"ERROR 4"`, nil},
		{"regex", "%AUTHORIZED%", []string{unauth, ok}},
		{"regex anchors", "%^ERRORS?%", []string{exiting, plural}},
		{"json string", `{ $.level = "error" }`, []string{jsonErr}},
		{"json bare string", `{$.level=info}`, []string{jsonInfo}},
		{"json not equal", `{ $.level != "error" }`, []string{jsonInfo}},
		{"json not equal on a missing field", `{ $.nope != "x" }`, nil},
		{"json wildcard", `{ $.msg = "bo*" }`, []string{jsonErr}},
		{"json number", `{ $.n > 1 }`, []string{jsonErr}},
		{"json number ops", `{ $.n >= 1 && $.n <= 1 }`, []string{jsonInfo}},
		{"json nested", `{ $.user.id = 8 }`, []string{jsonInfo}},
		{"json array", `{ $.tags[1] = "b" }`, []string{jsonErr}},
		{"json any element", `{ $.tags[*] = "c" }`, []string{jsonInfo}},
		{"json and or", `{ ($.level = "info" && $.n = 2) || $.user.name = "ana" }`, []string{jsonErr}},
		{"json precedence", `{ $.level = "info" && $.n = 2 || $.user.name = "ana" }`, []string{jsonErr}},
		{"json is true", `{ $.ok IS TRUE }`, []string{jsonInfo}},
		{"json is false", `{ $.ok IS FALSE }`, []string{jsonErr}},
		{"json is null", `{ $.gone IS NULL }`, []string{jsonErr}},
		{"json not exists", `{ $.gone NOT EXISTS }`, []string{jsonInfo}},
		{"json regex", `{ $.msg = %^f% }`, []string{jsonInfo}},
		{"delimited", `[ip, user, timestamp, request, status_code = 404, bytes > 1000]`, []string{access}},
		{"delimited wildcard", `[..., status_code = 4*, bytes]`, []string{access}},
		{"delimited miss", `[ip, user, timestamp, request, status_code = 200, bytes]`, nil},
		{"delimited field count", `[a, b]`, []string{plural}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePattern(tc.pattern)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.pattern, err)
			}
			var got []string
			for _, m := range all {
				if p.Match(m) {
					got = append(got, m)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%q matched %q, want %q", tc.pattern, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("%q matched %q, want %q", tc.pattern, got, tc.want)
				}
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	for _, tc := range []struct{ name, pattern string }{
		{"unterminated quote", `"abc`},
		{"unterminated regex", `%abc`},
		{"bad regex", `%a(%`},
		{"json without close", `{ $.a = 1`},
		{"json without selector", `{ a = 1 }`},
		{"json without value", `{ $.a = }`},
		{"json without operator", `{ $.a 1 }`},
		{"json unbalanced", `{ ($.a = 1 }`},
		{"json trailing", `{ $.a = 1 $.b = 2 }`},
		{"json order on a string", `{ $.a > "x" }`},
		{"json bad index", `{ $.a[x] = 1 }`},
		{"delimited without close", `[a, b`},
		{"delimited empty field", `[a,,b]`},
		{"quote inside a term", `ab"c`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParsePattern(tc.pattern); err == nil {
				t.Fatalf("%q parsed", tc.pattern)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "abc", true},
		{"a*c", "ac", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"*", "", true},
		{"ab*ba", "aba", false},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

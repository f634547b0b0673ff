package logs

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Pattern is a compiled CloudWatch Logs filter pattern (the language of
// FilterLogEvents, metric and subscription filters):
//
//	""                       every event
//	ERROR Exception          events with both terms
//	"Internal Server Error"  an exact phrase (quote terms with non-alphanumerics)
//	?ERROR ?WARN             events with at least one of the ?terms
//	ERROR -Exiting           events with ERROR and without Exiting
//	%err(or)?%               a regular expression, anywhere in the message
//	{ $.level = "error" }    JSON events: selectors compared with = != < > <= >=,
//	                         IS NULL, IS TRUE, IS FALSE, NOT EXISTS, joined by
//	                         && and || with parentheses; strings may use * as a
//	                         wildcard, or a %regex%
//	[ip, user, ..., code=4*] space-delimited fields ("..." and [...] group a field)
//
// Terms are case sensitive and match whole words: ERROR matches
// "[ERROR 400]" and "error: ERROR" but not "ERRORS" (CloudWatch tokenizes
// messages; use a %regex% to match inside words).
type Pattern struct {
	match func(msg string) bool
}

// Match reports whether msg matches the pattern.
func (p *Pattern) Match(msg string) bool { return p.match(msg) }

// ParsePattern compiles a filter pattern.
func ParsePattern(src string) (*Pattern, error) {
	s := strings.TrimSpace(src)
	switch {
	case s == "":
		return &Pattern{match: func(string) bool { return true }}, nil
	case s[0] == '{':
		if s[len(s)-1] != '}' {
			return nil, errors.New("a JSON pattern must end with }")
		}
		e, err := parseJSONPattern(s[1 : len(s)-1])
		if err != nil {
			return nil, err
		}
		return &Pattern{match: e.matchJSON}, nil
	case s[0] == '[':
		if s[len(s)-1] != ']' {
			return nil, errors.New("a space-delimited pattern must end with ]")
		}
		d, err := parseDelimited(s[1 : len(s)-1])
		if err != nil {
			return nil, err
		}
		return &Pattern{match: d.match}, nil
	}
	return parseTerms(s)
}

// term is one word, phrase or regex of an unstructured pattern.
type term struct {
	text string
	re   *regexp.Regexp
}

func (t term) in(msg string) bool {
	if t.re != nil {
		return t.re.MatchString(msg)
	}
	return containsWord(msg, t.text)
}

func parseTerms(s string) (*Pattern, error) {
	var all, any, none []term
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			break
		}
		kind := byte(0)
		if (s[0] == '?' || s[0] == '-') && len(s) > 1 && s[1] != ' ' {
			kind, s = s[0], s[1:]
		}
		var t term
		var err error
		t, s, err = readTerm(s)
		if err != nil {
			return nil, err
		}
		switch kind {
		case '?':
			any = append(any, t)
		case '-':
			none = append(none, t)
		default:
			all = append(all, t)
		}
	}
	return &Pattern{match: func(msg string) bool {
		for _, t := range all {
			if !t.in(msg) {
				return false
			}
		}
		for _, t := range none {
			if t.in(msg) {
				return false
			}
		}
		if len(any) == 0 {
			return true
		}
		for _, t := range any {
			if t.in(msg) {
				return true
			}
		}
		return false
	}}, nil
}

// readTerm reads a quoted phrase, a %regex% or a bare word from the start
// of s and returns the rest.
func readTerm(s string) (term, string, error) {
	switch s[0] {
	case '"':
		text, rest, err := readQuoted(s)
		if err != nil {
			return term{}, "", err
		}
		if text == "" {
			return term{}, "", errors.New("empty quoted term")
		}
		return term{text: text}, rest, nil
	case '%':
		end := strings.IndexByte(s[1:], '%')
		if end < 0 {
			return term{}, "", errors.New("unterminated %regex%")
		}
		re, err := compileRegex(s[1 : end+1])
		if err != nil {
			return term{}, "", err
		}
		return term{re: re}, s[end+2:], nil
	}
	end := strings.IndexAny(s, " \t\r\n")
	if end < 0 {
		end = len(s)
	}
	if strings.ContainsRune(s[:end], '"') {
		return term{}, "", fmt.Errorf("invalid character in term %q: quote terms that include non-alphanumeric characters", s[:end])
	}
	return term{text: s[:end]}, s[end:], nil
}

// readQuoted reads a double-quoted string (with \" and \\ escapes) at the
// start of s.
func readQuoted(s string) (text, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated quoted string")
}

func compileRegex(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, errors.New("empty %regex%")
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid regex %%%s%%: %v", expr, err)
	}
	return re, nil
}

// containsWord reports whether word occurs in msg as a whole term: not
// glued to a letter or digit on a side where the word itself has one.
func containsWord(msg, word string) bool {
	for i := 0; i <= len(msg)-len(word); {
		j := strings.Index(msg[i:], word)
		if j < 0 {
			return false
		}
		from, to := i+j, i+j+len(word)
		if !(isAlnum(word[0]) && from > 0 && isAlnum(msg[from-1])) &&
			!(isAlnum(word[len(word)-1]) && to < len(msg) && isAlnum(msg[to])) {
			return true
		}
		i = from + 1
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// globMatch matches s against a pattern whose only wildcard is *.
func globMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

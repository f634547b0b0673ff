package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// posixClasses maps Java's \p{Name} POSIX classes, which Go's RE2 does not
// know by that name, to Go's [:name:] classes (both are ASCII-only).
var posixClasses = map[string]string{
	"Lower": "lower", "Upper": "upper", "ASCII": "ascii", "Alpha": "alpha",
	"Digit": "digit", "Alnum": "alnum", "Punct": "punct", "Graph": "graph",
	"Print": "print", "Blank": "blank", "Cntrl": "cntrl", "XDigit": "xdigit",
	"Space": "space",
}

// translatePattern rewrites a Smithy (ECMA-262 / Java flavoured) pattern into
// Go RE2 syntax: \uXXXX escapes become \x{XXXX} and Java POSIX classes such as
// \p{Print} become [[:print:]]. It returns an error when the pattern cannot be
// checked faithfully in Go: UTF-16 surrogate escapes (which match astral
// characters in UTF-16 engines), or constructs RE2 lacks such as lookaround
// and backreferences (reported by regexp.Compile).
func translatePattern(p string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			switch {
			case n == 'u' && i+6 <= len(p) && isHex(p[i+2:i+6]):
				v, _ := strconv.ParseUint(p[i+2:i+6], 16, 32)
				if v >= 0xD800 && v <= 0xDFFF {
					return "", fmt.Errorf("UTF-16 surrogate escape \\u%s", p[i+2:i+6])
				}
				fmt.Fprintf(&b, `\x{%s}`, p[i+2:i+6])
				i += 5
				continue
			case n == 'p' && i+2 < len(p) && p[i+2] == '{':
				end := strings.IndexByte(p[i+2:], '}')
				if end > 0 {
					name := p[i+3 : i+2+end]
					if cls, ok := posixClasses[name]; ok {
						if inClass {
							b.WriteString("[:" + cls + ":]")
						} else {
							b.WriteString("[[:" + cls + ":]]")
						}
						i += 2 + end
						continue
					}
				}
			}
			b.WriteByte(c)
			b.WriteByte(n)
			i++
			continue
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// a ']' right after '[' or '[^' is a literal
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		case c == '{' && !inClass:
			if q, n, ok := relaxRepeat(p[i:]); ok {
				b.WriteString(q)
				i += n - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	out := b.String()
	if _, err := regexp.Compile(out); err != nil {
		return "", err
	}
	return out, nil
}

// maxRepeat is the largest repeat count RE2 accepts.
const maxRepeat = 1000

// relaxRepeat rewrites a repeat quantifier at the start of s whose counts
// exceed RE2's limit into an unbounded one ({1,100000} -> {1,}), which accepts
// a superset: the pattern then still checks the characters, and the length is
// left to the smithy.api#length trait. It returns the replacement and the
// length of the quantifier it replaces.
func relaxRepeat(s string) (string, int, bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", 0, false
	}
	body := s[1:end]
	lo, hi, comma := strings.Cut(body, ",")
	min, err := strconv.Atoi(lo)
	if err != nil {
		return "", 0, false
	}
	max := min
	if comma {
		if hi == "" {
			max = -1
		} else if max, err = strconv.Atoi(hi); err != nil {
			return "", 0, false
		}
	}
	if min <= maxRepeat && max <= maxRepeat {
		return "", 0, false
	}
	if min > maxRepeat {
		min = maxRepeat
	}
	return "{" + strconv.Itoa(min) + ",}", end + 1, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

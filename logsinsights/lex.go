package logsinsights

import (
	"fmt"
	"strings"
)

// Error is a query that does not compile: what is wrong and where (byte
// offsets into the query string), as StartQuery's MalformedQueryException
// reports it.
type Error struct {
	Msg        string
	Start, End int
}

func (e *Error) Error() string { return e.Msg }

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tNum
	tStr
	tRegex
	tDur // a number with a time unit: 5m, 1h, 30s
	tOp
)

type token struct {
	kind       tokKind
	text       string // the identifier, operator, string contents or regex source
	num        float64
	start, end int
}

// lexer cuts a query into tokens. Whether "/" starts a regex or divides
// depends on what precedes it, as in the query language: a regex follows
// an operator, an opening bracket, a comma or a keyword (like, and, …),
// and the source field of parse.
type lexer struct {
	src  string
	i    int
	toks []token
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		l.toks = append(l.toks, t)
		if t.kind == tEOF {
			return l.toks, nil
		}
	}
}

// position is the 1-based line and column of byte offset i.
func position(src string, i int) (line, col int) {
	line = 1 + strings.Count(src[:i], "\n")
	return line, i - strings.LastIndexByte(src[:i], '\n')
}

func syntaxError(src string, start, end int, near string) *Error {
	line, col := position(src, start)
	return &Error{Msg: fmt.Sprintf("unexpected symbol found %s at line %d and position %d", near, line, col), Start: start, End: end}
}

func (l *lexer) errorf(start int, format string, args ...any) *Error {
	line, col := position(l.src, start)
	return &Error{Msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" at line %d and position %d", line, col), Start: start, End: min(start+1, len(l.src))}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c == '.' || c >= '0' && c <= '9' || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// regexAllowed reports whether a "/" at this point starts a regex.
func (l *lexer) regexAllowed() bool {
	n := len(l.toks)
	if n == 0 {
		return true
	}
	prev := l.toks[n-1]
	switch prev.kind {
	case tNum, tStr, tRegex, tDur:
		return false
	case tOp:
		return prev.text != ")" && prev.text != "]"
	}
	switch strings.ToLower(prev.text) {
	case "like", "and", "or", "not", "in", "filter", "parse", "by", "as":
		return true
	}
	// parse FIELD /regex/
	return n >= 2 && l.toks[n-2].kind == tIdent && strings.EqualFold(l.toks[n-2].text, "parse")
}

func (l *lexer) next() (token, error) {
	// Whitespace and # comments to the end of the line.
	for l.i < len(l.src) {
		c := l.src[l.i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			l.i++
			continue
		}
		if c == '#' {
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.i++
			}
			continue
		}
		break
	}
	start := l.i
	if l.i >= len(l.src) {
		return token{kind: tEOF, start: start, end: start}, nil
	}
	c := l.src[l.i]
	switch {
	case isIdentStart(c):
		for l.i < len(l.src) && isIdentPart(l.src[l.i]) {
			l.i++
		}
		return token{kind: tIdent, text: l.src[start:l.i], start: start, end: l.i}, nil
	case c == '`':
		end := strings.IndexByte(l.src[l.i+1:], '`')
		if end < 0 {
			return token{}, l.errorf(start, "unterminated `field name`")
		}
		l.i += end + 2
		return token{kind: tIdent, text: l.src[start+1 : l.i-1], start: start, end: l.i}, nil
	case isDigit(c) || c == '.' && l.i+1 < len(l.src) && isDigit(l.src[l.i+1]):
		return l.number()
	case c == '"' || c == '\'':
		return l.quoted(c)
	case c == '/' && l.regexAllowed():
		return l.regex()
	}
	for _, op := range []string{"!=", "<=", ">=", "=~", "==", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "%", "^", "!"} {
		if strings.HasPrefix(l.src[l.i:], op) {
			l.i += len(op)
			if op == "==" {
				op = "="
			}
			return token{kind: tOp, text: op, start: start, end: l.i}, nil
		}
	}
	return token{}, syntaxError(l.src, start, start+1, string(c))
}

// units are bin()'s and the date functions' period units, in milliseconds
// (months, quarters and years are calendar periods, marked negative).
var units = map[string]float64{
	"ms": 1, "s": 1000, "sec": 1000, "m": 60e3, "min": 60e3, "h": 3600e3, "hr": 3600e3,
	"d": 86400e3, "w": 7 * 86400e3, "mo": -1, "q": -3, "y": -12,
}

func (l *lexer) number() (token, error) {
	start := l.i
	for l.i < len(l.src) && (isDigit(l.src[l.i]) || l.src[l.i] == '.') {
		l.i++
	}
	if l.i < len(l.src) && (l.src[l.i] == 'e' || l.src[l.i] == 'E') && l.i+1 < len(l.src) &&
		(isDigit(l.src[l.i+1]) || (l.src[l.i+1] == '-' || l.src[l.i+1] == '+') && l.i+2 < len(l.src) && isDigit(l.src[l.i+2])) {
		l.i += 2
		for l.i < len(l.src) && isDigit(l.src[l.i]) {
			l.i++
		}
	}
	var f float64
	if _, err := fmt.Sscan(l.src[start:l.i], &f); err != nil {
		return token{}, syntaxError(l.src, start, l.i, l.src[start:l.i])
	}
	ustart := l.i
	for l.i < len(l.src) && (l.src[l.i] >= 'a' && l.src[l.i] <= 'z' || l.src[l.i] >= 'A' && l.src[l.i] <= 'Z') {
		l.i++
	}
	if ustart == l.i {
		return token{kind: tNum, num: f, text: l.src[start:l.i], start: start, end: l.i}, nil
	}
	u, ok := units[strings.ToLower(l.src[ustart:l.i])]
	if !ok {
		return token{}, syntaxError(l.src, start, l.i, l.src[start:l.i])
	}
	return token{kind: tDur, num: f * u, text: l.src[start:l.i], start: start, end: l.i}, nil
}

func (l *lexer) quoted(q byte) (token, error) {
	start := l.i
	var b strings.Builder
	for l.i++; l.i < len(l.src); l.i++ {
		c := l.src[l.i]
		switch {
		case c == '\\' && l.i+1 < len(l.src):
			l.i++
			switch e := l.src[l.i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		case c == q:
			l.i++
			return token{kind: tStr, text: b.String(), start: start, end: l.i}, nil
		default:
			b.WriteByte(c)
		}
	}
	return token{}, l.errorf(start, "unterminated string")
}

// regex reads /…/ (a "\/" is a slash inside it).
func (l *lexer) regex() (token, error) {
	start := l.i
	var b strings.Builder
	for l.i++; l.i < len(l.src); l.i++ {
		c := l.src[l.i]
		switch {
		case c == '\\' && l.i+1 < len(l.src) && l.src[l.i+1] == '/':
			l.i++
			b.WriteByte('/')
		case c == '\\' && l.i+1 < len(l.src):
			b.WriteByte(c)
			l.i++
			b.WriteByte(l.src[l.i])
		case c == '/':
			l.i++
			return token{kind: tRegex, text: b.String(), start: start, end: l.i}, nil
		default:
			b.WriteByte(c)
		}
	}
	return token{}, l.errorf(start, "unterminated /regex/")
}

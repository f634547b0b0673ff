package main

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// exportName turns a Smithy shape or member name into an exported Go
// identifier: characters that cannot appear in an identifier are dropped and
// the first letter is upper-cased ("clusterName" -> "ClusterName").
func exportName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" {
		return "X"
	}
	r, n := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(r) {
		return "X" + s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

var enumSplit = regexp.MustCompile(`[^\p{L}\p{N}]+`)

// enumConstSuffix converts an enum member name (or, for old-style enum traits
// without names, its value) to the CamelCase suffix that aws-sdk-go-v2 uses:
// the name is split at every character that is not a letter or digit; parts
// mixing lower and upper case keep their case with the first letter
// upper-cased, other parts are title-cased. "FARGATE_SPOT" -> "FargateSpot",
// "X86_64" -> "X8664", "awsvpc" -> "Awsvpc", "ManagedInstance" ->
// "ManagedInstance", "t2.micro" -> "T2Micro".
func enumConstSuffix(name string) string {
	var b strings.Builder
	for _, part := range enumSplit.Split(name, -1) {
		if part == "" {
			continue
		}
		hasLower := strings.ToUpper(part) != part
		hasUpper := strings.ToLower(part) != part
		if !(hasLower && hasUpper) {
			part = strings.ToLower(part)
		}
		r, n := utf8.DecodeRuneInString(part)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(part[n:])
	}
	return b.String()
}

var (
	blockTag = regexp.MustCompile(`(?i)</?(p|li|ul|ol|br|div|dl|dt|dd|h[1-6]|note|important|table|tr|td|th)(\s[^>]*)?/?>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
)

// maxDocLen caps generated doc comments (in runes).
const maxDocLen = 200

// docSummary returns the first sentence of a smithy.api#documentation value:
// HTML tags stripped, entities decoded, whitespace collapsed, at most about
// maxDocLen runes (cut at a word boundary, ending in "...").
func docSummary(doc string) string {
	s := blockTag.ReplaceAllString(doc, " ")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.Join(strings.Fields(s), " ")
	s = firstSentence(s)
	if utf8.RuneCountInString(s) > maxDocLen {
		rs := []rune(s)[:maxDocLen]
		cut := string(rs)
		if i := strings.LastIndexByte(cut, ' '); i > maxDocLen/2 {
			cut = cut[:i]
		}
		s = strings.TrimRight(cut, " ,;:") + "..."
	}
	return s
}

// abbreviations that end in a period without ending a sentence.
var abbreviations = []string{"e.g.", "i.e.", "etc.", "vs.", "approx.", "Inc.", "Ltd.", "No.", "a.m.", "p.m."}

// firstSentence returns s up to and including the first '.', '!' or '?' that
// is followed by a space and an upper-case letter, digit, or quote-like
// character, skipping common abbreviations.
func firstSentence(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		if i+1 < len(s) && s[i+1] != ' ' {
			continue
		}
		if c == '.' && endsWithAbbreviation(s[:i+1]) {
			continue
		}
		if i+2 < len(s) {
			r, _ := utf8.DecodeRuneInString(s[i+2:])
			if unicode.IsLower(r) {
				continue
			}
		}
		return s[:i+1]
	}
	return s
}

func endsWithAbbreviation(s string) bool {
	for _, a := range abbreviations {
		if strings.HasSuffix(s, a) && (len(s) == len(a) || !isWordByte(s[len(s)-len(a)-1])) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// goComment formats text as a // comment block (one line: docSummary output
// has no newlines), or "" for empty text.
func goComment(indent, text string) string {
	if text == "" {
		return ""
	}
	return indent + "// " + text + "\n"
}

// goKeywords are never valid identifiers.
var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true,
	"default": true, "defer": true, "else": true, "fallthrough": true, "for": true,
	"func": true, "go": true, "goto": true, "if": true, "import": true,
	"interface": true, "map": true, "package": true, "range": true, "return": true,
	"select": true, "struct": true, "switch": true, "type": true, "var": true,
}

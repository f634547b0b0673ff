package shape

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validator is implemented by every generated structure: Validate checks the
// value against the model's constraints (required, length, range, enum,
// pattern), recursively, and returns the first violation as a
// *ValidationError, or nil.
type Validator interface {
	Validate() error
}

// ValidationError is one violated model constraint. Its Error text follows
// AWS's (Coral's) validation messages, e.g.
//
//	1 validation error detected: Value 'bogus' at 'networkMode' failed to satisfy constraint: Member must satisfy enum value set: [bridge, host, awsvpc, none]
type ValidationError struct {
	// Path is the member's wire path: member names joined by '.', list
	// indexes 1-based, map entries by key, e.g. "containerDefinitions.1.name".
	Path string
	// Reason is the constraint text, e.g. "Member must not be null".
	Reason string
	// Value is the offending value as shown in the message (strings are cut
	// to MaxValueLen runes). It is empty when Null or Hidden is set.
	Value string
	// Null reports a missing required member ("Value null at ...").
	Null bool
	// Hidden reports that the value is left out of the message because it is
	// sensitive or a collection ("Value at ...").
	Hidden bool
}

// MaxValueLen is the number of runes of a string value kept in a
// ValidationError; longer values are cut and end in "...".
const MaxValueLen = 64

// Error returns the AWS-style message.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("1 validation error detected: ")
	b.WriteString(e.Detail())
	return b.String()
}

// Detail returns the message without the "1 validation error detected: "
// prefix, for callers that join several violations.
func (e *ValidationError) Detail() string {
	var b strings.Builder
	switch {
	case e.Null:
		b.WriteString("Value null at '")
	case e.Hidden:
		b.WriteString("Value at '")
	default:
		b.WriteString("Value '")
		b.WriteString(e.Value)
		b.WriteString("' at '")
	}
	b.WriteString(e.Path)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(e.Reason)
	return b.String()
}

// Required reports a missing required member.
func Required(path string) error {
	return &ValidationError{Path: path, Reason: "Member must not be null", Null: true}
}

// Invalid reports a string (or enum) value that violates reason.
func Invalid(path, value, reason string) error {
	return &ValidationError{Path: path, Reason: reason, Value: truncate(value)}
}

// InvalidInt reports an integer value that violates reason.
func InvalidInt(path string, value int64, reason string) error {
	return &ValidationError{Path: path, Reason: reason, Value: strconv.FormatInt(value, 10)}
}

// InvalidFloat reports a floating-point value that violates reason; the value
// is printed as Java does (1.0, 0.5).
func InvalidFloat(path string, value float64, reason string) error {
	s := strconv.FormatFloat(value, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") {
		s += ".0"
	}
	return &ValidationError{Path: path, Reason: reason, Value: s}
}

// InvalidStrings reports a list of strings that violates reason; the value is
// printed as "[a, b]".
func InvalidStrings(path string, value []string, reason string) error {
	return &ValidationError{Path: path, Reason: reason, Value: truncate("[" + strings.Join(value, ", ") + "]")}
}

// InvalidHidden reports a violation without showing the value: for sensitive
// members, blobs and collections.
func InvalidHidden(path, reason string) error {
	return &ValidationError{Path: path, Reason: reason, Hidden: true}
}

// Prefix puts prefix (a member name, list index or map key) in front of the
// path of err, if err is a *ValidationError; other errors are returned as
// they are. A nil err stays nil.
func Prefix(err error, prefix string) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	if ve.Path == "" {
		ve.Path = prefix
	} else if prefix != "" {
		ve.Path = prefix + "." + ve.Path
	}
	return ve
}

// PrefixHidden is Prefix for a sensitive member: the value is also removed
// from the message.
func PrefixHidden(err error, prefix string) error {
	var ve *ValidationError
	if errors.As(err, &ve) && !ve.Null {
		ve.Hidden, ve.Value = true, ""
	}
	return Prefix(err, prefix)
}

// PrefixIndex is Prefix with the path element of the zero-based list index i,
// which AWS writes 1-based.
func PrefixIndex(err error, i int) error {
	return Prefix(err, Index(i))
}

// Index returns the path element of the zero-based list index i: "1" for 0.
func Index(i int) string { return strconv.Itoa(i + 1) }

func truncate(s string) string {
	if len(s) <= MaxValueLen || utf8.RuneCountInString(s) <= MaxValueLen {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxValueLen {
			return s[:i] + "..."
		}
		n++
	}
	return s
}

package awsapi

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// TagRules are AWS's rules for a service's resource tags, and the errors
// the service answers when they are broken: the services agree on the
// rules (at most 50 tags, keys of 1 to 128 characters, values of at most
// 256, no key beginning aws:) but not on their codes and wording, so each
// passes its own. A nil error func leaves its rule unchecked (the service
// does not check it, or its generated validation already has).
type TagRules struct {
	Max       int                           // tags on one resource
	TooMany   func(n int) error             // n tags, more than Max
	Duplicate func(key string) error        // a key given twice in one request
	KeyLen    func(key string, n int) error // a key of n characters, not 1 to 128
	ValueLen  func(key string, n int) error // a value of n characters, over 256
	Reserved  func(key string) error        // a key beginning aws: (any case)
}

// TagRulesIn are the rules in the wording most services share: invalid
// makes the service's error for a bad key or value, tooMany its error for
// too many tags. A service sets Duplicate, or drops a rule, on the result.
func TagRulesIn(max int, invalid, tooMany func(format string, args ...any) error) TagRules {
	return TagRules{
		Max:     max,
		TooMany: func(n int) error { return tooMany("A resource can have at most %d tags, got %d.", max, n) },
		KeyLen: func(k string, n int) error {
			return invalid("Tag keys must be 1 to 128 characters long, got %d (key %q).", n, k)
		},
		ValueLen: func(k string, n int) error {
			return invalid("Tag values must be at most 256 characters long, got %d (key %q).", n, k)
		},
		Reserved: func(k string) error { return invalid("Tag key %q uses the reserved prefix aws:.", k) },
	}
}

// Count checks the number of tags a resource would have.
func (r TagRules) Count(n int) error {
	if r.TooMany != nil && n > r.Max {
		return r.TooMany(n)
	}
	return nil
}

// Check checks one tag: its key's length, its value's length, then the
// reserved prefix.
func (r TagRules) Check(key, value string) error {
	if n := utf8.RuneCountInString(key); r.KeyLen != nil && (n < 1 || n > 128) {
		return r.KeyLen(key, n)
	}
	if n := utf8.RuneCountInString(value); r.ValueLen != nil && n > 256 {
		return r.ValueLen(key, n)
	}
	if r.Reserved != nil && strings.HasPrefix(strings.ToLower(key), "aws:") {
		return r.Reserved(key)
	}
	return nil
}

// CheckTags checks the tags of a request in order (a repeated key, then
// Check), then their count; kv reads a generated tag shape's key and value.
// A service that answers too many tags first calls Count before.
func CheckTags[T any](r TagRules, tags []T, kv func(T) (key, value string)) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k, v := kv(t)
		if r.Duplicate != nil && seen[k] {
			return r.Duplicate(k)
		}
		seen[k] = true
		if err := r.Check(k, v); err != nil {
			return err
		}
	}
	return r.Count(len(tags))
}

// MergeTags is cur with add overlaid by key: a key cur has takes add's
// value in place, a new key is appended. cur is not modified.
func MergeTags[T any](cur, add []T, key func(T) string) []T {
	out := slices.Clone(cur)
	for _, t := range add {
		if i := slices.IndexFunc(out, func(c T) bool { return key(c) == key(t) }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// RemoveTags is cur without the tags whose key is in keys (absent keys are
// not an error, as in AWS). cur is not modified.
func RemoveTags[T any](cur []T, keys []string, key func(T) string) []T {
	return slices.DeleteFunc(slices.Clone(cur), func(t T) bool { return slices.Contains(keys, key(t)) })
}

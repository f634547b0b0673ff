package elbv2

import (
	"strings"
	"unicode/utf8"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
)

// Markers are opaque to clients: the sort key of the last item returned,
// base64-encoded with the name of the list it came from, so a marker from
// one call is refused by another.

func encodeMarker(list, last string) *string {
	if last == "" {
		return nil
	}
	return new(awsapi.PageToken(list, last))
}

func decodeMarker(list string, m *string) (string, error) {
	last, ok := awsapi.ParsePageToken(list, m)
	if !ok {
		return "", validation("Invalid Marker: pass the NextMarker of the previous response unchanged.")
	}
	return last, nil
}

// pageSize applies ELB's PageSize limits: 1 to 400, default 400.
func pageSize(p *int32) (int, error) {
	if p == nil {
		return 400, nil
	}
	if *p < 1 || *p > 400 {
		return 0, validation("PageSize must be between 1 and 400, got %d.", *p)
	}
	return int(*p), nil
}

// pageOf cuts items (sorted ascending by key) after the marker and returns
// the page and the next marker.
func pageOf[T any](items []T, key func(T) string, list string, marker *string, size *int32) ([]T, *string, error) {
	after, err := decodeMarker(list, marker)
	if err != nil {
		return nil, nil, err
	}
	n, err := pageSize(size)
	if err != nil {
		return nil, nil, err
	}
	start := 0
	if after != "" {
		for start < len(items) && key(items[start]) <= after {
			start++
		}
	}
	end := min(start+n, len(items))
	out := items[start:end]
	var next *string
	if end < len(items) && len(out) > 0 {
		next = encodeMarker(list, key(out[len(out)-1]))
	}
	return out, next, nil
}

// maxTags is ELB's limit of tags on one resource.
const maxTags = 50

// checkTags applies ELB's tag rules to tags being added.
func checkTags(tags []elbv2types.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := deref(t.Key)
		if seen[k] {
			return apiError(codeDuplicateTagKeys, "Tag key %q is given more than once.", k)
		}
		seen[k] = true
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 {
			return validation("Tag keys must be 1 to 128 characters long, got %d (key %q).", n, k)
		}
		if n := utf8.RuneCountInString(deref(t.Value)); n > 256 {
			return validation("Tag values must be at most 256 characters long, got %d (key %q).", n, k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return validation("Tag key %q uses the reserved prefix aws:.", k)
		}
	}
	if len(tags) > maxTags {
		return apiError(codeTooManyTags, "A resource can have at most %d tags, got %d.", maxTags, len(tags))
	}
	return nil
}

// mergeTags overlays add on cur by key.
func mergeTags(cur, add []elbv2types.Tag) []elbv2types.Tag {
	out := append([]elbv2types.Tag(nil), cur...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if deref(out[i].Key) == deref(t.Key) {
				out[i], replaced = t, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

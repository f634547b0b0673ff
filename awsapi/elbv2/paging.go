package elbv2

import (
	"strings"
	"unicode/utf8"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
)

// Markers are awsapi's page tokens: opaque, tied to the list they came from.

// marker decodes a request's Marker for list.
func marker(list string, m *string) (awsapi.Cursor, error) {
	return awsapi.ParseCursor(list, m, validation("Invalid Marker: pass the NextMarker of the previous response unchanged."))
}

// pageSize applies ELB's PageSize limits: 1 to 400, default 400.
func pageSize(p *int32) (int, error) {
	if p != nil && (*p < 1 || *p > 400) {
		return 0, validation("PageSize must be between 1 and 400, got %d.", *p)
	}
	return awsapi.PageLimit(p, 400), nil
}

// paging decodes a request's Marker and PageSize.
func paging(list string, m *string, size *int32) (awsapi.Cursor, int, error) {
	c, err := marker(list, m)
	if err != nil {
		return c, 0, err
	}
	n, err := pageSize(size)
	return c, n, err
}

// pageOf cuts the page after the marker out of items sorted ascending by
// key, for the lists that are not read a page at a time from the store.
func pageOf[T any](items []T, key func(T) string, list string, m *string, size *int32) ([]T, *string, error) {
	c, n, err := paging(list, m, size)
	if err != nil {
		return nil, nil, err
	}
	page, next := awsapi.SlicePage(items, key, c, n)
	return page, next, nil
}

// maxTags is ELB's limit of tags on one resource.
const maxTags = 50

// checkTags applies ELB's tag rules to tags being added.
func checkTags(tags []elbv2types.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := awsapi.Deref(t.Key)
		if seen[k] {
			return apiError(codeDuplicateTagKeys, "Tag key %q is given more than once.", k)
		}
		seen[k] = true
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 {
			return validation("Tag keys must be 1 to 128 characters long, got %d (key %q).", n, k)
		}
		if n := utf8.RuneCountInString(awsapi.Deref(t.Value)); n > 256 {
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
			if awsapi.Deref(out[i].Key) == awsapi.Deref(t.Key) {
				out[i], replaced = t, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

package elbv2

import (
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

package ecs

import (
	"github.com/wharfhq/wharf/awsapi"
)

// Pagination tokens are opaque to clients: the key (or sort key) of the
// last item returned, base64-encoded with a prefix that ties the token to
// the list it came from, so a token from one call is refused by another.

func decodeToken(list string, tok *string) (string, error) {
	last, ok := awsapi.ParsePageToken(list, tok)
	if !ok {
		return "", invalidParam("Invalid nextToken: pass the nextToken of the previous response unchanged.")
	}
	return last, nil
}

// pageSize applies ECS's limits to maxResults: default def, between 1 and max.
func pageSize(maxResults *int32, def, max int) (int, error) {
	if maxResults == nil {
		return def, nil
	}
	n := int(*maxResults)
	if n < 1 || n > max {
		return 0, invalidParam("maxResults must be between 1 and %d, got %d.", max, n)
	}
	return n, nil
}

// page cuts a list sorted ascending by key after the token's key.
func page[T any](items []T, key func(T) string, after string, size int) (out []T, next string) {
	return pageOrdered(items, key, after, size, false)
}

// pageOrdered cuts a list sorted by key (descending when desc) after the
// token's key. Keys need not still exist: a deleted item does not break
// a client's walk through the pages.
func pageOrdered[T any](items []T, key func(T) string, after string, size int, desc bool) (out []T, next string) {
	start := 0
	if after != "" {
		for start < len(items) && (!desc && key(items[start]) <= after || desc && key(items[start]) >= after) {
			start++
		}
	}
	end := min(start+size, len(items))
	out = items[start:end]
	if end < len(items) && len(out) > 0 {
		next = key(out[len(out)-1])
	}
	return out, next
}

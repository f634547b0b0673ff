package ecs

import (
	"encoding/base64"
	"strings"
)

// Pagination tokens are opaque to clients: the key (or sort key) of the
// last item returned, base64-encoded with a prefix that ties the token to
// the list it came from, so a token from one call is refused by another.

func encodeToken(list, last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + last))
}

func decodeToken(list string, tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", invalidParam("Invalid nextToken: pass the nextToken of the previous response unchanged.")
	}
	l, last, ok := strings.Cut(string(b), "\x00")
	if !ok || l != list {
		return "", invalidParam("Invalid nextToken: it was returned by a different call.")
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

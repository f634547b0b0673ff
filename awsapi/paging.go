package awsapi

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/store"
)

// Pagination tokens are opaque to clients: the sort key of the last item
// returned, tagged with the list it came from and base64-encoded, so a
// token from one call is refused by another. Every service uses these; each
// answers a bad token with its own error code and wording.

// PageToken is the token that resumes list after the item sorting at last.
func PageToken(list, last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + last))
}

// ParsePageToken returns the sort key a token of list resumes after; ""
// when there is no token. ok is false when tok is not one of list's tokens.
func ParsePageToken(list string, tok *string) (last string, ok bool) {
	if tok == nil || *tok == "" {
		return "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", false
	}
	l, last, found := strings.Cut(string(b), "\x00")
	if !found || l != list {
		return "", false
	}
	return last, true
}

// Cursor is where a page of a list starts: after the item whose sort key
// is After ("" for the first page).
type Cursor struct {
	List  string // names the list in its tokens
	After string
}

// ParseCursor decodes a request's token for list; bad is the service's own
// error for a token that is not one of list's.
func ParseCursor(list string, tok *string, bad error) (Cursor, error) {
	after, ok := ParsePageToken(list, tok)
	if !ok {
		return Cursor{}, bad
	}
	return Cursor{List: list, After: after}, nil
}

// Next is the token that resumes the list after the item sorting at last.
func (c Cursor) Next(last string) *string { return new(PageToken(c.List, last)) }

// PageLimit is a request's page size, or def when it gives none (nil or
// 0; the services that refuse a bad size check it first, in their words).
func PageLimit(p *int32, def int) int {
	if p == nil || *p <= 0 {
		return def
	}
	return int(*p)
}

// StorePage reads one page of the records under prefix whose keys also
// start with prefix+match, in key order, after the cursor (whose sort key
// is the key's rest after prefix). keep (nil: every record) skips records
// a filter refuses. next is nil when no further record is kept.
//
// It reads through store.Page a chunk at a time, so a page costs the
// records it returns plus those skipped, never the whole list. A chunk is
// exactly what the page still needs: when it fills the page, its last key
// is the page's last item, which is all the token needs.
func StorePage[T any](tx store.ReadTx, prefix, match string, c Cursor, limit int, keep func(*T) bool) (items []T, next *string, err error) {
	limit = max(limit, 1)
	after := ""
	if c.After != "" {
		after = prefix + c.After
	}
	from := prefix + match
	for len(items) < limit {
		chunk, last, err := store.Page[T](tx, from, after, limit-len(items))
		if err != nil {
			return nil, nil, err
		}
		for i := range chunk {
			if keep == nil || keep(&chunk[i]) {
				items = append(items, chunk[i])
			}
		}
		if last == "" {
			return items, nil, nil
		}
		after = last
	}
	// The page is full and more records follow: a token only when one of
	// them is kept, so that the last page never hands out a dangling one.
	more := keep == nil
	for peek := after; !more; {
		chunk, last, err := store.Page[T](tx, from, peek, limit)
		if err != nil {
			return nil, nil, err
		}
		more = slices.ContainsFunc(chunk, func(r T) bool { return keep(&r) })
		if last == "" {
			break
		}
		peek = last
	}
	if !more {
		return items, nil, nil
	}
	return items, c.Next(strings.TrimPrefix(after, prefix)), nil
}

// ViewPage is StorePage in a read transaction of its own, for lists that
// need nothing else read with them.
func ViewPage[T any](ctx context.Context, db store.Backend, prefix, match string, c Cursor, limit int, keep func(*T) bool) (items []T, next *string, err error) {
	err = db.View(ctx, func(tx store.ReadTx) (err error) {
		items, next, err = StorePage(tx, prefix, match, c, limit, keep)
		return err
	})
	return items, next, err
}

// SlicePage cuts the page after the cursor out of items sorted ascending by
// key: for lists whose order is not their records' key order (by priority,
// by time) and for the parts of one record (versions). next is nil on the
// last page.
func SlicePage[T any](items []T, key func(T) string, c Cursor, limit int) (page []T, next *string) {
	return slicePage(items, key, c, limit, func(k string) bool { return k <= c.After })
}

// SlicePageDesc is SlicePage over items sorted descending by key (the
// store lists ascending only, so a newest-first list is sliced).
func SlicePageDesc[T any](items []T, key func(T) string, c Cursor, limit int) (page []T, next *string) {
	return slicePage(items, key, c, limit, func(k string) bool { return k >= c.After })
}

// slicePage skips the items the cursor has passed (seen) and cuts limit
// of the rest. The cursor's item need not still exist: a deleted item does
// not break a client's walk through the pages.
func slicePage[T any](items []T, key func(T) string, c Cursor, limit int, seen func(string) bool) (page []T, next *string) {
	start := 0
	for c.After != "" && start < len(items) && seen(key(items[start])) {
		start++
	}
	end := min(start+limit, len(items))
	page = items[start:end]
	if end < len(items) && len(page) > 0 {
		next = c.Next(key(page[len(page)-1]))
	}
	return page, next
}

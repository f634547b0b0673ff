package awsapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

type rec struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// pages walks a whole list through StorePage, limit at a time, and returns
// the names of every page.
func pages(t *testing.T, db store.Backend, prefix, match string, limit int, keep func(*rec) bool) [][]string {
	t.Helper()
	var out [][]string
	var tok *string
	for range 100 {
		c, err := awsapi.ParseCursor("recs", tok, fmt.Errorf("bad token"))
		if err != nil {
			t.Fatal(err)
		}
		var page []rec
		err = db.View(context.Background(), func(tx store.ReadTx) (err error) {
			page, tok, err = awsapi.StorePage(tx, prefix, match, c, limit, keep)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range page {
			names = append(names, r.Name)
		}
		out = append(out, names)
		if tok == nil {
			return out
		}
	}
	t.Fatal("no last page after 100")
	return nil
}

func TestStorePage(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	_, err := db.Update(context.Background(), func(tx store.Tx) error {
		for i, n := range []string{"a1", "a2", "b1", "b2", "b3"} {
			if err := store.Put(tx, "x/recs/"+n, rec{Name: n, N: i}); err != nil {
				return err
			}
		}
		// A neighbour list that must never show.
		return store.Put(tx, "x/recsz", rec{Name: "z"})
	})
	if err != nil {
		t.Fatal(err)
	}
	even := func(r *rec) bool { return r.N%2 == 0 }
	none := func(*rec) bool { return false }
	tests := []struct {
		name  string
		match string
		limit int
		keep  func(*rec) bool
		want  string
	}{
		{name: "all in one page", limit: 10, want: "[[a1 a2 b1 b2 b3]]"},
		{name: "exact fit has no token", limit: 5, want: "[[a1 a2 b1 b2 b3]]"},
		{name: "pages of two", limit: 2, want: "[[a1 a2] [b1 b2] [b3]]"},
		{name: "pages of one", limit: 1, want: "[[a1] [a2] [b1] [b2] [b3]]"},
		{name: "filtered", limit: 2, keep: even, want: "[[a1 b1] [b3]]"},
		{name: "filtered exact fit has no token", limit: 3, keep: even, want: "[[a1 b1 b3]]"},
		{name: "filter keeps all, pages of one", limit: 1, keep: func(*rec) bool { return true }, want: "[[a1] [a2] [b1] [b2] [b3]]"},
		{name: "filter keeps nothing", limit: 2, keep: none, want: "[[]]"},
		{name: "match", match: "b", limit: 2, want: "[[b1 b2] [b3]]"},
		{name: "match and filter", match: "b", limit: 1, keep: even, want: "[[b1] [b3]]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fmt.Sprint(pages(t, db, "x/recs/", tc.match, tc.limit, tc.keep))
			if got != tc.want {
				t.Fatalf("pages %s, want %s", got, tc.want)
			}
		})
	}
}

// TestSlicePage pages a slice in both orders (SlicePage over ascending
// ids, SlicePageDesc over descending ones); a next token resumes after
// the page's last item.
func TestSlicePage(t *testing.T) {
	id := func(s string) string { return s }
	type pageFunc func([]string, func(string) string, awsapi.Cursor, int) ([]string, *string)
	type pageCase struct {
		name, after string
		limit       int
		want        string
		next        bool
	}
	for _, order := range []struct {
		name  string
		items []string
		page  pageFunc
		cases []pageCase
	}{
		{"ascending", []string{"a", "b", "c", "d", "e"}, awsapi.SlicePage[string], []pageCase{
			{name: "first page", limit: 2, want: "[a b]", next: true},
			{name: "middle", after: "b", limit: 2, want: "[c d]", next: true},
			{name: "last page", after: "c", limit: 2, want: "[d e]"},
			{name: "past the end", after: "z", limit: 2, want: "[]"},
			{name: "after a removed item", after: "bb", limit: 1, want: "[c]", next: true},
		}},
		{"descending", []string{"e", "d", "c", "b", "a"}, awsapi.SlicePageDesc[string], []pageCase{
			{name: "first page", limit: 2, want: "[e d]", next: true},
			{name: "middle", after: "d", limit: 2, want: "[c b]", next: true},
			{name: "last page", after: "c", limit: 2, want: "[b a]"},
			{name: "past the end", after: "0", limit: 2, want: "[]"},
			{name: "after a removed item", after: "cc", limit: 1, want: "[c]", next: true},
		}},
	} {
		for _, tc := range order.cases {
			t.Run(order.name+"/"+tc.name, func(t *testing.T) {
				page, next := order.page(order.items, id, awsapi.Cursor{List: "l", After: tc.after}, tc.limit)
				if got := fmt.Sprint(page); got != tc.want || (next != nil) != tc.next {
					t.Fatalf("page %s next %v, want %s next %v", got, next != nil, tc.want, tc.next)
				}
				if next != nil {
					last, ok := awsapi.ParsePageToken("l", next)
					if !ok || last != page[len(page)-1] {
						t.Fatalf("next token resumes after %q (ok %v)", last, ok)
					}
				}
			})
		}
	}
}

func TestParseCursor(t *testing.T) {
	bad := fmt.Errorf("bad token")
	tests := []struct {
		name string
		tok  *string
		want string
		err  bool
	}{
		{name: "none", tok: nil},
		{name: "empty", tok: new("")},
		{name: "own list", tok: new(awsapi.PageToken("l", "k")), want: "k"},
		{name: "other list", tok: new(awsapi.PageToken("m", "k")), err: true},
		{name: "not base64", tok: new("!!"), err: true},
		{name: "no separator", tok: new(strings.Repeat("A", 8)), err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := awsapi.ParseCursor("l", tc.tok, bad)
			if (err != nil) != tc.err || err != nil && err != bad || c.After != tc.want {
				t.Fatalf("cursor %+v err %v", c, err)
			}
		})
	}
}

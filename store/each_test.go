package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func TestEach(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	ctx := context.Background()
	var keys []string
	for i := range store.EachChunk + 3 {
		keys = append(keys, fmt.Sprintf("p/%04d", i))
	}
	for start := 0; start < len(keys); start += 100 {
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			for _, k := range keys[start:min(start+100, len(keys))] {
				if err := tx.Put(k, []byte("v")); err != nil {
					return err
				}
			}
			return tx.Put("q/other", []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		after string
		stop  int // stop after this many (0: never)
		want  []string
	}{
		{"all, across chunks", "", 0, keys},
		{"after a key", keys[10], 0, keys[11:]},
		{"after the last", keys[len(keys)-1], 0, nil},
		{"stopped early", "", 3, keys[:3]},
		{"stopped past a chunk", "", store.EachChunk + 1, keys[:store.EachChunk+1]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := db.View(ctx, func(tx store.ReadTx) error {
				return store.Each(tx, "p/", tc.after, func(kv store.KV) (bool, error) {
					got = append(got, kv.Key)
					return tc.stop == 0 || len(got) < tc.stop, nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d keys (%v…), want %d", len(got), got[:min(3, len(got))], len(tc.want))
			}
		})
	}
}

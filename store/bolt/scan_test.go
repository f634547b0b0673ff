package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/store"
)

// scanAll collects what Scan shows, copying it out of the callback.
func scanAll(t *testing.T, tx store.ReadTx, prefix string) []store.KV {
	t.Helper()
	sc, ok := tx.(store.Scanner)
	if !ok {
		t.Fatalf("%T is not a store.Scanner", tx)
	}
	var out []store.KV
	err := sc.Scan(prefix, func(k, v []byte, createRev, modRev int64) error {
		out = append(out, store.KV{Key: string(k), Value: slices.Clone(v), CreateRev: createRev, ModRev: modRev})
		return nil
	})
	if err != nil {
		t.Fatalf("Scan %q: %v", prefix, err)
	}
	return out
}

func sameKVs(a, b []store.KV) bool {
	return slices.EqualFunc(a, b, func(x, y store.KV) bool {
		return x.Key == y.Key && string(x.Value) == string(y.Value) && x.CreateRev == y.CreateRev && x.ModRev == y.ModRev
	})
}

// TestScan checks that Scan shows what List shows, in a snapshot and in a
// write transaction with pending puts and deletes, and which snapshots
// promise an Origin.
func TestScan(t *testing.T) {
	ctx := context.Background()
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	other := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	for _, k := range []string{"a/1", "a/2", "a/3", "b/1"} {
		put(t, d, k, "v"+k)
	}
	put(t, d, "a/2", "changed")
	cases := []struct {
		name   string
		prefix string
		writes func(store.Tx) error // in an Update; nil: a View
	}{
		{name: "snapshot", prefix: "a/"},
		{name: "snapshot, every key", prefix: ""},
		{name: "snapshot, no match", prefix: "c/"},
		{name: "pending put and delete", prefix: "a/", writes: func(tx store.Tx) error {
			if err := tx.Put("a/0", []byte("new")); err != nil {
				return err
			}
			if err := tx.Put("a/3", []byte("over")); err != nil {
				return err
			}
			return tx.Delete("a/1")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(tx store.ReadTx, wantOrigin bool) {
				want, err := tx.List(tc.prefix, "", 0)
				if err != nil {
					t.Fatal(err)
				}
				if got := scanAll(t, tx, tc.prefix); !sameKVs(got, want) {
					t.Errorf("Scan = %v, List = %v", got, want)
				}
				if o := tx.(store.Scanner).Origin(); (o != 0) != wantOrigin {
					t.Errorf("Origin = %d, want non-zero %v", o, wantOrigin)
				}
			}
			if tc.writes == nil {
				if err := d.View(ctx, func(tx store.ReadTx) error { check(tx, true); return nil }); err != nil {
					t.Fatal(err)
				}
				return
			}
			_, err := d.Update(ctx, func(tx store.Tx) error {
				if err := tc.writes(tx); err != nil {
					return err
				}
				check(tx, false)
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Fatalf("Update: %v", err)
			}
		})
	}
	t.Run("origins differ between stores", func(t *testing.T) {
		origin := func(db *DB) (o uint64) {
			_ = db.View(ctx, func(tx store.ReadTx) error { o = tx.(store.Scanner).Origin(); return nil })
			return o
		}
		if a, b := origin(d), origin(other); a == b {
			t.Errorf("two stores share Origin %d", a)
		}
		if a, b := origin(d), origin(d); a != b {
			t.Errorf("one store's Origin changed: %d, %d", a, b)
		}
	})
}

var errRollback = errors.New("rollback")

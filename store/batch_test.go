package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func openBounded(t *testing.T) store.Backend {
	t.Helper()
	db, err := bolt.Open(t.TempDir()+"/t.db", bolt.Options{MaxTxnOps: 128})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func putN(t *testing.T, db store.Backend, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i += 100 {
		_, err := db.Update(context.Background(), func(tx store.Tx) error {
			for j := i; j < min(n, i+100); j++ {
				if err := tx.Put(fmt.Sprintf("%s%05d", prefix, j), []byte(`{}`)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func count(t *testing.T, db store.Backend, prefix string) int {
	t.Helper()
	n := 0
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		kvs, err := tx.List(prefix, "", 0)
		n = len(kvs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeleteTree deletes a parent with 250 grandchildren and 130 children
// under the 128-key bound, the parent with the last batch, and stops at a
// failed check leaving the parent with fewer children.
func TestDeleteTree(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		grand, kids int
	}{
		{name: "none", grand: 0, kids: 0},
		{name: "exactly one batch", grand: 0, kids: store.DeleteBatch},
		{name: "many", grand: 250, kids: 130},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openBounded(t)
			putN(t, db, "g/", tc.grand)
			putN(t, db, "k/", tc.kids)
			if _, err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("parent", []byte(`{}`)) }); err != nil {
				t.Fatal(err)
			}
			cdb := &countingDB{Backend: db}
			lastSawKids := -1
			err := store.DeleteTree(ctx, cdb, func(tx store.Tx) ([]string, error) {
				if _, ok, err := tx.Get("parent"); err != nil || !ok {
					return nil, fmt.Errorf("parent gone (%v)", err)
				}
				return []string{"g/", "k/"}, nil
			}, func(tx store.Tx) error {
				kvs, err := tx.List("", "", 0)
				lastSawKids = len(kvs) - 1
				if err != nil {
					return err
				}
				return tx.Delete("parent")
			})
			if err != nil {
				t.Fatal(err)
			}
			if lastSawKids != 0 {
				t.Errorf("last ran with %d children left, want 0", lastSawKids)
			}
			if n := count(t, db, ""); n != 0 {
				t.Errorf("%d keys left", n)
			}
			if cdb.maxKeys > store.DeleteBatch+1 {
				t.Errorf("a transaction wrote %d keys", cdb.maxKeys)
			}
		})
	}
	t.Run("check fails mid way", func(t *testing.T) {
		db := openBounded(t)
		putN(t, db, "k/", 300)
		stop := errors.New("in use")
		calls := 0
		err := store.DeleteTree(ctx, db, func(tx store.Tx) ([]string, error) {
			if calls++; calls == 2 {
				return nil, stop
			}
			return []string{"k/"}, nil
		}, func(tx store.Tx) error { t.Error("last ran"); return nil })
		if !errors.Is(err, stop) {
			t.Fatalf("err = %v, want %v", err, stop)
		}
		if n := count(t, db, "k/"); n != 200 {
			t.Errorf("%d children left, want 200", n)
		}
	})
}

// TestDeleteKeysWhere deletes 1,500 of 1,600 keys chosen by key under the
// 128-key bound.
func TestDeleteKeysWhere(t *testing.T) {
	ctx := context.Background()
	db := openBounded(t)
	putN(t, db, "h/", 1600)
	cdb := &countingDB{Backend: db}
	err := store.DeleteKeysWhere(ctx, cdb, "h/", func(k string) bool { return k < "h/01500" })
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "h/"); n != 100 {
		t.Errorf("%d keys left, want 100", n)
	}
	if cdb.maxKeys > store.DeleteBatch {
		t.Errorf("a transaction wrote %d keys", cdb.maxKeys)
	}
}

package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func TestOptimisticRetriesOnConflict(t *testing.T) {
	db, err := bolt.Open(t.TempDir()+"/t.db", bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("n", []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	// The first plan hands commit the revision an earlier reader saw, as if
	// another writer moved the record between plan and commit. (A write
	// cannot be made from inside plan: bbolt may wait for the open read.)
	var stale int64
	if err := db.View(ctx, func(tx store.ReadTx) error {
		kv, _, err := tx.Get("n")
		stale = kv.ModRev
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("n", []byte("2")) }); err != nil {
		t.Fatal(err)
	}
	plans := 0
	_, _, err = store.Optimistic(ctx, db, func(tx store.ReadTx) (int64, error) {
		plans++
		kv, _, err := tx.Get("n")
		if plans == 1 {
			return stale, err
		}
		return kv.ModRev, err
	}, func(tx store.Tx, rev int64) error {
		if err := store.CheckRev(tx, "n", rev); err != nil {
			return err
		}
		return tx.Put("n", []byte("3"))
	})
	if err != nil || plans != 2 {
		t.Fatalf("err %v after %d plans, want nil after 2", err, plans)
	}
	if err := db.View(ctx, func(tx store.ReadTx) error {
		if err := store.CheckRev(tx, "missing", 0); err != nil {
			return err
		}
		if err := store.CheckRev(tx, "n", 1); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale revision: %v, want ErrConflict", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOptimisticFallsBackToOneTransaction(t *testing.T) {
	db, err := bolt.Open(t.TempDir()+"/t.db", bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("n", []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	// Every optimistic plan loses its race (it hands commit a revision one
	// behind); only a plan made inside the write transaction wins.
	plans, inTx := 0, 0
	_, _, err = store.Optimistic(ctx, db, func(tx store.ReadTx) (int64, error) {
		plans++
		kv, _, err := tx.Get("n")
		if _, ok := tx.(store.Tx); ok {
			inTx++
			return kv.ModRev, err
		}
		return kv.ModRev - 1, err
	}, func(tx store.Tx, rev int64) error {
		if err := store.CheckRev(tx, "n", rev); err != nil {
			return err
		}
		return tx.Put("n", []byte("2"))
	})
	if err != nil || plans != store.OptimisticAttempts+1 || inTx != 1 {
		t.Fatalf("err %v, %d plans (%d in the write transaction); want nil, %d (1)", err, plans, inTx, store.OptimisticAttempts+1)
	}
}

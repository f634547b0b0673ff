package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// countingDB counts the keys each Update writes, and runs before (once)
// ahead of the first Update: a writer that slips in between the scan and
// a batch.
type countingDB struct {
	store.Backend
	before  func()
	updates int
	maxKeys int
}

type countingTx struct {
	store.Tx
	keys map[string]bool
}

func (c *countingTx) Put(k string, v []byte) error { c.keys[k] = true; return c.Tx.Put(k, v) }
func (c *countingTx) Delete(k string) error        { c.keys[k] = true; return c.Tx.Delete(k) }

func (d *countingDB) Update(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	if d.before != nil {
		b := d.before
		d.before = nil
		b()
	}
	d.updates++
	return d.Backend.Update(ctx, func(tx store.Tx) error {
		ct := &countingTx{Tx: tx, keys: map[string]bool{}}
		err := fn(ct)
		d.maxKeys = max(d.maxKeys, len(ct.keys))
		return err
	})
}

type session struct {
	Expired bool `json:"expired"`
}

// TestDeleteWhereBatches purges 1,000 expired sessions out of 1,050 from a
// store that fails any transaction writing more than 128 keys (etcd's
// bound), and keeps the one refreshed after the scan found it expired.
func TestDeleteWhereBatches(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(t.TempDir()+"/t.db", bolt.Options{MaxTxnOps: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := func(i int) string { return fmt.Sprintf("sts/%05d", i) }
	for start := 0; start < 1050; start += 100 {
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+100, 1050); i++ {
				if err := store.Put(tx, key(i), session{Expired: i%21 != 0}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the prefix: never looked at.
	if _, err := db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, "stu/1", session{Expired: true}) }); err != nil {
		t.Fatal(err)
	}
	refreshed := key(1)
	cdb := &countingDB{Backend: db, before: func() {
		if _, err := db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, refreshed, session{}) }); err != nil {
			t.Error(err)
		}
	}}
	if err := store.DeleteWhere(ctx, cdb, "sts/", func(s session) bool { return s.Expired }); err != nil {
		t.Fatalf("DeleteWhere: %v", err)
	}
	var left []string
	if err := db.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List("st", "", 0)
		for _, kv := range kvs {
			var s session
			if err := json.Unmarshal(kv.Value, &s); err != nil {
				return err
			}
			left = append(left, kv.Key)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// 50 live (every 21st), the refreshed one and the one outside.
	if len(left) != 52 {
		t.Errorf("%d records left, want 52", len(left))
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"the refreshed record is kept", contains(left, refreshed)},
		{"a live record is kept", contains(left, key(21))},
		{"the record outside the prefix is kept", contains(left, "stu/1")},
		{"an expired record is gone", !contains(left, key(2))},
		{"no transaction over DeleteBatch keys", cdb.maxKeys <= store.DeleteBatch},
		{"ten or eleven transactions", cdb.updates >= 10 && cdb.updates <= 11},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("no: left %d, max keys %d, updates %d", len(left), cdb.maxKeys, cdb.updates)
			}
		})
	}
}

func contains(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

package state

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// etcdBound is etcd's default --max-txn-ops, the bound production runs
// the bbolt store with.
const etcdBound = 128

// openBoundDB opens a store that fails a transaction writing more than
// etcdBound keys, counting the keys each transaction writes.
func openBoundDB(t testing.TB) *countingDB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "wharf.db"), bolt.Options{MaxTxnOps: etcdBound})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &countingDB{Backend: db}
}

// countingDB records the distinct keys each Update writes.
type countingDB struct {
	store.Backend
	mu      sync.Mutex
	written []int // keys written, per committed or failed Update
	// crashAfter, when > 0, fails every Update after that many, as a
	// process that stops half way; < 0 fails every one.
	crashAfter int
	started    int
}

var errCrash = errorString("crashed")

type errorString string

func (e errorString) Error() string { return string(e) }

type countingTx struct {
	store.Tx
	keys map[string]bool
}

func (c *countingTx) Put(k string, v []byte) error { c.keys[k] = true; return c.Tx.Put(k, v) }
func (c *countingTx) Delete(k string) error        { c.keys[k] = true; return c.Tx.Delete(k) }

func (d *countingDB) Update(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	d.mu.Lock()
	if d.crashAfter < 0 || d.crashAfter > 0 && d.started >= d.crashAfter {
		d.mu.Unlock()
		return 0, errCrash
	}
	d.started++
	d.mu.Unlock()
	var n int
	rev, err := d.Backend.Update(ctx, func(tx store.Tx) error {
		ct := &countingTx{Tx: tx, keys: map[string]bool{}}
		err := fn(ct)
		n = len(ct.keys)
		return err
	})
	d.mu.Lock()
	d.written = append(d.written, n)
	d.mu.Unlock()
	return rev, err
}

// maxWritten is the most keys one transaction wrote, and how many ran.
func (d *countingDB) maxWritten() (most, txns int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range d.written {
		most = max(most, n)
	}
	return most, len(d.written)
}

func (d *countingDB) reset() {
	d.mu.Lock()
	d.written, d.started = nil, 0
	d.mu.Unlock()
}

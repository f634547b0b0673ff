package state

import "github.com/wharfhq/wharf/store"

// TxnKeys is how many keys a reconcile pass lets its transaction write:
// etcd's default bound of 128 keys per transaction, less room for what a
// pass writes last whatever it did before (its service or task-set
// record, its cluster's task counts).
const TxnKeys = 120

// KeysPerLaunch is the most keys starting one task writes: its record,
// its group, instance-tasks and node entries, and its instance's usage.
const KeysPerLaunch = 5

// Budget is a Tx that counts the distinct keys written through it, so a
// pass can stop taking on work before its transaction outgrows TxnKeys
// and leave the rest to the next pass.
type Budget struct {
	store.Tx
	keys map[string]struct{}
}

// NewBudget wraps tx.
func NewBudget(tx store.Tx) *Budget { return &Budget{Tx: tx, keys: map[string]struct{}{}} }

// Put writes key, counting it.
func (b *Budget) Put(key string, value []byte) error {
	b.keys[key] = struct{}{}
	return b.Tx.Put(key, value)
}

// Delete deletes key, counting it.
func (b *Budget) Delete(key string) error {
	b.keys[key] = struct{}{}
	return b.Tx.Delete(key)
}

// Scan and Origin pass the wrapped transaction's store.Scanner through, so
// that a placement on a Budget still plans through the cluster's view.
func (b *Budget) Scan(prefix string, fn func(key, value []byte, createRev, modRev int64) error) error {
	return store.ScanOf(b.Tx, prefix, fn)
}

// Origin is the wrapped transaction's, 0 when it makes no promise.
func (b *Budget) Origin() uint64 { return store.OriginOf(b.Tx) }

// Left is how many more keys fit TxnKeys.
func (b *Budget) Left() int { return TxnKeys - len(b.keys) }

// Room reports whether n more keys fit.
func (b *Budget) Room(n int) bool { return n <= b.Left() }

// KeysPerTaskChange bounds the keys a stop or a traffic change of one task
// writes: its record and instance-tasks entry, and per load balancer
// (target group) and service registry a registration and its state.
func KeysPerTaskChange(targets int) int { return 2 + 2*targets }

package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrConflict means a record changed between the snapshot a write was
// planned on and its commit: the caller re-reads and plans again.
var ErrConflict = errors.New("store: record changed since it was read")

// CheckRev is a compare-and-swap's compare: inside an Update it fails with
// ErrConflict unless key's record was last modified at modRev (0: the key
// must not exist). Planning on a View snapshot and committing with CheckRev
// on every record the plan read keeps the write transaction short, and is
// how an etcd backend would commit (a Txn whose compares are these).
func CheckRev(tx ReadTx, key string, modRev int64) error {
	kv, ok, err := tx.Get(key)
	if err != nil {
		return err
	}
	var cur int64
	if ok {
		cur = kv.ModRev
	}
	if cur != modRev {
		return fmt.Errorf("%w: %s at revision %d, read at %d", ErrConflict, key, cur, modRev)
	}
	return nil
}

// OptimisticAttempts is how often Optimistic plans on a snapshot before it
// plans and commits in one write transaction instead.
const OptimisticAttempts = 4

// Optimistic runs plan on a snapshot and commit in an Update until commit
// does not report ErrConflict. plan does the expensive reading and deciding
// without the write lock; commit checks (CheckRev) what plan read and
// writes the result. plan must not write: bbolt may make a write wait for
// the snapshot plan is reading.
//
// Writers that keep choosing the same records (eight RunTasks binpacking
// onto one instance) could conflict forever, so after OptimisticAttempts
// conflicts plan runs inside the write transaction, where what it reads
// cannot change before commit: progress is certain, at the price of
// holding the lock while planning.
func Optimistic[P any](ctx context.Context, db Backend, plan func(ReadTx) (P, error), commit func(Tx, P) error) (P, int64, error) {
	var p P
	for range OptimisticAttempts {
		err := db.View(ctx, func(tx ReadTx) error {
			var err error
			p, err = plan(tx)
			return err
		})
		if err != nil {
			return p, 0, err
		}
		rev, err := db.Update(ctx, func(tx Tx) error { return commit(tx, p) })
		if !errors.Is(err, ErrConflict) {
			return p, rev, err
		}
	}
	rev, err := db.Update(ctx, func(tx Tx) error {
		var err error
		if p, err = plan(tx); err != nil {
			return err
		}
		return commit(tx, p)
	})
	return p, rev, err
}

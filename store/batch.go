package store

import (
	"context"
	"fmt"
)

// DeleteTree deletes a parent record and every record under its children's
// prefixes, in transactions of at most DeleteBatch child keys, so that a
// parent with thousands of children never exceeds a backend's bound on
// keys written per transaction (ErrTooManyOps).
//
// Each transaction first calls step, which re-checks what must still hold
// (the parent exists, is not in use, may be deleted) and returns the
// prefixes whose keys must go, in the order they must go: grandchildren
// before children. An error from step ends DeleteTree with that error and
// nothing written by that transaction. The transaction that finds every
// prefix empty after its deletions (fewer than DeleteBatch keys left) also
// calls last, which deletes the parent; the parent therefore disappears
// atomically with its last children, and no child ever outlives it.
//
// It is not atomic: DeleteTree stopped between batches (a crash, a failed
// check) leaves the parent with fewer children, which callers must accept
// as a valid state, and a repeated call finishes the work. last may write
// up to 128-DeleteBatch keys.
func DeleteTree(ctx context.Context, db Backend, step func(Tx) ([]string, error), last func(Tx) error) error {
	for {
		done := false
		_, err := db.Update(ctx, func(tx Tx) error {
			prefixes, err := step(tx)
			if err != nil {
				return err
			}
			left := DeleteBatch
			full := false
			for _, p := range prefixes {
				if left == 0 {
					full = true
					break
				}
				kvs, err := tx.List(p, "", left)
				if err != nil {
					return fmt.Errorf("store: delete under %s: %w", p, err)
				}
				for _, kv := range kvs {
					if err := tx.Delete(kv.Key); err != nil {
						return err
					}
				}
				left -= len(kvs)
			}
			// A batch that used its whole budget may have left keys
			// behind: the next transaction looks again.
			if full || left == 0 {
				return nil
			}
			done = true
			return last(tx)
		})
		if err != nil || done {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// DeleteKeysWhere deletes every key under prefix for which drop (called
// with the key alone) says true, at most DeleteBatch keys a transaction.
// It is for records whose key says when they expire (a timestamp in the
// key); DeleteWhere is for those whose value does. Keys are found on
// snapshots; a key deleted in between is skipped. It is not atomic: a
// purge stopped half way leaves the rest for the next call.
func DeleteKeysWhere(ctx context.Context, db Backend, prefix string, drop func(key string) bool) error {
	return purge(ctx, db, prefix,
		func(kv KV) (bool, error) { return drop(kv.Key), nil },
		func(ctx context.Context, keys []string) error { return DeleteKeys(ctx, db, keys) })
}

// purge finds, deleteScan records a snapshot, the keys under prefix that
// pick chooses, and has del delete them, DeleteBatch keys a call.
func purge(ctx context.Context, db Backend, prefix string, pick func(KV) (bool, error), del func(context.Context, []string) error) error {
	after := ""
	for {
		var doomed []string
		more := false
		err := db.View(ctx, func(tx ReadTx) error {
			kvs, err := tx.List(prefix, after, deleteScan)
			if err != nil {
				return err
			}
			more = len(kvs) == deleteScan
			for _, kv := range kvs {
				after = kv.Key
				gone, err := pick(kv)
				if err != nil {
					return err
				}
				if gone {
					doomed = append(doomed, kv.Key)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for len(doomed) > 0 {
			n := min(len(doomed), DeleteBatch)
			if err := del(ctx, doomed[:n]); err != nil {
				return err
			}
			doomed = doomed[n:]
		}
		if !more {
			return nil
		}
	}
}

// DeleteKeys deletes keys, at most DeleteBatch a transaction. Keys
// already gone are no error.
func DeleteKeys(ctx context.Context, db Backend, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), DeleteBatch)
		_, err := db.Update(ctx, func(tx Tx) error {
			for _, k := range keys[:n] {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

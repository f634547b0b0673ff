package etcd

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharfhq/wharf/store"
)

type mvccKV = mvccpb.KeyValue

// writeTx is an Update's transaction: reads of the latest revision (the
// writer is alone, see doc.go) under fn's writes, buffered in a
// store.Overlay until the commit sends them in first-write order, so that
// watchers see a transaction's keys in the order fn wrote them. A put's
// CreateRev is learnt only if fn reads the key back (a put costs no read),
// and etcd keeps it on a Put over an existing key, even one this
// transaction deleted first (see doc.go): the overlay's own rule.
type writeTx struct {
	readTx
	ov *store.Overlay
}

func newWriteTx(ctx context.Context, d *DB) *writeTx {
	t := &writeTx{readTx: readTx{d: d, ctx: ctx}}
	t.ov = store.NewOverlay(&t.readTx, store.OverlayOptions{ModRev: t.commitRev, MaxKeys: d.opts.MaxTxnOps})
	return t
}

// commitRev is the revision fn's writes commit as: etcd bumps its
// revision once per Txn.
func (t *writeTx) commitRev() int64 { return t.readTx.Rev() + 1 }

// Rev is the revision reads reflect until fn's first write, then the one
// its commit will have.
func (t *writeTx) Rev() int64 {
	if t.ov.Wrote() {
		return t.commitRev()
	}
	return t.readTx.Rev()
}

func (t *writeTx) Get(key string) (store.KV, bool, error) {
	if t.done {
		return store.KV{}, false, errTxDone
	}
	return t.ov.Get(key)
}

func (t *writeTx) List(prefix, after string, limit int) ([]store.KV, error) {
	if t.done {
		return nil, errTxDone
	}
	return t.ov.List(prefix, after, limit)
}

func (t *writeTx) Put(key string, value []byte) error {
	if t.done {
		return errTxDone
	}
	if key == "" {
		return errors.New("etcd: put: empty key")
	}
	return t.ov.Put(key, value)
}

func (t *writeTx) Delete(key string) error {
	if t.done {
		return errTxDone
	}
	if _, ok := t.ov.Buffered(key); !ok {
		// Deleting a missing key is no write: not counted, no revision.
		resp, err := t.get(t.d.data+key, clientv3.WithCountOnly())
		if err != nil || resp.Count == 0 {
			return err
		}
	}
	return t.ov.Delete(key)
}

// Update runs fn in a read-write transaction; see store.Backend and the
// package doc. fn runs on the caller's goroutine, once; a panic in it
// propagates with nothing written.
func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d.isClosed() {
		return 0, store.ErrClosed
	}
	select {
	case d.wmu <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-d.stop:
		return 0, store.ErrClosed
	}
	defer func() { <-d.wmu }()
	if d.isClosed() {
		return 0, store.ErrClosed // Close is waiting for the writer slot
	}
	if d.lockRev == 0 {
		if err := d.lock(ctx); err != nil {
			return 0, err
		}
		d.opts.Log.Warn("etcd: took the writer lock again", "key", d.lockKey)
	}
	t := newWriteTx(ctx, d)
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return 0, err
	}
	t.done = true
	if t.err != nil {
		return 0, t.err
	}
	if err := t.ov.Err(); err != nil {
		return 0, err
	}
	if !t.ov.Wrote() {
		t.done = false // one more read, for the current revision
		rev := t.readTx.Rev()
		return rev, t.err
	}
	return d.commit(ctx, t)
}

// commit sends fn's writes as one Txn guarded by the writer lock. It runs
// to its end even if ctx is cancelled meanwhile (within RequestTimeout):
// fn has run, and a caller told "cancelled" must not find its write done.
func (d *DB) commit(ctx context.Context, t *writeTx) (int64, error) {
	var ops []clientv3.Op
	first := ""
	_ = t.ov.Each(func(w store.Write) error {
		if first == "" {
			first = w.Key
		}
		if w.Deleted {
			ops = append(ops, clientv3.OpDelete(d.data+w.Key))
		} else {
			ops = append(ops, clientv3.OpPut(d.data+w.Key, string(w.Value)))
		}
		return nil
	})
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.RequestTimeout)
	defer cancel()
	resp, err := d.cli.Txn(cctx).
		If(clientv3.Compare(clientv3.CreateRevision(d.lockKey), "=", d.lockRev)).
		Then(ops...).
		Commit()
	if err != nil {
		return 0, d.callErr(fmt.Sprintf("commit %d keys", len(ops)), first, err)
	}
	if !resp.Succeeded {
		lost := d.lockRev
		d.lockRev = 0
		d.opts.Log.Error("etcd: lost the writer lock; nothing written", "key", d.lockKey, "held_since", lost)
		return 0, fmt.Errorf("%w: etcd: the writer lock %s (taken at revision %d) is no longer ours: nothing written",
			store.ErrConflict, d.lockKey, lost)
	}
	rev := resp.Header.Revision
	d.maybeCompact(rev)
	return rev, nil
}

// maybeCompact asks etcd, in the background, to drop history older than
// the last History revisions, once every History/8 revisions. The caller
// holds the writer slot.
func (d *DB) maybeCompact(rev int64) {
	h := d.opts.History
	if h < 0 {
		return
	}
	step := max(h/8, 1)
	target := rev - h
	if target <= 0 || target-d.compacted < step {
		return
	}
	d.compacted = target
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		// One compaction at a time; a later target covers an earlier one.
		d.compactMu.Lock()
		defer d.compactMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.RequestTimeout)
		defer cancel()
		if _, err := d.cli.Compact(ctx, target); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
			d.opts.Log.Warn("etcd: compact history", "revision", target, "err", err)
		}
	}()
}

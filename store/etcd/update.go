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
	*store.Overlay // Get, List, and Scan (through List; Origin 0)
	rt             readTx
}

func newWriteTx(ctx context.Context, d *DB) *writeTx {
	t := &writeTx{rt: readTx{d: d, ctx: ctx}}
	t.Overlay = store.NewOverlay(&t.rt, store.OverlayOptions{ModRev: t.commitRev, MaxKeys: d.opts.MaxTxnOps, Guard: t.rt.live})
	return t
}

// commitRev is the revision fn's writes commit as: etcd bumps its
// revision once per Txn.
func (t *writeTx) commitRev() int64 { return t.rt.Rev() + 1 }

// Rev is the revision reads reflect until fn's first write, then the one
// its commit will have.
func (t *writeTx) Rev() int64 {
	if t.Wrote() {
		return t.commitRev()
	}
	return t.rt.Rev()
}

func (t *writeTx) Put(key string, value []byte) error {
	if key == "" {
		return errors.New("etcd: put: empty key")
	}
	return t.Overlay.Put(key, value)
}

func (t *writeTx) Delete(key string) error {
	if err := t.rt.live(); err != nil {
		return err
	}
	if _, ok := t.Buffered(key); !ok {
		// Deleting a missing key is no write: not counted, no revision.
		resp, err := t.rt.get(t.rt.d.data+key, clientv3.WithCountOnly())
		if err != nil || resp.Count == 0 {
			return err
		}
	}
	return t.Overlay.Delete(key)
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
	defer func() { t.rt.done = true }()
	if err := fn(t); err != nil {
		return 0, err
	}
	t.rt.done = true
	if t.rt.err != nil {
		return 0, t.rt.err
	}
	if err := t.Err(); err != nil {
		return 0, err
	}
	if !t.Wrote() {
		t.rt.done = false // one more read, for the current revision
		rev := t.rt.Rev()
		return rev, t.rt.err
	}
	return d.commit(ctx, t)
}

// commit sends fn's writes as one Txn guarded by the writer lock. It runs
// to its end even if ctx is cancelled meanwhile (within RequestTimeout):
// fn has run, and a caller told "cancelled" must not find its write done.
func (d *DB) commit(ctx context.Context, t *writeTx) (int64, error) {
	var ops []clientv3.Op
	first := ""
	_ = t.Each(func(w store.Write) error {
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

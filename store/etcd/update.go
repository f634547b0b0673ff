package etcd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharfhq/wharf/store"
)

type mvccKV = mvccpb.KeyValue

// pending is one key's buffered write: its last value, or a deletion.
type pending struct {
	value   []byte
	deleted bool
	// createRev, for a put: > 0 the stored record's CreateRev, -1 created
	// by this transaction, 0 not looked up yet (a put costs no read unless
	// fn reads the key back).
	createRev int64
}

// writeTx is an Update's transaction: reads of the latest revision (the
// writer is alone, see doc.go) under fn's buffered writes, in first-write
// order so that watchers see a transaction's keys in the order fn wrote
// them.
type writeTx struct {
	readTx
	ov      map[string]*pending
	order   []string
	maxOps  int
	tooMany int // > 0: the key count a write was refused at
}

// Rev is the revision reads reflect until fn's first write, then the one
// its commit will have: revisions are etcd's, bumped once per Txn.
func (t *writeTx) Rev() int64 {
	rev := t.readTx.Rev()
	if len(t.order) > 0 {
		return rev + 1
	}
	return rev
}

// record is p as a KV, looking up the stored CreateRev on first need.
func (t *writeTx) record(key string, p *pending) (store.KV, error) {
	if p.createRev == 0 {
		kv, ok, err := t.readTx.Get(key)
		if err != nil {
			return store.KV{}, err
		}
		p.createRev = -1
		if ok {
			// etcd keeps CreateRevision on a Put over an existing key,
			// even one this transaction deleted first (see doc.go).
			p.createRev = kv.CreateRev
		}
	}
	rev := t.Rev()
	kv := store.KV{Key: key, Value: slices.Clone(p.value), CreateRev: p.createRev, ModRev: rev}
	if p.createRev < 0 {
		kv.CreateRev = rev
	}
	return kv, nil
}

func (t *writeTx) Get(key string) (store.KV, bool, error) {
	if t.done {
		return store.KV{}, false, errTxDone
	}
	if p, ok := t.ov[key]; ok {
		if p.deleted {
			return store.KV{}, false, nil
		}
		kv, err := t.record(key, p)
		return kv, err == nil, err
	}
	return t.readTx.Get(key)
}

// List merges the stored records with fn's writes. Each buffered key can
// hide at most one stored record, so asking etcd for limit plus that many
// is enough to fill limit.
func (t *writeTx) List(prefix, after string, limit int) ([]store.KV, error) {
	if t.done {
		return nil, errTxDone
	}
	var ovKeys []string
	for k := range t.ov {
		if strings.HasPrefix(k, prefix) && k > after {
			ovKeys = append(ovKeys, k)
		}
	}
	slices.Sort(ovKeys)
	fetch := limit
	if limit > 0 {
		fetch += len(ovKeys)
	}
	stored, err := t.readTx.list(prefix, after, fetch)
	if err != nil {
		return nil, err
	}
	if len(ovKeys) == 0 {
		return stored, nil
	}
	var out []store.KV
	i := 0
	for (limit <= 0 || len(out) < limit) && (i < len(stored) || len(ovKeys) > 0) {
		if len(ovKeys) > 0 && (i >= len(stored) || ovKeys[0] <= stored[i].Key) {
			key := ovKeys[0]
			ovKeys = ovKeys[1:]
			p := t.ov[key]
			if i < len(stored) && stored[i].Key == key {
				if p.createRev == 0 {
					p.createRev = stored[i].CreateRev
				}
				i++ // shadowed by the buffered write
			}
			if !p.deleted {
				kv, err := t.record(key, p)
				if err != nil {
					return nil, err
				}
				out = append(out, kv)
			}
			continue
		}
		out = append(out, stored[i])
		i++
	}
	return out, nil
}

// admit counts key against the per-transaction bound before its first
// write. A refusal is remembered so that the Update fails even if fn
// ignores the error.
func (t *writeTx) admit(key string) error {
	if _, ok := t.ov[key]; ok || t.maxOps <= 0 {
		return nil
	}
	if n := len(t.order) + 1; n > t.maxOps {
		t.tooMany = n
		return t.tooManyErr()
	}
	return nil
}

func (t *writeTx) tooManyErr() error {
	return fmt.Errorf("%w: %d keys, limit %d", store.ErrTooManyOps, t.tooMany, t.maxOps)
}

func (t *writeTx) Put(key string, value []byte) error {
	if t.done {
		return errTxDone
	}
	if key == "" {
		return errors.New("etcd: put: empty key")
	}
	if err := t.admit(key); err != nil {
		return err
	}
	p, ok := t.ov[key]
	if !ok {
		p = &pending{}
		t.ov[key] = p
		t.order = append(t.order, key)
	}
	p.value = slices.Clone(value)
	p.deleted = false
	return nil
}

func (t *writeTx) Delete(key string) error {
	if t.done {
		return errTxDone
	}
	if p, ok := t.ov[key]; ok {
		p.deleted = true
		return nil
	}
	// Deleting a missing key is no write: not counted, no revision.
	resp, err := t.get(t.d.data+key, clientv3.WithCountOnly())
	if err != nil || resp.Count == 0 {
		return err
	}
	if err := t.admit(key); err != nil {
		return err
	}
	t.ov[key] = &pending{deleted: true}
	t.order = append(t.order, key)
	return nil
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
	t := &writeTx{readTx: readTx{d: d, ctx: ctx}, ov: map[string]*pending{}, maxOps: d.opts.MaxTxnOps}
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return 0, err
	}
	t.done = true
	if t.err != nil {
		return 0, t.err
	}
	if t.tooMany > 0 {
		return 0, t.tooManyErr()
	}
	if len(t.order) == 0 {
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
	ops := make([]clientv3.Op, 0, len(t.order))
	for _, key := range t.order {
		p := t.ov[key]
		if p.deleted {
			ops = append(ops, clientv3.OpDelete(d.data+key))
		} else {
			ops = append(ops, clientv3.OpPut(d.data+key, string(p.value)))
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.RequestTimeout)
	defer cancel()
	resp, err := d.cli.Txn(cctx).
		If(clientv3.Compare(clientv3.CreateRevision(d.lockKey), "=", d.lockRev)).
		Then(ops...).
		Commit()
	if err != nil {
		return 0, d.callErr(fmt.Sprintf("commit %d keys", len(ops)), t.order[0], err)
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

package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/wharfhq/wharf/store"
)

// Group commit. An fsync costs far more than the fns of a typical Update, so
// committing each Update on its own makes concurrent writers queue behind
// each other's fsync. Instead the Update that finds no group running becomes
// the leader: it opens a bbolt write transaction, runs its own fn, then
// gives every Update that is waiting by then its turn in the same
// transaction, one after another, and commits them all with one fsync.
// There is no writer goroutine: the leader is a caller, and leadership is a
// one-slot semaphore (DB.sem) that the next waiting Update takes when the
// leader lets go, so an Update without contention pays no hand-off at all.
//
// Each fn runs on its own caller's goroutine (a panic keeps its stack, and
// runtime.Goexit, as in t.Fatal, ends only that caller): the leader hands a
// waiting caller a writeTx and waits for its fn to end. The writeTx buffers
// fn's writes, so an fn that fails, panics or exits leaves the shared bbolt
// transaction untouched and is never re-run; one that returns nil has its
// writes applied, as the next revision, before the next fn's turn, so later
// fns read them (the group is serializable in turn order). Nothing is
// published to watchers, nor returned to a caller, before the group's
// commit: the results of a group whose commit fails are all that failure,
// including fns that wrote nothing but read others' writes.
//
// Groups are bounded so that a burst cannot make the leader, or the first
// callers of a group, wait for many others' fns: the leader stops admitting
// fns after maxGroupFns of them or maxGroupTime since the group began.
// Batching is otherwise natural: whoever arrives during a commit's fsync is
// in the next group.
const (
	maxGroupFns  = 256
	maxGroupTime = 2 * time.Millisecond
)

// errFnPanicked is the outcome recorded for an fn that panicked or exited
// its goroutine; its caller never reads it (the panic is under way).
var errFnPanicked = errors.New("bolt: update function panicked")

// request is one Update waiting for, or in, a group.
type request struct {
	ctxErr func() error // the caller's ctx.Err: a cancelled caller's fn is skipped
	// wake is signalled by the leader at most twice: first for fn's turn
	// (tx set) unless the request ends without one, then with the result
	// (rev, err). Buffered, so the leader never waits for a caller that is
	// gone (its fn panicked).
	wake chan struct{}
	// back is signalled by the caller when fn has ended, however it ended.
	back chan struct{}
	tx   *writeTx
	// own is the leader's fn: the leader runs it itself, without hand-off.
	own func(store.Tx) error

	// Set by the caller before signalling back.
	fnErr    error
	returned bool // fn returned (did not panic or exit the goroutine)

	// Set by the leader before the final wake.
	rev int64
	err error
}

// runFn is fn's turn, on the caller's goroutine. back is signalled from a
// deferred call so the leader learns of a panic or Goexit too; the panic
// then goes on up the caller's stack.
func (r *request) runFn(fn func(store.Tx) error) {
	defer func() {
		r.tx.rt.done = true
		r.back <- struct{}{}
	}()
	r.fnErr = fn(r.tx)
	r.returned = true
}

// Update runs fn in a read-write transaction; see store.Backend. fn runs on
// the calling goroutine, in a group commit with other concurrent Updates; a
// panic in fn discards its writes and propagates without affecting the
// group.
func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d.isClosed() {
		return 0, store.ErrClosed
	}
	r := &request{ctxErr: ctx.Err, wake: make(chan struct{}, 1), back: make(chan struct{}, 1)}
	select {
	case d.sem <- struct{}{}:
		return d.lead(r, fn)
	case d.reqs <- r: // taken into the running group
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-d.stop:
		return 0, store.ErrClosed
	}
	// Once taken, the request is answered within its group, so these waits
	// need no context: returning early could hide a commit fn made.
	<-r.wake
	if r.tx != nil {
		r.runFn(fn)
		<-r.wake
	}
	if r.err != nil {
		return 0, r.err
	}
	return r.rev, nil
}

// lead runs a group with r, the caller's own request, first. Leadership is
// released on every way out, a panic in fn included.
func (d *DB) lead(r *request, fn func(store.Tx) error) (int64, error) {
	defer func() { <-d.sem }()
	if d.isClosed() {
		return 0, store.ErrClosed // Close is waiting for the semaphore
	}
	r.own = fn
	d.runGroup(r)
	if r.err != nil {
		return 0, r.err
	}
	return r.rev, nil
}

// runGroup runs first (the leader's own request) and whoever else is
// waiting, within the bounds, in one bbolt write transaction, commits it and
// answers every request. If the leader's fn panics, the deferred calls roll
// back the transaction, in which nobody else has had a turn yet.
func (d *DB) runGroup(first *request) {
	var batch []*request
	var err error
	defer func() {
		for _, r := range batch {
			if err != nil && r.err == nil {
				r.err = err
			}
			r.wake <- struct{}{}
		}
	}()
	btx, beginErr := d.bolt.Begin(true)
	if beginErr != nil {
		batch, err = []*request{first}, d.beginErr("begin write", beginErr)
		return
	}
	// Rollback after Commit is a no-op; it covers every early return.
	defer func() { _ = btx.Rollback() }()
	rt, err := newReadTx(btx)
	if err != nil {
		batch = []*request{first}
		return
	}
	rt.kv.FillPercent = kvFill
	btx.Bucket(bucketLog).FillPercent = logFill
	base := rt.rev
	rev := base
	began := time.Now()
	for r := first; r != nil; r = d.nextInGroup(len(batch), began) {
		batch = append(batch, r)
		if err = d.turn(r, btx, rt, rev); err != nil {
			return // the group's transaction is unusable: everyone fails
		}
		if r.err == nil && r.rev > rev {
			rev = r.rev
		}
	}
	if rev == base {
		return // nothing written: the deferred rollback ends the transaction
	}
	if d.failCommit != nil {
		if err = d.failCommit(); err != nil {
			return // as if bbolt's commit had failed: the deferred rollback undoes the group
		}
	}
	if err = btx.Commit(); err != nil {
		err = fmt.Errorf("bolt: commit revisions %d-%d to %s: %w", base+1, rev, d.path, err)
		return
	}
	d.commits.Add(1)
	d.publishGroup(batch)
}

// nextInGroup returns a request that is already waiting, or nil when there
// is none or the group is full.
// How full bbolt packs a leaf it splits (its default is half). New keys
// mostly append: ids begin with their creation time (state.NewID), and the
// log's keys are revisions. A leaf split at half when keys only append
// stays half empty for good, so the file grew by a third; packing fuller
// costs a random insert little (it splits a little sooner).
const (
	kvFill  = 0.9
	logFill = 1.0
)

func (d *DB) nextInGroup(n int, began time.Time) *request {
	if n >= maxGroupFns || time.Since(began) >= maxGroupTime {
		return nil
	}
	select {
	case r := <-d.reqs:
		return r
	default:
		return nil
	}
}

// turn runs r's fn on top of the group's state at revision rev and, if it
// succeeded with writes, applies them to the bbolt transaction as revision
// rev+1. r's own outcome goes into r; an error returned means the bbolt
// transaction failed and the whole group with it.
func (d *DB) turn(r *request, btx *bbolt.Tx, rt *readTx, rev int64) error {
	if err := r.ctxErr(); err != nil {
		r.err = err // cancelled while waiting: fn does not run
		return nil
	}
	r.tx = newWriteTx(*rt, rev, d.maxTxnOps)
	if r.own != nil {
		r.runFn(r.own)
	} else {
		r.wake <- struct{}{}
	}
	<-r.back
	tx := r.tx
	switch {
	case !r.returned:
		r.err = errFnPanicked // the caller is panicking; nobody reads this
		return nil
	case r.fnErr != nil:
		r.err = r.fnErr
		return nil
	case tx.Err() != nil:
		r.err = tx.Err()
		return nil
	case len(tx.events) == 0:
		r.rev = rev
		return nil
	}
	if err := tx.apply(); err != nil {
		return err
	}
	if err := commitMeta(btx, rev+1, tx.events, d.history); err != nil {
		return err
	}
	r.rev = rev + 1
	return nil
}

// publishGroup hands the group's committed revisions to live watchers, in
// revision order (turn order), under one acquisition of d.mu.
func (d *DB) publishGroup(batch []*request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range batch {
		if r.err == nil && r.tx != nil && len(r.tx.events) > 0 {
			d.publishLocked(r.rev, r.tx.events)
		}
	}
}

package bolt

import (
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/wharfhq/wharf/store"
)

// Group commit. An fsync costs far more than the fns of a typical Update, so
// committing each Update on its own makes concurrent writers queue behind
// each other's fsync. Instead one writer goroutine (the committer) opens a
// bbolt write transaction and gives every Update that is waiting its turn
// in it, one after another, then commits them all with one fsync.
//
// Each fn still runs on its caller's goroutine (a panic keeps its stack,
// and runtime.Goexit, as in t.Fatal, ends only the caller): the committer
// hands the caller a writeTx and waits for the fn to finish. The writeTx
// buffers fn's writes, so an fn that fails, panics or exits leaves the
// shared bbolt transaction untouched and is never re-run; one that returns
// nil has its writes applied, as the next revision, before the next fn's
// turn, so later fns read them (the group is serializable in turn order).
// Nothing is published to watchers, nor returned to a caller, before the
// group's commit: the results of a group whose commit fails are all that
// failure, including fns that wrote nothing but read others' writes.
//
// Groups are bounded so that a burst cannot make the first caller of a
// group wait for many others' fns: the committer stops admitting fns after
// maxGroupFns of them or maxGroupTime since the group began. Batching is
// otherwise natural: whoever arrives during a commit's fsync is in the next
// group.
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
	// wake is signalled by the committer at most twice: first for fn's
	// turn (tx set) unless the request ends without one, then with the
	// result (rev, err). Buffered, so the committer never waits for a
	// caller that is gone (its fn panicked).
	wake chan struct{}
	// back is signalled by the caller when fn has ended, however it ended.
	back chan struct{}
	tx   *writeTx

	// Set by the caller before signalling back.
	fnErr    error
	returned bool // fn returned (did not panic or exit the goroutine)

	// Set by the committer before the final wake.
	rev int64
	err error
}

// runFn is fn's turn, on the caller's goroutine. back is signalled from a
// deferred call so the committer learns of a panic or Goexit too; the panic
// then goes on up the caller's stack.
func (r *request) runFn(fn func(store.Tx) error) {
	defer func() {
		r.tx.done = true
		r.back <- struct{}{}
	}()
	r.fnErr = fn(r.tx)
	r.returned = true
}

// committer is the writer goroutine: it runs groups until Close.
func (d *DB) committer() {
	defer close(d.committerDone)
	for {
		// Close wins over waiting requests; those see d.stop too.
		select {
		case <-d.stop:
			return
		default:
		}
		select {
		case <-d.stop:
			return
		case r := <-d.reqs:
			d.runGroup(r)
		}
	}
}

// runGroup runs first and whoever else is waiting, within the bounds, in one
// bbolt write transaction, commits it and answers every request.
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
	if err = btx.Commit(); err != nil {
		err = fmt.Errorf("bolt: commit revisions %d-%d to %s: %w", base+1, rev, d.path, err)
		return
	}
	d.commits.Add(1)
	d.publishGroup(batch)
}

// nextInGroup returns a request that is already waiting, or nil when there
// is none or the group is full.
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
	r.wake <- struct{}{}
	<-r.back
	tx := r.tx
	switch {
	case !r.returned:
		r.err = errFnPanicked // the caller is panicking; nobody reads this
		return nil
	case r.fnErr != nil:
		r.err = r.fnErr
		return nil
	case tx.tooMany > 0:
		r.err = tx.tooManyErr()
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

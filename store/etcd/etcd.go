package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"

	"github.com/wharfhq/wharf/store"
)

// Defaults for Options fields left at zero.
const (
	DefaultPrefix         = "/wharf/"
	DefaultDialTimeout    = 5 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultLockTTL        = 10 // seconds
	DefaultMaxTxnOps      = 128
	DefaultHistory        = 10000
	DefaultWatchBuffer    = 1024
)

// ErrLocked is returned by Open when another process holds the writer lock
// of the prefix for longer than Options.LockWait.
var ErrLocked = errors.New("etcd: the prefix is in use by another wharf")

// Options configures Open.
type Options struct {
	// Endpoints are the etcd client URLs (http://127.0.0.1:2379).
	Endpoints []string
	// Prefix namespaces every key wharf writes ("" = DefaultPrefix). It
	// should end in "/".
	Prefix string
	// DialTimeout bounds the first connection (<= 0: DefaultDialTimeout).
	DialTimeout time.Duration
	// RequestTimeout bounds each etcd call, so that an unreachable etcd
	// fails a call instead of hanging it (<= 0: DefaultRequestTimeout).
	RequestTimeout time.Duration
	// LockTTL is the writer lock's lease in seconds: how long after this
	// process dies (or loses etcd) another may write (<= 0: DefaultLockTTL).
	LockTTL int
	// LockWait is how long Open (and an Update after a lost lock) waits for
	// another holder of the lock to go (<= 0: LockTTL plus 5 s, so a
	// restart after a crash waits out the dead process's lease).
	LockWait time.Duration
	// Holder names this process in the lock's value (default host:pid), for
	// the error a second process gets.
	Holder string
	// MaxTxnOps is the most distinct keys one Update may write; it must not
	// exceed the server's --max-txn-ops (0: DefaultMaxTxnOps, etcd's own
	// default; < 0: not checked here, etcd still refuses).
	MaxTxnOps int
	// History is how many recent revisions the lock holder keeps for Watch
	// replay before compacting etcd (0: DefaultHistory; < 0: never compact,
	// leaving it to etcd's --auto-compaction-*). Compaction is cluster-wide.
	History int64
	// WatchBuffer is each watch's channel capacity: how far a live reader
	// may lag before it is cut off with store.ErrCompacted
	// (<= 0: DefaultWatchBuffer).
	WatchBuffer int
	Log         *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.LockTTL <= 0 {
		o.LockTTL = DefaultLockTTL
	}
	if o.LockWait <= 0 {
		o.LockWait = time.Duration(o.LockTTL)*time.Second + 5*time.Second
	}
	if o.Holder == "" {
		host, _ := os.Hostname()
		o.Holder = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if o.MaxTxnOps == 0 {
		o.MaxTxnOps = DefaultMaxTxnOps
	}
	if o.History == 0 {
		o.History = DefaultHistory
	}
	if o.WatchBuffer <= 0 {
		o.WatchBuffer = DefaultWatchBuffer
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// DB is an etcd-backed store.Backend. It is safe for concurrent use.
type DB struct {
	cli     *clientv3.Client
	opts    Options
	data    string // Prefix+"kv/": every record's key starts with it
	lockKey string

	// wmu is the writer: one slot, held by an Update from fn to commit,
	// and by Close for good. The fields below it are the writer's.
	wmu       chan struct{}
	stop      chan struct{} // closed by Close: waiting Updates give up
	sess      *concurrency.Session
	lockRev   int64 // CreateRevision of our lock key; 0: not held
	compacted int64 // last revision compaction was asked for
	compactMu sync.Mutex

	// closing ends when Close starts: an Update waiting for the lock gives
	// up rather than hold Close for LockWait.
	closing     context.Context
	closeCancel context.CancelFunc

	mu      sync.Mutex // guards closed and watches
	closed  bool
	watches map[*watcher]struct{}
	wg      sync.WaitGroup // watch goroutines and compactions
}

var _ store.Backend = (*DB)(nil)

// Open connects to etcd and takes the prefix's writer lock, waiting up to
// Options.LockWait for another holder to go.
func Open(ctx context.Context, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints")
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   opts.Endpoints,
		DialTimeout: opts.DialTimeout,
		Logger:      zap.NewNop(), // errors reach callers; the client's own log is noise
		Context:     context.WithoutCancel(ctx),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd: connect to %v: %w", opts.Endpoints, err)
	}
	d := &DB{
		cli:     cli,
		opts:    opts,
		data:    opts.Prefix + "kv/",
		lockKey: opts.Prefix + "lock",
		wmu:     make(chan struct{}, 1),
		stop:    make(chan struct{}),
		watches: map[*watcher]struct{}{},
	}
	d.closing, d.closeCancel = context.WithCancel(context.Background())
	// A first call within DialTimeout: a wrong address fails Open, not the
	// first API call.
	pctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	_, err = cli.Get(pctx, d.lockKey, clientv3.WithCountOnly())
	cancel()
	if err != nil {
		_ = cli.Close()
		d.closeCancel()
		return nil, fmt.Errorf("etcd: reach %v: %w", opts.Endpoints, err)
	}
	if err := d.lock(ctx); err != nil {
		_ = cli.Close()
		d.closeCancel()
		return nil, err
	}
	return d, nil
}

// lock takes the writer lock: a key bound to this process's lease, created
// only if absent. If another process holds it, lock waits for its deletion
// (the holder's Close revokes its lease; a crashed holder's lease expires)
// until LockWait passes. The caller holds the writer slot (or is Open).
func (d *DB) lock(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.LockWait)
	defer cancel()
	defer context.AfterFunc(d.closing, cancel)()
	if d.sess != nil {
		// Only after a lost lock: its lease expired or was revoked, or
		// the key was taken from it. A new lease is sure to be live.
		_ = d.sess.Close()
		d.sess = nil
	}
	if d.sess == nil {
		s, err := concurrency.NewSession(d.cli, concurrency.WithTTL(d.opts.LockTTL), concurrency.WithContext(context.WithoutCancel(ctx)))
		if err != nil {
			return fmt.Errorf("etcd: lease for the writer lock %s: %w", d.lockKey, err)
		}
		d.sess = s
	}
	for {
		resp, err := d.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(d.lockKey), "=", 0)).
			Then(clientv3.OpPut(d.lockKey, d.opts.Holder, clientv3.WithLease(d.sess.Lease()))).
			Else(clientv3.OpGet(d.lockKey)).
			Commit()
		if err != nil {
			return d.lockErr(ctx, "", err)
		}
		if resp.Succeeded {
			d.lockRev = resp.Header.Revision
			return nil
		}
		holder := ""
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			holder = string(kvs[0].Value)
		}
		if err := d.awaitDelete(ctx, resp.Header.Revision); err != nil {
			return d.lockErr(ctx, holder, err)
		}
	}
}

func (d *DB) lockErr(ctx context.Context, holder string, err error) error {
	if ctx.Err() != nil && holder != "" {
		return fmt.Errorf("etcd: %w: %s holds %s (waited %s)", ErrLocked, holder, d.lockKey, d.opts.LockWait)
	}
	return fmt.Errorf("etcd: take the writer lock %s: %w", d.lockKey, err)
}

// awaitDelete returns once the lock key is deleted after revision rev.
func (d *DB) awaitDelete(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for resp := range d.cli.Watch(wctx, d.lockKey, clientv3.WithRev(rev+1), clientv3.WithFilterPut()) {
		if err := resp.Err(); err != nil {
			return err
		}
		if len(resp.Events) > 0 {
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("watch ended")
}

// Prefix is the namespace this DB keeps its keys under.
func (d *DB) Prefix() string { return d.opts.Prefix }

// Close ends every watch (their Err becomes store.ErrClosed), waits for an
// in-flight Update, releases the writer lock and disconnects. Later calls,
// including Close, return store.ErrClosed.
func (d *DB) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return store.ErrClosed
	}
	d.closed = true
	d.closeCancel()
	for w := range d.watches {
		w.cancel(store.ErrClosed)
	}
	d.mu.Unlock()

	d.wmu <- struct{}{} // waits for the Update in flight; taken for good
	close(d.stop)
	d.wg.Wait()
	var err error
	if d.sess != nil {
		// Revoking the lease deletes the lock key: the next wharf need not
		// wait for the TTL.
		err = d.sess.Close()
	}
	if cerr := d.cli.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("etcd: close: %w", err)
	}
	return nil
}

func (d *DB) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// callErr adds context to an etcd error and maps what the store contract
// names: compaction, the ops bound, a closed DB.
func (d *DB) callErr(op, key string, err error) error {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("etcd: %s %q: %w (%w)", op, key, store.ErrCompacted, err)
	case errors.Is(err, rpctypes.ErrTooManyOps):
		return fmt.Errorf("etcd: %s: %w (%w)", op, store.ErrTooManyOps, err)
	case d.isClosed():
		return store.ErrClosed
	}
	return fmt.Errorf("etcd: %s %q: %w", op, key, err)
}

// View runs fn on a snapshot: every read at the revision of its first.
func (d *DB) View(ctx context.Context, fn func(store.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.isClosed() {
		return store.ErrClosed
	}
	t := &readTx{d: d, ctx: ctx}
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return err
	}
	return t.err // a failure Rev could not return
}

// errTxDone guards against a transaction escaping its callback.
var errTxDone = errors.New("etcd: transaction used after its callback returned")

// readTx reads at one revision, fixed by its first call.
type readTx struct {
	d    *DB
	ctx  context.Context
	rev  int64
	err  error // sticky: a failure of Rev, reported when fn returns
	done bool
}

// live fails once the transaction's callback returned.
func (t *readTx) live() error {
	if t.done {
		return errTxDone
	}
	return nil
}

// get reads key (with opts) at the snapshot's revision, fixing it first.
func (t *readTx) get(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if t.done {
		return nil, errTxDone
	}
	if t.err != nil {
		return nil, t.err
	}
	if t.rev > 0 {
		opts = append(opts, clientv3.WithRev(t.rev))
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.d.opts.RequestTimeout)
	defer cancel()
	resp, err := t.d.cli.Get(ctx, key, opts...)
	if err != nil {
		return nil, t.d.callErr("read", strings.TrimPrefix(key, t.d.data), err)
	}
	if t.rev == 0 {
		t.rev = resp.Header.Revision
	}
	return resp, nil
}

func (t *readTx) toKV(kv *mvccKV) store.KV {
	return store.KV{Key: strings.TrimPrefix(string(kv.Key), t.d.data), Value: kv.Value, CreateRev: kv.CreateRevision, ModRev: kv.ModRevision}
}

func (t *readTx) Get(key string) (store.KV, bool, error) {
	resp, err := t.get(t.d.data + key)
	if err != nil || len(resp.Kvs) == 0 {
		return store.KV{}, false, err
	}
	return t.toKV(resp.Kvs[0]), true, nil
}

func (t *readTx) List(prefix, after string, limit int) ([]store.KV, error) {
	return t.list(prefix, after, limit)
}

// list reads up to limit records under prefix after `after` (limit <= 0:
// all), in key order: etcd's range is sorted by key.
func (t *readTx) list(prefix, after string, limit int) ([]store.KV, error) {
	from := t.d.data + prefix
	if after != "" {
		if a := t.d.data + after + "\x00"; a > from {
			from = a
		}
	}
	end := clientv3.GetPrefixRangeEnd(t.d.data + prefix)
	if from >= end {
		return nil, nil
	}
	opts := []clientv3.OpOption{clientv3.WithRange(end)}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(int64(limit)))
	}
	resp, err := t.get(from, opts...)
	if err != nil {
		return nil, err
	}
	out := make([]store.KV, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out = append(out, t.toKV(kv))
	}
	return out, nil
}

// Rev is the snapshot's revision; called first, it fixes it.
func (t *readTx) Rev() int64 {
	if t.rev == 0 && !t.done && t.err == nil {
		if _, err := t.get(t.d.lockKey, clientv3.WithCountOnly()); err != nil {
			t.err = err
		}
	}
	return t.rev
}

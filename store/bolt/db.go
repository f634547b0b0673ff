package bolt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/wharfhq/wharf/store"
)

// Defaults for Options fields left at zero.
const (
	DefaultHistory     = 10000
	DefaultWatchBuffer = 1024
	DefaultLockTimeout = time.Second
)

// fileFormat is the layout version stored in the meta bucket.
const fileFormat = 1

// ErrInUse is returned by Open when another process (or another DB in this
// process) holds the file. bbolt would otherwise wait for the lock forever,
// which looks like a hung daemon instead of a configuration mistake.
var ErrInUse = errors.New("store is in use by another wharf process")

// Options tunes a DB. The zero value is the production configuration.
type Options struct {
	// History is how many of the most recent revisions keep their events for
	// Watch replay; older ones are compacted. <= 0 means DefaultHistory.
	History int
	// WatchBuffer is the channel capacity of each watch: how far a live
	// reader may lag before it is cut off with store.ErrCompacted.
	// <= 0 means DefaultWatchBuffer.
	WatchBuffer int
	// LockTimeout bounds the wait for the file lock in Open. <= 0 means
	// DefaultLockTimeout.
	LockTimeout time.Duration
	// MaxTxnOps, when > 0, is the most distinct keys one Update may write
	// (put or delete); an fn that writes more fails with an error wrapping
	// store.ErrTooManyOps and writes nothing. 0 means no limit. Set it to
	// etcd's default, 128, to hold code to what an etcd store will accept.
	MaxTxnOps int
}

func (o Options) withDefaults() Options {
	if o.History <= 0 {
		o.History = DefaultHistory
	}
	if o.WatchBuffer <= 0 {
		o.WatchBuffer = DefaultWatchBuffer
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	return o
}

// DB is a bbolt-backed store.Backend. It is safe for concurrent use.
//
// As with bbolt itself, do not call Update, View or Watch from inside a View
// callback: a commit that must grow the file waits for open read
// transactions and blocks new ones, so the nested call could wait on its own
// caller. Read, return, then act on what was read.
type DB struct {
	bolt     *bbolt.DB
	path     string
	history  int64
	watchBuf int

	maxTxnOps int
	// origin is random per Open: read snapshots report it as their
	// store.Scanner Origin, so caches keyed by revision never mix two
	// stores (tests open many in one process, with the same keys and
	// revisions).
	origin uint64

	// Updates are committed in groups, one bbolt transaction and one fsync
	// each, run by a leader that publishes after commit in revision order
	// (see group.go).
	sem     chan struct{} // one slot: held by the leader, and by Close for good
	reqs    chan *request // unbuffered: a request is either taken or not sent
	stop    chan struct{} // closed by Close: waiting Updates give up
	commits atomic.Int64  // bbolt commits (fsyncs) made by Update, for tests
	// failCommit, set by tests only, fails a group's commit when it returns
	// an error.
	failCommit func() error

	mu        sync.Mutex // guards the fields below and every live watcher
	closed    bool
	published int64 // highest revision handed to live watchers
	live      map[*watcher]struct{}

	done chan struct{}  // closed by Close; stops replaying watchers
	wg   sync.WaitGroup // replaying watcher goroutines
}

var _ store.Backend = (*DB)(nil)

var _ store.Scanner = (*readTx)(nil)
var _ store.Scanner = (*writeTx)(nil)

// Open opens (creating if needed) the store file at path. The parent
// directory is created 0700 and the file 0600: it holds every secret wharf
// is given. If another process has the file open, Open fails after
// Options.LockTimeout with an error wrapping ErrInUse.
func Open(path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bolt: create directory for %s: %w", path, err)
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bbolt.FreelistMapType,
		// Address space only: a file growing past the mapping is remapped,
		// which waits for every reader; reserving 256 MiB up front spares a
		// growing store those stalls (the file itself grows as before).
		InitialMmapSize: 256 << 20,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt: open %s: %w (file lock not acquired within %s: %w)",
			path, ErrInUse, opts.LockTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	d := &DB{
		bolt:     bdb,
		path:     path,
		history:  int64(opts.History),
		watchBuf: opts.WatchBuffer,
		live:     map[*watcher]struct{}{},
		done:     make(chan struct{}),

		maxTxnOps: opts.MaxTxnOps,
		origin:    rand.Uint64() | 1,
		sem:       make(chan struct{}, 1),
		reqs:      make(chan *request),
		stop:      make(chan struct{}),
	}
	if err := bdb.Update(d.init); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("bolt: initialise %s: %w", path, err)
	}
	return d, nil
}

// init creates the buckets, checks the format, loads the revision and
// applies a History that shrank since the last run.
func (d *DB) init(btx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketKV, bucketMeta, bucketLog} {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := btx.Bucket(bucketMeta)
	format, err := metaInt(meta, metaFormat)
	if err != nil {
		return err
	}
	switch format {
	case 0:
		if err := meta.Put(metaFormat, revKey(fileFormat)); err != nil {
			return fmt.Errorf("write format: %w", err)
		}
	case fileFormat:
	default:
		return fmt.Errorf("file format %d is not supported (want %d)", format, fileFormat)
	}
	rev, err := metaInt(meta, metaRev)
	if err != nil {
		return err
	}
	d.published = rev
	return compact(meta, btx.Bucket(bucketLog), rev, d.history)
}

// Path is the file this DB was opened from.
func (d *DB) Path() string { return d.path }

// Close stops every watch (their Err becomes store.ErrClosed), waits for an
// in-flight Update to finish and closes the file. Later calls, including
// Close, return store.ErrClosed.
func (d *DB) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return store.ErrClosed
	}
	d.closed = true
	d.mu.Unlock()

	// Taking leadership for good waits for the group in flight (which
	// publishes before letting go); Updates not taken into it see d.stop
	// and return store.ErrClosed.
	d.sem <- struct{}{}
	close(d.stop)

	d.mu.Lock()
	close(d.done)
	for w := range d.live {
		d.finishLocked(w, store.ErrClosed)
	}
	d.mu.Unlock()

	d.wg.Wait() // replaying watchers observe done and close themselves
	if err := d.bolt.Close(); err != nil {
		return fmt.Errorf("bolt: close %s: %w", d.path, err)
	}
	return nil
}

func (d *DB) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// beginErr maps bbolt's "not open" (a Close raced with the call) to
// store.ErrClosed and adds context to anything else.
func (d *DB) beginErr(op string, err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return store.ErrClosed
	}
	return fmt.Errorf("bolt: %s %s: %w", op, d.path, err)
}

// View runs fn on a read-only snapshot. fn's error is returned unchanged.
func (d *DB) View(ctx context.Context, fn func(store.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.isClosed() {
		return store.ErrClosed
	}
	btx, err := d.bolt.Begin(false)
	if err != nil {
		return d.beginErr("begin read", err)
	}
	defer func() { _ = btx.Rollback() }()
	rt, err := newReadTx(btx)
	if err != nil {
		return err
	}
	rt.origin = d.origin
	defer func() { rt.done = true }()
	return fn(rt)
}

// Package store holds wharf's state: a key/value space of JSON records with
// serializable transactions, a global revision, and watches that replay every
// change after a given revision. Backends (bbolt now, etcd later) implement
// Backend; everything above uses the typed helpers in this package.
//
// The shape follows etcd's so that a second backend is a translation, not a
// redesign: every committed write bumps one global revision, each record
// remembers the revisions that created and last modified it, and a watch
// started from revision R delivers every event with revision > R in order,
// then live events, with no gap.
//
// store imports only model-free standard packages; it must not import awsapi,
// controllers or the agent.
package store

import (
	"context"
	"errors"
)

// ErrCompacted is returned by Watch when the requested start revision is older
// than the history the backend still keeps; the caller re-reads state with
// View and watches from that read's revision.
var ErrCompacted = errors.New("store: revision compacted")

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("store: closed")

// ErrTooManyOps is returned by Update when its fn wrote (put or deleted)
// more distinct keys than the backend's per-transaction limit; nothing is
// written and the error says how many. The limit mirrors etcd's
// --max-txn-ops, whose default is 128: every transaction on wharf's hot
// paths (one API request, one reconcile step) is meant to fit it, so that
// moving the store to etcd never turns a working call into a failing one.
// Bulk work (deleting a cluster's history, say) is split into batches.
var ErrTooManyOps = errors.New("store: too many keys written in one transaction")

// KV is one stored record.
type KV struct {
	Key       string
	Value     []byte
	CreateRev int64 // revision of the write that created this key
	ModRev    int64 // revision of the last write to this key
}

// ReadTx is a consistent snapshot.
type ReadTx interface {
	// Get returns the record at key; ok is false when there is none.
	Get(key string) (kv KV, ok bool, err error)
	// List returns records whose key starts with prefix and sorts after
	// `after` (exclusive; "" for the start), in key order, at most limit of
	// them (limit <= 0: all).
	List(prefix, after string, limit int) ([]KV, error)
	// Rev is the store revision this snapshot reflects.
	Rev() int64
}

// Tx is a read-write transaction. Writes are visible to later reads in the
// same transaction and are committed atomically, durably (fsync) before
// Update returns.
type Tx interface {
	ReadTx
	Put(key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key string) error
}

// EventType says what happened to a key.
type EventType int

const (
	EventPut EventType = iota + 1
	EventDelete
)

// Event is one change, published only after its transaction committed.
// For EventDelete, KV.Value is the value before deletion.
type Event struct {
	Type EventType
	KV   KV
	Rev  int64
}

// Backend is what a storage engine provides.
type Backend interface {
	// View runs fn on a read-only snapshot.
	View(ctx context.Context, fn func(ReadTx) error) error
	// Update runs fn in a read-write transaction. If fn returns an error
	// (or panics) nothing is written and that error is returned unchanged
	// (the panic propagates). fn runs exactly once: a backend never retries
	// it, so fn may assign to variables it captured. A transaction with no
	// writes does not bump the revision. It returns the revision the commit
	// produced (or the current one when nothing was written). A backend may
	// commit several concurrent Updates together (one fsync for all), but
	// each still gets its own revision and events, and one failing fn does
	// not affect the others. A backend with a per-transaction write limit
	// fails an fn that writes more keys with an error wrapping ErrTooManyOps.
	Update(ctx context.Context, fn func(Tx) error) (rev int64, err error)
	// Watch delivers, in revision order, every event on keys with prefix whose
	// revision is > fromRev, then live events, until ctx ends (the channel is
	// then closed). fromRev 0 means "from now". A slow reader never blocks
	// writers: if it falls too far behind, the channel is closed and Err on
	// the returned Watch reports ErrCompacted so it can resync.
	Watch(ctx context.Context, prefix string, fromRev int64) (*Watch, error)
	// Close releases the backend; in-flight watches are closed.
	Close() error
}

// Watch is a running watch.
type Watch struct {
	C   <-chan Event
	err func() error
}

// NewWatch is for backends: it wraps a channel and an error accessor.
func NewWatch(c <-chan Event, err func() error) *Watch { return &Watch{C: c, err: err} }

// Err reports why C was closed: nil after the caller's context ended,
// ErrCompacted after a fall-behind, ErrClosed after the backend closed.
func (w *Watch) Err() error {
	if w.err == nil {
		return nil
	}
	return w.err()
}

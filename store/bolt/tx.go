package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/wharfhq/wharf/store"
)

var (
	bucketKV   = []byte("kv")
	bucketMeta = []byte("meta")
	bucketLog  = []byte("log")

	metaRev       = []byte("rev")       // current revision
	metaCompacted = []byte("compacted") // every log entry <= this is gone
	metaFormat    = []byte("format")    // layout version of the file
)

// errTxDone guards against a transaction escaping its callback: bbolt's
// memory behind a finished transaction may already be unmapped.
var errTxDone = errors.New("bolt: transaction used after its callback returned")

// readTx implements store.ReadTx over a bbolt transaction.
type readTx struct {
	kv   *bbolt.Bucket
	meta *bbolt.Bucket
	rev  int64
	done bool
	// origin is the DB's (see DB.origin) in a read snapshot, 0 in a
	// write transaction.
	origin uint64
}

func newReadTx(btx *bbolt.Tx) (*readTx, error) {
	kv, meta := btx.Bucket(bucketKV), btx.Bucket(bucketMeta)
	if kv == nil || meta == nil {
		return nil, fmt.Errorf("bolt: %w: missing bucket", errCorrupt)
	}
	rev, err := metaInt(meta, metaRev)
	if err != nil {
		return nil, err
	}
	return &readTx{kv: kv, meta: meta, rev: rev}, nil
}

// metaInt reads an int64 from the meta bucket; a missing entry is 0.
func metaInt(meta *bbolt.Bucket, key []byte) (int64, error) {
	v := meta.Get(key)
	if v == nil {
		return 0, nil
	}
	n, err := parseRev(v)
	if err != nil {
		return 0, fmt.Errorf("bolt: meta %s: %w", key, err)
	}
	return n, nil
}

// live fails once the transaction's callback returned.
func (t *readTx) live() error {
	if t.done {
		return errTxDone
	}
	return nil
}

func (t *readTx) Get(key string) (store.KV, bool, error) {
	if t.done {
		return store.KV{}, false, errTxDone
	}
	v := t.kv.Get([]byte(key))
	if v == nil {
		return store.KV{}, false, nil
	}
	kv, err := decodeRecord(key, v)
	if err != nil {
		return store.KV{}, false, err
	}
	return kv, true, nil
}

func (t *readTx) List(prefix, after string, limit int) ([]store.KV, error) {
	if t.done {
		return nil, errTxDone
	}
	var out []store.KV
	err := t.walk(prefix, after, limit, func(k, v []byte, createRev, modRev int64) error {
		out = append(out, store.KV{Key: string(k), Value: clone(v), CreateRev: createRev, ModRev: modRev})
		return nil
	})
	return out, err
}

// walk calls fn for the records under prefix after `after`, in key order,
// at most limit of them (<= 0: all). Keys and values are bbolt's memory:
// valid only during fn.
func (t *readTx) walk(prefix, after string, limit int, fn func(k, v []byte, createRev, modRev int64) error) error {
	start := prefix
	if after > start {
		start = after
	}
	p := []byte(prefix)
	c := t.kv.Cursor()
	k, v := c.Seek([]byte(start))
	if k != nil && after != "" && string(k) == after {
		k, v = c.Next()
	}
	for n := 0; k != nil && bytes.HasPrefix(k, p) && (limit <= 0 || n < limit); n++ {
		if len(v) < headerLen || v[0] != recordFormat {
			_, _, err := decodeHeader(string(k), v)
			return err
		}
		createRev, modRev := int64(binary.BigEndian.Uint64(v[1:9])), int64(binary.BigEndian.Uint64(v[9:17]))
		if err := fn(k, v[headerLen:], createRev, modRev); err != nil {
			return err
		}
		k, v = c.Next()
	}
	return nil
}

// Scan implements store.Scanner.
func (t *readTx) Scan(prefix string, fn func(key, value []byte, createRev, modRev int64) error) error {
	if t.done {
		return errTxDone
	}
	return t.walk(prefix, "", 0, fn)
}

// Origin implements store.Scanner: a read snapshot sees committed
// revisions only.
func (t *readTx) Origin() uint64 { return t.origin }

func (t *readTx) Rev() int64 { return t.rev }

// writeTx implements store.Tx for one fn of a commit group. It reads the
// group's bbolt transaction (the committed state plus the writes of the
// group's earlier fns) under its own writes, buffered in a store.Overlay,
// and writes only to the latter: the group applies them to bbolt after fn
// returned nil, so a failing or panicking fn leaves the shared transaction
// untouched without anything to undo. Its writes carry revision base+1;
// events are collected in operation order for the log and for live
// watchers.
type writeTx struct {
	*store.Overlay // Get, List and Scan (a store.Scanner with Origin 0)
	rt             readTx
	base           int64
	events         []store.Event
}

func newWriteTx(rt readTx, base int64, maxOps int) *writeTx {
	rt.done = false
	t := &writeTx{rt: rt, base: base}
	t.Overlay = store.NewOverlay(&t.rt, store.OverlayOptions{ModRev: t.commitRev, MaxKeys: maxOps, Guard: t.rt.live})
	return t
}

// commitRev is the revision fn's writes commit as. The overlay reports
// it for fn's records, and its Origin is therefore 0: this transaction's
// revisions, and those of the group's earlier transactions, are rolled
// back if the group's commit fails.
func (t *writeTx) commitRev() int64 { return t.base + 1 }

// Rev is the revision reads in this transaction reflect: the group's
// revision so far until the first write, then the revision fn's writes
// will commit as.
func (t *writeTx) Rev() int64 {
	if len(t.events) > 0 {
		return t.base + 1
	}
	return t.base
}

func (t *writeTx) Put(key string, value []byte) error {
	if err := t.rt.live(); err != nil {
		return err
	}
	// bbolt's own checks, made here because the write reaches bbolt only
	// after fn returned, when failing would fail the whole group.
	switch {
	case key == "":
		return errors.New("bolt: put: empty key")
	case len(key) > bbolt.MaxKeySize:
		return fmt.Errorf("bolt: put %.64q...: key of %d bytes exceeds %d", key, len(key), bbolt.MaxKeySize)
	case int64(len(value)) > bbolt.MaxValueSize-headerLen:
		return fmt.Errorf("bolt: put %q: value of %d bytes exceeds %d", key, len(value), bbolt.MaxValueSize-headerLen)
	}
	rev := t.base + 1
	createRev := rev
	if w, ok := t.Overlay.Buffered(key); ok {
		if !w.Deleted {
			createRev = w.CreateRev
		}
	} else if old := t.rt.kv.Get([]byte(key)); old != nil {
		c, _, err := decodeHeader(key, old)
		if err != nil {
			return err
		}
		createRev = c
	}
	// One copy, shared by the buffer (whose reads copy it again) and the
	// event.
	v := clone(value)
	if err := t.Overlay.PutRecord(key, v, createRev); err != nil {
		return err
	}
	kv := store.KV{Key: key, Value: v, CreateRev: createRev, ModRev: rev}
	t.events = append(t.events, store.Event{Type: store.EventPut, Rev: rev, KV: kv})
	return nil
}

func (t *writeTx) Delete(key string) error {
	if err := t.rt.live(); err != nil {
		return err
	}
	var prev store.KV
	if w, ok := t.Overlay.Buffered(key); ok {
		if w.Deleted {
			return nil
		}
		prev = store.KV{Key: key, Value: w.Value, CreateRev: w.CreateRev}
	} else {
		old := t.rt.kv.Get([]byte(key))
		if old == nil {
			// Nothing changes, so no event and (alone) no new revision.
			return nil
		}
		var err error
		if prev, err = decodeRecord(key, old); err != nil { // copies before bbolt reuses the page
			return err
		}
	}
	if err := t.Overlay.Delete(key); err != nil {
		return err
	}
	rev := t.base + 1
	prev.ModRev = rev
	t.events = append(t.events, store.Event{Type: store.EventDelete, Rev: rev, KV: prev})
	return nil
}

// apply writes fn's pending writes to the group's bbolt transaction.
func (t *writeTx) apply() error {
	rev := t.commitRev()
	return t.Overlay.Each(func(w store.Write) error {
		if w.Deleted {
			if err := t.rt.kv.Delete([]byte(w.Key)); err != nil {
				return fmt.Errorf("bolt: delete %q: %w", w.Key, err)
			}
			return nil
		}
		if err := t.rt.kv.Put([]byte(w.Key), encodeRecord(w.CreateRev, rev, w.Value)); err != nil {
			return fmt.Errorf("bolt: put %q: %w", w.Key, err)
		}
		return nil
	})
}

// commitMeta records revision rev and its events in the meta and log buckets
// and drops log entries that fell out of the history window. Because every
// revision has exactly one entry, that is usually a single delete.
func commitMeta(btx *bbolt.Tx, rev int64, events []store.Event, history int64) error {
	meta, log := btx.Bucket(bucketMeta), btx.Bucket(bucketLog)
	if err := meta.Put(metaRev, revKey(rev)); err != nil {
		return fmt.Errorf("bolt: write revision %d: %w", rev, err)
	}
	if err := log.Put(revKey(rev), encodeEvents(events)); err != nil {
		return fmt.Errorf("bolt: write log entry %d: %w", rev, err)
	}
	return compact(meta, log, rev, history)
}

// compact deletes log entries older than the newest `history` revisions.
func compact(meta, log *bbolt.Bucket, rev, history int64) error {
	target := rev - history
	compacted, err := metaInt(meta, metaCompacted)
	if err != nil {
		return err
	}
	if target <= compacted {
		return nil
	}
	for r := compacted + 1; r <= target; r++ {
		if err := log.Delete(revKey(r)); err != nil {
			return fmt.Errorf("bolt: compact log entry %d: %w", r, err)
		}
	}
	if err := meta.Put(metaCompacted, revKey(target)); err != nil {
		return fmt.Errorf("bolt: write compaction mark %d: %w", target, err)
	}
	return nil
}

package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	return t.list(prefix, after, limit, nil)
}

// list merges the bbolt records under prefix with ov, a transaction's
// pending writes (nil for none), which shadow the stored record of the same
// key. Both sides are walked in key order, so limit stops the walk early.
func (t *readTx) list(prefix, after string, limit int, ov map[string]*pending) ([]store.KV, error) {
	var out []store.KV
	err := t.walk(prefix, after, limit, ov, func(k, v []byte, createRev, modRev int64) error {
		out = append(out, store.KV{Key: string(k), Value: clone(v), CreateRev: createRev, ModRev: modRev})
		return nil
	})
	return out, err
}

// walk calls fn for the records under prefix after `after`, at most limit
// of them (<= 0: all), merged with ov as list describes. Stored keys and
// values are bbolt's memory: valid only during fn.
func (t *readTx) walk(prefix, after string, limit int, ov map[string]*pending, fn func(k, v []byte, createRev, modRev int64) error) error {
	var ovKeys []string
	for k := range ov {
		if strings.HasPrefix(k, prefix) && k > after {
			ovKeys = append(ovKeys, k)
		}
	}
	slices.Sort(ovKeys)

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
	for n := 0; limit <= 0 || n < limit; n++ {
		stored := k != nil && bytes.HasPrefix(k, p)
		if len(ovKeys) > 0 && (!stored || ovKeys[0] <= string(k)) {
			key := ovKeys[0]
			ovKeys = ovKeys[1:]
			if stored && key == string(k) {
				k, v = c.Next() // shadowed by the pending write
			}
			if pe := ov[key]; !pe.deleted {
				if err := fn([]byte(key), pe.kv.Value, pe.kv.CreateRev, pe.kv.ModRev); err != nil {
					return err
				}
			} else {
				n--
			}
			continue
		}
		if !stored {
			break
		}
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
	return t.walk(prefix, "", 0, nil, fn)
}

// Origin implements store.Scanner: a read snapshot sees committed
// revisions only.
func (t *readTx) Origin() uint64 { return t.origin }

func (t *readTx) Rev() int64 { return t.rev }

// pending is one key's write buffered by a writeTx: the record it will store,
// or a deletion.
type pending struct {
	kv      store.KV
	deleted bool
}

// record returns a copy the caller may modify: the value is shared with the
// transaction's events.
func (p *pending) record() store.KV {
	kv := p.kv
	kv.Value = clone(kv.Value)
	return kv
}

// writeTx implements store.Tx for one fn of a commit group. It reads the
// group's bbolt transaction (the committed state plus the writes of the
// group's earlier fns) under its own pending writes, and writes only to the
// latter: the group applies them to bbolt after fn returned nil, so a
// failing or panicking fn leaves the shared transaction untouched without
// anything to undo. Its writes carry revision base+1; events are collected
// in operation order for the log and for live watchers.
type writeTx struct {
	readTx
	base    int64
	maxOps  int                 // > 0: most distinct keys fn may write
	ov      map[string]*pending // by key
	events  []store.Event
	tooMany int // > 0: the key count a write was refused at
}

func newWriteTx(rt readTx, base int64, maxOps int) *writeTx {
	rt.done = false
	return &writeTx{readTx: rt, base: base, maxOps: maxOps, ov: map[string]*pending{}}
}

// Rev is the revision reads in this transaction reflect: the group's
// revision so far until the first write, then the revision fn's writes
// will commit as.
func (t *writeTx) Rev() int64 {
	if len(t.events) > 0 {
		return t.base + 1
	}
	return t.base
}

func (t *writeTx) Get(key string) (store.KV, bool, error) {
	if t.done {
		return store.KV{}, false, errTxDone
	}
	if p, ok := t.ov[key]; ok {
		if p.deleted {
			return store.KV{}, false, nil
		}
		return p.record(), true, nil
	}
	return t.readTx.Get(key)
}

// Scan implements store.Scanner over the transaction's pending writes
// too.
func (t *writeTx) Scan(prefix string, fn func(key, value []byte, createRev, modRev int64) error) error {
	if t.done {
		return errTxDone
	}
	return t.walk(prefix, "", 0, t.ov, fn)
}

// Origin is 0: this transaction's revisions, and those of the group's
// earlier transactions, are rolled back if the group's commit fails.
func (t *writeTx) Origin() uint64 { return 0 }

func (t *writeTx) List(prefix, after string, limit int) ([]store.KV, error) {
	if t.done {
		return nil, errTxDone
	}
	return t.list(prefix, after, limit, t.ov)
}

// admit counts key against the per-transaction limit before its first
// write. A refusal is remembered so that the Update fails even if fn
// ignores the error.
func (t *writeTx) admit(key string) error {
	if t.maxOps <= 0 {
		return nil
	}
	if _, ok := t.ov[key]; ok {
		return nil
	}
	if n := len(t.ov) + 1; n > t.maxOps {
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
	if err := t.admit(key); err != nil {
		return err
	}
	rev := t.base + 1
	createRev := rev
	if p, ok := t.ov[key]; ok {
		if !p.deleted {
			createRev = p.kv.CreateRev
		}
	} else if old := t.kv.Get([]byte(key)); old != nil {
		c, _, err := decodeHeader(key, old)
		if err != nil {
			return err
		}
		createRev = c
	}
	kv := store.KV{Key: key, Value: clone(value), CreateRev: createRev, ModRev: rev}
	t.ov[key] = &pending{kv: kv}
	t.events = append(t.events, store.Event{Type: store.EventPut, Rev: rev, KV: kv})
	return nil
}

func (t *writeTx) Delete(key string) error {
	if t.done {
		return errTxDone
	}
	var prev store.KV
	if p, ok := t.ov[key]; ok {
		if p.deleted {
			return nil
		}
		prev = p.kv
	} else {
		old := t.kv.Get([]byte(key))
		if old == nil {
			// Nothing changes, so no event and (alone) no new revision.
			return nil
		}
		if err := t.admit(key); err != nil {
			return err
		}
		var err error
		if prev, err = decodeRecord(key, old); err != nil { // copies before bbolt reuses the page
			return err
		}
	}
	rev := t.base + 1
	prev.ModRev = rev
	t.ov[key] = &pending{deleted: true}
	t.events = append(t.events, store.Event{Type: store.EventDelete, Rev: rev, KV: prev})
	return nil
}

// apply writes fn's pending writes to the group's bbolt transaction.
func (t *writeTx) apply() error {
	for key, p := range t.ov {
		if p.deleted {
			if err := t.kv.Delete([]byte(key)); err != nil {
				return fmt.Errorf("bolt: delete %q: %w", key, err)
			}
			continue
		}
		if err := t.kv.Put([]byte(key), encodeRecord(p.kv.CreateRev, p.kv.ModRev, p.kv.Value)); err != nil {
			return fmt.Errorf("bolt: put %q: %w", key, err)
		}
	}
	return nil
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

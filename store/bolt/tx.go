package bolt

import (
	"bytes"
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
	var out []store.KV
	for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		kv, err := decodeRecord(string(k), v)
		if err != nil {
			return nil, err
		}
		out = append(out, kv)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

func (t *readTx) Rev() int64 { return t.rev }

// writeTx implements store.Tx. Its writes carry revision base+1; events are
// collected in operation order for the log and for live watchers.
type writeTx struct {
	readTx
	base   int64
	events []store.Event
}

// Rev is the revision reads in this transaction reflect: the committed one
// until the first write, then the revision the commit will produce.
func (t *writeTx) Rev() int64 {
	if len(t.events) > 0 {
		return t.base + 1
	}
	return t.base
}

func (t *writeTx) Put(key string, value []byte) error {
	if t.done {
		return errTxDone
	}
	if key == "" {
		return errors.New("bolt: put: empty key")
	}
	rev := t.base + 1
	createRev := rev
	if old := t.kv.Get([]byte(key)); old != nil {
		c, _, err := decodeHeader(key, old)
		if err != nil {
			return err
		}
		createRev = c
	}
	if err := t.kv.Put([]byte(key), encodeRecord(createRev, rev, value)); err != nil {
		return fmt.Errorf("bolt: put %q: %w", key, err)
	}
	t.events = append(t.events, store.Event{
		Type: store.EventPut,
		Rev:  rev,
		KV:   store.KV{Key: key, Value: clone(value), CreateRev: createRev, ModRev: rev},
	})
	return nil
}

func (t *writeTx) Delete(key string) error {
	if t.done {
		return errTxDone
	}
	old := t.kv.Get([]byte(key))
	if old == nil {
		// Nothing changes, so no event and (alone) no new revision.
		return nil
	}
	prev, err := decodeRecord(key, old) // copies before bbolt reuses the page
	if err != nil {
		return err
	}
	if err := t.kv.Delete([]byte(key)); err != nil {
		return fmt.Errorf("bolt: delete %q: %w", key, err)
	}
	rev := t.base + 1
	prev.ModRev = rev
	t.events = append(t.events, store.Event{Type: store.EventDelete, Rev: rev, KV: prev})
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

package store

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
)

// Overlay is a Tx made of writes kept in memory over a ReadTx: later reads
// of the Overlay see them, merged into what the ReadTx holds (a buffered
// write shadows the stored record of its key), and the ReadTx never does.
// It is the one write buffer of wharf: the bolt and etcd backends keep an
// Update's writes in one until fn returns (then commit them, see Each), and
// a controller's rehearsal (state.Rehearse) plays a pass on one over a
// snapshot and throws it away.
//
// The revision a buffered record reports is the one its commit will have
// (OverlayOptions.ModRev), or, for an overlay that is never committed, a
// negative revision of the write's own (below).
type Overlay struct {
	base    ReadTx
	modRev  func() int64 // nil: every write has its own stamp
	maxKeys int
	guard   func() error

	writes  map[string]*pendingWrite
	order   []string // buffered keys in first-write order
	sorted  []string // buffered keys in key order
	refused int      // > 0: the key count a write was refused at
}

// OverlayOptions configure an Overlay.
type OverlayOptions struct {
	// ModRev is the revision buffered records report: the one their
	// commit will have. It is asked only when a buffered record is read,
	// so a backend that learns the revision with a read (etcd) costs a
	// blind write nothing. nil means the overlay is never committed: each
	// write then reports a revision of its own, negative (so that no
	// CheckRev against a committed record ever passes on it) and never
	// reported by another write in this process (so that Origin can keep
	// the base's promise, see Origin).
	ModRev func() int64
	// MaxKeys > 0 is the most distinct keys the overlay accepts writes
	// to; a write to one more fails with ErrTooManyOps, and so does Err
	// from then on.
	MaxKeys int
	// Guard, when set, is asked first by every read and write, which
	// fail with its error: a backend's transaction used after its
	// callback returned.
	Guard func() error
}

// pendingWrite is one key's buffered change.
type pendingWrite struct {
	value   []byte
	deleted bool
	// createRev: > 0 known (given, or the base's record's), -1 created
	// by this overlay (CreateRev is then the ModRev), 0 not looked up yet.
	createRev int64
	modRev    int64 // the write's own stamp; 0: OverlayOptions.ModRev
}

// Write is one key's buffered change, as a backend commits it.
type Write struct {
	Key     string
	Value   []byte // nil when Deleted; shared with the overlay: do not modify
	Deleted bool
	// CreateRev is what PutRecord was given or the overlay learnt from
	// its base; 0 when neither (nothing read the key back).
	CreateRev int64
}

// stamps hands out the revisions of writes to overlays that are never
// committed: -1, -2, … across the process.
var stamps atomic.Int64

// NewOverlay buffers writes over base.
func NewOverlay(base ReadTx, opts OverlayOptions) *Overlay {
	return &Overlay{base: base, modRev: opts.ModRev, maxKeys: opts.MaxKeys, guard: opts.Guard, writes: map[string]*pendingWrite{}}
}

// check is the guard's verdict.
func (o *Overlay) check() error {
	if o.guard == nil {
		return nil
	}
	return o.guard()
}

// Rev is the base's revision: a backend's transaction says itself which
// revision reads reflect once it wrote.
func (o *Overlay) Rev() int64 { return o.base.Rev() }

// Wrote reports whether anything was put or deleted.
func (o *Overlay) Wrote() bool { return len(o.order) > 0 }

// Err is the ErrTooManyOps a write was refused with, nil when none was,
// so that a commit fails even if fn ignored the write's error.
func (o *Overlay) Err() error {
	if o.refused == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d keys, limit %d", ErrTooManyOps, o.refused, o.maxKeys)
}

// admit counts key against MaxKeys before its first write.
func (o *Overlay) admit(key string) error {
	if _, ok := o.writes[key]; ok || o.maxKeys <= 0 {
		return nil
	}
	if n := len(o.order) + 1; n > o.maxKeys {
		o.refused = n
		return o.Err()
	}
	return nil
}

// write returns key's buffered write for a write to change, once the
// guard and MaxKeys let it: an empty one, added in both key orders, on
// key's first write. An overlay that is never committed stamps it.
func (o *Overlay) write(key string) (*pendingWrite, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := o.admit(key); err != nil {
		return nil, err
	}
	p, ok := o.writes[key]
	if !ok {
		p = &pendingWrite{}
		o.writes[key] = p
		o.order = append(o.order, key)
		i, _ := slices.BinarySearch(o.sorted, key)
		o.sorted = slices.Insert(o.sorted, i, key)
	}
	if o.modRev == nil {
		p.modRev = stamps.Add(-1)
	}
	return p, nil
}

// Put buffers a copy of value at key.
func (o *Overlay) Put(key string, value []byte) error {
	return o.PutRecord(key, append([]byte{}, value...), 0)
}

// PutRecord buffers value itself at key, not a copy: the caller gives it
// up. createRev > 0 is the CreateRev the record reports (a backend that
// knows it, bbolt: the stored record's, or this revision for a key the
// transaction deleted first); 0 leaves it to the overlay, which keeps the
// key's earlier one (etcd's rule) or learns it from the base when read.
func (o *Overlay) PutRecord(key string, value []byte, createRev int64) error {
	p, err := o.write(key)
	if err != nil {
		return err
	}
	p.value, p.deleted = value, false
	if createRev != 0 {
		p.createRev = createRev
	}
	return nil
}

// Delete buffers key's deletion. It buffers one for a key the base does
// not hold too: a backend that must not count that as a write checks
// first.
func (o *Overlay) Delete(key string) error {
	p, err := o.write(key)
	if err != nil {
		return err
	}
	p.value, p.deleted = nil, true
	return nil
}

// Buffered returns key's buffered write; ok is false when key was not
// written.
func (o *Overlay) Buffered(key string) (w Write, ok bool) {
	p, ok := o.writes[key]
	if !ok {
		return Write{}, false
	}
	return Write{Key: key, Value: p.value, Deleted: p.deleted, CreateRev: max(p.createRev, 0)}, true
}

// Each calls fn for every buffered write in first-write order (the order
// watchers see a transaction's keys in), until fn fails.
func (o *Overlay) Each(fn func(Write) error) error {
	for _, k := range o.order {
		w, _ := o.Buffered(k)
		if err := fn(w); err != nil {
			return err
		}
	}
	return nil
}

// Get reads key as buffered, else from the base. The value is the
// caller's.
func (o *Overlay) Get(key string) (KV, bool, error) {
	if err := o.check(); err != nil {
		return KV{}, false, err
	}
	p, ok := o.writes[key]
	if !ok {
		return o.base.Get(key)
	}
	if p.deleted {
		return KV{}, false, nil
	}
	if p.createRev == 0 {
		kv, ok, err := o.base.Get(key)
		if err != nil {
			return KV{}, false, err
		}
		p.createRev = -1
		if ok {
			p.createRev = kv.CreateRev
		}
	}
	kv := o.record(key, p)
	kv.Value = append([]byte{}, kv.Value...)
	return kv, true, nil
}

// record is p as a KV sharing p's value; p's createRev is known.
func (o *Overlay) record(key string, p *pendingWrite) KV {
	mod := p.modRev
	if mod == 0 {
		mod = o.modRev()
	}
	create := p.createRev
	if create < 0 {
		create = mod
	}
	return KV{Key: key, Value: p.value, CreateRev: create, ModRev: mod}
}

// learn settles p's unknown createRev from what the base holds at its
// key: the base's record (inBase) or nothing.
func learn(p *pendingWrite, inBase bool, createRev int64) {
	switch {
	case p.createRev != 0:
	case inBase:
		p.createRev = createRev
	default:
		p.createRev = -1
	}
}

// span is the range of o.sorted under prefix after `after`.
func (o *Overlay) span(prefix, after string) (lo, hi int) {
	if after >= prefix {
		lo = sort.SearchStrings(o.sorted, after)
		if lo < len(o.sorted) && o.sorted[lo] == after {
			lo++
		}
	} else {
		lo = sort.SearchStrings(o.sorted, prefix)
	}
	// The keys from lo on sort at or after prefix: those with it first.
	rest := o.sorted[lo:]
	return lo, lo + sort.Search(len(rest), func(i int) bool { return !strings.HasPrefix(rest[i], prefix) })
}

// List merges the base's records under prefix with the buffered writes,
// in key order, after `after`, at most limit (<= 0: all).
//
// Only a buffered deletion can hide a record of the base's range (a put
// replaces one or adds one), so limit plus the deletions in range is as
// many records of the base as can be needed. When the base returns that
// many, its range may go on past the last one, and a buffered put beyond
// it could sort after records not read: the merge stops there, which
// still leaves at least limit records.
func (o *Overlay) List(prefix, after string, limit int) ([]KV, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	lo, hi := o.span(prefix, after)
	if lo == hi {
		return o.base.List(prefix, after, limit)
	}
	fetch := 0
	if limit > 0 {
		fetch = limit
		for _, k := range o.sorted[lo:hi] {
			if o.writes[k].deleted {
				fetch++
			}
		}
	}
	base, err := o.base.List(prefix, after, fetch)
	if err != nil {
		return nil, err
	}
	cut := fetch > 0 && len(base) == fetch
	out := make([]KV, 0, len(base)+hi-lo)
	i := 0
	for _, k := range o.sorted[lo:hi] {
		if cut && k > base[len(base)-1].Key {
			break
		}
		for i < len(base) && base[i].Key < k {
			out = append(out, base[i])
			i++
		}
		p := o.writes[k]
		inBase := i < len(base) && base[i].Key == k
		if inBase {
			learn(p, true, base[i].CreateRev)
			i++ // shadowed by the buffered write
		} else {
			learn(p, false, 0) // in the range read, and not there
		}
		if !p.deleted {
			kv := o.record(k, p)
			kv.Value = append([]byte{}, kv.Value...)
			out = append(out, kv)
		}
	}
	out = append(out, base[i:]...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Scan implements Scanner: the base's records under prefix merged with
// the buffered writes, without copying either. The base is scanned in
// place when it is a Scanner, else listed. fn must not write to o.
func (o *Overlay) Scan(prefix string, fn func(key, value []byte, createRev, modRev int64) error) error {
	if err := o.check(); err != nil {
		return err
	}
	lo, hi := o.span(prefix, "")
	if lo == hi {
		return ScanOf(o.base, prefix, fn)
	}
	j := lo
	emit := func(k string, p *pendingWrite) error {
		if p.deleted {
			return nil
		}
		kv := o.record(k, p)
		return fn([]byte(k), kv.Value, kv.CreateRev, kv.ModRev)
	}
	err := ScanOf(o.base, prefix, func(k, v []byte, createRev, modRev int64) error {
		for ; j < hi && o.sorted[j] < string(k); j++ {
			p := o.writes[o.sorted[j]]
			learn(p, false, 0)
			if err := emit(o.sorted[j], p); err != nil {
				return err
			}
		}
		if j < hi && o.sorted[j] == string(k) {
			p := o.writes[o.sorted[j]]
			learn(p, true, createRev)
			j++
			return emit(o.sorted[j-1], p)
		}
		return fn(k, v, createRev, modRev)
	})
	if err != nil {
		return err
	}
	for ; j < hi; j++ {
		p := o.writes[o.sorted[j]]
		learn(p, false, 0)
		if err := emit(o.sorted[j], p); err != nil {
			return err
		}
	}
	return nil
}

// ScanOf scans tx in place when it is a Scanner, else through List: for
// a reader that takes any ReadTx, and a ReadTx that wraps another.
func ScanOf(tx ReadTx, prefix string, fn func(key, value []byte, createRev, modRev int64) error) error {
	if sc, ok := tx.(Scanner); ok {
		return sc.Scan(prefix, fn)
	}
	kvs, err := tx.List(prefix, "", 0)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if err := fn([]byte(kv.Key), kv.Value, kv.CreateRev, kv.ModRev); err != nil {
			return err
		}
	}
	return nil
}

// Origin implements Scanner. An overlay that is committed reports 0, as
// any transaction holding writes: its records' revisions are rolled back
// and reused when the commit fails. One that is never committed keeps its
// base's promise: the records it did not write are the base's at the
// base's revisions, and each one it wrote has a revision no other write
// in the process reports, so a value decoded at a key and revision is
// still that key's value at that revision (a placement view may decode
// the overlay's records once and reuse the base's).
func (o *Overlay) Origin() uint64 {
	if o.modRev != nil {
		return 0
	}
	return OriginOf(o.base)
}

// OriginOf is tx's Origin when it is a Scanner, else 0: for a ReadTx
// that wraps another and scans through it.
func OriginOf(tx ReadTx) uint64 {
	if sc, ok := tx.(Scanner); ok {
		return sc.Origin()
	}
	return 0
}

package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/store"
)

// A controller's pass reads a service and its tasks, decides, places and
// writes. Placing reads every container instance of the cluster, so
// running the whole pass in a write transaction held the store's one
// write lock for the cluster's size. Rehearse runs the pass twice instead:
// first on a snapshot, with its writes kept in memory (an Overlay), which
// is where placement happens; then, only if that rehearsal wrote
// anything, for real in a short write transaction that takes the
// rehearsal's placements (Planned), checked with CheckReads, instead of
// placing again. A steady pass, which writes nothing, takes no write
// transaction at all.
//
//	View ─▶ rehearse(Overlay) ─▶ placements + their Reads
//	                                  │ (nothing written: done)
//	Update ─▶ commit(tx, placements) ─▶ CheckReads ─▶ CreateTask …
//	             └─ store.ErrConflict: rehearse again (at most
//	                store.OptimisticAttempts times, then both in one Update)

// RehearsePass is Rehearse for a controller pass that places tasks: pass
// runs first on the snapshot, recording its placements, then in the
// commit replaying them; a commit that does not take every placement the
// rehearsal made is a conflict. quiet is true in the rehearsal, so that a
// pass logs only what it commits.
func RehearsePass(ctx context.Context, db store.Backend, pass func(tx store.Tx, ps *Placements, quiet bool) error) error {
	rehearse := func(tx store.Tx) (*Placements, error) {
		ps := &Placements{}
		return ps, pass(tx, ps, true)
	}
	commit := func(tx store.Tx, planned *Placements) error {
		ps := &Placements{Replay: true, List: planned.List}
		if err := pass(tx, ps, false); err != nil {
			return err
		}
		return ps.Unused()
	}
	return Rehearse(ctx, db, rehearse, commit)
}

// Rehearse runs rehearse on a snapshot whose writes stay in memory and,
// when it wrote something, commit in an Update with what rehearse
// returned, until commit does not report store.ErrConflict. After
// store.OptimisticAttempts conflicts both run in one Update, where what
// the rehearsal read cannot change before commit.
func Rehearse[P any](ctx context.Context, db store.Backend, rehearse func(store.Tx) (P, error), commit func(store.Tx, P) error) error {
	for range store.OptimisticAttempts {
		var p P
		wrote := false
		err := db.View(ctx, func(tx store.ReadTx) error {
			ov := NewOverlay(tx)
			var err error
			p, err = rehearse(ov)
			wrote = ov.Wrote()
			return err
		})
		if err != nil || !wrote {
			return err
		}
		_, err = db.Update(ctx, func(tx store.Tx) error { return commit(tx, p) })
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	_, err := db.Update(ctx, func(tx store.Tx) error {
		p, err := rehearse(NewOverlay(tx))
		if err != nil {
			return err
		}
		return commit(tx, p)
	})
	return err
}

// Planned is a placement a rehearsal made, for its commit: Request says
// what was asked (the launch and its instances), so a commit whose pass
// asks for something else plans again.
type Planned struct {
	Request   string
	Placement Placement
	Err       error
}

// Placements is a pass's placements: recorded while rehearsing (Replay
// false), handed out in the same order while committing (Replay true).
type Placements struct {
	Replay bool
	List   []Planned
}

// Place places l as Place does when rehearsing, and recording it; when
// committing it returns the rehearsal's placement for the same request,
// once CheckReads finds what it read unchanged (store.ErrConflict
// otherwise, as for a request the rehearsal did not make). A placement
// the rehearsal could not make (an *InvalidError, say) is that error
// again.
func (ps *Placements) Place(tx store.ReadTx, l *Launch, only []string, now time.Time) (Placement, error) {
	b, err := json.Marshal(struct {
		L    *Launch
		Only []string
	}{l, only})
	if err != nil {
		return Placement{}, fmt.Errorf("state: encode a launch: %w", err)
	}
	req := string(b)
	if !ps.Replay {
		p, err := Place(tx, l, only, now)
		ps.List = append(ps.List, Planned{Request: req, Placement: p, Err: err})
		return p, err
	}
	if len(ps.List) == 0 || ps.List[0].Request != req {
		return Placement{}, fmt.Errorf("%w: the pass places other tasks than its plan", store.ErrConflict)
	}
	p := ps.List[0]
	ps.List = ps.List[1:]
	if p.Err != nil {
		return p.Placement, p.Err
	}
	if err := CheckReads(tx, p.Placement.Reads); err != nil {
		return Placement{}, err
	}
	return p.Placement, nil
}

// Unused fails with store.ErrConflict when a commit did not take every
// placement its rehearsal made (its pass decided differently).
func (ps *Placements) Unused() error {
	if ps.Replay && len(ps.List) > 0 {
		return fmt.Errorf("%w: the pass made fewer placements than its plan", store.ErrConflict)
	}
	return nil
}

// Overlay is a Tx over a read-only snapshot that keeps its writes in
// memory: later reads of the same Overlay see them, the store never does.
// A record it holds has ModRev -1, so a plan that read it never passes
// CheckRev.
type Overlay struct {
	base   store.ReadTx
	writes map[string][]byte // nil value: deleted
}

// NewOverlay wraps base.
func NewOverlay(base store.ReadTx) *Overlay {
	return &Overlay{base: base, writes: map[string][]byte{}}
}

// Wrote reports whether anything was put or deleted.
func (o *Overlay) Wrote() bool { return len(o.writes) > 0 }

// Rev is the snapshot's revision.
func (o *Overlay) Rev() int64 { return o.base.Rev() }

// Put keeps value at key in memory.
func (o *Overlay) Put(key string, value []byte) error {
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	o.writes[key] = v
	return nil
}

// Delete hides key.
func (o *Overlay) Delete(key string) error {
	o.writes[key] = nil
	return nil
}

// Get reads key as written in memory, else from the snapshot.
func (o *Overlay) Get(key string) (store.KV, bool, error) {
	if v, ok := o.writes[key]; ok {
		if v == nil {
			return store.KV{}, false, nil
		}
		return store.KV{Key: key, Value: v, ModRev: -1}, true, nil
	}
	return o.base.Get(key)
}

// List merges the snapshot's records under prefix with the writes kept in
// memory.
func (o *Overlay) List(prefix, after string, limit int) ([]store.KV, error) {
	var mine []string
	deleted := 0
	for k, v := range o.writes {
		if strings.HasPrefix(k, prefix) && k > after {
			mine = append(mine, k)
			if v == nil {
				deleted++
			}
		}
	}
	if len(mine) == 0 {
		return o.base.List(prefix, after, limit)
	}
	// Each deletion may hide one record of the snapshot's range: read
	// that many more.
	fetch := 0
	if limit > 0 {
		fetch = limit + deleted
	}
	base, err := o.base.List(prefix, after, fetch)
	if err != nil {
		return nil, err
	}
	// A range cut short ends at its last key: a write beyond it could
	// sort after records not read.
	last := ""
	if fetch > 0 && len(base) == fetch {
		last = base[len(base)-1].Key
	}
	out := make([]store.KV, 0, len(base)+len(mine))
	for _, kv := range base {
		if _, ok := o.writes[kv.Key]; !ok {
			out = append(out, kv)
		}
	}
	for _, k := range mine {
		if v := o.writes[k]; v != nil && (last == "" || k <= last) {
			out = append(out, store.KV{Key: k, Value: v, ModRev: -1})
		}
	}
	slices.SortFunc(out, func(a, b store.KV) int { return strings.Compare(a.Key, b.Key) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

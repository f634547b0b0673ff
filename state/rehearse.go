package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/store"
)

// A controller's pass reads a service and its tasks, decides, places and
// writes. Placing reads every container instance of the cluster, so
// running the whole pass in a write transaction held the store's one
// write lock for the cluster's size. Rehearse runs the pass twice instead:
// first on a snapshot, with its writes kept in memory (a store.Overlay),
// which is where placement happens; then, only if that rehearsal wrote
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
			ov := rehearsal(tx)
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
		p, err := rehearse(rehearsal(tx))
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

// rehearsal is a Tx over tx that keeps its writes in memory: later reads
// see them, the store never does. A record it wrote has a negative
// revision of its own, so a plan that read it never passes CheckRev, and
// placement still plans through the cluster's view on it (the overlay is
// a store.Scanner that keeps its snapshot's Origin, see store.Overlay).
func rehearsal(tx store.ReadTx) *store.Overlay {
	return store.NewOverlay(tx, store.OverlayOptions{})
}

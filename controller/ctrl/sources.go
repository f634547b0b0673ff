package ctrl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/store"
)

// Informer feeds a queue from a store watch: it lists the keys to sync
// from a snapshot, watches Prefix from that snapshot's revision (so no
// change falls between the two), maps each event to keys, and lists again
// every Resync. When the watch fails (compacted history, a slow reader cut
// off, a store error) it waits a backoff, then lists and watches again:
// a missed event heals in the relist, and a broken store is never
// hammered in a hot loop.
type Informer struct {
	DB     store.Backend
	Prefix string
	// List returns every key to sync, read from tx.
	List func(tx store.ReadTx) ([]string, error)
	// Map returns the keys an event concerns (none is fine). An error is
	// treated as a failed watch: list and watch again after a backoff.
	Map func(ctx context.Context, ev store.Event) ([]string, error)
	// Resync is how often every key is listed again (never when 0): for
	// decisions that depend on time, and as a safety net.
	Resync time.Duration
	// Backoff spaces relists after failed watches (DefaultWatchBackoff
	// when zero). It starts afresh once a watch delivers an event.
	Backoff Backoff
	Clock   Clock
	Log     *slog.Logger
}

// Run feeds q until ctx ends. It returns an error only when the store is
// closed, which no relist can mend.
func (in *Informer) Run(ctx context.Context, q *Queue) error {
	clock, backoff, log := orReal(in.Clock), in.Backoff.orDefault(DefaultWatchBackoff), in.Log
	if log == nil {
		log = slog.Default()
	}
	failures := 0
	for {
		err := in.listAndWatch(ctx, q, clock, &failures)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, store.ErrClosed) {
			return fmt.Errorf("informer on %q: %w", in.Prefix, err)
		}
		d := backoff.Delay(failures)
		failures++
		log.Warn("informer: watch failed; listing again after a backoff", "prefix", in.Prefix, "err", err, "backoff", d)
		select {
		case <-ctx.Done():
			return nil
		case <-after(clock, d):
		}
	}
}

// listAndWatch lists, then watches until the watch fails or ctx ends.
func (in *Informer) listAndWatch(ctx context.Context, q *Queue, clock Clock, failures *int) error {
	rev, err := in.list(ctx, q)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the watch when this returns early
	w, err := in.DB.Watch(ctx, in.Prefix, rev)
	if err != nil {
		return fmt.Errorf("watch %s from revision %d: %w", in.Prefix, rev, err)
	}
	var resync <-chan time.Time
	if in.Resync > 0 {
		resync = after(clock, in.Resync)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.C:
			if !ok {
				if err := w.Err(); err != nil {
					return fmt.Errorf("watch %s: %w", in.Prefix, err)
				}
				return errors.New("watch " + in.Prefix + ": closed")
			}
			*failures = 0
			keys, err := in.Map(ctx, ev)
			if err != nil {
				return fmt.Errorf("map event on %s: %w", ev.KV.Key, err)
			}
			for _, k := range keys {
				q.Add(k)
			}
		case <-resync:
			if _, err := in.list(ctx, q); err != nil {
				return err
			}
			resync = after(clock, in.Resync)
		}
	}
}

// list queues every key List returns and reports the snapshot's revision.
func (in *Informer) list(ctx context.Context, q *Queue) (int64, error) {
	var rev int64
	var keys []string
	err := in.DB.View(ctx, func(tx store.ReadTx) error {
		rev = tx.Rev()
		var err error
		keys, err = in.List(tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("list for %s: %w", in.Prefix, err)
	}
	for _, k := range keys {
		q.Add(k)
	}
	return rev, nil
}

// Every queues Keys at once, then every Period: for controllers whose work
// depends on time only (expiry, retention).
type Every struct {
	Period time.Duration
	Keys   []string
	Clock  Clock
}

func (e *Every) Run(ctx context.Context, q *Queue) error {
	clock := orReal(e.Clock)
	for {
		for _, k := range e.Keys {
			q.Add(k)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-after(clock, e.Period):
		}
	}
}

// Signal queues Keys each time C receives: an API nudges a controller to
// act now rather than at its next period, without calling it.
type Signal struct {
	C    <-chan struct{}
	Keys []string
}

func (s *Signal) Run(ctx context.Context, q *Queue) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-s.C:
			if !ok {
				return nil
			}
			for _, k := range s.Keys {
				q.Add(k)
			}
		}
	}
}

package bolt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/wharfhq/wharf/store"
)

// replayChunk is how many revisions one replay read transaction covers. Short
// transactions keep a slow watcher from pinning bbolt pages or stalling a
// writer that needs to grow the mmap.
const replayChunk = 256

// watcher is one running watch. It is replaying (owned by its goroutine,
// which sends with back-pressure) until it catches up, then live (fed by
// publish without blocking). All state but err is guarded by DB.mu.
type watcher struct {
	prefix string
	ch     chan store.Event
	ctx    context.Context
	stop   func() bool // unregisters the context.AfterFunc

	live   bool
	after  int64 // live: events with Rev <= after were already replayed
	closed bool

	errMu sync.Mutex
	err   error
}

func (w *watcher) Err() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// Watch implements store.Backend. fromRev older than the compaction
// watermark fails here with an error wrapping store.ErrCompacted; fromRev 0
// starts after the last published revision.
func (d *DB) Watch(ctx context.Context, prefix string, fromRev int64) (*store.Watch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fromRev < 0 {
		return nil, fmt.Errorf("bolt: watch %q: negative revision %d", prefix, fromRev)
	}
	if d.isClosed() {
		return nil, store.ErrClosed
	}
	// The first chunk is read here, not on the goroutine, so that a
	// compacted start revision is reported by Watch itself.
	var events []store.Event
	scanned := fromRev
	if fromRev > 0 {
		var err error
		events, scanned, err = d.readLog(prefix, fromRev)
		if err != nil {
			return nil, fmt.Errorf("bolt: watch %q from revision %d: %w", prefix, fromRev, err)
		}
	}
	w := &watcher{prefix: prefix, ch: make(chan store.Event, d.watchBuf), ctx: ctx}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, store.ErrClosed
	}
	if fromRev == 0 {
		scanned = d.published
	}
	w.stop = context.AfterFunc(ctx, func() { d.ctxDone(w) })
	if len(events) == 0 && scanned >= d.published {
		d.goLiveLocked(w, scanned)
	} else {
		d.wg.Add(1)
		go d.replay(w, events, scanned)
	}
	return store.NewWatch(w.ch, w.Err), nil
}

// replay sends history from the log until the watcher has covered every
// published revision, then hands it to publish. events are already read,
// covering revisions up to scanned.
//
// The hand-off is the delicate part. Publishing happens under d.mu after
// commit, and d.published only grows under d.mu. So if, holding d.mu, we
// see scanned >= d.published, every revision <= scanned has been replayed
// and every later one will be published to us now that we are in d.live. A
// revision our log read saw committed but not yet published is then skipped
// by publish (Rev <= after) rather than sent twice. If we are behind, we
// read the next chunk without holding d.mu and try again.
func (d *DB) replay(w *watcher, events []store.Event, scanned int64) {
	defer d.wg.Done()
	for {
		for _, ev := range events {
			if !d.sendReplay(w, ev) {
				return
			}
		}
		d.mu.Lock()
		switch {
		case d.closed:
			d.finishLocked(w, store.ErrClosed)
		case w.ctx.Err() != nil:
			d.finishLocked(w, nil)
		case scanned >= d.published:
			d.goLiveLocked(w, scanned)
		default:
			d.mu.Unlock()
			var err error
			events, scanned, err = d.readLog(w.prefix, scanned)
			if err != nil {
				// Most likely compaction overtook a very slow reader; Err
				// reports the bare sentinel, as for a live fall-behind.
				if errors.Is(err, store.ErrCompacted) {
					err = store.ErrCompacted
				}
				d.finish(w, err)
				return
			}
			continue
		}
		d.mu.Unlock()
		return
	}
}

// sendReplay delivers one replayed event, waiting for the reader. It returns
// false, after closing the watch, when the watch must end.
func (d *DB) sendReplay(w *watcher, ev store.Event) bool {
	// Checked before the send so a cancelled watch stops promptly even while
	// its buffer has room (select picks randomly among ready cases).
	select {
	case <-w.ctx.Done():
		d.finish(w, nil)
		return false
	case <-d.done:
		d.finish(w, store.ErrClosed)
		return false
	default:
	}
	select {
	case w.ch <- ev:
		return true
	case <-w.ctx.Done():
		d.finish(w, nil)
		return false
	case <-d.done:
		d.finish(w, store.ErrClosed)
		return false
	}
}

// readLog returns the events for keys under prefix from up to replayChunk
// log entries after revision `after`, and the highest revision they cover.
// When the log is exhausted that is the current revision (or `after`, if the
// caller asked for a future one).
func (d *DB) readLog(prefix string, after int64) ([]store.Event, int64, error) {
	btx, err := d.bolt.Begin(false)
	if err != nil {
		return nil, 0, d.beginErr("begin read", err)
	}
	defer func() { _ = btx.Rollback() }()
	meta, log := btx.Bucket(bucketMeta), btx.Bucket(bucketLog)
	compacted, err := metaInt(meta, metaCompacted)
	if err != nil {
		return nil, 0, err
	}
	if after < compacted {
		return nil, 0, fmt.Errorf("%w: history starts after revision %d", store.ErrCompacted, compacted)
	}
	cur, err := metaInt(meta, metaRev)
	if err != nil {
		return nil, 0, err
	}
	var events []store.Event
	scanned := after
	c := log.Cursor()
	for k, v := c.Seek(revKey(after + 1)); k != nil; k, v = c.Next() {
		rev, err := parseRev(k)
		if err != nil {
			return nil, 0, fmt.Errorf("bolt: log key: %w", err)
		}
		if rev != scanned+1 {
			return nil, 0, fmt.Errorf("bolt: log: %w: entry %d follows %d", errCorrupt, rev, scanned)
		}
		if events, err = decodeEvents(events, rev, v, prefix); err != nil {
			return nil, 0, err
		}
		scanned = rev
		if scanned-after == replayChunk {
			return events, scanned, nil
		}
	}
	if scanned < cur {
		return nil, 0, fmt.Errorf("bolt: log: %w: ends at %d, revision is %d", errCorrupt, scanned, cur)
	}
	return events, scanned, nil
}

// publishLocked hands a committed revision to live watchers. The caller
// holds d.mu and leads the group commit, so revisions arrive in order. It
// never blocks: a watcher without buffer room is closed with
// store.ErrCompacted.
func (d *DB) publishLocked(rev int64, events []store.Event) {
	d.published = rev
	for w := range d.live {
		if rev <= w.after {
			continue
		}
	deliver:
		for _, ev := range events {
			if !strings.HasPrefix(ev.KV.Key, w.prefix) {
				continue
			}
			select {
			case w.ch <- ev:
			default:
				d.finishLocked(w, store.ErrCompacted)
				break deliver
			}
		}
	}
}

func (d *DB) goLiveLocked(w *watcher, after int64) {
	w.live = true
	w.after = after
	d.live[w] = struct{}{}
}

// ctxDone runs (via context.AfterFunc) when a watch's context ends. A
// replaying watcher notices the context on its own goroutine.
func (d *DB) ctxDone(w *watcher) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if w.live {
		d.finishLocked(w, nil)
	}
}

func (d *DB) finish(w *watcher, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.finishLocked(w, err)
}

// finishLocked closes a watch once, recording why. Holding d.mu guarantees
// publish is not sending on the channel concurrently.
func (d *DB) finishLocked(w *watcher, err error) {
	if w.closed {
		return
	}
	w.closed = true
	w.errMu.Lock()
	w.err = err
	w.errMu.Unlock()
	delete(d.live, w)
	w.stop()
	close(w.ch)
}

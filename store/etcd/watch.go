package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharfhq/wharf/store"
)

// watcher is one running watch: an etcd watch whose responses one
// goroutine turns into store events.
type watcher struct {
	ch     chan store.Event
	cancel context.CancelCauseFunc

	mu  sync.Mutex
	err error
}

func (w *watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Watch implements store.Backend. A fromRev older than etcd's compaction
// fails here with an error wrapping store.ErrCompacted; fromRev 0 starts
// after the current revision.
//
// Events up to the revision current when Watch was called (a replay) are
// sent with back-pressure; later ones never wait for the reader: a watcher
// whose buffer is full is closed with store.ErrCompacted and resyncs. The
// etcd client buffers what arrives meanwhile, and etcd's writers never
// wait for a watcher.
func (d *DB) Watch(ctx context.Context, prefix string, fromRev int64) (*store.Watch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fromRev < 0 {
		return nil, fmt.Errorf("etcd: watch %q: negative revision %d", prefix, fromRev)
	}
	if d.isClosed() {
		return nil, store.ErrClosed
	}
	cur, err := d.checkWatchRev(ctx, fromRev)
	if err != nil {
		return nil, fmt.Errorf("etcd: watch %q from revision %d: %w", prefix, fromRev, err)
	}
	if fromRev == 0 {
		fromRev = cur
	}
	wctx, cancel := context.WithCancelCause(ctx)
	w := &watcher{ch: make(chan store.Event, d.opts.WatchBuffer), cancel: cancel}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		cancel(store.ErrClosed)
		return nil, store.ErrClosed
	}
	d.watches[w] = struct{}{}
	d.wg.Add(1)
	d.mu.Unlock()

	wch := d.cli.Watch(wctx, d.data+prefix, clientv3.WithPrefix(), clientv3.WithRev(fromRev+1), clientv3.WithPrevKV())
	go d.serve(wctx, w, wch, cur)
	return store.NewWatch(w.ch, w.Err), nil
}

// checkWatchRev returns the current revision and fails with
// store.ErrCompacted if fromRev's history is gone. Reading at fromRev is
// refused exactly when it is older than etcd's compaction; a watch from
// fromRev+1 would then miss deletions at the compacted revision.
func (d *DB) checkWatchRev(ctx context.Context, fromRev int64) (int64, error) {
	t := &readTx{d: d, ctx: ctx}
	cur := t.Rev()
	if t.err != nil {
		return 0, t.err
	}
	if fromRev > 0 && fromRev < cur {
		at := &readTx{d: d, ctx: ctx, rev: fromRev}
		if _, err := at.get(d.lockKey, clientv3.WithCountOnly()); err != nil {
			return 0, err
		}
	}
	return cur, nil
}

// serve forwards wch's events to w until the watch ends, then closes w
// with the reason.
func (d *DB) serve(ctx context.Context, w *watcher, wch clientv3.WatchChan, replayTo int64) {
	defer d.wg.Done()
	err := d.forward(ctx, w, wch, replayTo)
	if cause := context.Cause(ctx); ctx.Err() != nil && errors.Is(cause, store.ErrClosed) {
		err = store.ErrClosed
	}
	w.cancel(nil) // ends the etcd watch when we stopped first
	// Drain, so the client's goroutine for this watch is not left waiting.
	for range wch {
	}
	d.mu.Lock()
	delete(d.watches, w)
	d.mu.Unlock()
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	close(w.ch)
}

// forward returns nil when ctx ended, or why the watch cannot go on.
func (d *DB) forward(ctx context.Context, w *watcher, wch clientv3.WatchChan, replayTo int64) error {
	for resp := range wch {
		if resp.CompactRevision != 0 {
			return store.ErrCompacted
		}
		if err := resp.Err(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("etcd: watch: %w", err)
		}
		for _, ev := range resp.Events {
			sev := d.event(ev)
			if sev.Rev <= replayTo {
				select {
				case w.ch <- sev:
				case <-ctx.Done():
					return nil
				}
				continue
			}
			select {
			case w.ch <- sev:
			default:
				return store.ErrCompacted // fell behind: the reader resyncs
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return errors.New("etcd: watch ended by the client")
}

// event converts an etcd event. A delete carries the value and CreateRev
// the key had before (PrevKV), with ModRev the deleting revision.
func (d *DB) event(ev *clientv3.Event) store.Event {
	kv := store.KV{Key: strings.TrimPrefix(string(ev.Kv.Key), d.data), ModRev: ev.Kv.ModRevision}
	out := store.Event{Type: store.EventPut, Rev: ev.Kv.ModRevision}
	if ev.Type == mvccpb.DELETE {
		out.Type = store.EventDelete
		if ev.PrevKv != nil { // nil only if compaction took it first
			kv.Value, kv.CreateRev = ev.PrevKv.Value, ev.PrevKv.CreateRevision
		}
	} else {
		kv.Value, kv.CreateRev = ev.Kv.Value, ev.Kv.CreateRevision
	}
	out.KV = kv
	return out
}

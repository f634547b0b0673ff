package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/storetest"
)

const waitTimeout = 5 * time.Second

func openT(t *testing.T, path string, opts Options) *DB {
	t.Helper()
	d, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestConformance(t *testing.T) {
	// A short history lets the suite reach compaction quickly.
	storetest.Run(t, func(t *testing.T) store.Backend {
		return openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{History: storetest.MinHistory})
	})
}

func TestTxnLimitConformance(t *testing.T) {
	storetest.RunTxnLimit(t, 4, func(t *testing.T) store.Backend {
		return openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{MaxTxnOps: 4})
	})
}

func put(t *testing.T, d *DB, key, val string) int64 {
	t.Helper()
	rev, err := d.Update(context.Background(), func(tx store.Tx) error { return tx.Put(key, []byte(val)) })
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return rev
}

func snapshot(t *testing.T, d *DB) (int64, []store.KV) {
	t.Helper()
	var rev int64
	var kvs []store.KV
	err := d.View(context.Background(), func(tx store.ReadTx) error {
		rev = tx.Rev()
		var err error
		kvs, err = tx.List("", "", 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rev, kvs
}

func next(t *testing.T, w *store.Watch) store.Event {
	t.Helper()
	select {
	case ev, ok := <-w.C:
		if !ok {
			t.Fatalf("watch closed early: %v", w.Err())
		}
		return ev
	case <-time.After(waitTimeout):
		t.Fatalf("no event within %s", waitTimeout)
	}
	panic("unreachable")
}

func waitClosed(t *testing.T, w *store.Watch) int {
	t.Helper()
	n := 0
	deadline := time.After(waitTimeout)
	for {
		select {
		case _, ok := <-w.C:
			if !ok {
				return n
			}
			n++
		case <-deadline:
			t.Fatalf("watch not closed within %s", waitTimeout)
		}
	}
}

func TestReopenKeepsRecordsRevisionAndHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mid int64
	for i := range 30 {
		r := put(t, d, fmt.Sprintf("k/%02d", i%10), fmt.Sprint(i))
		if i == 14 {
			mid = r
		}
	}
	if _, err := d.Update(context.Background(), func(tx store.Tx) error { return tx.Delete("k/03") }); err != nil {
		t.Fatal(err)
	}
	rev, before := snapshot(t, d)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d = openT(t, path, Options{})
	rev2, after := snapshot(t, d)
	if rev2 != rev {
		t.Fatalf("revision after reopen %d, want %d", rev2, rev)
	}
	if !slices.EqualFunc(before, after, func(a, b store.KV) bool {
		return a.Key == b.Key && string(a.Value) == string(b.Value) && a.CreateRev == b.CreateRev && a.ModRev == b.ModRev
	}) {
		t.Fatalf("records changed across reopen:\n before %+v\n after  %+v", before, after)
	}

	// Replay from before the restart, then live.
	w, err := d.Watch(t.Context(), "k/", mid)
	if err != nil {
		t.Fatal(err)
	}
	for r := mid + 1; r <= rev; r++ {
		ev := next(t, w)
		if ev.Rev != r {
			t.Fatalf("replayed revision %d, want %d", ev.Rev, r)
		}
		if r == rev && (ev.Type != store.EventDelete || ev.KV.Key != "k/03") {
			t.Fatalf("last replayed event %+v, want delete of k/03", ev)
		}
	}
	if r := put(t, d, "k/new", "n"); r != rev+1 {
		t.Fatalf("first write after reopen got revision %d, want %d", r, rev+1)
	} else if ev := next(t, w); ev.Rev != r {
		t.Fatalf("live event after replay %+v, want revision %d", ev, r)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	openT(t, path, Options{})
	start := time.Now()
	d2, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		_ = d2.Close()
		t.Fatal("second Open of the same file succeeded")
	}
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "store is in use by another wharf process") {
		t.Fatalf("second Open error = %v, want ErrInUse", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name the file", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("second Open took %s", elapsed)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	path := filepath.Join(dir, "wharf.db")
	openT(t, path, Options{})
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s mode %v, want at most %v", p, got, want)
		}
	}
}

func TestSlowLiveReaderIsCutOff(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{WatchBuffer: 4})
	w, err := d.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads; writers must still complete.
	for i := range 10 {
		put(t, d, fmt.Sprintf("k/%d", i), "v")
	}
	if n := waitClosed(t, w); n != 4 {
		t.Fatalf("drained %d buffered events, want 4", n)
	}
	if err := w.Err(); err != store.ErrCompacted {
		t.Fatalf("Err = %v, want ErrCompacted", err)
	}
}

func TestSlowReplayOvertakenByCompaction(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{History: 16, WatchBuffer: 1})
	for i := range 10 {
		put(t, d, fmt.Sprintf("k/%d", i), "v")
	}
	w, err := d.Watch(t.Context(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		put(t, d, fmt.Sprintf("m/%d", i), "v")
	}
	n := waitClosed(t, w)
	if err := w.Err(); err != store.ErrCompacted {
		t.Fatalf("Err = %v after %d events, want ErrCompacted", err, n)
	}
}

func TestReplayAcrossChunks(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	const n = replayChunk*2 + 7
	for i := range n {
		put(t, d, fmt.Sprintf("k/%04d", i), fmt.Sprint(i))
	}
	w, err := d.Watch(t.Context(), "k/", 1)
	if err != nil {
		t.Fatal(err)
	}
	for r := int64(2); r <= n; r++ {
		if ev := next(t, w); ev.Rev != r || string(ev.KV.Value) != fmt.Sprint(r-1) {
			t.Fatalf("event %+v, want revision %d", ev, r)
		}
	}
}

func TestHistoryShrinkOnReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	d, err := Open(path, Options{History: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		put(t, d, "k", fmt.Sprint(i))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openT(t, path, Options{History: 10})
	if _, err := d.Watch(t.Context(), "", 5); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Watch from 5 with history 10 at revision 50 = %v, want ErrCompacted", err)
	}
	if _, err := d.Watch(t.Context(), "", 39); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Watch from 39 = %v, want ErrCompacted", err)
	}
	w, err := d.Watch(t.Context(), "", 40)
	if err != nil {
		t.Fatalf("Watch from 40 (oldest kept is 41): %v", err)
	}
	if ev := next(t, w); ev.Rev != 41 {
		t.Fatalf("first replayed revision %d, want 41", ev.Rev)
	}
}

func TestWatchFutureRevision(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	put(t, d, "a", "1")
	w, err := d.Watch(t.Context(), "", 3)
	if err != nil {
		t.Fatal(err)
	}
	put(t, d, "b", "2")
	put(t, d, "c", "3")
	r := put(t, d, "d", "4")
	if ev := next(t, w); ev.Rev != r || r != 4 {
		t.Fatalf("first event %+v, want revision 4", ev)
	}
	if _, err := d.Watch(t.Context(), "", -1); err == nil {
		t.Fatal("Watch from a negative revision succeeded")
	}
}

func TestTxUseAfterCallback(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	var leaked store.Tx
	if _, err := d.Update(context.Background(), func(tx store.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := leaked.Put("k", nil); !errors.Is(err, errTxDone) {
		t.Fatalf("Put on a finished tx = %v, want errTxDone", err)
	}
	if _, _, err := leaked.Get("k"); !errors.Is(err, errTxDone) {
		t.Fatalf("Get on a finished tx = %v, want errTxDone", err)
	}
	var leakedRead store.ReadTx
	if err := d.View(context.Background(), func(tx store.ReadTx) error { leakedRead = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := leakedRead.List("", "", 0); !errors.Is(err, errTxDone) {
		t.Fatalf("List on a finished tx = %v, want errTxDone", err)
	}
}

func TestEmptyKeyRejected(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	if _, err := d.Update(context.Background(), func(tx store.Tx) error { return tx.Put("", []byte("x")) }); err == nil {
		t.Fatal("Put with an empty key succeeded")
	}
}

// TestWatchHandoffStress starts many watches from assorted past revisions
// while writers commit, so replay-to-live hand-offs race with publishing in
// every phase; each watch must see each revision after its start once, in
// order.
func TestWatchHandoffStress(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	const writers, each, watchers = 4, 60, 24
	total := int64(writers * each)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := d.Update(context.Background(), func(tx store.Tx) error {
					return tx.Put(fmt.Sprintf("w%d/%d", g, i), nil)
				}); err != nil {
					t.Errorf("writer %d: %v", g, err)
					return
				}
			}
		})
	}
	type result struct {
		from int64
		err  error
	}
	results := make(chan result, watchers)
	for i := range watchers {
		// Each watcher starts after observing some progress, from a revision
		// somewhat behind it, and reads until the final revision.
		var cur int64
		_ = d.View(context.Background(), func(tx store.ReadTx) error { cur = tx.Rev(); return nil })
		from := max(cur-int64(i%7)*5, 1)
		w, err := d.Watch(t.Context(), "", from)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			want := from + 1
			for want <= total {
				select {
				case ev, ok := <-w.C:
					if !ok {
						results <- result{from, fmt.Errorf("closed at %d: %v", want, w.Err())}
						return
					}
					if ev.Rev != want {
						results <- result{from, fmt.Errorf("got revision %d, want %d", ev.Rev, want)}
						return
					}
					want++
				case <-time.After(waitTimeout):
					results <- result{from, fmt.Errorf("stalled at %d", want)}
					return
				}
			}
			results <- result{from, nil}
		})
		if _, err := d.Update(context.Background(), func(tx store.Tx) error { return nil }); err != nil {
			t.Fatal(err) // a no-op transaction: yields to the writers a little
		}
	}
	for range watchers {
		if r := <-results; r.err != nil {
			t.Errorf("watch from %d: %v", r.from, r.err)
		}
	}
}

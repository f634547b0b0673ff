package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/store"
)

// maxCompactionWrites caps how long WatchCompacted writes before concluding
// the backend keeps too much history to test compaction cheaply.
const maxCompactionWrites = 1000

// next returns the next event or fails after waitTimeout.
func next(t *testing.T, w *store.Watch) store.Event {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case ev, ok := <-w.C:
		if !ok {
			t.Fatalf("watch closed while an event was expected (Err: %v)", w.Err())
		}
		return ev
	case <-timer.C:
		t.Fatalf("no event within %s", waitTimeout)
	}
	panic("unreachable")
}

// waitClosed drains w until its channel closes, failing after waitTimeout.
func waitClosed(t *testing.T, w *store.Watch) {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-w.C:
			if !ok {
				return
			}
		case <-timer.C:
			t.Fatalf("watch channel not closed within %s", waitTimeout)
		}
	}
}

func watch(t *testing.T, b store.Backend, prefix string, from int64) *store.Watch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := b.Watch(ctx, prefix, from)
	if err != nil {
		t.Fatalf("Watch(%q, %d): %v", prefix, from, err)
	}
	return w
}

func testWatchFromNow(t *testing.T, b store.Backend) {
	put(t, b, "old", "1")
	w := watch(t, b, "", 0)
	r := put(t, b, "new", "2")
	if ev := next(t, w); ev.Rev != r || ev.KV.Key != "new" || ev.Type != store.EventPut {
		t.Fatalf("first event = %+v, want put new at %d (nothing older)", ev, r)
	}
	r = put(t, b, "newer", "3")
	if ev := next(t, w); ev.Rev != r || ev.KV.Key != "newer" {
		t.Fatalf("second event = %+v, want newer at %d", ev, r)
	}
}

func testWatchEventShape(t *testing.T, b store.Backend) {
	w := watch(t, b, "", 0)
	r1 := put(t, b, "k", "v1")
	r2 := put(t, b, "k", "v2")
	r3 := del(t, b, "k")
	r4 := put(t, b, "m/a", "A", "m/b", "B")

	check := func(ev store.Event, typ store.EventType, rev int64, key, val string) {
		t.Helper()
		if ev.Type != typ || ev.Rev != rev || ev.KV.Key != key || string(ev.KV.Value) != val {
			t.Fatalf("event = {type %d rev %d key %q value %q}, want {type %d rev %d key %q value %q}",
				ev.Type, ev.Rev, ev.KV.Key, ev.KV.Value, typ, rev, key, val)
		}
	}
	ev := next(t, w)
	check(ev, store.EventPut, r1, "k", "v1")
	if ev.KV.CreateRev != r1 || ev.KV.ModRev != r1 {
		t.Fatalf("create event revisions %d/%d, want %d/%d", ev.KV.CreateRev, ev.KV.ModRev, r1, r1)
	}
	ev = next(t, w)
	check(ev, store.EventPut, r2, "k", "v2")
	if ev.KV.CreateRev != r1 || ev.KV.ModRev != r2 {
		t.Fatalf("update event revisions %d/%d, want %d/%d", ev.KV.CreateRev, ev.KV.ModRev, r1, r2)
	}
	check(next(t, w), store.EventDelete, r3, "k", "v2") // value before deletion

	// One transaction, one revision, one event per key.
	got := map[string]string{}
	for range 2 {
		ev := next(t, w)
		if ev.Rev != r4 || ev.Type != store.EventPut {
			t.Fatalf("multi-key event = %+v, want put at %d", ev, r4)
		}
		got[ev.KV.Key] = string(ev.KV.Value)
	}
	if got["m/a"] != "A" || got["m/b"] != "B" {
		t.Fatalf("multi-key events = %v", got)
	}
}

func testWatchReplay(t *testing.T, b store.Backend) {
	var revs []int64
	for i := range 10 {
		revs = append(revs, put(t, b, fmt.Sprintf("r/%d", i), fmt.Sprint(i)))
	}
	rd := del(t, b, "r/2")
	from := revs[4]
	w := watch(t, b, "", from)
	for i := 5; i < 10; i++ {
		if ev := next(t, w); ev.Rev != revs[i] || ev.KV.Key != fmt.Sprintf("r/%d", i) || string(ev.KV.Value) != fmt.Sprint(i) {
			t.Fatalf("replayed event = %+v, want r/%d at %d", ev, i, revs[i])
		}
	}
	if ev := next(t, w); ev.Type != store.EventDelete || ev.Rev != rd || ev.KV.Key != "r/2" || string(ev.KV.Value) != "2" {
		t.Fatalf("replayed delete = %+v, want delete r/2 (value 2) at %d", ev, rd)
	}
	live := put(t, b, "r/live", "L")
	if ev := next(t, w); ev.Rev != live || ev.KV.Key != "r/live" {
		t.Fatalf("live event after replay = %+v, want r/live at %d", ev, live)
	}
	// A watch from the current revision replays nothing.
	w2 := watch(t, b, "", live)
	r := put(t, b, "r/after", "A")
	if ev := next(t, w2); ev.Rev != r {
		t.Fatalf("watch from current revision got %+v first, want revision %d", ev, r)
	}
}

// testWatchReplayConcurrent starts watches from a past revision while writers
// are committing, at three points of the race, and checks the watch sees
// every revision after its start exactly once, in order.
func testWatchReplayConcurrent(t *testing.T, b store.Backend) {
	const writers, each, warmup = 4, 25, 10 // (writers*each + warmup) < MinHistory
	for round, mode := range []string{"before-writers", "mid-writers", "after-writers"} {
		t.Run(mode, func(t *testing.T) {
			prefix := fmt.Sprintf("rc%d/", round)
			var from int64
			for i := range warmup {
				key := fmt.Sprintf("%swarm/%d", prefix, i)
				r := put(t, b, key, key)
				if i == warmup/2-1 {
					from = r
				}
			}
			missed := warmup - warmup/2 // warm-up revisions after `from`

			var wg sync.WaitGroup
			t.Cleanup(wg.Wait) // a failing reader must not strand writers
			progress := make(chan struct{}, writers)
			var w *store.Watch
			if mode == "before-writers" {
				w = watch(t, b, "", from)
			}
			for g := range writers {
				wg.Go(func() {
					for i := range each {
						key := fmt.Sprintf("%sw%d/%03d", prefix, g, i)
						if _, err := b.Update(context.Background(), func(tx store.Tx) error {
							return tx.Put(key, []byte(key))
						}); err != nil {
							t.Errorf("put %s: %v", key, err)
							return
						}
						if i == each/4 {
							progress <- struct{}{}
						}
					}
				})
			}
			switch mode {
			case "mid-writers":
				select {
				case <-progress:
				case <-time.After(waitTimeout):
					t.Fatal("writers made no progress")
				}
				w = watch(t, b, "", from)
			case "after-writers":
				wg.Wait()
				w = watch(t, b, "", from)
			}

			total := missed + writers*each
			seen := map[string]bool{}
			for i := range total {
				ev := next(t, w)
				if want := from + 1 + int64(i); ev.Rev != want {
					t.Fatalf("event %d has revision %d, want %d (gap or duplicate)", i, ev.Rev, want)
				}
				if seen[ev.KV.Key] {
					t.Fatalf("key %s delivered twice", ev.KV.Key)
				}
				seen[ev.KV.Key] = true
				if ev.Type != store.EventPut || string(ev.KV.Value) != ev.KV.Key {
					t.Fatalf("event %+v carries the wrong value", ev)
				}
			}
			wg.Wait()
			// Nothing extra is queued: the next event is the next write.
			r := put(t, b, prefix+"tail", "t")
			if ev := next(t, w); ev.Rev != r || ev.KV.Key != prefix+"tail" {
				t.Fatalf("after %d events got %+v, want the tail write at %d", total, ev, r)
			}
		})
	}
}

func testWatchPrefix(t *testing.T, b store.Backend) {
	from := put(t, b, "zz", "x")
	put(t, b, "a/1", "1", "b/1", "x")
	put(t, b, "a", "x")
	put(t, b, "ab", "x")
	put(t, b, "a/2", "2")
	w := watch(t, b, "a/", from)
	put(t, b, "b/2", "x", "a/3", "3")
	put(t, b, "a/", "x") // the prefix itself matches
	del(t, b, "a/1")
	put(t, b, "a/end", "e")

	var got []string
	for {
		ev := next(t, w)
		got = append(got, fmt.Sprintf("%d:%s", ev.Type, ev.KV.Key))
		if ev.KV.Key == "a/end" {
			break
		}
	}
	want := []string{"1:a/1", "1:a/2", "1:a/3", "1:a/", "2:a/1", "1:a/end"}
	if !slices.Equal(got, want) {
		t.Fatalf("prefix watch saw %q, want %q", got, want)
	}
}

func testWatchCompacted(t *testing.T, b store.Backend) {
	ctx := context.Background()
	first := put(t, b, "c/0", "x")
	compacted := false
	for i := 1; i <= maxCompactionWrites && !compacted; i++ {
		put(t, b, fmt.Sprintf("c/%d", i%8), "x")
		if i%8 != 0 {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		w, err := b.Watch(wctx, "", first)
		switch {
		case errors.Is(err, store.ErrCompacted):
			if w != nil {
				t.Fatalf("Watch returned a watch together with %v", err)
			}
			compacted = true
		case err != nil:
			t.Fatalf("Watch from %d: %v", first, err)
		default:
			cancel()
			waitClosed(t, w)
		}
		cancel()
	}
	if !compacted {
		t.Skipf("no compaction within %d revisions; open the backend with a shorter history to test it", maxCompactionWrites)
	}
	// The documented recovery: re-read, then watch from the read's revision.
	rev := currentRev(t, b)
	w := watch(t, b, "c/", rev)
	r := put(t, b, "c/resync", "x")
	if ev := next(t, w); ev.Rev != r {
		t.Fatalf("after resync got %+v, want revision %d", ev, r)
	}
}

func testWatchCancel(t *testing.T, b store.Backend) {
	// Live watch.
	ctx, cancel := context.WithCancel(context.Background())
	w, err := b.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, "x", "1")
	next(t, w)
	cancel()
	waitClosed(t, w)
	if err := w.Err(); err != nil {
		t.Fatalf("Err after cancel = %v, want nil", err)
	}

	// Watch still replaying history nobody reads.
	var from int64
	for i := range 50 {
		r := put(t, b, fmt.Sprintf("y/%d", i), "v")
		if i == 0 {
			from = r
		}
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	w2, err := b.Watch(ctx2, "", from)
	if err != nil {
		t.Fatal(err)
	}
	next(t, w2)
	cancel2()
	waitClosed(t, w2)
	if err := w2.Err(); err != nil {
		t.Fatalf("Err after cancel during replay = %v, want nil", err)
	}
	// Writes continue unaffected.
	put(t, b, "z", "1")
}

func testCloseEndsWatches(t *testing.T, b store.Backend) {
	from := put(t, b, "a", "1")
	for i := range 20 {
		put(t, b, fmt.Sprintf("b/%d", i), "v")
	}
	live := watch(t, b, "", 0)
	replaying := watch(t, b, "", from)
	next(t, replaying)
	cctx, cancel := context.WithCancel(context.Background())
	cancelled, err := b.Watch(cctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	waitClosed(t, cancelled)

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for name, w := range map[string]*store.Watch{"live": live, "replaying": replaying} {
		waitClosed(t, w)
		if err := w.Err(); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("%s watch Err after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := cancelled.Err(); err != nil {
		t.Fatalf("cancelled watch Err changed to %v by Close", err)
	}

	ctx := context.Background()
	if err := b.View(ctx, func(store.ReadTx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("View after Close = %v, want ErrClosed", err)
	}
	if _, err := b.Update(ctx, func(tx store.Tx) error { return tx.Put("x", nil) }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Update after Close = %v, want ErrClosed", err)
	}
	if _, err := b.Watch(ctx, "", 0); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Watch after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
}

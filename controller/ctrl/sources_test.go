package ctrl

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// flakyDB is a real bolt store whose watches the test controls: it can
// end a watch with an error, or refuse to start one.
type flakyDB struct {
	store.Backend
	mu       sync.Mutex
	watches  []*fakeWatch
	refuse   error // Watch fails with this while set
	attempts int
}

type fakeWatch struct {
	fromRev int64
	c       chan store.Event
	mu      sync.Mutex
	err     error
}

func (w *fakeWatch) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	close(w.c)
}

func (f *flakyDB) Watch(_ context.Context, _ string, fromRev int64) (*store.Watch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.refuse != nil {
		return nil, f.refuse
	}
	w := &fakeWatch{fromRev: fromRev, c: make(chan store.Event, 16)}
	f.watches = append(f.watches, w)
	return store.NewWatch(w.c, func() error { w.mu.Lock(); defer w.mu.Unlock(); return w.err }), nil
}

func (f *flakyDB) watch(i int) *fakeWatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.watches) {
		return nil
	}
	return f.watches[i]
}

func (f *flakyDB) counts() (attempts, started int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts, len(f.watches)
}

func openFlaky(t *testing.T) *flakyDB {
	t.Helper()
	db := testdb.Bolt(t, bolt.Options{})
	return &flakyDB{Backend: db}
}

func put(t *testing.T, db store.Backend, keys ...string) int64 {
	t.Helper()
	rev, err := db.Update(context.Background(), func(tx store.Tx) error {
		for _, k := range keys {
			if err := tx.Put(k, []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// synced records the keys a controller synced.
type synced struct {
	mu   sync.Mutex
	keys []string
}

func (s *synced) sync(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
	return nil
}

func (s *synced) has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.keys, key)
}

func (s *synced) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.keys {
		if k == key {
			n++
		}
	}
	return n
}

func testInformer(db store.Backend, clock Clock, resync time.Duration) *Informer {
	return &Informer{DB: db, Prefix: "ecs/", Resync: resync, Clock: clock,
		Backoff: Backoff{Base: 100 * time.Millisecond, Max: 30 * time.Second},
		Log:     slogDiscard(),
		List: func(tx store.ReadTx) ([]string, error) {
			kvs, err := tx.List("ecs/", "", 0)
			var keys []string
			for _, kv := range kvs {
				keys = append(keys, kv.Key)
			}
			return keys, err
		},
		Map: func(_ context.Context, ev store.Event) ([]string, error) {
			// Events on a child record concern their parent.
			return []string{strings.TrimSuffix(ev.KV.Key, "/child")}, nil
		}}
}

// TestInformerRelistsAfterFailedWatch: the informer lists, watches from
// the listed revision and maps events to keys; when the watch fails it
// waits its backoff (no relist before), then lists again, so a change made
// while no watch ran is still synced, and watches from the new revision.
func TestInformerRelistsAfterFailedWatch(t *testing.T) {
	db := openFlaky(t)
	clock := NewFakeClock(t0)
	rev := put(t, db, "ecs/a", "ecs/b")
	var s synced
	start(t, &Controller{Name: "test", Clock: clock, Sync: s.sync, Sources: []Source{testInformer(db, clock, 0)}})

	eventually(t, "the listed keys synced", func() bool { return s.has("ecs/a") && s.has("ecs/b") })
	w := db.watch(0)
	if w == nil || w.fromRev != rev {
		t.Fatalf("watch = %+v, want one from the listed revision %d", w, rev)
	}
	w.c <- store.Event{Type: store.EventPut, KV: store.KV{Key: "ecs/c/child"}, Rev: rev + 1}
	eventually(t, "the event mapped to its key", func() bool { return s.has("ecs/c") })

	w.fail(store.ErrCompacted)
	if !clock.BlockUntil(1, 5*time.Second) {
		t.Fatal("the informer is not waiting a backoff after the failed watch")
	}
	missed := put(t, db, "ecs/d") // written while no watch runs
	clock.Advance(99 * time.Millisecond)
	if _, started := db.counts(); started != 1 {
		t.Fatalf("%d watches started before the backoff ended", started)
	}
	clock.Advance(time.Millisecond)
	eventually(t, "the relist synced the missed change", func() bool { return s.has("ecs/d") })
	eventually(t, "a second watch", func() bool { return db.watch(1) != nil })
	if w2 := db.watch(1); w2.fromRev != missed {
		t.Fatalf("second watch from %d, want the relist's revision %d", w2.fromRev, missed)
	}
}

// TestInformerBacksOffWhileWatchFails: a store that refuses every watch is
// retried after 100ms, then 200ms, then 400ms, never in a hot loop; once
// the watch works again the informer carries on.
func TestInformerBacksOffWhileWatchFails(t *testing.T) {
	db := openFlaky(t)
	db.refuse = store.ErrCompacted
	clock := NewFakeClock(t0)
	var s synced
	start(t, &Controller{Name: "test", Clock: clock, Sync: s.sync, Sources: []Source{testInformer(db, clock, 0)}})
	for i, wait := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		if !clock.BlockUntil(1, 5*time.Second) {
			t.Fatal("the informer is not waiting")
		}
		if attempts, _ := db.counts(); attempts != i+1 {
			t.Fatalf("%d watch attempts, want %d", attempts, i+1)
		}
		clock.Advance(wait - time.Millisecond)
		if attempts, _ := db.counts(); attempts != i+1 {
			t.Fatalf("retried before the %v backoff", wait)
		}
		if i == 2 {
			db.mu.Lock()
			db.refuse = nil
			db.mu.Unlock()
		}
		clock.Advance(time.Millisecond)
	}
	eventually(t, "a watch once the store allows it", func() bool { _, started := db.counts(); return started == 1 })
}

func TestInformerResync(t *testing.T) {
	db := openFlaky(t)
	clock := NewFakeClock(t0)
	put(t, db, "ecs/a")
	var s synced
	start(t, &Controller{Name: "test", Clock: clock, Sync: s.sync, Sources: []Source{testInformer(db, clock, 2*time.Second)}})
	eventually(t, "the first list", func() bool { return s.count("ecs/a") == 1 })
	for n := 2; n <= 3; n++ {
		if !clock.BlockUntil(1, 5*time.Second) {
			t.Fatal("no resync is waiting")
		}
		clock.Advance(2 * time.Second)
		eventually(t, "a resync", func() bool { return s.count("ecs/a") == n })
	}
}

// TestInformerEndsOnClosedStore: a closed store cannot be mended by a
// relist, so the controller's Run fails and the supervisor takes over.
func TestInformerEndsOnClosedStore(t *testing.T) {
	db := openFlaky(t)
	if err := db.Backend.Close(); err != nil {
		t.Fatal(err)
	}
	c := &Controller{Name: "test", Sync: func(context.Context, string) error { return nil },
		Sources: []Source{testInformer(db.Backend, nil, 0)}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Run(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want the store's closed error", err, ctx.Err())
	}
}

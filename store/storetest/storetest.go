// Package storetest is the conformance suite every store.Backend must pass.
// It exists so that a second backend (etcd) is held to exactly the behaviour
// the API packages were written against, rather than to whatever the bbolt
// backend happened to do.
//
// Assertions never sleep: anything asynchronous is awaited on a channel with
// a deadline, so the suite is fast when the backend is right and fails with
// a message (not a hang) when it is wrong.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/store"
)

// MinHistory is the fewest revisions a backend under test must keep for
// Watch replay.
const MinHistory = 128

// waitTimeout bounds every wait for an asynchronous outcome.
const waitTimeout = 5 * time.Second

// Run runs the suite. open must return a new, empty backend each call; Run
// closes every backend it opens (a second Close may return store.ErrClosed).
//
// History: replay subtests need the backend to keep at least MinHistory
// revisions. The compaction subtest writes until a watch from the first
// revision is refused, up to maxCompactionWrites transactions, and is
// skipped if that never happens; open backends with a history of a few
// hundred revisions at most to cover it.
func Run(t *testing.T, open func(t *testing.T) store.Backend) {
	mk := func(t *testing.T) store.Backend {
		t.Helper()
		b := open(t)
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	tests := []struct {
		name string
		fn   func(*testing.T, store.Backend)
	}{
		{"PutGetDelete", testPutGetDelete},
		{"Revisions", testRevisions},
		{"List", testList},
		{"ErrorRollsBack", testErrorRollsBack},
		{"PanicRollsBack", testPanicRollsBack},
		{"ReadYourWrites", testReadYourWrites},
		{"RevisionMonotonic", testRevisionMonotonic},
		{"NoWriteKeepsRevision", testNoWriteKeepsRevision},
		{"CancelledContext", testCancelledContext},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"GroupIsolation", testGroupIsolation},
		{"OverlayReads", testOverlayReads},
		{"ConcurrentRevisionOrder", testConcurrentRevisionOrder},
		{"CheckRevInUpdate", testCheckRevInUpdate},
		{"WatchFromNow", testWatchFromNow},
		{"WatchEventShape", testWatchEventShape},
		{"WatchReplay", testWatchReplay},
		{"WatchReplayConcurrentWriters", testWatchReplayConcurrent},
		{"WatchPrefix", testWatchPrefix},
		{"WatchCompacted", testWatchCompacted},
		{"WatchCancel", testWatchCancel},
		{"CloseEndsWatches", testCloseEndsWatches},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, mk(t)) })
	}
}

// --- helpers -----------------------------------------------------------------

func put(t *testing.T, b store.Backend, kvs ...string) int64 {
	t.Helper()
	if len(kvs)%2 != 0 {
		t.Fatalf("put: odd key/value list %q", kvs)
	}
	rev, err := b.Update(context.Background(), func(tx store.Tx) error {
		for i := 0; i < len(kvs); i += 2 {
			if err := tx.Put(kvs[i], []byte(kvs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("put %q: %v", kvs, err)
	}
	return rev
}

func del(t *testing.T, b store.Backend, key string) int64 {
	t.Helper()
	rev, err := b.Update(context.Background(), func(tx store.Tx) error { return tx.Delete(key) })
	if err != nil {
		t.Fatalf("delete %q: %v", key, err)
	}
	return rev
}

func get(t *testing.T, b store.Backend, key string) (store.KV, bool) {
	t.Helper()
	var kv store.KV
	var ok bool
	err := b.View(context.Background(), func(tx store.ReadTx) error {
		var err error
		kv, ok, err = tx.Get(key)
		return err
	})
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	return kv, ok
}

func currentRev(t *testing.T, b store.Backend) int64 {
	t.Helper()
	var rev int64
	if err := b.View(context.Background(), func(tx store.ReadTx) error { rev = tx.Rev(); return nil }); err != nil {
		t.Fatalf("view: %v", err)
	}
	return rev
}

func keys(kvs []store.KV) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.Key
	}
	return out
}

// --- key/value behaviour -------------------------------------------------------

func testPutGetDelete(t *testing.T, b store.Backend) {
	if _, ok := get(t, b, "a"); ok {
		t.Fatal("empty store has key a")
	}
	put(t, b, "a", "1")
	if kv, ok := get(t, b, "a"); !ok || string(kv.Value) != "1" || kv.Key != "a" {
		t.Fatalf("get a = %+v, %v; want value 1", kv, ok)
	}
	put(t, b, "a", "2")
	if kv, _ := get(t, b, "a"); string(kv.Value) != "2" {
		t.Fatalf("after overwrite a = %q, want 2", kv.Value)
	}
	del(t, b, "a")
	if _, ok := get(t, b, "a"); ok {
		t.Fatal("a still present after delete")
	}
	del(t, b, "never-existed") // not an error

	// The backend must not keep the caller's slice: mutating it afterwards
	// must not change the stored record.
	buf := []byte("orig")
	if _, err := b.Update(context.Background(), func(tx store.Tx) error { return tx.Put("buf", buf) }); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXX")
	if kv, _ := get(t, b, "buf"); string(kv.Value) != "orig" {
		t.Fatalf("stored value aliased caller's slice: %q", kv.Value)
	}
}

func testRevisions(t *testing.T, b store.Backend) {
	r1 := put(t, b, "k", "v1")
	if kv, _ := get(t, b, "k"); kv.CreateRev != r1 || kv.ModRev != r1 {
		t.Fatalf("after create: CreateRev %d ModRev %d, want both %d", kv.CreateRev, kv.ModRev, r1)
	}
	r2 := put(t, b, "other", "x") // unrelated write moves the global revision only
	r3 := put(t, b, "k", "v2")
	if r2 != r1+1 || r3 != r2+1 {
		t.Fatalf("revisions %d, %d, %d are not consecutive", r1, r2, r3)
	}
	if kv, _ := get(t, b, "k"); kv.CreateRev != r1 || kv.ModRev != r3 {
		t.Fatalf("after update: CreateRev %d ModRev %d, want %d, %d", kv.CreateRev, kv.ModRev, r1, r3)
	}
	if kv, _ := get(t, b, "other"); kv.CreateRev != r2 || kv.ModRev != r2 {
		t.Fatalf("other: CreateRev %d ModRev %d, want %d", kv.CreateRev, kv.ModRev, r2)
	}
	del(t, b, "k")
	r5 := put(t, b, "k", "v3")
	if kv, _ := get(t, b, "k"); kv.CreateRev != r5 || kv.ModRev != r5 {
		t.Fatalf("after re-create: CreateRev %d ModRev %d, want %d", kv.CreateRev, kv.ModRev, r5)
	}
	if got := currentRev(t, b); got != r5 {
		t.Fatalf("View Rev = %d, want %d", got, r5)
	}
}

func testList(t *testing.T, b store.Backend) {
	// Written out of order, in several transactions; neighbours of the
	// prefix on both sides must never leak in.
	put(t, b, "svc/c", "3", "svc/a", "1", "svd", "x")
	put(t, b, "svc/e", "5", "svb", "x", "svc/b", "2")
	put(t, b, "svc/d", "4", "svc", "x")

	list := func(prefix, after string, limit int) []string {
		t.Helper()
		var out []store.KV
		err := b.View(context.Background(), func(tx store.ReadTx) error {
			var err error
			out, err = tx.List(prefix, after, limit)
			return err
		})
		if err != nil {
			t.Fatalf("List(%q, %q, %d): %v", prefix, after, limit, err)
		}
		for _, kv := range out {
			if kv.ModRev == 0 || kv.CreateRev == 0 {
				t.Fatalf("List returned %q without revisions", kv.Key)
			}
		}
		return keys(out)
	}
	cases := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"svc/", "", 0, []string{"svc/a", "svc/b", "svc/c", "svc/d", "svc/e"}},
		{"svc/", "", -1, []string{"svc/a", "svc/b", "svc/c", "svc/d", "svc/e"}},
		{"svc/", "", 2, []string{"svc/a", "svc/b"}},
		{"svc/", "svc/b", 2, []string{"svc/c", "svc/d"}},
		{"svc/", "svc/bb", 0, []string{"svc/c", "svc/d", "svc/e"}}, // after need not exist
		{"svc/", "svc/e", 0, nil},
		{"svc/", "a", 0, []string{"svc/a", "svc/b", "svc/c", "svc/d", "svc/e"}}, // after before prefix
		{"svc/", "zzz", 0, nil},
		{"svc/", "", 10, []string{"svc/a", "svc/b", "svc/c", "svc/d", "svc/e"}},
		{"nope/", "", 0, nil},
		{"", "svc/d", 0, []string{"svc/e", "svd"}},
		{"", "", 0, []string{"svb", "svc", "svc/a", "svc/b", "svc/c", "svc/d", "svc/e", "svd"}},
	}
	for _, c := range cases {
		if got := list(c.prefix, c.after, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("List(%q, %q, %d) = %q, want %q", c.prefix, c.after, c.limit, got, c.want)
		}
	}
}

var errBoom = errors.New("storetest: boom")

func testErrorRollsBack(t *testing.T, b store.Backend) {
	put(t, b, "keep", "old")
	before := currentRev(t, b)
	_, err := b.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.Put("new", []byte("x")); err != nil {
			return err
		}
		if err := tx.Put("keep", []byte("changed")); err != nil {
			return err
		}
		if err := tx.Delete("keep"); err != nil {
			return err
		}
		return errBoom
	})
	if err != errBoom { // identity, not errors.Is: "returned unchanged" is the contract
		t.Fatalf("Update error = %v, want errBoom unchanged", err)
	}
	if _, ok := get(t, b, "new"); ok {
		t.Fatal("write from failed transaction is visible")
	}
	if kv, ok := get(t, b, "keep"); !ok || string(kv.Value) != "old" {
		t.Fatalf("keep = %q, %v after failed transaction; want old", kv.Value, ok)
	}
	if got := currentRev(t, b); got != before {
		t.Fatalf("revision moved from %d to %d on a failed transaction", before, got)
	}
	// Wrapped errors stay inspectable.
	_, err = b.Update(context.Background(), func(store.Tx) error { return fmt.Errorf("ctx: %w", errBoom) })
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update error = %v, want it to wrap errBoom", err)
	}
}

func testPanicRollsBack(t *testing.T, b store.Backend) {
	before := currentRev(t, b)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic in fn did not propagate")
			}
		}()
		_, _ = b.Update(context.Background(), func(tx store.Tx) error {
			_ = tx.Put("p", []byte("x"))
			panic("storetest: deliberate")
		})
	}()
	if _, ok := get(t, b, "p"); ok {
		t.Fatal("write from panicking transaction is visible")
	}
	if got := currentRev(t, b); got != before {
		t.Fatalf("revision moved from %d to %d on a panicking transaction", before, got)
	}
	// The store must not be left locked.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := b.Update(context.Background(), func(tx store.Tx) error { return tx.Put("after", []byte("y")) }); err != nil {
			t.Errorf("Update after panic: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("Update after a panicking transaction did not finish: store left locked")
	}
}

func testReadYourWrites(t *testing.T, b store.Backend) {
	put(t, b, "ryw/gone", "x")
	_, err := b.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.Put("ryw/a", []byte("1")); err != nil {
			return err
		}
		kv, ok, err := tx.Get("ryw/a")
		if err != nil || !ok || string(kv.Value) != "1" {
			return fmt.Errorf("tx.Get = %q, %v, %v", kv.Value, ok, err)
		}
		if err := tx.Delete("ryw/gone"); err != nil {
			return err
		}
		if _, ok, _ := tx.Get("ryw/gone"); ok {
			return errors.New("deleted key still visible in tx")
		}
		kvs, err := tx.List("ryw/", "", 0)
		if err != nil {
			return err
		}
		if got := keys(kvs); !slices.Equal(got, []string{"ryw/a"}) {
			return fmt.Errorf("tx.List = %q, want [ryw/a]", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kv, ok := get(t, b, "ryw/a"); !ok || string(kv.Value) != "1" {
		t.Fatalf("after commit ryw/a = %q, %v", kv.Value, ok)
	}
}

func testRevisionMonotonic(t *testing.T, b store.Backend) {
	prev := currentRev(t, b)
	for i := range 20 {
		rev := put(t, b, fmt.Sprintf("m/%d", i%3), "v")
		if rev != prev+1 {
			t.Fatalf("write %d got revision %d after %d; want +1", i, rev, prev)
		}
		if got := currentRev(t, b); got != rev {
			t.Fatalf("View Rev = %d after Update returned %d", got, rev)
		}
		prev = rev
	}
}

func testNoWriteKeepsRevision(t *testing.T, b store.Backend) {
	ctx := context.Background()
	r := put(t, b, "nw", "x")
	w, err := b.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Update(ctx, func(tx store.Tx) error {
		_, _, err := tx.Get("nw")
		if err != nil {
			return err
		}
		return tx.Delete("missing") // deleting nothing is not a write
	})
	if err != nil || got != r {
		t.Fatalf("no-write Update = %d, %v; want current revision %d", got, err, r)
	}
	if cur := currentRev(t, b); cur != r {
		t.Fatalf("revision moved to %d without writes", cur)
	}
	r2 := put(t, b, "nw2", "y")
	if r2 != r+1 {
		t.Fatalf("next write got %d, want %d", r2, r+1)
	}
	// The no-write transaction produced no event: the first one is r2's.
	if ev := next(t, w); ev.Rev != r2 || ev.KV.Key != "nw2" {
		t.Fatalf("first event = %+v, want nw2 at %d", ev, r2)
	}
}

func testCancelledContext(t *testing.T, b store.Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	if _, err := b.Update(ctx, func(tx store.Tx) error { called = true; return tx.Put("c", nil) }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Update with cancelled ctx = %v, want context.Canceled", err)
	}
	if err := b.View(ctx, func(store.ReadTx) error { called = true; return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("View with cancelled ctx = %v, want context.Canceled", err)
	}
	if called {
		t.Fatal("fn ran despite a cancelled context")
	}
	if _, err := b.Watch(ctx, "", 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch with cancelled ctx = %v, want context.Canceled", err)
	}
	if _, ok := get(t, b, "c"); ok {
		t.Fatal("cancelled Update wrote")
	}
}

func testConcurrentUpdates(t *testing.T, b store.Backend) {
	const workers, each = 8, 25
	start := currentRev(t, b)
	revs := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("cc/%d/%d", g, i)
				rev, err := b.Update(context.Background(), func(tx store.Tx) error {
					// Read-modify-write of a shared counter checks isolation.
					kv, ok, err := tx.Get("cc/counter")
					if err != nil {
						return err
					}
					n := 0
					if ok {
						if n, err = strconv.Atoi(string(kv.Value)); err != nil {
							return fmt.Errorf("counter %q: %w", kv.Value, err)
						}
					}
					if err := tx.Put("cc/counter", fmt.Appendf(nil, "%d", n+1)); err != nil {
						return err
					}
					return tx.Put(key, []byte("v"))
				})
				if err != nil {
					t.Errorf("Update %s: %v", key, err)
					return
				}
				revs <- rev
			}
		})
	}
	wg.Wait()
	close(revs)
	seen := map[int64]bool{}
	for r := range revs {
		if seen[r] {
			t.Fatalf("revision %d returned twice", r)
		}
		seen[r] = true
	}
	if got, want := currentRev(t, b), start+workers*each; got != want {
		t.Fatalf("final revision %d, want %d", got, want)
	}
	if kv, _ := get(t, b, "cc/counter"); string(kv.Value) != fmt.Sprint(workers*each) {
		t.Fatalf("counter = %s, want %d (lost update)", kv.Value, workers*each)
	}
	var n int
	_ = b.View(context.Background(), func(tx store.ReadTx) error {
		kvs, err := tx.List("cc/", "", 0)
		n = len(kvs)
		return err
	})
	if n != workers*each+1 {
		t.Fatalf("%d records under cc/, want %d", n, workers*each+1)
	}
}

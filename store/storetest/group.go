package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharfhq/wharf/store"
)

// Cases for concurrent Updates that a backend may commit together (bbolt's
// group commit, an etcd client batching): whatever the grouping, every
// Update must behave as if it ran alone, in some serial order.

// concurrently runs fn(i) for i in [0, n) on n goroutines released together,
// so that their Updates arrive at the backend at once.
func concurrently(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

func testGroupIsolation(t *testing.T, b store.Backend) {
	const n = 64
	put(t, b, "gi/victim", "orig")
	before := currentRev(t, b)
	type outcome struct {
		rev    int64
		err    error
		panics bool
		calls  int32
	}
	out := make([]outcome, n)
	var calls [n]atomic.Int32
	concurrently(n, func(i int) {
		o := &out[i]
		defer func() {
			o.panics = recover() != nil
			o.calls = calls[i].Load()
		}()
		o.rev, o.err = b.Update(context.Background(), func(tx store.Tx) error {
			calls[i].Add(1)
			// Every fn writes the shared counter and the victim, and its own key.
			kv, ok, err := tx.Get("gi/counter")
			if err != nil {
				return err
			}
			c := 0
			if ok {
				if c, err = strconv.Atoi(string(kv.Value)); err != nil {
					return fmt.Errorf("counter %q: %w", kv.Value, err)
				}
			}
			for _, w := range [][2]string{{"gi/counter", strconv.Itoa(c + 1)}, {"gi/victim", "clobbered"}, {fmt.Sprintf("gi/own/%02d", i), "x"}} {
				if err := tx.Put(w[0], []byte(w[1])); err != nil {
					return err
				}
			}
			switch i % 4 {
			case 1:
				return fmt.Errorf("fn %d: %w", i, errBoom)
			case 3:
				if i%8 == 3 {
					panic("storetest: deliberate")
				}
			}
			// Successful fns put the victim back.
			return tx.Put("gi/victim", []byte("orig"))
		})
	})
	var revs []int64
	var okKeys []string
	for i, o := range out {
		if o.calls != 1 {
			t.Errorf("fn %d ran %d times, want exactly once", i, o.calls)
		}
		switch {
		case i%4 == 1:
			if !errors.Is(o.err, errBoom) || o.panics {
				t.Errorf("fn %d: err %v, panicked %v; want its own errBoom", i, o.err, o.panics)
			}
		case i%8 == 3:
			if !o.panics {
				t.Errorf("fn %d: panic did not propagate (err %v)", i, o.err)
			}
		default:
			if o.err != nil || o.panics {
				t.Errorf("fn %d: err %v, panicked %v; want success", i, o.err, o.panics)
				continue
			}
			revs = append(revs, o.rev)
			okKeys = append(okKeys, fmt.Sprintf("gi/own/%02d", i))
		}
	}
	slices.Sort(revs)
	for j, r := range revs {
		if want := before + 1 + int64(j); r != want {
			t.Fatalf("successful revisions %v are not consecutive from %d", revs, before+1)
		}
	}
	if got := currentRev(t, b); got != before+int64(len(revs)) {
		t.Fatalf("revision %d after %d successful Updates from %d", got, len(revs), before)
	}
	if kv, _ := get(t, b, "gi/counter"); string(kv.Value) != strconv.Itoa(len(revs)) {
		t.Fatalf("counter = %s, want %d: failed fns leaked writes or successes lost updates", kv.Value, len(revs))
	}
	if kv, _ := get(t, b, "gi/victim"); string(kv.Value) != "orig" {
		t.Fatalf("victim = %q: a failed fn's write was committed", kv.Value)
	}
	var got []store.KV
	if err := b.View(context.Background(), func(tx store.ReadTx) error {
		var err error
		got, err = tx.List("gi/own/", "", 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys(got), okKeys) {
		t.Fatalf("own keys %q, want those of the successful fns %q", keys(got), okKeys)
	}
}

// testOverlayReads checks reads inside a transaction after a mix of writes
// to stored keys: overwrites, deletes, new keys, keys written twice, a key
// created then deleted and one deleted then re-created.
func testOverlayReads(t *testing.T, b store.Backend) {
	r0 := put(t, b, "ov/a", "a0", "ov/b", "b0", "ov/c", "c0", "ov/d", "d0", "ov/f", "f0", "ow", "x", "ou", "x")
	want := []struct{ key, val string }{
		{"ov/b", "b1"}, {"ov/cc", "cc1"}, {"ov/d", "d1"}, {"ov/f", "f0"}, {"ov/g", "g2"},
	}
	wantKeys := make([]string, len(want))
	for i, w := range want {
		wantKeys[i] = w.key
	}
	check := func(tx store.ReadTx, rev int64) error {
		for _, w := range want {
			kv, ok, err := tx.Get(w.key)
			if err != nil || !ok || string(kv.Value) != w.val {
				return fmt.Errorf("tx.Get(%s) = %q, %v, %v; want %q", w.key, kv.Value, ok, err, w.val)
			}
		}
		for _, k := range []string{"ov/a", "ov/c", "ov/h", "ov/zz"} {
			if kv, ok, err := tx.Get(k); err != nil || ok {
				return fmt.Errorf("tx.Get(%s) = %q, %v, %v; want no record", k, kv.Value, ok, err)
			}
		}
		revs := map[string][2]int64{ // CreateRev, ModRev
			"ov/b": {r0, rev}, "ov/cc": {rev, rev}, "ov/d": {rev, rev}, "ov/f": {r0, r0}, "ov/g": {rev, rev},
		}
		all, err := tx.List("ov/", "", 0)
		if err != nil {
			return err
		}
		if !slices.Equal(keys(all), wantKeys) {
			return fmt.Errorf("tx.List(ov/) = %q, want %q", keys(all), wantKeys)
		}
		for _, kv := range all {
			r := revs[kv.Key]
			if kv.Key == "ov/d" && kv.CreateRev == r0 {
				// etcd cannot delete and put one key in one Txn: its
				// backend collapses them to a put, which keeps CreateRev.
				r[0] = r0
			}
			if kv.CreateRev != r[0] || kv.ModRev != r[1] {
				return fmt.Errorf("tx.List: %s CreateRev %d ModRev %d, want %d, %d", kv.Key, kv.CreateRev, kv.ModRev, r[0], r[1])
			}
		}
		cases := []struct {
			name, prefix, after string
			limit               int
			want                []string
		}{
			{"limit over a shadowed start", "ov/", "", 2, []string{"ov/b", "ov/cc"}},
			{"after a deleted key", "ov/", "ov/c", 0, []string{"ov/cc", "ov/d", "ov/f", "ov/g"}},
			{"after a new key", "ov/", "ov/cc", 2, []string{"ov/d", "ov/f"}},
			{"after a stored key, new key last", "ov/", "ov/f", 0, []string{"ov/g"}},
			{"after everything", "ov/", "ov/g", 0, nil},
			{"after a missing key", "ov/", "ov/e", 1, []string{"ov/f"}},
			{"limit one", "ov/", "ov/a", 1, []string{"ov/b"}},
			{"prefix of only deletions", "ov/c", "", 0, []string{"ov/cc"}},
			{"empty prefix keeps neighbours", "", "ov/f", 0, []string{"ov/g", "ow"}},
			{"empty prefix, new and stored", "", "ov/g", 0, []string{"ow"}},
			{"before the prefix", "o", "", 3, []string{"ou", "ov/b", "ov/cc"}},
		}
		for _, c := range cases {
			got, err := tx.List(c.prefix, c.after, c.limit)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if !slices.Equal(keys(got), c.want) {
				return fmt.Errorf("%s: List(%q, %q, %d) = %q, want %q", c.name, c.prefix, c.after, c.limit, keys(got), c.want)
			}
		}
		return nil
	}
	rev, err := b.Update(context.Background(), func(tx store.Tx) error {
		ops := []struct {
			del      bool
			key, val string
		}{
			{false, "ov/b", "b1"},
			{true, "ov/c", ""},
			{false, "ov/cc", "cc1"},
			{false, "ov/g", "g1"},
			{false, "ov/g", "g2"}, // written twice: the second value wins
			{true, "ov/a", ""},
			{false, "ov/h", "h"},
			{true, "ov/h", ""}, // created and deleted in the transaction
			{true, "ov/d", ""},
			{false, "ov/d", "d1"}, // deleted and re-created: a new CreateRev (or the old one, on etcd)
			{true, "ov/zz", ""},   // never existed
			{true, "ov/c", ""},    // deleted twice
		}
		for _, op := range ops {
			var err error
			if op.del {
				err = tx.Delete(op.key)
			} else {
				err = tx.Put(op.key, []byte(op.val))
			}
			if err != nil {
				return err
			}
		}
		// A value returned by a read is the caller's: changing it changes nothing stored.
		kv, _, err := tx.Get("ov/b")
		if err != nil {
			return err
		}
		copy(kv.Value, "XX")
		if tx.Rev() != r0+1 {
			return fmt.Errorf("tx.Rev() = %d after writes, want %d", tx.Rev(), r0+1)
		}
		return check(tx, r0+1)
	})
	if err != nil {
		t.Fatalf("inside the transaction: %v", err)
	}
	if rev != r0+1 {
		t.Fatalf("Update revision %d, want %d", rev, r0+1)
	}
	// The committed state reads the same.
	if err := b.View(context.Background(), func(tx store.ReadTx) error { return check(tx, rev) }); err != nil {
		t.Fatalf("after commit: %v", err)
	}
}

// testConcurrentRevisionOrder checks that concurrent commits, each told its
// revision, are delivered to a watch in that order with the right events.
func testConcurrentRevisionOrder(t *testing.T, b store.Backend) {
	const n = 48
	w := watch(t, b, "ro/", 0)
	before := currentRev(t, b)
	revs := make([]int64, n)
	concurrently(n, func(i int) {
		rev, err := b.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put(fmt.Sprintf("ro/%d/a", i), nil); err != nil {
				return err
			}
			return tx.Put(fmt.Sprintf("ro/%d/b", i), nil)
		})
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
		revs[i] = rev
	})
	byRev := map[int64]int{}
	for i, r := range revs {
		if _, dup := byRev[r]; dup {
			t.Fatalf("revision %d returned twice", r)
		}
		byRev[r] = i
	}
	for r := before + 1; r <= before+n; r++ {
		i, ok := byRev[r]
		if !ok {
			t.Fatalf("no Update returned revision %d (got %v)", r, revs)
		}
		for _, suffix := range []string{"a", "b"} {
			ev := next(t, w)
			if want := fmt.Sprintf("ro/%d/%s", i, suffix); ev.Rev != r || ev.KV.Key != want || ev.KV.ModRev != r {
				t.Fatalf("event %s at %d (ModRev %d), want %s at %d", ev.KV.Key, ev.Rev, ev.KV.ModRev, want, r)
			}
		}
	}
}

// testCheckRevInUpdate checks the compare-and-swap helpers inside Update,
// including against writes earlier in the same transaction and under
// concurrent writers that conflict.
func testCheckRevInUpdate(t *testing.T, b store.Backend) {
	ctx := context.Background()
	r1 := put(t, b, "cas/k", "1")
	cases := []struct {
		name    string
		key     string
		modRev  int64
		wantErr bool
	}{
		{"current revision", "cas/k", r1, false},
		{"stale revision", "cas/k", r1 - 1, true},
		{"missing key, expected missing", "cas/none", 0, false},
		{"missing key, expected present", "cas/none", r1, true},
		{"present key, expected missing", "cas/k", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := currentRev(t, b)
			_, err := b.Update(ctx, func(tx store.Tx) error {
				if err := store.CheckRev(tx, c.key, c.modRev); err != nil {
					return err
				}
				return tx.Put("cas/written/"+c.name, nil)
			})
			if c.wantErr != (err != nil) || (err != nil && !errors.Is(err, store.ErrConflict)) {
				t.Fatalf("err = %v, want conflict %v", err, c.wantErr)
			}
			if c.wantErr && currentRev(t, b) != before {
				t.Fatal("a conflicting Update wrote")
			}
		})
	}
	t.Run("own earlier write", func(t *testing.T) {
		_, err := b.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put("cas/own", []byte("x")); err != nil {
				return err
			}
			if err := store.CheckRev(tx, "cas/own", tx.Rev()); err != nil {
				return fmt.Errorf("after own put: %w", err)
			}
			if err := tx.Delete("cas/own"); err != nil {
				return err
			}
			return store.CheckRev(tx, "cas/own", 0)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("concurrent optimistic increments", func(t *testing.T) {
		const n = 24
		put(t, b, "cas/counter", "0")
		var done atomic.Int64
		concurrently(n, func(i int) {
			type plan struct {
				rev  int64
				next int
			}
			_, _, err := store.Optimistic(ctx, b, func(tx store.ReadTx) (plan, error) {
				kv, _, err := tx.Get("cas/counter")
				if err != nil {
					return plan{}, err
				}
				c, err := strconv.Atoi(string(kv.Value))
				return plan{kv.ModRev, c + 1}, err
			}, func(tx store.Tx, p plan) error {
				if err := store.CheckRev(tx, "cas/counter", p.rev); err != nil {
					return err
				}
				return tx.Put("cas/counter", []byte(strconv.Itoa(p.next)))
			})
			// Exhausting the retries is allowed under this much contention;
			// a lost update is not.
			switch {
			case err == nil:
				done.Add(1)
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("increment %d: %v", i, err)
			}
		})
		if kv, _ := get(t, b, "cas/counter"); string(kv.Value) != strconv.FormatInt(done.Load(), 10) || done.Load() == 0 {
			t.Fatalf("counter = %s after %d successful increments", kv.Value, done.Load())
		}
	})
}

// RunTxnLimit checks a backend's per-transaction write limit. open must
// return a new, empty backend that accepts at most limit distinct keys
// written per Update (limit >= 2).
func RunTxnLimit(t *testing.T, limit int, open func(t *testing.T) store.Backend) {
	write := func(tx store.Tx, n int, prefix string) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("%s/%d", prefix, i), []byte("v")); err != nil {
				return err
			}
		}
		return nil
	}
	cases := []struct {
		name    string
		fn      func(tx store.Tx) error
		wantErr error // nil: success
	}{
		{"at the limit", func(tx store.Tx) error { return write(tx, limit, "lim") }, nil},
		{"one over", func(tx store.Tx) error { return write(tx, limit+1, "lim") }, store.ErrTooManyOps},
		{"error ignored by fn", func(tx store.Tx) error { _ = write(tx, limit+3, "lim"); return nil }, store.ErrTooManyOps},
		{"same key rewritten", func(tx store.Tx) error {
			for range limit * 3 {
				if err := tx.Put("lim/same", []byte("v")); err != nil {
					return err
				}
			}
			return nil
		}, nil},
		{"deletes of missing keys are free", func(tx store.Tx) error {
			for i := range limit * 2 {
				if err := tx.Delete(fmt.Sprintf("missing/%d", i)); err != nil {
					return err
				}
			}
			return write(tx, limit, "lim")
		}, nil},
		{"deletes count", func(tx store.Tx) error {
			for i := range limit {
				if err := tx.Delete(fmt.Sprintf("pre/%d", i)); err != nil {
					return err
				}
			}
			return tx.Put("lim/x", nil)
		}, store.ErrTooManyOps},
		{"fn's own error wins", func(tx store.Tx) error { _ = write(tx, limit+1, "lim"); return errBoom }, errBoom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := open(t)
			t.Cleanup(func() { _ = b.Close() })
			pre := make([]string, 0, 2*limit)
			for i := range limit {
				pre = append(pre, fmt.Sprintf("pre/%d", i), "p")
			}
			// Seed in transactions within the limit.
			for i := 0; i < len(pre); i += 2 * (limit - 1) {
				put(t, b, pre[i:min(i+2*(limit-1), len(pre))]...)
			}
			before := currentRev(t, b)
			_, err := b.Update(context.Background(), c.fn)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				return
			}
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Update = %v, want %v", err, c.wantErr)
			}
			if c.wantErr == errBoom && err != errBoom {
				t.Fatalf("Update = %v, want errBoom unchanged", err)
			}
			if got := currentRev(t, b); got != before {
				t.Fatalf("revision moved from %d to %d on a refused Update", before, got)
			}
			if _, ok := get(t, b, "lim/0"); ok {
				t.Fatal("a refused Update wrote")
			}
			// The store goes on.
			put(t, b, "after", "x")
		})
	}
}

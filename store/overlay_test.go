package store

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// snap is a committed snapshot for the overlay's tests: records with
// revisions, in key order. It counts the records its List returned, so a
// test sees how much of the base a merge read.
type snap struct {
	kvs    []KV
	rev    int64
	listed int
}

// scanSnap is a snap that is a Scanner too.
type scanSnap struct {
	*snap
	origin uint64
}

// newSnap holds keys, the i-th created at revision i+1 and modified at
// 2*(i+1), with the key as its value.
func newSnap(keys ...string) *snap {
	s := &snap{}
	for i, k := range slices.Sorted(slices.Values(keys)) {
		s.kvs = append(s.kvs, KV{Key: k, Value: []byte(k), CreateRev: int64(i + 1), ModRev: int64(2 * (i + 1))})
		s.rev = int64(2 * (i + 1))
	}
	return s
}

func (s *snap) Get(key string) (KV, bool, error) {
	for _, kv := range s.kvs {
		if kv.Key == key {
			kv.Value = slices.Clone(kv.Value)
			return kv, true, nil
		}
	}
	return KV{}, false, nil
}

func (s *snap) List(prefix, after string, limit int) ([]KV, error) {
	var out []KV
	for _, kv := range s.kvs {
		if strings.HasPrefix(kv.Key, prefix) && kv.Key > after && (limit <= 0 || len(out) < limit) {
			kv.Value = slices.Clone(kv.Value)
			out = append(out, kv)
		}
	}
	s.listed += len(out)
	return out, nil
}

func (s *snap) Rev() int64 { return s.rev }

func (s scanSnap) Scan(prefix string, fn func(key, value []byte, createRev, modRev int64) error) error {
	for _, kv := range s.kvs {
		if strings.HasPrefix(kv.Key, prefix) {
			if err := fn([]byte(kv.Key), kv.Value, kv.CreateRev, kv.ModRev); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s scanSnap) Origin() uint64 { return s.origin }

// commitAt is OverlayOptions.ModRev for a commit at rev, counting calls.
func commitAt(rev int64, calls *int) func() int64 {
	return func() int64 { *calls++; return rev }
}

func listKeys(t *testing.T, tx ReadTx, prefix, after string, limit int) []string {
	t.Helper()
	kvs, err := tx.List(prefix, after, limit)
	if err != nil {
		t.Fatalf("List(%q, %q, %d): %v", prefix, after, limit, err)
	}
	out := []string{}
	for _, kv := range kvs {
		out = append(out, kv.Key)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOverlayGet(t *testing.T) {
	// Stored: p/a (create 1, mod 2), p/b (2, 4), p/c (3, 6), q/a (4, 8).
	var calls int
	o := NewOverlay(newSnap("p/a", "p/b", "p/c", "q/a"), OverlayOptions{ModRev: commitAt(9, &calls)})
	must(t, o.Put("p/b", []byte("b2")))            // over a stored key
	must(t, o.Put("p/new", []byte("n")))           // a new key
	must(t, o.Delete("p/c"))                       // a stored key
	must(t, o.Put("p/gone", []byte("g")))          // a buffered put, then deleted
	must(t, o.Delete("p/gone"))                    //
	must(t, o.Delete("q/a"))                       // deleted, then put again
	must(t, o.Put("q/a", []byte("back")))          //
	must(t, o.PutRecord("q/set", []byte("s"), 42)) // a backend that knows CreateRev
	must(t, o.Put("q/twice", []byte("1")))         // put twice: the last value
	must(t, o.Put("q/twice", []byte("2")))         //
	tests := []struct {
		name              string
		key               string
		ok                bool
		value             string
		createRev, modRev int64
	}{
		{"untouched: the base's record", "p/a", true, "p/a", 1, 2},
		{"put over a stored key keeps its CreateRev", "p/b", true, "b2", 2, 9},
		{"a new key is created at the commit", "p/new", true, "n", 9, 9},
		{"a deleted stored key", "p/c", false, "", 0, 0},
		{"a deleted buffered put", "p/gone", false, "", 0, 0},
		{"a put over a deleted key keeps the stored CreateRev", "q/a", true, "back", 4, 9},
		{"CreateRev given by the backend", "q/set", true, "s", 42, 9},
		{"the last of two puts", "q/twice", true, "2", 9, 9},
		{"missing everywhere", "x", false, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv, ok, err := o.Get(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok || string(kv.Value) != tt.value || kv.CreateRev != tt.createRev || kv.ModRev != tt.modRev {
				t.Fatalf("Get(%q) = %q create %d mod %d ok %v; want %q create %d mod %d ok %v",
					tt.key, kv.Value, kv.CreateRev, kv.ModRev, ok, tt.value, tt.createRev, tt.modRev, tt.ok)
			}
		})
	}
	t.Run("a read value is the caller's", func(t *testing.T) {
		kv, _, _ := o.Get("p/b")
		kv.Value[0] = 'X'
		if again, _, _ := o.Get("p/b"); string(again.Value) != "b2" {
			t.Fatalf("buffered value changed to %q", again.Value)
		}
	})
	t.Run("a put keeps a copy", func(t *testing.T) {
		v := []byte("mine")
		must(t, o.Put("r/copy", v))
		v[0] = 'X'
		if kv, _, _ := o.Get("r/copy"); string(kv.Value) != "mine" {
			t.Fatalf("buffered value changed to %q", kv.Value)
		}
	})
	t.Run("a put of nil reads back empty, not missing", func(t *testing.T) {
		must(t, o.Put("r/nil", nil))
		if kv, ok, _ := o.Get("r/nil"); !ok || kv.Value == nil || len(kv.Value) != 0 {
			t.Fatalf("Get = %q %v", kv.Value, ok)
		}
	})
}

func TestOverlayList(t *testing.T) {
	base := newSnap("p/a", "p/b", "p/c", "p/d", "p/e", "q/a")
	o := NewOverlay(base, OverlayOptions{ModRev: func() int64 { return 99 }})
	must(t, o.Put("p/bb", []byte("new")))  // between stored keys
	must(t, o.Delete("p/c"))               // a stored key
	must(t, o.Put("p/d", []byte("d2")))    // over a stored key
	must(t, o.Put("p/z", []byte("last")))  // after every stored key
	must(t, o.Put("p/0", []byte("first"))) // before every stored key
	must(t, o.Delete("p/nothing"))         // a key the base never had
	must(t, o.Put("q/b", nil))
	tests := []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
	}{
		{"all, merged in key order", "p/", "", 0, []string{"p/0", "p/a", "p/b", "p/bb", "p/d", "p/e", "p/z"}},
		{"limit: the first of the merge", "p/", "", 3, []string{"p/0", "p/a", "p/b"}},
		{"limit cut at a buffered put", "p/", "", 4, []string{"p/0", "p/a", "p/b", "p/bb"}},
		{"limit across a deletion", "p/", "p/b", 2, []string{"p/bb", "p/d"}},
		{"limit one past a deletion", "p/", "p/bb", 1, []string{"p/d"}},
		{"a put past a cut range is not listed early", "p/", "p/0", 1, []string{"p/a"}},
		{"after a buffered key", "p/", "p/d", 0, []string{"p/e", "p/z"}},
		{"after a key nobody holds", "p/", "p/cc", 2, []string{"p/d", "p/e"}},
		{"after the last key", "p/", "p/z", 0, []string{}},
		{"after before the prefix", "p/", "a", 2, []string{"p/0", "p/a"}},
		{"limit larger than everything", "p/", "", 100, []string{"p/0", "p/a", "p/b", "p/bb", "p/d", "p/e", "p/z"}},
		{"another prefix", "q/", "", 0, []string{"q/a", "q/b"}},
		{"the empty prefix", "", "p/e", 0, []string{"p/z", "q/a", "q/b"}},
		{"no writes under the prefix", "x/", "", 0, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listKeys(t, o, tt.prefix, tt.after, tt.limit); !slices.Equal(got, tt.want) {
				t.Fatalf("List(%q, %q, %d) = %v, want %v", tt.prefix, tt.after, tt.limit, got, tt.want)
			}
		})
	}
	t.Run("buffered records carry their value and revisions", func(t *testing.T) {
		kvs, _ := o.List("p/", "p/c", 1)
		if len(kvs) != 1 || string(kvs[0].Value) != "d2" || kvs[0].CreateRev != 4 || kvs[0].ModRev != 99 {
			t.Fatalf("List = %+v", kvs)
		}
	})
	t.Run("a limited list reads limit plus the deletions in range from the base", func(t *testing.T) {
		base.listed = 0
		listKeys(t, o, "p/", "", 2)
		if want := 2 + 2; base.listed != want { // p/c and p/nothing are deleted
			t.Fatalf("read %d records of the base, want %d", base.listed, want)
		}
	})
}

func TestOverlayRevisions(t *testing.T) {
	base := newSnap("k")
	t.Run("a committed overlay asks the revision only when a record is read", func(t *testing.T) {
		var calls int
		o := NewOverlay(base, OverlayOptions{ModRev: commitAt(5, &calls)})
		must(t, o.Put("k", []byte("v")))
		must(t, o.Delete("j"))
		if calls != 0 {
			t.Fatalf("blind writes asked the revision %d times", calls)
		}
		if kv, _, _ := o.Get("k"); kv.ModRev != 5 || kv.CreateRev != 1 {
			t.Fatalf("Get = %+v, want create 1 mod 5", kv)
		}
		if o.Origin() != 0 {
			t.Fatal("a committed overlay promises an Origin")
		}
	})
	t.Run("a rehearsal's writes each have a revision of their own, never committed", func(t *testing.T) {
		o := NewOverlay(scanSnap{base, 7}, OverlayOptions{})
		other := NewOverlay(scanSnap{base, 7}, OverlayOptions{})
		seen := map[int64]bool{}
		for i, w := range []struct {
			o     *Overlay
			key   string
			value string
		}{{o, "k", "1"}, {o, "k", "2"}, {other, "k", "1"}, {o, "new", "x"}} {
			must(t, w.o.Put(w.key, []byte(w.value)))
			kv, _, _ := w.o.Get(w.key)
			if kv.ModRev >= 0 || seen[kv.ModRev] {
				t.Fatalf("write %d: ModRev %d, want a negative revision not seen before", i, kv.ModRev)
			}
			seen[kv.ModRev] = true
			if err := CheckRev(base, w.key, kv.ModRev); !errors.Is(err, ErrConflict) {
				t.Fatalf("write %d: CheckRev on the base = %v, want a conflict", i, err)
			}
		}
		if o.Origin() != 7 {
			t.Fatalf("Origin = %d, want the base's", o.Origin())
		}
		if NewOverlay(base, OverlayOptions{}).Origin() != 0 {
			t.Fatal("an overlay over a base that makes no promise makes one")
		}
	})
}

func TestOverlayScan(t *testing.T) {
	for _, scanner := range []bool{true, false} {
		t.Run(fmt.Sprintf("base scans: %v", scanner), func(t *testing.T) {
			s := newSnap("p/a", "p/b", "p/c", "q/a")
			var base ReadTx = s
			if scanner {
				base = scanSnap{s, 1}
			}
			o := NewOverlay(base, OverlayOptions{ModRev: func() int64 { return 50 }})
			must(t, o.Put("p/0", []byte("0")))
			must(t, o.Put("p/b", []byte("b2")))
			must(t, o.Delete("p/c"))
			must(t, o.Put("p/d", []byte("d")))
			var got []string
			must(t, o.Scan("p/", func(k, v []byte, c, m int64) error {
				got = append(got, fmt.Sprintf("%s=%s@%d/%d", k, v, c, m))
				return nil
			}))
			want := []string{"p/0=0@50/50", "p/a=p/a@1/2", "p/b=b2@2/50", "p/d=d@50/50"}
			if !slices.Equal(got, want) {
				t.Fatalf("Scan = %v, want %v", got, want)
			}
			stop := errors.New("stop")
			n := 0
			if err := o.Scan("p/", func(k, v []byte, c, m int64) error { n++; return stop }); err != stop || n != 1 {
				t.Fatalf("Scan after fn's error: %v after %d calls", err, n)
			}
		})
	}
}

func TestOverlayMaxKeys(t *testing.T) {
	o := NewOverlay(newSnap("a"), OverlayOptions{MaxKeys: 2})
	steps := []struct {
		name    string
		write   func() error
		refused bool
	}{
		{"first key", func() error { return o.Put("a", nil) }, false},
		{"second key", func() error { return o.Delete("b") }, false},
		{"a key already written", func() error { return o.Put("b", []byte("x")) }, false},
		{"a third key", func() error { return o.Put("c", nil) }, true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			err := s.write()
			if refused := errors.Is(err, ErrTooManyOps); refused != s.refused {
				t.Fatalf("write: %v", err)
			}
			if refused := errors.Is(o.Err(), ErrTooManyOps); refused != s.refused {
				t.Fatalf("Err: %v", o.Err())
			}
		})
	}
	if _, ok := o.Buffered("c"); ok {
		t.Fatal("a refused write was buffered")
	}
}

func TestOverlayEachInWriteOrder(t *testing.T) {
	o := NewOverlay(newSnap(), OverlayOptions{ModRev: func() int64 { return 1 }})
	for _, k := range []string{"m", "a", "z", "a"} {
		must(t, o.Put(k, []byte(k)))
	}
	must(t, o.Delete("m"))
	var got []string
	must(t, o.Each(func(w Write) error {
		got = append(got, fmt.Sprintf("%s:%v", w.Key, w.Deleted))
		return nil
	}))
	if want := []string{"m:true", "a:false", "z:false"}; !slices.Equal(got, want) {
		t.Fatalf("Each = %v, want %v", got, want)
	}
}

// TestOverlayMatchesModel writes at random over a snapshot and, after each
// write, compares every List and Scan with those of a map that holds the
// same records.
func TestOverlayMatchesModel(t *testing.T) {
	keys := []string{"a", "a/1", "a/2", "a/3", "a/4", "a/5", "b", "b/1", "b/2", "c"}
	rng := rand.New(rand.NewPCG(10, 1))
	for round := range 20 {
		var stored []string
		for _, k := range keys {
			if rng.IntN(2) == 0 {
				stored = append(stored, k)
			}
		}
		o := NewOverlay(scanSnap{newSnap(stored...), 1}, OverlayOptions{ModRev: func() int64 { return 1000 }})
		model := map[string]string{}
		for _, k := range stored {
			model[k] = k
		}
		for step := range 15 {
			k := keys[rng.IntN(len(keys))]
			if rng.IntN(3) == 0 {
				must(t, o.Delete(k))
				delete(model, k)
			} else {
				v := fmt.Sprintf("v%d", step)
				must(t, o.Put(k, []byte(v)))
				model[k] = v
			}
			for _, prefix := range []string{"", "a/", "b/", "c"} {
				for _, after := range append([]string{""}, keys...) {
					for limit := range 5 {
						want := []string{}
						for _, mk := range slices.Sorted(maps.Keys(model)) {
							if strings.HasPrefix(mk, prefix) && mk > after && (limit == 0 || len(want) < limit) {
								want = append(want, mk+"="+model[mk])
							}
						}
						kvs, err := o.List(prefix, after, limit)
						must(t, err)
						got := []string{}
						for _, kv := range kvs {
							got = append(got, kv.Key+"="+string(kv.Value))
						}
						if !slices.Equal(got, want) {
							t.Fatalf("round %d step %d: List(%q, %q, %d) = %v, want %v", round, step, prefix, after, limit, got, want)
						}
						if after != "" || limit != 0 {
							continue
						}
						got = got[:0]
						must(t, o.Scan(prefix, func(k, v []byte, _, _ int64) error {
							got = append(got, string(k)+"="+string(v))
							return nil
						}))
						if !slices.Equal(got, want) {
							t.Fatalf("round %d step %d: Scan(%q) = %v, want %v", round, step, prefix, got, want)
						}
					}
				}
			}
		}
	}
}

// TestOverlayGuard: once the guard fails, every read and write fails with
// its error, a buffered key's read too (which the base never sees).
func TestOverlayGuard(t *testing.T) {
	errDone := errors.New("done")
	done := false
	o := NewOverlay(scanSnap{newSnap("a"), 1}, OverlayOptions{Guard: func() error {
		if done {
			return errDone
		}
		return nil
	}})
	must(t, o.Put("b", []byte("b")))
	done = true
	calls := []struct {
		name string
		call func() error
	}{
		{"Get of a buffered key", func() error { _, _, err := o.Get("b"); return err }},
		{"Get of a stored key", func() error { _, _, err := o.Get("a"); return err }},
		{"List", func() error { _, err := o.List("", "", 0); return err }},
		{"Scan", func() error { return o.Scan("", func([]byte, []byte, int64, int64) error { return nil }) }},
		{"Put", func() error { return o.Put("c", nil) }},
		{"Delete", func() error { return o.Delete("a") }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); !errors.Is(err, errDone) {
				t.Fatalf("%s = %v, want the guard's error", c.name, err)
			}
		})
	}
}

package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/store"
)

// TestRehearsalOverlay checks the rehearsal's overlay over a bbolt
// snapshot (store.Overlay has the cases).
func TestRehearsalOverlay(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		for _, k := range []string{"p/a", "p/b", "p/c", "p/d", "q/a"} {
			if err := tx.Put(k, []byte(k)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err := db.View(ctx, func(tx store.ReadTx) error {
		ov := rehearsal(tx)
		if ov.Wrote() {
			t.Error("a new overlay wrote")
		}
		_ = ov.Put("p/bb", []byte("new"))
		_ = ov.Delete("p/c")
		_ = ov.Put("q/b", nil)
		tests := []struct {
			name         string
			prefix, from string
			limit        int
			want         []string
		}{
			{"all, merged", "p/", "", 0, []string{"p/a", "p/b", "p/bb", "p/d"}},
			{"first two", "p/", "", 2, []string{"p/a", "p/b"}},
			{"after a key, across a put and a delete", "p/", "p/b", 2, []string{"p/bb", "p/d"}},
			{"a put past a cut range is not listed early", "p/", "", 1, []string{"p/a"}},
			{"another prefix", "q/", "", 0, []string{"q/a", "q/b"}},
			{"no writes under the prefix", "x/", "", 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				kvs, err := ov.List(tt.prefix, tt.from, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, kv := range kvs {
					got = append(got, kv.Key)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("List = %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("get sees the writes", func(t *testing.T) {
			if _, ok, _ := ov.Get("p/c"); ok {
				t.Error("a deleted key is still there")
			}
			if kv, ok, _ := ov.Get("p/bb"); !ok || string(kv.Value) != "new" || kv.ModRev >= 0 {
				t.Errorf("a put key: %+v %v", kv, ok)
			}
			if kv, ok, _ := ov.Get("p/a"); !ok || kv.ModRev <= 0 {
				t.Errorf("an untouched key: %+v %v", kv, ok)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing reached the store.
	_ = db.View(ctx, func(tx store.ReadTx) error {
		if _, ok, _ := tx.Get("p/bb"); ok {
			t.Error("an overlay's write reached the store")
		}
		return nil
	})
}

// TestRehearse checks when Rehearse commits and how often it plans again.
func TestRehearse(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		writes     bool
		conflicts  int // commits that report a conflict before one works
		rehearsals int
		updates    int
	}{
		{"nothing to write: no write transaction", false, 0, 1, 0},
		{"committed at once", true, 0, 1, 1},
		{"planned again after a conflict", true, 2, 3, 3},
		{"both in one Update after OptimisticAttempts conflicts", true, store.OptimisticAttempts, store.OptimisticAttempts + 1, store.OptimisticAttempts + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openBoundDB(t)
			rehearsals, commits := 0, 0
			rehearse := func(tx store.Tx) (int, error) {
				rehearsals++
				if tt.writes {
					return rehearsals, tx.Put("k", []byte("v"))
				}
				return rehearsals, nil
			}
			commit := func(tx store.Tx, n int) error {
				if n != rehearsals {
					return fmt.Errorf("commit of rehearsal %d after %d", n, rehearsals)
				}
				if commits++; commits <= tt.conflicts {
					return fmt.Errorf("%w: test", store.ErrConflict)
				}
				return tx.Put("k", []byte("v"))
			}
			if err := Rehearse(ctx, db, rehearse, commit); err != nil {
				t.Fatal(err)
			}
			if _, updates := db.maxWritten(); rehearsals != tt.rehearsals || updates != tt.updates {
				t.Fatalf("%d rehearsals, %d updates; want %d, %d", rehearsals, updates, tt.rehearsals, tt.updates)
			}
		})
	}
}

func TestPlacementsReplay(t *testing.T) {
	db := openTestDB(t)
	l := &Launch{Scope: testScope, Cluster: testCluster, Count: 1, Group: "service:web"}
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		rec := &Placements{}
		_, placeErr := rec.Place(tx, l, nil, testNow) // no instances: an InvalidError
		var inv *InvalidError
		if !errors.As(placeErr, &inv) || len(rec.List) != 1 {
			t.Fatalf("rehearsal: %v, %d recorded", placeErr, len(rec.List))
		}
		t.Run("the same request gets the same answer", func(t *testing.T) {
			ps := &Placements{Replay: true, List: rec.List}
			if _, err := ps.Place(tx, l, nil, testNow); !errors.As(err, &inv) || ps.Unused() != nil {
				t.Fatalf("replay: %v, unused %v", err, ps.Unused())
			}
		})
		t.Run("another request conflicts", func(t *testing.T) {
			ps := &Placements{Replay: true, List: rec.List}
			other := *l
			other.Count = 2
			if _, err := ps.Place(tx, &other, nil, testNow); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("replay: %v", err)
			}
		})
		t.Run("a placement not asked for conflicts", func(t *testing.T) {
			ps := &Placements{Replay: true, List: rec.List}
			if err := ps.Unused(); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("unused: %v", err)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBudget(t *testing.T) {
	db := openTestDB(t)
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		b := NewBudget(rehearsal(tx))
		steps := []struct {
			name  string
			write func() error
			left  int
		}{
			{"nothing written", func() error { return nil }, TxnKeys},
			{"a put", func() error { return b.Put("a", nil) }, TxnKeys - 1},
			{"the same key again", func() error { return b.Put("a", []byte("x")) }, TxnKeys - 1},
			{"a delete", func() error { return b.Delete("b") }, TxnKeys - 2},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				if err := s.write(); err != nil {
					t.Fatal(err)
				}
				if b.Left() != s.left || !b.Room(s.left) || b.Room(s.left+1) {
					t.Fatalf("left %d, want %d", b.Left(), s.left)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

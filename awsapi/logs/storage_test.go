package logs

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func openTestDB(t testing.TB) store.Backend {
	t.Helper()
	db := testdb.Bolt(t, bolt.Options{History: 1})
	return db
}

func TestChunkRoundTrip(t *testing.T) {
	evs := []event{
		{ts: 5, seq: 9, ingest: 100, msg: "a"},
		{ts: 5, seq: 3, ingest: 90, msg: ""},
		{ts: 1 << 40, seq: 10, ingest: 80, msg: "héllo\nworld"},
	}
	b := encodeChunk(evs)
	got, err := decodeChunk(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, evs) {
		t.Fatalf("got %+v", got)
	}
	tail, err := decodeChunkFrom(b, pos{5, 4})
	if err != nil || !slices.Equal(tail, []event{evs[0], evs[2]}) {
		t.Fatalf("from (5,4): %+v %v", tail, err)
	}
	if none, err := decodeChunkFrom(b, posEnd); err != nil || len(none) != 0 {
		t.Fatalf("from the end: %+v %v", none, err)
	}
	n, bytes, err := chunkStats(b)
	if err != nil || n != 3 || bytes != int64(len("a")+len("héllo\nworld")) {
		t.Fatalf("stats %d %d %v", n, bytes, err)
	}
	for _, bad := range [][]byte{nil, {9}, b[:len(b)-1], {chunkVersion, 0xff}} {
		if _, err := decodeChunk(bad); err == nil {
			t.Fatalf("decoded %v", bad)
		}
	}
}

// TestInsertAndRead inserts random batches, most in order and some
// reaching back in time, and checks every read against a plain sorted
// list: forward from random boundaries, backward to random boundaries, and
// that chunks never overlap.
func TestInsertAndRead(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	prefix := eventsPrefix(1, 2)
	s := streamRec{ID: 2, NextSeq: 1}
	var model []event
	clock := int64(1_000_000)
	for batch := range 300 {
		n := 1 + rng.IntN(40)
		start := clock
		if batch%7 == 3 { // a late batch
			start = clock - int64(rng.IntN(3000))
		}
		var evs []event
		ts := start
		for range n {
			ts += int64(rng.IntN(3)) // repeated timestamps too
			evs = append(evs, event{ts: ts, seq: s.NextSeq, ingest: int64(batch), msg: fmt.Sprintf("b%d-%d", batch, s.NextSeq)})
			s.NextSeq++
		}
		clock = max(clock, ts)
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			_, err := insertEvents(tx, prefix, &s, evs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		model = append(model, evs...)
	}
	sortEvents(model)
	if s.Events != int64(len(model)) || s.FirstEvent != model[0].ts || s.LastEvent != model[len(model)-1].ts {
		t.Fatalf("stream figures %+v", s)
	}

	err := db.View(ctx, func(tx store.ReadTx) error {
		// Chunks are disjoint and keyed by their last event.
		kvs, err := tx.List(prefix, "", 0)
		if err != nil {
			return err
		}
		var prev *event
		for _, kv := range kvs {
			evs, err := decodeChunk(kv.Value)
			if err != nil {
				return err
			}
			if kv.Key != chunkKey(prefix, evs[len(evs)-1].pos()) {
				t.Fatalf("chunk %s holds up to %+v", kv.Key, evs[len(evs)-1])
			}
			for i := range evs {
				if prev != nil && !prev.pos().less(evs[i].pos()) {
					t.Fatalf("%+v after %+v", evs[i], *prev)
				}
				prev = &evs[i]
			}
		}
		all, err := readForward(tx, prefix, pos{}, 0, math.MaxInt64, len(model)+1)
		if err != nil {
			return err
		}
		if !slices.Equal(all, model) {
			t.Fatalf("forward read differs: %d events, want %d", len(all), len(model))
		}
		for range 200 {
			at := model[rng.IntN(len(model))].pos()
			limit := 1 + rng.IntN(50)
			start := int64(0)
			if rng.IntN(2) == 0 {
				start = at.ts - int64(rng.IntN(200))
			}
			i, _ := slices.BinarySearchFunc(model, at, func(e event, p pos) int { return cmpPos(e.pos(), p) })
			fwd, err := readForward(tx, prefix, at, start, math.MaxInt64, limit)
			if err != nil {
				return err
			}
			if want := model[i:min(len(model), i+limit)]; !slices.Equal(fwd, want) {
				t.Fatalf("forward from %+v: %d events, want %d", at, len(fwd), len(want))
			}
			back, err := readBackward(tx, prefix, s, at, start, math.MaxInt64, limit)
			if err != nil {
				return err
			}
			lo := i
			for lo > 0 && i-lo < limit && model[lo-1].ts >= start {
				lo--
			}
			if want := model[lo:i]; !slices.Equal(back, want) {
				t.Fatalf("backward to %+v (start %d, limit %d): %d events, want %d", at, start, limit, len(back), len(want))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func cmpPos(a, b pos) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

func sortEvents(evs []event) {
	slices.SortFunc(evs, func(x, y event) int { return cmpPos(x.pos(), y.pos()) })
}

func TestExpireChunks(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	g := groupRec{ID: 1, Name: "g", RetentionInDays: 1}
	s := streamRec{ID: 2, Name: "s", NextSeq: 1}
	prefix := eventsPrefix(g.ID, s.ID)
	var added int64
	_, err := db.Update(ctx, func(tx store.Tx) error {
		for b := range 5 { // chunks of ts [100b, 100b+9]
			var evs []event
			for i := range 10 {
				evs = append(evs, event{ts: int64(100*b + i), seq: s.NextSeq, msg: "x"})
				s.NextSeq++
			}
			n, err := insertEvents(tx, prefix, &s, evs)
			if err != nil {
				return err
			}
			added += n
		}
		g.StoredBytes = added
		if err := store.Put(tx, "g/a/r/g", g); err != nil {
			return err
		}
		return store.Put(tx, streamKey(g.ID, s.Name), s)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Update(ctx, func(tx store.Tx) error {
		more, err := expireChunks(tx, "g/a/r/g", g.ID, s.Name, 205) // two chunks and half of one go
		if more {
			t.Error("more after a complete pass")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx store.ReadTx) error {
		got, _, err := store.Get[streamRec](tx, streamKey(g.ID, s.Name))
		if err != nil {
			return err
		}
		gg, _, err := store.Get[groupRec](tx, "g/a/r/g")
		if err != nil {
			return err
		}
		if got.Events != 25 || got.StoredBytes != 25 || got.FirstEvent != 205 || gg.StoredBytes != 25 {
			t.Fatalf("after expiry: stream %+v group %+v", got, gg)
		}
		evs, err := readForward(tx, prefix, pos{}, 0, math.MaxInt64, 100)
		if err != nil {
			return err
		}
		if len(evs) != 25 || evs[0].ts != 205 {
			t.Fatalf("left %d events from %d", len(evs), evs[0].ts)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

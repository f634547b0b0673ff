package bolt

import (
	"errors"
	"testing"

	"github.com/wharfhq/wharf/store"
)

func TestRecordRoundTrip(t *testing.T) {
	b := encodeRecord(3, 9, []byte("hello"))
	kv, err := decodeRecord("k", b)
	if err != nil {
		t.Fatal(err)
	}
	if kv.Key != "k" || string(kv.Value) != "hello" || kv.CreateRev != 3 || kv.ModRev != 9 {
		t.Fatalf("decoded %+v", kv)
	}
	b[headerLen] = 'X'
	if string(kv.Value) != "hello" {
		t.Fatal("decoded value aliases the stored bytes")
	}
	for _, bad := range [][]byte{nil, b[:headerLen-1], append([]byte{9}, b[1:]...)} {
		if _, err := decodeRecord("k", bad); !errors.Is(err, errCorrupt) {
			t.Errorf("decodeRecord(%x) = %v, want errCorrupt", bad, err)
		}
	}
}

func TestEventsRoundTripAndFilter(t *testing.T) {
	in := []store.Event{
		{Type: store.EventPut, Rev: 7, KV: store.KV{Key: "a/1", Value: []byte("v1"), CreateRev: 2, ModRev: 7}},
		{Type: store.EventDelete, Rev: 7, KV: store.KV{Key: "b/1", Value: []byte("old"), CreateRev: 5, ModRev: 7}},
		{Type: store.EventPut, Rev: 7, KV: store.KV{Key: "a/2", Value: nil, CreateRev: 7, ModRev: 7}},
	}
	b := encodeEvents(in)
	all, err := decodeEvents(nil, 7, b, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("decoded %d events, want 3", len(all))
	}
	for i := range in {
		g, w := all[i], in[i]
		if g.Type != w.Type || g.Rev != w.Rev || g.KV.Key != w.KV.Key || string(g.KV.Value) != string(w.KV.Value) ||
			g.KV.CreateRev != w.KV.CreateRev || g.KV.ModRev != w.KV.ModRev {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
	only, err := decodeEvents(nil, 7, b, "a/")
	if err != nil || len(only) != 2 || only[0].KV.Key != "a/1" || only[1].KV.Key != "a/2" {
		t.Fatalf("filtered = %+v, %v", only, err)
	}
	for cut := range len(b) {
		if _, err := decodeEvents(nil, 7, b[:cut], ""); !errors.Is(err, errCorrupt) {
			t.Fatalf("truncated to %d bytes: %v, want errCorrupt", cut, err)
		}
	}
}

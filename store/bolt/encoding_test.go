package bolt

import (
	"errors"
	"fmt"
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
	for _, enc := range []struct {
		name   string
		encode func([]store.Event) []byte
	}{
		{"S2-compressed, as written now", encodeEvents},
		{"format 1, as older files hold it", encodeEventsRaw},
	} {
		t.Run(enc.name, func(t *testing.T) {
			b := enc.encode(in)
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
		})
	}
}

// TestEventsCompress checks that a log entry of JSON records, what the
// log holds, is stored in well under half its size.
func TestEventsCompress(t *testing.T) {
	var in []store.Event
	for i := range 10 {
		v := fmt.Sprintf(`{"v":3,"arn":"arn:aws:ecs:us-east-1:000000000000:task/c/%032x","lastStatus":"PROVISIONING","desiredStatus":"RUNNING","containers":[{"name":"web","image":"wharf-test/app"}]}`, i)
		in = append(in, store.Event{Type: store.EventPut, Rev: 9, KV: store.KV{Key: fmt.Sprintf("ecs/t/%d", i), Value: []byte(v), CreateRev: 9, ModRev: 9}})
	}
	raw, packed := len(encodeEventsRaw(in)), len(encodeEvents(in))
	if packed*2 > raw {
		t.Fatalf("compressed entry %d bytes, raw %d: want less than half", packed, raw)
	}
}

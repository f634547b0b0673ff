package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// memTx is a minimal in-memory Tx so the typed helpers are tested without
// depending on a backend package.
type memTx struct {
	data    map[string][]byte
	listErr error
}

func newMemTx() *memTx { return &memTx{data: map[string][]byte{}} }

func (m *memTx) Get(key string) (KV, bool, error) {
	v, ok := m.data[key]
	if !ok {
		return KV{}, false, nil
	}
	return KV{Key: key, Value: v}, true, nil
}

func (m *memTx) List(prefix, after string, limit int) ([]KV, error) {
	if m.listErr != nil {
		return nil, m.listErr
	}
	keys := make([]string, 0, len(m.data))
	for k := range m.data {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []KV
	for _, k := range keys {
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, KV{Key: k, Value: m.data[k]})
	}
	return out, nil
}

func (m *memTx) Rev() int64 { return 0 }

func (m *memTx) Put(key string, value []byte) error {
	m.data[key] = value
	return nil
}

func (m *memTx) Delete(key string) error {
	delete(m.data, key)
	return nil
}

type cluster struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

func TestPutGetRoundTrip(t *testing.T) {
	tx := newMemTx()
	want := cluster{Name: "c1", Status: "ACTIVE"}
	if err := Put(tx, "clusters/c1", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Get[cluster](tx, "clusters/c1")
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v, %v", got, ok, err)
	}
	if got != want {
		t.Fatalf("Get = %+v, want %+v", got, want)
	}
	if !json.Valid(tx.data["clusters/c1"]) {
		t.Fatalf("stored value is not JSON: %q", tx.data["clusters/c1"])
	}
}

func TestGetMissing(t *testing.T) {
	got, ok, err := Get[cluster](newMemTx(), "clusters/none")
	if err != nil || ok || got != (cluster{}) {
		t.Fatalf("Get missing = %+v, %v, %v", got, ok, err)
	}
}

func TestGetDecodeErrorNamesKey(t *testing.T) {
	tx := newMemTx()
	tx.data["clusters/bad"] = []byte("{not json")
	_, ok, err := Get[cluster](tx, "clusters/bad")
	if err == nil || ok {
		t.Fatalf("Get bad = %v, %v; want error", ok, err)
	}
	if !strings.Contains(err.Error(), "store: decode clusters/bad:") {
		t.Fatalf("error %q does not name the key", err)
	}
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		t.Fatalf("error %v does not wrap the JSON error", err)
	}
}

func TestPutEncodeError(t *testing.T) {
	err := Put(newMemTx(), "clusters/nan", math.NaN())
	if err == nil || !strings.Contains(err.Error(), "store: encode clusters/nan:") {
		t.Fatalf("Put NaN = %v; want encode error naming the key", err)
	}
}

func fill(t *testing.T, tx *memTx, n int) {
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("c%02d", i)
		if err := Put(tx, "clusters/"+name, cluster{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	// Neighbours that must not leak into prefix queries.
	tx.data["clustersX"] = []byte(`{"name":"x"}`)
	tx.data["services/s"] = []byte(`{"name":"s"}`)
}

func names(cs []cluster) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func TestList(t *testing.T) {
	tx := newMemTx()
	fill(t, tx, 5)
	got, err := List[cluster](tx, "clusters/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c00", "c01", "c02", "c03", "c04"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("List = %v, want %v", names(got), want)
	}
	empty, err := List[cluster](tx, "nothing/")
	if err != nil || len(empty) != 0 {
		t.Fatalf("List empty = %v, %v", empty, err)
	}
}

func TestListErrors(t *testing.T) {
	tx := newMemTx()
	tx.data["clusters/bad"] = []byte("nope")
	if _, err := List[cluster](tx, "clusters/"); err == nil || !strings.Contains(err.Error(), "clusters/bad") {
		t.Fatalf("List bad = %v; want decode error naming the key", err)
	}
	boom := errors.New("boom")
	tx.listErr = boom
	if _, err := List[cluster](tx, "clusters/"); !errors.Is(err, boom) {
		t.Fatalf("List = %v; want backend error", err)
	}
	if _, _, err := Page[cluster](tx, "clusters/", "", 2); !errors.Is(err, boom) {
		t.Fatalf("Page = %v; want backend error", err)
	}
}

func TestPageWalk(t *testing.T) {
	tx := newMemTx()
	fill(t, tx, 7)
	var all []string
	var pages int
	after := ""
	for {
		items, last, err := Page[cluster](tx, "clusters/", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, names(items)...)
		if last == "" {
			break
		}
		if len(items) != 3 {
			t.Fatalf("non-final page has %d items", len(items))
		}
		if want := "clusters/" + items[len(items)-1].Name; last != want {
			t.Fatalf("lastKey = %q, want %q", last, want)
		}
		after = last
	}
	want := []string{"c00", "c01", "c02", "c03", "c04", "c05", "c06"}
	if !slices.Equal(all, want) || pages != 3 {
		t.Fatalf("walked %v in %d pages, want %v in 3", all, pages, want)
	}
}

func TestPageExactMultipleHasNoDanglingCursor(t *testing.T) {
	tx := newMemTx()
	fill(t, tx, 6)
	items, last, err := Page[cluster](tx, "clusters/", "", 3)
	if err != nil || len(items) != 3 || last != "clusters/c02" {
		t.Fatalf("page 1 = %v, %q, %v", names(items), last, err)
	}
	items, last, err = Page[cluster](tx, "clusters/", last, 3)
	if err != nil || len(items) != 3 || last != "" {
		t.Fatalf("page 2 = %v, %q, %v; want 3 items and no cursor", names(items), last, err)
	}
}

func TestPageNoLimit(t *testing.T) {
	tx := newMemTx()
	fill(t, tx, 4)
	items, last, err := Page[cluster](tx, "clusters/", "clusters/c01", 0)
	if err != nil || last != "" {
		t.Fatalf("Page = %v, %q, %v", names(items), last, err)
	}
	if want := []string{"c02", "c03"}; !slices.Equal(names(items), want) {
		t.Fatalf("Page = %v, want %v", names(items), want)
	}
}

func TestPageDecodeError(t *testing.T) {
	tx := newMemTx()
	fill(t, tx, 2)
	tx.data["clusters/c00"] = []byte("[")
	if _, _, err := Page[cluster](tx, "clusters/", "", 1); err == nil || !strings.Contains(err.Error(), "store: decode clusters/c00:") {
		t.Fatalf("Page = %v; want decode error naming the key", err)
	}
}

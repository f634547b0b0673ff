package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestServiceKeys checks which services the scheduler queues for a store
// event, and that a resync lists the services of ACTIVE clusters only.
func TestServiceKeys(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	ctx := context.Background()
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		for _, k := range []string{state.ServiceKey(sc, "c", "web"), state.ServiceKey(sc, "c", "api"), state.ServiceKey(sc, "gone", "old")} {
			if err := tx.Put(k, []byte(`{}`)); err != nil {
				return err
			}
		}
		return tx.Put(state.ActiveClusterKey(sc.ClusterARN("c")), []byte(`{}`))
	}); err != nil {
		t.Fatal(err)
	}
	c := New(db, slog.New(slog.DiscardHandler), 0)
	task := func(group string) []byte {
		b, _ := json.Marshal(model.TaskRecord{Task: ecstypes.Task{Group: &group}})
		return b
	}
	tests := []struct {
		name string
		key  string
		val  []byte
		want []string
	}{
		{"a service", state.ServiceKey(sc, "c", "web"), nil, []string{state.ServiceKey(sc, "c", "web")}},
		{"a service's task", state.TaskKey(sc, "c", "t1"), task("service:web"), []string{state.ServiceKey(sc, "c", "web")}},
		{"a standalone task", state.TaskKey(sc, "c", "t2"), task("family:app"), nil},
		{"an undecodable task", state.TaskKey(sc, "c", "t3"), []byte("{"), nil},
		{"an instance concerns its cluster's services", state.InstanceKey(sc, "c", "i1"), nil,
			[]string{state.ServiceKey(sc, "c", "api"), state.ServiceKey(sc, "c", "web")}},
		{"another record", state.ClusterKey(sc, "c"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.servicesOf(ctx, store.Event{Type: store.EventPut, KV: store.KV{Key: tt.key, Value: tt.val}})
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("servicesOf = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	t.Run("resync lists active clusters' services", func(t *testing.T) {
		var got []string
		err := db.View(ctx, func(tx store.ReadTx) error {
			var err error
			got, err = c.services(tx)
			return err
		})
		want := []string{state.ServiceKey(sc, "c", "api"), state.ServiceKey(sc, "c", "web")}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("services = %v, %v; want %v", got, err, want)
		}
	})
}

package state

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// UpdateService is one reconcile pass over the service at key
// (ecs/ACCOUNT/REGION/services/CLUSTER/NAME), in one transaction: fn reads
// and changes the record (and anything else in tx), and the record is
// written back only if fn changed it, so a pass with nothing to do writes
// nothing. A missing service, or a key of another shape, is no work.
func UpdateService(ctx context.Context, db store.Backend, key string, fn func(tx store.Tx, sc model.Scope, cluster string, rec *model.ServiceRecord) error) error {
	_, err := db.Update(ctx, func(tx store.Tx) error { return UpdateServiceIn(tx, key, fn) })
	return err
}

// UpdateServiceIn is UpdateService in the caller's transaction (an
// Overlay's, to rehearse a pass).
func UpdateServiceIn(tx store.Tx, key string, fn func(tx store.Tx, sc model.Scope, cluster string, rec *model.ServiceRecord) error) error {
	parts := strings.Split(key, "/")
	if len(parts) != 6 {
		return nil
	}
	sc := model.Scope{Account: parts[1], Region: parts[2]}
	cluster := parts[4]
	rec, ok, err := store.Get[model.ServiceRecord](tx, key)
	if err != nil || !ok {
		return err
	}
	before, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := fn(tx, sc, cluster, &rec); err != nil {
		return err
	}
	after, err := json.Marshal(rec)
	if err != nil || string(before) == string(after) {
		return err
	}
	return store.Put(tx, key, rec)
}

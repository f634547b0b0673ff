package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// BuildIndexes indexes a store written before the indexes existed (or
// with another index layout), once: at open, before anything serves.
// Afterwards PutTask and DeleteTask keep them exact, so readers never fall
// back to a scan. It reports whether it had work to do.
func BuildIndexes(ctx context.Context, db store.Backend) (bool, error) {
	built := false
	_, err := db.Update(ctx, func(tx store.Tx) error {
		kv, ok, err := tx.Get(IndexVersionKey)
		if err != nil || ok && string(kv.Value) == indexVersion {
			return err
		}
		built = true
		// Start from nothing: a half-built or older layout is dropped.
		old, err := tx.List(StoppedPrefix, "", 0)
		if err != nil {
			return err
		}
		// The node assignments are kept like an index and change layout
		// with it (keyed by task ARN before version 2).
		assigned, err := tx.List(nodeTasksRoot, "", 0)
		if err != nil {
			return err
		}
		old = append(old, assigned...)
		all, err := tx.List("ecs/", "", 0)
		if err != nil {
			return err
		}
		for _, kv := range append(old, all...) {
			if isIndexKey(kv.Key) {
				if err := tx.Delete(kv.Key); err != nil {
					return err
				}
			}
		}
		for _, kv := range all {
			sc, cluster, id, ok := parseTaskKey(kv.Key)
			if !ok {
				continue
			}
			var rec model.TaskRecord
			if err := json.Unmarshal(kv.Value, &rec); err != nil {
				return fmt.Errorf("state: index %s: %w", kv.Key, err)
			}
			if err := indexTask(tx, sc, cluster, id, nil, &rec); err != nil {
				return err
			}
			// As PutTask assigns: a node keeps its tasks until they stop.
			if rec.NodeID != "" && deref(rec.Task.LastStatus) != model.TaskStopped {
				if err := tx.Put(NodeTaskKey(rec.NodeID, deref(rec.Task.TaskArn)), []byte(kv.Key)); err != nil {
					return err
				}
			}
		}
		return tx.Put(IndexVersionKey, []byte(indexVersion))
	})
	if err != nil {
		return false, fmt.Errorf("build task indexes: %w", err)
	}
	return built, nil
}

// nodeTasksRoot holds every node's task assignments (NodeTasksPrefix).
const nodeTasksRoot = "wharf/node-tasks/"

// isIndexKey reports whether key is an index entry (ecs/A/R/idx/…,
// wharf/idx/… or a node assignment), which BuildIndexes may drop and
// rebuild.
func isIndexKey(key string) bool {
	if strings.HasPrefix(key, StoppedPrefix) || strings.HasPrefix(key, nodeTasksRoot) {
		return true
	}
	p := strings.SplitN(key, "/", 5)
	return len(p) == 5 && p[0] == "ecs" && p[3] == "idx"
}

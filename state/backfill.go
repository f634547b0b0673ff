package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// BuildIndexes indexes a store written before the indexes existed (or
// with another index layout), once: at open, before anything serves.
// Afterwards PutTask and DeleteTask keep them exact, so readers never fall
// back to a scan. It reports whether it had work to do.
//
// A store holds more tasks than one transaction may write index entries
// for (etcd commits at most 128 keys), so the build runs in batches:
// first every old index entry is deleted, then the tasks are indexed a
// batch at a time in key order, and only the last transaction marks the
// store indexed (IndexVersionKey). A start interrupted half way has no
// mark, so the next one starts over from the deletion: the build is
// idempotent, and a half-built index is never read.
func BuildIndexes(ctx context.Context, db store.Backend) (bool, error) {
	var current bool
	if err := db.View(ctx, func(tx store.ReadTx) error {
		kv, ok, err := tx.Get(IndexVersionKey)
		current = ok && string(kv.Value) == indexVersion
		return err
	}); err != nil {
		return false, fmt.Errorf("build task indexes: %w", err)
	}
	if current {
		return false, nil
	}
	// Start from nothing: a half-built or older layout is dropped. The
	// node assignments are kept like an index and change layout with it
	// (keyed by task ARN before version 2).
	for _, prefix := range []string{StoppedPrefix, nodeTasksRoot, "ecs/"} {
		if err := dropIndexes(ctx, db, prefix); err != nil {
			return false, fmt.Errorf("build task indexes: drop the old ones: %w", err)
		}
	}
	if err := indexTasks(ctx, db); err != nil {
		return false, fmt.Errorf("build task indexes: %w", err)
	}
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		return tx.Put(IndexVersionKey, []byte(indexVersion))
	}); err != nil {
		return false, fmt.Errorf("build task indexes: mark them built: %w", err)
	}
	return true, nil
}

const (
	// indexBatchKeys is how many keys one transaction of the build writes
	// before it commits, at most: under etcd's 128, less the most one
	// task adds (indexKeysPerTask), so the task that crosses it still fits.
	indexBatchKeys = 100
	// indexKeysPerTask is the most keys indexing one task writes: its
	// group and instance entries, its instance's usage, its cluster's
	// counts, its stopped entry and its node assignment.
	indexKeysPerTask = 6
	// indexScan is how many records a build transaction lists at a time.
	indexScan = 256
)

// dropIndexes deletes the index entries under prefix, at most
// indexBatchKeys per transaction.
func dropIndexes(ctx context.Context, db store.Backend, prefix string) error {
	return inBatches(ctx, db, prefix, 1, func(tx store.Tx, kv store.KV) error {
		if !isIndexKey(kv.Key) {
			return nil
		}
		return tx.Delete(kv.Key)
	})
}

// indexTasks writes every task's index entries and node assignment,
// batch by batch, in task key order.
func indexTasks(ctx context.Context, db store.Backend) error {
	return inBatches(ctx, db, "ecs/", indexKeysPerTask, indexOne)
}

// inBatches calls visit on every record under prefix, in key order, in
// as many transactions as it takes: each lists on from where the last
// stopped, and stops before a record when visiting it (which writes at
// most cost keys) could take its writes past indexBatchKeys.
func inBatches(ctx context.Context, db store.Backend, prefix string, cost int, visit func(tx store.Tx, kv store.KV) error) error {
	after := ""
	for done := false; !done; {
		_, err := db.Update(ctx, func(tx store.Tx) error {
			ct := NewBudget(tx) // counts the keys written
			for {
				kvs, err := tx.List(prefix, after, indexScan)
				if err != nil {
					return err
				}
				for _, kv := range kvs {
					if len(ct.keys)+cost > indexBatchKeys {
						return nil // full: the next transaction goes on from here
					}
					if err := visit(ct, kv); err != nil {
						return err
					}
					after = kv.Key
				}
				if len(kvs) < indexScan {
					done = true
					return nil
				}
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// indexOne indexes the task at kv, if kv is a task record.
func indexOne(tx store.Tx, kv store.KV) error {
	sc, cluster, id, ok := parseTaskKey(kv.Key)
	if !ok {
		return nil
	}
	var rec model.TaskRecord
	if err := json.Unmarshal(kv.Value, &rec); err != nil {
		return fmt.Errorf("state: index %s: %w", kv.Key, err)
	}
	if err := indexTask(tx, sc, cluster, id, nil, &rec); err != nil {
		return err
	}
	// As PutTask assigns: a node keeps its tasks until they stop.
	if rec.NodeID != "" && shape.Deref(rec.Task.LastStatus) != model.TaskStopped {
		return tx.Put(NodeTaskKey(rec.NodeID, shape.Deref(rec.Task.TaskArn)), []byte(kv.Key))
	}
	return nil
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

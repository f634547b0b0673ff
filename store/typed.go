package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// The helpers below are the only place that knows records are JSON. API
// packages read and write Go structs through them so that the encoding (and
// the error messages naming the offending key) stay uniform across the
// codebase and a backend never has to understand record contents.

// Get reads the record at key and JSON-decodes it into a T. ok is false (and
// err nil) when there is no record. A record that does not decode is an
// error naming the key, never a silent zero value.
func Get[T any](tx ReadTx, key string) (v T, ok bool, err error) {
	kv, ok, err := tx.Get(key)
	if err != nil || !ok {
		return v, false, err
	}
	if err := json.Unmarshal(kv.Value, &v); err != nil {
		var zero T
		return zero, false, fmt.Errorf("store: decode %s: %w", key, err)
	}
	return v, true, nil
}

// Put JSON-encodes v and writes it at key.
func Put(tx Tx, key string, v any) error {
	var b []byte
	var err error
	if m, ok := v.(json.Marshaler); ok {
		// A record with an encoder of its own (the versioned stored forms in
		// model) is trusted to write valid JSON: json.Marshal would parse
		// and compact the whole output again, which costs more than the
		// encoding for a service record.
		b, err = m.MarshalJSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", key, err)
	}
	return tx.Put(key, b)
}

// List returns every record under prefix, decoded, in key order.
func List[T any](tx ReadTx, prefix string) ([]T, error) {
	kvs, err := tx.List(prefix, "", 0)
	if err != nil {
		return nil, err
	}
	return decodeAll[T](kvs)
}

// DeleteBatch is the most keys DeleteWhere deletes in one transaction:
// under etcd's default bound of 128 keys written per transaction
// (ErrTooManyOps), with room to spare.
const DeleteBatch = 100

// deleteScan is how many records DeleteWhere reads per snapshot while it
// looks for what to drop.
const deleteScan = 1000

// DeleteWhere deletes every record under prefix that drop says must go
// (expired keys and sessions, say), in transactions of at most
// DeleteBatch keys: a purge of thousands of records never exceeds a
// backend's per-transaction bound, and never holds the write lock while
// it reads the whole prefix. The records are found on snapshots; each
// batch re-reads its records and deletes only those drop still says must
// go, so a record refreshed in between is kept. It is not atomic: a purge
// stopped half way leaves the rest for the next call.
func DeleteWhere[T any](ctx context.Context, db Backend, prefix string, drop func(T) bool) error {
	return purge(ctx, db, prefix,
		func(kv KV) (bool, error) { return dropped(kv, drop) },
		func(ctx context.Context, keys []string) error { return deleteStill(ctx, db, keys, drop) })
}

// deleteStill deletes those of keys whose current record drop still
// says must go, in one transaction.
func deleteStill[T any](ctx context.Context, db Backend, keys []string, drop func(T) bool) error {
	_, err := db.Update(ctx, func(tx Tx) error {
		for _, k := range keys {
			kv, ok, err := tx.Get(k)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			gone, err := dropped(kv, drop)
			if err != nil {
				return err
			}
			if gone {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return err
}

func dropped[T any](kv KV, drop func(T) bool) (bool, error) {
	var v T
	if err := json.Unmarshal(kv.Value, &v); err != nil {
		return false, fmt.Errorf("store: decode %s: %w", kv.Key, err)
	}
	return drop(v), nil
}

// Page returns up to limit records under prefix whose keys sort after `after`
// (exclusive; "" for the first page), decoded, in key order.
//
// lastKey is the cursor for the next page: the key of the last returned item
// when more records follow, and "" when this page is the last one. Callers
// turn it into an opaque nextToken and pass it back as `after`. limit <= 0
// returns everything that is left, with lastKey "".
func Page[T any](tx ReadTx, prefix, after string, limit int) (items []T, lastKey string, err error) {
	if limit <= 0 {
		kvs, err := tx.List(prefix, after, 0)
		if err != nil {
			return nil, "", err
		}
		items, err := decodeAll[T](kvs)
		return items, "", err
	}
	// One record more than asked tells whether another page exists without
	// a second query, so a last page never hands out a dangling cursor.
	kvs, err := tx.List(prefix, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	if len(kvs) > limit {
		kvs = kvs[:limit]
		lastKey = kvs[limit-1].Key
	}
	items, err = decodeAll[T](kvs)
	if err != nil {
		return nil, "", err
	}
	return items, lastKey, nil
}

func decodeAll[T any](kvs []KV) ([]T, error) {
	out := make([]T, 0, len(kvs))
	for _, kv := range kvs {
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return nil, fmt.Errorf("store: decode %s: %w", kv.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

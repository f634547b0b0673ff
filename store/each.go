package store

// EachChunk is how many records Each reads at a time: a scan that stops
// early costs about one chunk, not the whole prefix.
const EachChunk = 256

// Each calls fn with the records under prefix whose key sorts after after
// (a full key; "" for the start), in key order, a List of EachChunk at a
// time, until fn returns false or an error.
func Each(tx ReadTx, prefix, after string, fn func(KV) (bool, error)) error {
	for {
		kvs, err := tx.List(prefix, after, EachChunk)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if more, err := fn(kv); err != nil || !more {
				return err
			}
		}
		if len(kvs) < EachChunk {
			return nil
		}
		after = kvs[len(kvs)-1].Key
	}
}

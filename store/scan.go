package store

// Scanner is what a ReadTx may offer besides List, for readers that keep
// decoded copies of many records and need to learn, on every snapshot,
// which of them changed: placement reads every container instance of a
// cluster per RunTask, and copying each value out (as List must) to find
// the few that changed cost more than the placement itself.
//
// It is optional (check with a type assertion); a reader falls back to
// List where the snapshot does not offer it.
type Scanner interface {
	// Scan calls fn for each record whose key starts with prefix, in key
	// order, without copying it: key and value are valid only until fn
	// returns, and must not be modified. An error from fn stops the scan
	// and is returned.
	Scan(prefix string, fn func(key, value []byte, createRev, modRev int64) error) error
	// Origin names the history the snapshot belongs to: two snapshots with
	// the same non-zero Origin hold the same value for a key at the same
	// ModRev, so a value decoded once may be reused by revision alone. It
	// is 0 when there is no such promise (a transaction holding writes not
	// yet committed, whose revisions may yet be rolled back and reused).
	// An Overlay that is never committed keeps its base's: each of its
	// writes has a revision that no other write reports.
	Origin() uint64
}

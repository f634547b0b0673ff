// Package etcd is the store.Backend on an etcd cluster (v3 API, etcd 3.4 and
// later), for a control plane whose state must outlive its host.
//
// Layout: under Options.Prefix (say "/wharf/"), records live at
// Prefix+"kv/"+key and the writer lock at Prefix+"lock". Several wharfs (or
// tests) can share one etcd with different prefixes; they then share its
// revision counter, so each sees gaps in its own revisions, which the
// store contract allows (a watch of one prefix sees gaps anyway).
//
// Revisions are etcd's: a View reads at one etcd revision (the first read
// fixes it, the next ones use WithRev), an Update's commit is one etcd Txn
// and returns that Txn's revision, so every key an Update writes shares one
// revision and ModRev/CreateRev are etcd's own.
//
// Writes. fn runs exactly once, never retried, so the design keeps it from
// ever needing a retry: Updates are serialised inside the process (one
// writer at a time), fn reads the latest committed state under its own
// buffered writes, and the commit is one Txn guarded by the writer lock.
// The lock is a key bound to this process's lease (a concurrency.Session);
// every commit compares its CreateRevision, so a second process on the
// same etcd and prefix cannot commit behind this one's back: Open waits
// (up to Options.LockWait) for the holder to go, then fails with ErrLocked.
// A holder whose lease expired (etcd unreachable for longer than LockTTL)
// fails its next commit with an error wrapping store.ErrConflict, writes
// nothing, and takes the lock again before the Update after. The lock
// guards reads of whole ranges too (List), which per-key compares could
// not: a key created in or deleted from a listed range would go unseen.
//
// The per-transaction bound is etcd's --max-txn-ops (128 by default):
// Options.MaxTxnOps refuses a larger fn before anything is sent, with an
// error wrapping store.ErrTooManyOps. etcd cannot put and delete one key in
// one Txn, so an fn's writes are collapsed to the last one per key: a key
// deleted and re-created in one Update keeps its CreateRev, and watchers
// see one event per key per revision.
//
// Watches are etcd watches from fromRev+1 with the previous value of
// deleted keys. The etcd client resumes a watch across a reconnection (an
// etcd restart), from the last revision it delivered. History is etcd's:
// the lock holder compacts it to the last Options.History revisions, and a
// watch from a compacted revision fails with store.ErrCompacted.
package etcd

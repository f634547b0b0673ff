// Package bolt is the single-node store.Backend: one bbolt file, fsync'ed
// before any Update returns success, so a wharf restart loses nothing it
// acknowledged.
//
// Layout (three top-level buckets):
//
//   - "kv": the records. Each value is a 17-byte header (format byte,
//     CreateRev, ModRev as big-endian int64) followed by the caller's bytes.
//     Keeping the revisions next to the value makes Get/List one lookup and
//     lets Put preserve CreateRev without a second index.
//   - "meta": the global revision, the compaction watermark (every revision
//     <= it has been dropped from the log) and the on-disk format version.
//   - "log": one entry per committed revision, keyed by the big-endian
//     revision, holding that transaction's events. Watch replays it so a
//     client that reconnects after a restart still sees every change it
//     missed, as long as it is within History revisions.
//
// Revisions are contiguous (a transaction that writes nothing does not get
// one), so compaction is a handful of point deletes of the oldest entries in
// the same write transaction, never a scan of the log.
//
// Writes. Updates are committed in groups by one writer goroutine (see
// group.go): concurrent Updates share one bbolt write transaction and one
// fsync, each fn still running once, on its caller's goroutine, with its own
// revision and events; an fn's writes are buffered until it returns nil, so
// one that fails or panics changes nothing for the others. Options.MaxTxnOps
// bounds the keys one Update may write, as etcd's --max-txn-ops does.
//
// Watches. The writer goroutine publishes a group's events to live watchers
// after bbolt committed, revision by revision, before starting the next
// group, so live delivery is in revision order and never shows uncommitted
// data. A
// watch that starts in the past first replays the log in short read
// transactions (a long-lived bbolt read transaction would stall writers that
// need to grow the mmap), sending with back-pressure on its own goroutine.
// When it has replayed everything up to the revision last published, it
// switches to live delivery under the same mutex that publishing holds, so
// the switch cannot fall between two revisions: nothing is missed, and
// events it already replayed (committed but not yet published when it read
// the log) are dropped by revision. Live delivery never blocks: a watcher
// whose buffer is full is closed with store.ErrCompacted and resyncs.
//
// Event values are shared between all watchers of a revision; treat them as
// read-only. A delete event carries the value and CreateRev the key had
// before, with ModRev set to the deleting revision (etcd also sets ModRev
// so, but zeroes CreateRev; the storetest suite does not depend on it).
package bolt

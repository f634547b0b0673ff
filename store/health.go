package store

import "context"

// Checker is what a Backend may offer to say whether it can serve now: a
// store on the other side of a network (etcd) can become unreachable
// while the process runs, and /_wharf/health must then answer 503 rather
// than 200 while every write fails. An embedded store has nothing to
// check and does not implement it.
type Checker interface {
	// Check returns nil when reads and writes can go through now, or an
	// error that says why not. It returns within ctx's deadline.
	Check(ctx context.Context) error
}

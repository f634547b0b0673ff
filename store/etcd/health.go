package etcd

import (
	"context"
	"fmt"

	"github.com/wharfhq/wharf/store"
)

var _ store.Checker = (*DB)(nil)

// Check reads the writer lock's key: etcd must answer within ctx (and at
// most RequestTimeout), and the key must still name this process. A lock
// whose lease expired while etcd was out of reach is taken again here, as
// the next Update would, so that an idle wharf does not stay unhealthy
// until something writes; a lock another process took is reported with
// its holder.
func (d *DB) Check(ctx context.Context) error {
	if d.isClosed() {
		return store.ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	defer cancel()
	// A linearizable read: a member cut off from its quorum cannot answer it,
	// just as it cannot commit a write.
	resp, err := d.cli.Get(ctx, d.lockKey)
	if err != nil {
		return fmt.Errorf("etcd %v unreachable: %w", d.opts.Endpoints, err)
	}
	if len(resp.Kvs) == 0 {
		return d.retake(ctx)
	}
	if holder := string(resp.Kvs[0].Value); holder != d.opts.Holder {
		return fmt.Errorf("etcd: %w: %s holds %s", ErrLocked, holder, d.lockKey)
	}
	return nil
}

// retake takes the writer lock again after its key went (the lease
// expired), unless an Update holds the writer slot: that Update finds the
// lock gone at its commit and takes it on the next one.
func (d *DB) retake(ctx context.Context) error {
	lost := fmt.Errorf("etcd: the writer lock %s was lost; the next write takes it again", d.lockKey)
	select {
	case d.wmu <- struct{}{}:
	default:
		return lost
	}
	defer func() { <-d.wmu }()
	if d.isClosed() {
		return store.ErrClosed
	}
	d.lockRev = 0
	if err := d.lock(ctx); err != nil {
		return fmt.Errorf("%w: %w", lost, err)
	}
	d.opts.Log.Warn("etcd: took the writer lock again", "key", d.lockKey)
	return nil
}

package etcd

import (
	"context"
	"fmt"

	"github.com/wharfhq/wharf/store"
)

var _ store.Checker = (*DB)(nil)

// Check reads the writer lock's key: etcd must answer within ctx (and at
// most RequestTimeout), and the key must still name this process. A lock
// that expired while etcd was out of reach is taken again by the next
// Update, so until then the store cannot promise a write and is reported
// unhealthy; a lock another process took is reported with its holder.
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
		return fmt.Errorf("etcd: the writer lock %s was lost; the next write takes it again", d.lockKey)
	}
	if holder := string(resp.Kvs[0].Value); holder != d.opts.Holder {
		return fmt.Errorf("etcd: %w: %s holds %s", ErrLocked, holder, d.lockKey)
	}
	return nil
}

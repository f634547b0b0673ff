package ecs

import (
	"context"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// ReapInactiveClusters forgets the clusters deleted more than retention ago
// (model.InactiveClusterExpired), in every account and region, and returns
// how many. Until then DescribeClusters still answers them as INACTIVE.
func (a *API) ReapInactiveClusters(ctx context.Context, retention time.Duration) (int, error) {
	now := a.now()
	n := 0
	_, err := a.db.Update(ctx, func(tx store.Tx) error {
		n = 0 // Update may run the function again on a conflict.
		kvs, err := tx.List(state.InactiveClustersPrefix(), "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			arn := strings.TrimPrefix(kv.Key, state.InactiveClustersPrefix())
			deletedAt, _ := time.Parse(time.RFC3339Nano, string(kv.Value))
			if !model.InactiveClusterExpired(deletedAt, now, retention) {
				continue
			}
			if err := a.forgetCluster(tx, arn); err != nil {
				return err
			}
			if err := tx.Delete(kv.Key); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// forgetCluster deletes the record of the cluster arn if it is still
// INACTIVE (it may have been created again since).
func (a *API) forgetCluster(tx store.Tx, arn string) error {
	p, ok := model.ParseARN(arn)
	name, isCluster := strings.CutPrefix(p.Resource, "cluster/")
	if !ok || !isCluster {
		return nil
	}
	key := state.ClusterKey(model.Scope{Account: p.Account, Region: p.Region}, name)
	c, found, err := store.Get[ecstypes.Cluster](tx, key)
	if err != nil || !found || derefStr(c.Status) != clusterInactive {
		return err
	}
	return tx.Delete(key)
}

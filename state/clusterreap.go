package state

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// ReapInactiveClusters forgets the clusters deleted more than retention
// before now (model.InactiveClusterExpired), in every account and region,
// and returns how many. Until then DescribeClusters still answers them as
// INACTIVE, as ECS does. It forgets at most ReapClustersBatch (two keys
// each, so that the transaction fits etcd's bound of 128 keys); the rest
// go on a later call.
func ReapInactiveClusters(tx store.Tx, now time.Time, retention time.Duration) (int, error) {
	kvs, err := tx.List(InactiveClustersPrefix(), "", 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, kv := range kvs {
		if n == ReapClustersBatch {
			break
		}
		arn := strings.TrimPrefix(kv.Key, InactiveClustersPrefix())
		deletedAt, _ := time.Parse(time.RFC3339Nano, string(kv.Value))
		if !model.InactiveClusterExpired(deletedAt, now, retention) {
			continue
		}
		if err := forgetCluster(tx, arn); err != nil {
			return 0, err
		}
		if err := tx.Delete(kv.Key); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// ReapClustersBatch is the most clusters one ReapInactiveClusters forgets.
const ReapClustersBatch = 50

// forgetCluster deletes the record of the cluster arn if it is still
// INACTIVE (it may have been created again since).
func forgetCluster(tx store.Tx, arn string) error {
	p, ok := model.ParseARN(arn)
	name, isCluster := strings.CutPrefix(p.Resource, "cluster/")
	if !ok || !isCluster {
		return nil
	}
	key := ClusterKey(model.Scope{Account: p.Account, Region: p.Region}, name)
	c, found, err := store.Get[ecstypes.Cluster](tx, key)
	if err != nil || !found || c.Status == nil || *c.Status != "INACTIVE" {
		return err
	}
	return tx.Delete(key)
}

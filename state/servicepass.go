package state

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// RehearseServicePass is RehearsePass over the one service at key, the
// shape of both schedulers' passes (the service scheduler's and the task
// sets'): pass runs on the snapshot, then in the commit, each time with
// the service's record as UpdateServiceIn reads and writes it back.
func RehearseServicePass(ctx context.Context, db store.Backend, key string,
	pass func(tx store.Tx, sc model.Scope, cluster string, rec *model.ServiceRecord, ps *Placements, quiet bool) error) error {
	return RehearsePass(ctx, db, func(tx store.Tx, ps *Placements, quiet bool) error {
		return UpdateServiceIn(tx, key, func(tx store.Tx, sc model.Scope, cluster string, rec *model.ServiceRecord) error {
			return pass(tx, sc, cluster, rec, ps, quiet)
		})
	})
}

// EachActiveCluster calls fn with the scope and name of every ACTIVE
// cluster, read through the index of active clusters: a resync that goes
// cluster by cluster reads no task and no inactive cluster.
func EachActiveCluster(tx store.ReadTx, fn func(sc model.Scope, cluster string) error) error {
	kvs, err := tx.List(ActiveClustersPrefix(), "", 0)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		a, ok := model.ParseARN(strings.TrimPrefix(kv.Key, ActiveClustersPrefix()))
		name, isCluster := strings.CutPrefix(a.Resource, "cluster/")
		if !ok || !isCluster {
			continue
		}
		if err := fn(model.Scope{Account: a.Account, Region: a.Region}, name); err != nil {
			return err
		}
	}
	return nil
}

// PassEvent prepends a service event in a pass and logs it, unless the
// pass is quiet (a rehearsal, whose events the commit says again). With
// a kind, the event is throttled: said at most once a minute per kind.
func PassEvent(rec *model.ServiceRecord, kind, msg string, now time.Time, quiet bool, log *slog.Logger) {
	if kind != "" && !EventDue(rec, kind, now) {
		return
	}
	AddServiceEvent(&rec.Service, msg, now)
	if !quiet {
		log.Info("service event", "msg", msg)
	}
}

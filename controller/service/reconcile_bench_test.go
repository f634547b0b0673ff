package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// BenchmarkReconcile measures one service pass that places ten tasks in a
// cluster of 1,000 container instances holding 100 or 10,000 other
// tasks, without HTTP or agents: the target is that the larger
// cluster costs at most twice the smaller. It prints ms per pass.
//
// The pass is rehearsed on a snapshot and committed in a short write
// transaction (state.Rehearse); in-tx-ms is how long it holds the store's
// write lock (the time inside Update, without the commit's fsync).
func BenchmarkReconcile(b *testing.B) {
	for _, nt := range []int{100, 10000} {
		b.Run(fmt.Sprintf("instances=1000/tasks=%d", nt), func(b *testing.B) {
			db, _, sc := reconcileCluster(b, 1000, nt)
			locked := &lockTimer{Backend: db}
			c := New(locked, slog.New(slog.DiscardHandler), 0)
			ctx := context.Background()
			var keys []string
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				key := addService(b, db, sc, fmt.Sprintf("svc-%d", i), 10)
				keys = append(keys, key)
				b.StartTimer()
				if err := c.reconcile(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			inTx := locked.held
			b.ReportMetric(float64(inTx.Microseconds())/1000/float64(b.N), "in-tx-ms/pass")
			// A steady pass: nothing to launch, only the counts.
			locked.held = 0
			start := time.Now()
			for _, k := range keys {
				if err := c.reconcile(ctx, k); err != nil {
					b.Fatal(err)
				}
			}
			steady := time.Since(start) / time.Duration(len(keys))
			b.ReportMetric(float64(steady.Microseconds())/1000, "steady-ms/pass")
			b.ReportMetric(float64(locked.held.Microseconds())/1000/float64(len(keys)), "steady-in-tx-ms/pass")
			fmt.Fprintf(os.Stderr, "reconcile: 1000 instances, %d tasks: launch pass %.2f ms (%.2f ms holding the write lock), steady pass %.2f ms (%.2f ms)\n",
				nt, float64(b.Elapsed().Microseconds())/1000/float64(b.N), float64(inTx.Microseconds())/1000/float64(b.N), float64(steady.Microseconds())/1000,
				float64(locked.held.Microseconds())/1000/float64(len(keys)))
		})
	}
}

// lockTimer sums the time spent inside Update's fn: the write lock's hold
// by the pass, without the commit's fsync.
type lockTimer struct {
	store.Backend
	held time.Duration
}

func (l *lockTimer) Update(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	return l.Backend.Update(ctx, func(tx store.Tx) error {
		t0 := time.Now()
		defer func() { l.held += time.Since(t0) }()
		return fn(tx)
	})
}

const benchCluster = "bench"

func benchDefinition() ecstypes.TaskDefinition {
	return ecstypes.TaskDefinition{TaskDefinitionArn: new("arn:aws:ecs:us-east-1:000000000000:task-definition/app:1"), Family: new("app"),
		Revision: 1, Status: ecstypes.TaskDefinitionStatusActive, NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: new("app"), Image: new("wharf-test/app:latest"), Cpu: 1, Memory: new(int32(6)),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: new(int32(8080))}}}}}
}

// reconcileCluster stores ni connected container instances and nt
// standalone tasks placed across them.
func reconcileCluster(b testing.TB, ni, nt int) (store.Backend, *Controller, model.Scope) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "wharf.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	c, sc := storeCluster(b, db, ni, nt)
	return db, c, sc
}

// storeCluster is reconcileCluster in db.
func storeCluster(b testing.TB, db store.Backend, ni, nt int) (*Controller, model.Scope) {
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	ctx := context.Background()
	now := time.Now()
	_, err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(state.ActiveClusterKey(sc.ClusterARN(benchCluster)), []byte(`{}`)); err != nil {
			return err
		}
		for i := range ni {
			id := fmt.Sprintf("%032x", i)
			node := fmt.Sprintf("node-%04d", i)
			attrs := []ecstypes.Attribute{{Name: new("ecs.availability-zone"), Value: new(fmt.Sprintf("us-east-1%c", 'a'+i%3))},
				{Name: new("ecs.os-type"), Value: new("linux")}, {Name: new("com.amazonaws.ecs.capability.docker-remote-api.1.18")}}
			ci := ecstypes.ContainerInstance{ContainerInstanceArn: new(sc.ARN("container-instance/" + benchCluster + "/" + id)),
				Status: new("ACTIVE"), AgentConnected: true, RegisteredAt: shape.TimeOf(now), Attributes: attrs,
				RegisteredResources: []ecstypes.Resource{
					{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: 1 << 20},
					{Name: new("MEMORY"), Type: new("INTEGER"), IntegerValue: 1 << 22},
					{Name: new("PORTS"), Type: new("STRINGSET"), StringSetValue: []string{"22"}}},
				VersionInfo: &ecstypes.VersionInfo{AgentVersion: new("1.0.0")}}
			if err := store.Put(tx, state.InstanceKey(sc, benchCluster, id), state.InstanceRecord{Instance: ci, NodeID: node}); err != nil {
				return err
			}
			if err := store.Put(tx, state.NodeKey(node), state.NodeRecord{NodeID: node, LastSeen: now.Add(time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	td := benchDefinition()
	for done := 0; done < nt; {
		_, err := db.Update(ctx, func(tx store.Tx) error {
			for range min(500, nt-done) {
				i := done % ni
				l := &state.Launch{Scope: sc, Cluster: benchCluster, Definition: td, LaunchType: ecstypes.LaunchTypeEc2, Count: 1}
				t := state.Target{Node: fmt.Sprintf("node-%04d", i), Instance: sc.ARN("container-instance/" + benchCluster + "/" + fmt.Sprintf("%032x", i))}
				if _, err := state.CreateTask(tx, l, t, now); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	c := New(db, slog.New(slog.DiscardHandler), 0)
	return c, sc
}

// addService stores a new service of desired tasks, as CreateService does.
func addService(b testing.TB, db store.Backend, sc model.Scope, name string, desired int32) string {
	key := state.ServiceKey(sc, benchCluster, name)
	now := time.Now()
	_, err := db.Update(context.Background(), func(tx store.Tx) error {
		svc := ecstypes.Service{ServiceName: new(name), ServiceArn: new(sc.ARN("service/" + benchCluster + "/" + name)),
			ClusterArn: new(sc.ClusterARN(benchCluster)), Status: new("ACTIVE"), DesiredCount: desired,
			LaunchType: ecstypes.LaunchTypeEc2, SchedulingStrategy: ecstypes.SchedulingStrategyReplica, CreatedAt: shape.TimeOf(now),
			DeploymentConfiguration: &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: new(int32(100)), MaximumPercent: new(int32(200))}}
		rec := model.ServiceRecord{}
		state.NewDeployment(&svc, &rec, benchDefinition(), now)
		rec.Service = svc
		return store.Put(tx, key, rec)
	})
	if err != nil {
		b.Fatal(err)
	}
	return key
}

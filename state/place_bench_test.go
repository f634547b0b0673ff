package state

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/store"
)

// BenchmarkPlaceCommit measures placement with its commit: one bolt
// transaction per RunTask of 10 that places the tasks across 1,000
// connected container instances (already running 2,000 tasks) and writes
// them with their indexes, as RunTask does. It prints placements/s (the
// issue's target is ≥ 5,000).
func BenchmarkPlaceCommit(b *testing.B) {
	const instances, preload, count = 1000, 2000, 10
	db := openTestDB(b)
	ctx := context.Background()
	now := time.Now()
	_, err := db.Update(ctx, func(tx store.Tx) error {
		for i := range instances {
			id := fmt.Sprintf("%032x", i)
			node := fmt.Sprintf("node-%04d", i)
			attrs := []ecstypes.Attribute{{Name: new("ecs.availability-zone"), Value: new(fmt.Sprintf("us-east-1%c", 'a'+i%3))},
				{Name: new("ecs.instance-type"), Value: new("t3.large")}, {Name: new("ecs.os-type"), Value: new("linux")}}
			for k := range 15 {
				attrs = append(attrs, ecstypes.Attribute{Name: new(fmt.Sprintf("com.amazonaws.ecs.capability.docker-remote-api.1.%d", 17+k))})
			}
			ci := ecstypes.ContainerInstance{ContainerInstanceArn: new(testScope.ARN("container-instance/" + testCluster + "/" + id)),
				Status: new("ACTIVE"), AgentConnected: true, RegisteredAt: shape.TimeOf(now), Attributes: attrs,
				RegisteredResources: []ecstypes.Resource{
					{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: 1 << 20},
					{Name: new("MEMORY"), Type: new("INTEGER"), IntegerValue: 1 << 22},
					{Name: new("PORTS"), Type: new("STRINGSET"), StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}}},
				VersionInfo: &ecstypes.VersionInfo{AgentVersion: new("1.0.0")}}
			if err := store.Put(tx, InstanceKey(testScope, testCluster, id), InstanceRecord{Instance: ci, NodeID: node}); err != nil {
				return err
			}
			if err := store.Put(tx, NodeKey(node), NodeRecord{NodeID: node, LastSeen: now.Add(time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	td := testDefinition(1, 6, 0)
	var inTx time.Duration // placing and writing, without the commit
	runTask := func() error {
		_, err := db.Update(ctx, func(tx store.Tx) error {
			t0 := time.Now()
			defer func() { inTx += time.Since(t0) }()
			l := &Launch{Scope: testScope, Cluster: testCluster, Definition: td, LaunchType: ecstypes.LaunchTypeEc2, Count: count}
			p, err := Place(tx, l, nil, now)
			if err != nil {
				return err
			}
			if len(p.Targets) != count {
				return fmt.Errorf("placed %d of %d: %v", len(p.Targets), count, p.Failures)
			}
			for _, t := range p.Targets {
				if _, err := CreateTask(tx, l, t, now); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	}
	for range preload / count {
		if err := runTask(); err != nil {
			b.Fatal(err)
		}
	}
	inTx = 0
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		if err := runTask(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	rate := float64(b.N*count) / time.Since(start).Seconds()
	txRate := float64(b.N*count) / inTx.Seconds()
	b.ReportMetric(rate, "placements/s")
	b.ReportMetric(txRate, "placements/s-before-commit")
	fmt.Fprintf(os.Stderr, "place: %d instances, %d+ tasks: %.0f placements/s (RunTask of %d, commit included); %.0f placements/s placing and writing before the commit\n",
		instances, preload, rate, count, txRate)
}

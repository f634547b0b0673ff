package state

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/store"
)

// benchInstances stores n connected container instances of the shape a
// real agent registers (18 attributes, three zones) and tasks standalone
// tasks spread over them.
func benchInstances(b *testing.B, db store.Backend, n, tasks int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	_, err := db.Update(ctx, func(tx store.Tx) error {
		for i := range n {
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
	for done := 0; done < tasks; done += 100 {
		_, err := db.Update(ctx, func(tx store.Tx) error {
			for k := range 100 {
				i := (done + k) % n
				l := &Launch{Scope: testScope, Cluster: testCluster, Definition: td, LaunchType: ecstypes.LaunchTypeEc2, Count: 1}
				t := Target{Node: fmt.Sprintf("node-%04d", i), Instance: testScope.ARN(fmt.Sprintf("container-instance/%s/%032x", testCluster, i))}
				if _, err := CreateTask(tx, l, t, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlaceOnly is placement alone, without a commit: a RunTask of 10
// across 1,000 instances on a snapshot, with 2,000 and 10,000 tasks
// stored. Its cost should not grow with the tasks.
func BenchmarkPlaceOnly(b *testing.B) {
	for _, tasks := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("tasks=%d", tasks), func(b *testing.B) {
			db := openTestDB(b)
			now := time.Now()
			benchInstances(b, db, 1000, tasks, now)
			l := &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(1, 6, 0), LaunchType: ecstypes.LaunchTypeEc2, Count: 10}
			place := func() {
				err := db.View(context.Background(), func(tx store.ReadTx) error {
					p, err := Place(tx, l, nil, now)
					if err == nil && len(p.Targets) != 10 {
						err = fmt.Errorf("placed %d", len(p.Targets))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			place() // the decode caches warm, as in a running server
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				place()
			}
			b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "placements/s")
			// The machine is shared: per CPU second of this process is the
			// steadier figure.
			b.ReportMetric(float64(b.N*10)/(cpuTime()-cpu0).Seconds(), "placements/cpu-s")
		})
	}
}

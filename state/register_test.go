package state

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

func putCluster(t *testing.T, db store.Backend, sc model.Scope, name, status string) {
	t.Helper()
	_, err := db.Update(context.Background(), func(tx store.Tx) error {
		return store.Put(tx, ClusterKey(sc, name), ecstypes.Cluster{ClusterName: new(name), ClusterArn: new(sc.ClusterARN(name)), Status: new(status)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func agentInstance(node string) ecstypes.RegisterContainerInstanceRequest {
	return ecstypes.RegisterContainerInstanceRequest{
		Attributes: []ecstypes.Attribute{{Name: new(agentproto.NodeAttribute), Value: new(node)}},
		TotalResources: []ecstypes.Resource{
			{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: 2048},
			{Name: new("MEMORY"), Type: new("INTEGER"), IntegerValue: 4096},
		},
	}
}

func TestRegisterBulk(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	putCluster(t, db, sc, "web", "ACTIVE")
	putCluster(t, db, sc, "old", "INACTIVE")
	putCluster(t, db, sc, "jobs", "ACTIVE")

	// First registration: new instances, the node's heartbeat written.
	first, err := RegisterBulk(ctx, db, "n1", "us-east-1", agentInstance("n1"),
		[]agentproto.RegisterCluster{{ClusterARN: sc.ClusterARN("web")}, {ClusterARN: sc.ClusterARN("jobs")}}, now)
	if err != nil {
		t.Fatal(err)
	}
	webARN := first[0].ContainerInstanceARN
	if len(first) != 2 || webARN == "" || first[1].ContainerInstanceARN == "" {
		t.Fatalf("first registration: %+v", first)
	}

	// Delete the jobs instance: re-registering there gets a new one.
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		return tx.Delete(InstanceKey(sc, "jobs", LastSegment(first[1].ContainerInstanceARN)))
	}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	results, err := RegisterBulk(ctx, db, "n1", "us-east-1", agentInstance("n1"), []agentproto.RegisterCluster{
		{ClusterARN: sc.ClusterARN("web"), ContainerInstanceARN: webARN},
		{ClusterARN: sc.ClusterARN("jobs"), ContainerInstanceARN: first[1].ContainerInstanceARN},
		{ClusterARN: sc.ClusterARN("old")},
		{ClusterARN: sc.ClusterARN("gone")},
		{ClusterARN: "arn:aws:ecs:eu-west-1:000000000000:cluster/web"},
		{ClusterARN: "not-an-arn"},
		{ClusterARN: "arn:aws:ecs:us-east-1:000000000000:service/web/s"},
	}, later)
	if err != nil {
		t.Fatal(err)
	}
	var inv *InvalidError
	checks := []struct {
		name string
		ok   func(RegisterResult) bool
	}{
		{"re-registration keeps the instance", func(r RegisterResult) bool { return r.Err == nil && r.ContainerInstanceARN == webARN }},
		{"a deleted instance is replaced", func(r RegisterResult) bool {
			return r.Err == nil && r.ContainerInstanceARN != "" && r.ContainerInstanceARN != first[1].ContainerInstanceARN
		}},
		{"an INACTIVE cluster refuses", func(r RegisterResult) bool { return errors.Is(r.Err, ErrClusterNotFound) }},
		{"a missing cluster refuses", func(r RegisterResult) bool { return errors.Is(r.Err, ErrClusterNotFound) }},
		{"another region is invalid", func(r RegisterResult) bool { return errors.As(r.Err, &inv) }},
		{"not an ARN is invalid", func(r RegisterResult) bool { return errors.As(r.Err, &inv) }},
		{"not a cluster ARN is invalid", func(r RegisterResult) bool { return errors.As(r.Err, &inv) }},
	}
	if len(results) != len(checks) {
		t.Fatalf("%d results, want %d", len(results), len(checks))
	}
	for i, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok(results[i]) {
				t.Fatalf("result %+v", results[i])
			}
		})
	}

	err = db.View(ctx, func(tx store.ReadTx) error {
		rec, ok, err := store.Get[InstanceRecord](tx, InstanceKey(sc, "web", LastSegment(webARN)))
		if err != nil || !ok {
			t.Fatalf("web instance: ok=%v err=%v", ok, err)
		}
		if rec.NodeID != "n1" || rec.Instance.Version != 2 || !rec.Instance.RegisteredAt.Time.Equal(now) {
			t.Errorf("re-registered instance: node %q version %d registeredAt %v", rec.NodeID, rec.Instance.Version, rec.Instance.RegisteredAt.Time)
		}
		n, ok, err := store.Get[NodeRecord](tx, NodeKey("n1"))
		if err != nil || !ok || !n.LastSeen.Equal(later) {
			t.Errorf("heartbeat %+v ok=%v err=%v, want lastSeen %v", n, ok, err, later)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegisterInstanceRefusesUnknownARN(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	tests := []struct {
		name string
		arn  string
	}{
		{"never registered", sc.ContainerInstanceARN("web", "0123456789abcdef0123456789abcdef")},
		{"another cluster's ARN", sc.ContainerInstanceARN("other", "0123456789abcdef0123456789abcdef")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := agentInstance("")
			in.ContainerInstanceArn = new(tt.arn)
			_, err := db.Update(ctx, func(tx store.Tx) error {
				_, err := RegisterInstance(tx, sc, "web", &in, "", time.Now())
				return err
			})
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("err = %v, want an InvalidError", err)
			}
		})
	}
}

func TestNodeOf(t *testing.T) {
	tests := []struct {
		name  string
		attrs []ecstypes.Attribute
		want  string
	}{
		{"none", nil, ""},
		{"other attributes only", []ecstypes.Attribute{{Name: new("ecs.os-type"), Value: new("linux")}}, ""},
		{"the node attribute", []ecstypes.Attribute{{Name: new("ecs.os-type"), Value: new("linux")}, {Name: new(agentproto.NodeAttribute), Value: new("n1")}}, "n1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NodeOf(tt.attrs); got != tt.want {
				t.Fatalf("NodeOf = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRegisterBulkKeys counts the keys a registration writes: one
// transaction's fixed keys (the heartbeat) and the keys per cluster (the
// instance record), from which RegisterTxnClusters is sized.
func TestRegisterBulkKeys(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	written := func(n int) int {
		db := openBoundDB(t)
		var cs []agentproto.RegisterCluster
		for i := range n {
			name := fmt.Sprintf("c%d", i)
			putCluster(t, db, sc, name, "ACTIVE")
			cs = append(cs, agentproto.RegisterCluster{ClusterARN: sc.ClusterARN(name)})
		}
		db.reset()
		if _, err := RegisterBulk(ctx, db, "n1", "us-east-1", agentInstance("n1"), cs, now); err != nil {
			t.Fatal(err)
		}
		most, _ := db.maxWritten()
		return most
	}
	one, two := written(1), written(2)
	perCluster, fixed := two-one, 2*one-two
	t.Logf("a registration transaction writes %d keys and %d per cluster", fixed, perCluster)
	if perCluster < 1 || fixed < 0 {
		t.Fatalf("one cluster writes %d keys, two %d", one, two)
	}
	if worst := fixed + perCluster*RegisterTxnClusters; worst > etcdBound {
		t.Errorf("a transaction of %d clusters writes %d keys, over the bound of %d", RegisterTxnClusters, worst, etcdBound)
	}
}

// TestRegisterBulkBounded registers a node in 600 clusters in one call
// on a store bounded at 128 keys per transaction: several transactions,
// each within the bound, every cluster joined.
func TestRegisterBulkBounded(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	db := openBoundDB(t)
	const n = 600
	var cs []agentproto.RegisterCluster
	for start := 0; start < n; start += 100 {
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < start+100; i++ {
				name := fmt.Sprintf("c%03d", i)
				if err := store.Put(tx, ClusterKey(sc, name), ecstypes.Cluster{ClusterName: new(name), ClusterArn: new(sc.ClusterARN(name)), Status: new("ACTIVE")}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		cs = append(cs, agentproto.RegisterCluster{ClusterARN: sc.ClusterARN(fmt.Sprintf("c%03d", i))})
	}
	db.reset()
	results, err := RegisterBulk(ctx, db, "n1", "us-east-1", agentInstance("n1"), cs, now)
	if err != nil {
		t.Fatalf("RegisterBulk: %v", err)
	}
	most, txns := db.maxWritten()
	joined := 0
	for _, r := range results {
		if r.Err == nil && r.ContainerInstanceARN != "" {
			joined++
		}
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"every cluster joined", joined == n && len(results) == n},
		{"results in the request's order", len(results) == n && results[n-1].ClusterARN == sc.ClusterARN("c599")},
		{"each transaction within the bound", most <= etcdBound},
		{"one transaction per RegisterTxnClusters", txns == (n+RegisterTxnClusters-1)/RegisterTxnClusters},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("joined %d of %d, most keys %d in %d transactions", joined, len(results), most, txns)
			}
		})
	}
}

// TestRegisterBulkPartial fails one of a bulk registration's three
// transactions: the clusters of the others keep their instances, each of
// the failed one's fails alone (not as a refusal), and a call whose every
// transaction fails is an error.
func TestRegisterBulkPartial(t *testing.T) {
	ctx := context.Background()
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	db := openBoundDB(t)
	var cs []agentproto.RegisterCluster
	for i := range 300 {
		name := fmt.Sprintf("c%03d", i)
		putCluster(t, db, sc, name, "ACTIVE")
		cs = append(cs, agentproto.RegisterCluster{ClusterARN: sc.ClusterARN(name)})
	}
	db.reset()
	db.crashAfter = 2 // the third transaction to run fails
	results, err := RegisterBulk(ctx, db, "n1", "us-east-1", agentInstance("n1"), cs, time.Now())
	if err != nil {
		t.Fatalf("RegisterBulk: %v", err)
	}
	joined, failed := 0, 0
	for _, r := range results {
		switch {
		case r.Err == nil && r.ContainerInstanceARN != "":
			joined++
		case r.Err != nil && !refusal(r.Err) && errors.Is(r.Err, errCrash):
			failed++
		}
	}
	// The chunks are 120, 120 and 60 clusters; any one of them failed.
	if len(results) != 300 || joined+failed != 300 || (failed != RegisterTxnClusters && failed != 300-2*RegisterTxnClusters) {
		t.Fatalf("%d joined, %d failed of %d", joined, failed, len(results))
	}
	db.reset()
	db.crashAfter = -1 // every transaction fails
	if _, err := RegisterBulk(ctx, db, "n1", "us-east-1", agentInstance("n1"), cs, time.Now()); !errors.Is(err, errCrash) {
		t.Fatalf("every transaction failing: %v", err)
	}
}

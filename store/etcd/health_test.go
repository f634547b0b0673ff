package etcd_test

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharfhq/wharf/store/etcd"
	"github.com/wharfhq/wharf/store/etcd/etcdtest"
)

// TestCheck covers what /_wharf/health learns from the store: healthy on
// a live etcd; a lock whose lease expired is taken back by Check itself
// (an idle wharf must not stay unhealthy until it writes); a lock another
// process holds is ErrLocked; a stopped etcd fails within the deadline.
func TestCheck(t *testing.T) {
	srv := etcdtest.Start(t)
	ctx := context.Background()
	o := etcd.Options{Endpoints: []string{srv.Endpoint()}, Prefix: "/check/", LockWait: time.Second, Holder: "me", RequestTimeout: 2 * time.Second}
	db := open(t, o)
	check := func() error {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		return db.Check(cctx)
	}
	if err := check(); err != nil {
		t.Fatalf("Check on a live etcd: %v", err)
	}

	raw, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.Endpoint()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	lockLease := func() clientv3.LeaseID {
		t.Helper()
		resp, err := raw.Get(ctx, "/check/lock")
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("lock key: %v, %v", resp, err)
		}
		return clientv3.LeaseID(resp.Kvs[0].Lease)
	}

	// What an expired lease does: etcd deletes the lock key.
	if _, err := raw.Revoke(ctx, lockLease()); err != nil {
		t.Fatal(err)
	}
	if err := check(); err != nil {
		t.Fatalf("Check after the lease expired: %v, want the lock taken again", err)
	}
	lockLease()
	if _, err := put(t, db, "k", "1"); err != nil {
		t.Fatalf("Update after Check took the lock again: %v", err)
	}

	// Another process holds it.
	if _, err := raw.Revoke(ctx, lockLease()); err != nil {
		t.Fatal(err)
	}
	o.Holder = "other"
	open(t, o)
	if err := check(); !errors.Is(err, etcd.ErrLocked) {
		t.Fatalf("Check while another holds the lock = %v, want ErrLocked", err)
	}

	srv.Stop()
	t0 := time.Now()
	if err := check(); err == nil {
		t.Fatal("Check with etcd stopped = nil")
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Check with etcd stopped took %s, want within its deadline", d)
	}
	srv.Restart() // so that closing the two DBs need not wait out their calls
}

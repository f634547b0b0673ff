package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/etcd"
	"github.com/wharfhq/wharf/store/etcd/etcdtest"
	"github.com/wharfhq/wharf/store/storetest"
)

// opener returns backends on srv, each on a prefix of its own (so each is
// new and empty), with history short enough for the compaction case.
func opener(srv *etcdtest.Server, opts etcd.Options) func(t *testing.T) store.Backend {
	var n atomic.Int64
	return func(t *testing.T) store.Backend {
		t.Helper()
		o := opts
		o.Endpoints = []string{srv.Endpoint()}
		o.Prefix = fmt.Sprintf("/test/%d/", n.Add(1))
		if o.History == 0 {
			o.History = 4 * storetest.MinHistory
		}
		return open(t, o)
	}
}

func open(t *testing.T, o etcd.Options) *etcd.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := etcd.Open(ctx, o)
	if err != nil {
		t.Fatalf("open etcd store %s: %v", o.Prefix, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	srv := etcdtest.Start(t)
	storetest.Run(t, opener(srv, etcd.Options{}))
}

func TestTxnLimit(t *testing.T) {
	srv := etcdtest.Start(t)
	t.Run("checked before sending", func(t *testing.T) {
		storetest.RunTxnLimit(t, etcd.DefaultMaxTxnOps, opener(srv, etcd.Options{}))
	})
	t.Run("refused by etcd", func(t *testing.T) {
		// Unchecked here: etcd's own --max-txn-ops (128) refuses, and the
		// error still wraps store.ErrTooManyOps.
		db := opener(srv, etcd.Options{MaxTxnOps: -1})(t)
		_, err := db.Update(context.Background(), func(tx store.Tx) error {
			for i := range etcd.DefaultMaxTxnOps + 1 {
				if err := tx.Put(fmt.Sprintf("k/%d", i), []byte("v")); err != nil {
					return err
				}
			}
			return nil
		})
		if !errors.Is(err, store.ErrTooManyOps) {
			t.Fatalf("Update of %d keys = %v, want ErrTooManyOps", etcd.DefaultMaxTxnOps+1, err)
		}
	})
}

func put(t *testing.T, db store.Backend, key, val string) (int64, error) {
	t.Helper()
	return db.Update(context.Background(), func(tx store.Tx) error { return tx.Put(key, []byte(val)) })
}

func value(t *testing.T, db store.Backend, key string) string {
	t.Helper()
	var v string
	if err := db.View(context.Background(), func(tx store.ReadTx) error {
		kv, _, err := tx.Get(key)
		v = string(kv.Value)
		return err
	}); err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return v
}

// TestSecondWriter checks that a second process on the same etcd and
// prefix cannot write behind the first one's back: it waits for the lock
// and fails, and takes over once the first closes.
func TestSecondWriter(t *testing.T) {
	srv := etcdtest.Start(t)
	o := etcd.Options{Endpoints: []string{srv.Endpoint()}, Prefix: "/shared/", LockWait: time.Second, Holder: "first"}
	first := open(t, o)
	if _, err := put(t, first, "k", "1"); err != nil {
		t.Fatal(err)
	}
	o.Holder = "second"
	_, err := etcd.Open(context.Background(), o)
	if !errors.Is(err, etcd.ErrLocked) || !strings.Contains(err.Error(), "first") {
		t.Fatalf("second Open = %v, want ErrLocked naming the holder", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second := open(t, o)
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Fatalf("second Open took %s after the first closed: Close did not release the lock", d)
	}
	if v := value(t, second, "k"); v != "1" {
		t.Fatalf("second reads k = %q, want 1", v)
	}
}

// TestLostLock checks fencing: a process whose lease was lost fails its
// commit with store.ErrConflict and writes nothing, cannot write while
// another holds the lock, and takes it back when it is free.
func TestLostLock(t *testing.T) {
	srv := etcdtest.Start(t)
	ctx := context.Background()
	o := etcd.Options{Endpoints: []string{srv.Endpoint()}, Prefix: "/fence/", LockWait: time.Second, Holder: "old"}
	old := open(t, o)
	if _, err := put(t, old, "k", "1"); err != nil {
		t.Fatal(err)
	}

	// What an expired lease does: etcd deletes the lock key.
	raw, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.Endpoint()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	resp, err := raw.Get(ctx, "/fence/lock")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("lock key: %v, %v", resp, err)
	}
	if _, err := raw.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	o.Holder = "new"
	newer := open(t, o)

	if _, err := put(t, old, "k", "stale"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Update after losing the lock = %v, want ErrConflict", err)
	}
	if _, err := put(t, old, "k", "stale"); !errors.Is(err, etcd.ErrLocked) {
		t.Fatalf("Update while another holds the lock = %v, want ErrLocked", err)
	}
	if v := value(t, newer, "k"); v != "1" {
		t.Fatalf("k = %q: the fenced process wrote", v)
	}
	if _, err := put(t, newer, "k", "2"); err != nil {
		t.Fatal(err)
	}
	if err := newer.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, old, "k", "3"); err != nil {
		t.Fatalf("Update once the lock is free again: %v", err)
	}
	if v := value(t, old, "k"); v != "3" {
		t.Fatalf("k = %q, want 3", v)
	}
}

// TestRestartMidWatch restarts the etcd process under a live watch: the
// etcd client reconnects and the watch resumes where it was, and writes
// go on once etcd is back.
func TestRestartMidWatch(t *testing.T) {
	srv := etcdtest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := open(t, etcd.Options{Endpoints: []string{srv.Endpoint()}, Prefix: "/restart/", RequestTimeout: 2 * time.Second})
	w, err := db.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := put(t, db, "before", "1")
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, w); ev.Rev != r1 || ev.KV.Key != "before" {
		t.Fatalf("event %+v, want before at %d", ev, r1)
	}

	srv.Restart()

	// The client may need a moment to reconnect: a bounded retry.
	var r2 int64
	deadline := time.Now().Add(20 * time.Second)
	for {
		if r2, err = put(t, db, "after", "2"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write within 20 s of the restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r2 != r1+1 {
		t.Fatalf("write after restart at %d, want %d (revisions survive a restart)", r2, r1+1)
	}
	if ev := nextEvent(t, w); ev.Rev != r2 || ev.KV.Key != "after" {
		t.Fatalf("event after restart %+v, want after at %d", ev, r2)
	}
}

func nextEvent(t *testing.T, w *store.Watch) store.Event {
	t.Helper()
	select {
	case ev, ok := <-w.C:
		if !ok {
			t.Fatalf("watch closed: %v", w.Err())
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
	}
	panic("unreachable")
}

// TestUpdateContext covers a context cancelled before, while waiting for
// the writer, and during fn.
func TestUpdateContext(t *testing.T) {
	srv := etcdtest.Start(t)
	db := open(t, etcd.Options{Endpoints: []string{srv.Endpoint()}, Prefix: "/ctx/"})
	bg := context.Background()

	t.Run("cancelled while waiting for the writer", func(t *testing.T) {
		inFn, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := db.Update(bg, func(tx store.Tx) error {
				close(inFn)
				<-release
				return tx.Put("holder", nil)
			})
			done <- err
		}()
		<-inFn
		ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		defer cancel()
		called := false
		_, err := db.Update(ctx, func(tx store.Tx) error { called = true; return nil })
		close(release)
		if !errors.Is(err, context.DeadlineExceeded) || called {
			t.Fatalf("waiting Update = %v (fn called %v), want DeadlineExceeded without fn", err, called)
		}
		if err := <-done; err != nil {
			t.Fatalf("holder: %v", err)
		}
	})
	t.Run("cancelled during fn before a read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(bg)
		_, err := db.Update(ctx, func(tx store.Tx) error {
			cancel()
			_, _, err := tx.Get("holder")
			if err == nil {
				return errors.New("read succeeded on a cancelled context")
			}
			_ = tx.Put("never", nil)
			return err
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Update = %v, want context.Canceled", err)
		}
		if v := value(t, db, "never"); v != "" {
			t.Fatal("the failed fn wrote")
		}
	})
	t.Run("cancelled after fn's reads: the commit completes", func(t *testing.T) {
		// fn has run and returned nil: committing is the only outcome that
		// keeps "fn runs exactly once" and what it decided consistent.
		ctx, cancel := context.WithCancel(bg)
		rev, err := db.Update(ctx, func(tx store.Tx) error {
			if _, _, err := tx.Get("holder"); err != nil {
				return err
			}
			cancel()
			return tx.Put("committed", []byte("yes"))
		})
		if err != nil || rev == 0 {
			t.Fatalf("Update = %d, %v; want a commit", rev, err)
		}
		if v := value(t, db, "committed"); v != "yes" {
			t.Fatalf("committed = %q", v)
		}
	})
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := etcd.Open(ctx, etcd.Options{Endpoints: []string{"http://127.0.0.1:1"}, DialTimeout: 500 * time.Millisecond})
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Open failed after %s, want within about DialTimeout", d)
	}
}

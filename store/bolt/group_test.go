package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/store"
)

// TestGroupCommitSharesFsync checks that concurrent writers are committed
// in groups: far fewer bbolt commits (each an fsync) than Updates.
func TestGroupCommitSharesFsync(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	const writers, each = 64, 10
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			<-start
			for i := range each {
				if _, err := d.Update(context.Background(), func(tx store.Tx) error {
					return tx.Put(fmt.Sprintf("g/%d/%d", g, i), nil)
				}); err != nil {
					t.Errorf("writer %d: %v", g, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	rev, _ := snapshot(t, d)
	commits := d.commits.Load()
	t.Logf("%d Updates in %d commits", rev, commits)
	if rev != writers*each {
		t.Fatalf("revision %d, want %d", rev, writers*each)
	}
	if commits >= rev/2 {
		t.Fatalf("%d commits for %d concurrent Updates: not grouped", commits, rev)
	}
}

// TestUpdateFnGoexit checks that an fn ending its goroutine (t.Fatal inside
// fn does) writes nothing and leaves the store working.
func TestUpdateFnGoexit(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	before := put(t, d, "a", "1")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = d.Update(context.Background(), func(tx store.Tx) error {
			_ = tx.Put("exited", nil)
			runtime.Goexit()
			return nil
		})
	}()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("Update with an exiting fn did not end")
	}
	if rev := put(t, d, "b", "2"); rev != before+1 {
		t.Fatalf("next Update got revision %d, want %d", rev, before+1)
	}
	_, kvs := snapshot(t, d)
	for _, kv := range kvs {
		if kv.Key == "exited" {
			t.Fatal("write of an fn that exited its goroutine was committed")
		}
	}
}

func TestTooManyOpsNamesTheCount(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{MaxTxnOps: 4})
	_, err := d.Update(context.Background(), func(tx store.Tx) error {
		for i := range 5 {
			if err := tx.Put(fmt.Sprintf("k/%d", i), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrTooManyOps) || !strings.Contains(err.Error(), "5 keys, limit 4") {
		t.Fatalf("Update = %v, want ErrTooManyOps naming 5 keys and limit 4", err)
	}
}

// TestCancelWhileQueued checks that an Update waiting behind a busy group
// gives up when its context ends, without running its fn.
func TestCancelWhileQueued(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	inFn, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := d.Update(context.Background(), func(tx store.Tx) error {
			close(inFn)
			<-release
			return tx.Put("first", nil)
		})
		first <- err
	}()
	<-inFn
	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 1)
	var ran atomic.Bool
	go func() {
		_, err := d.Update(ctx, func(tx store.Tx) error { ran.Store(true); return nil })
		queued <- err
	}()
	cancel()
	select {
	case err := <-queued:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("queued Update = %v, want context.Canceled", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("queued Update did not end with its context")
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first Update: %v", err)
	}
	if ran.Load() {
		t.Fatal("fn of a cancelled Update ran")
	}
}

// TestCloseWithUpdatesInFlight closes the DB under concurrent writers: each
// Update either succeeds or reports store.ErrClosed, none hangs, and every
// acknowledged write is in the file after reopening.
func TestCloseWithUpdatesInFlight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var acked atomic.Int64
	var wg sync.WaitGroup
	progress := make(chan struct{}, writers)
	for g := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				_, err := d.Update(context.Background(), func(tx store.Tx) error {
					return tx.Put(fmt.Sprintf("c/%d/%d", g, i), nil)
				})
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("writer %d: %v", g, err)
					return
				}
				acked.Add(1)
				if i == 2 {
					progress <- struct{}{}
				}
			}
		})
	}
	for range writers {
		<-progress
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(waitTimeout):
		t.Fatal("Updates still running after Close")
	}
	d2 := openT(t, path, Options{})
	rev, kvs := snapshot(t, d2)
	if rev != acked.Load() || int64(len(kvs)) != acked.Load() {
		t.Fatalf("after reopen: revision %d and %d records, %d Updates acknowledged", rev, len(kvs), acked.Load())
	}
}

// TestFailedCommitFailsTheGroup checks that when a group's commit fails,
// every Update that wrote gets that error and nothing is stored, and that
// the store goes on from the revision it had.
func TestFailedCommitFailsTheGroup(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "wharf.db"), Options{})
	before := put(t, d, "a", "1")
	errDisk := errors.New("disk on fire")
	d.failCommit = func() error { return errDisk }
	const writers = 32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			<-start
			_, err := d.Update(context.Background(), func(tx store.Tx) error {
				return tx.Put(fmt.Sprintf("f/%d", g), nil)
			})
			if !errors.Is(err, errDisk) {
				t.Errorf("writer %d: %v, want the commit failure", g, err)
			}
		})
	}
	close(start)
	wg.Wait()
	d.failCommit = nil
	if rev, kvs := snapshot(t, d); rev != before || len(kvs) != 1 {
		t.Fatalf("after failed commits: revision %d (want %d), %d records (want 1)", rev, before, len(kvs))
	}
	if rev := put(t, d, "b", "2"); rev != before+1 {
		t.Fatalf("next Update got revision %d, want %d", rev, before+1)
	}
}

package state

import (
	"context"
	"testing"
	"time"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

func TestNoteAlive(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		node      string
		prev      *time.Time
		wantWrite bool
	}{
		{"first sighting is written", "n1", nil, true},
		{"fresh heartbeat is kept", "n1", new(now.Add(-HeartbeatEvery + time.Second)), false},
		{"stale heartbeat is rewritten", "n1", new(now.Add(-HeartbeatEvery)), true},
		{"heartbeat from the future is rewritten", "n1", new(now.Add(time.Minute)), true},
		{"no node, nothing to note", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openTestDB(t)
			if tt.prev != nil {
				if _, err := db.Update(ctx, func(tx store.Tx) error {
					return store.Put(tx, NodeKey(tt.node), NodeRecord{NodeID: tt.node, LastSeen: *tt.prev})
				}); err != nil {
					t.Fatal(err)
				}
			}
			before := rev(t, db)
			if _, err := db.Update(ctx, func(tx store.Tx) error { return NoteAlive(tx, tt.node, now) }); err != nil {
				t.Fatal(err)
			}
			if wrote := rev(t, db) != before; wrote != tt.wantWrite {
				t.Fatalf("wrote = %v, want %v", wrote, tt.wantWrite)
			}
			if tt.node == "" {
				return
			}
			err := db.View(ctx, func(tx store.ReadTx) error {
				ok, err := NodeConnected(tx, tt.node, now)
				if err == nil && !ok && tt.wantWrite {
					t.Errorf("node not connected after its heartbeat")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A poll whose heartbeat is fresh writes nothing: polls are frequent and a
// write is an fsync.
func TestHeartbeatWritesOnlyWhenStale(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		name      string
		at        time.Time
		wantWrite bool
	}{
		{"first poll", now, true},
		{"a second later", now.Add(time.Second), false},
		{"just before HeartbeatEvery", now.Add(HeartbeatEvery - time.Millisecond), false},
		{"at HeartbeatEvery", now.Add(HeartbeatEvery), true},
	}
	for _, s := range steps {
		before := rev(t, db)
		if err := Heartbeat(ctx, db, "n1", s.at); err != nil {
			t.Fatal(err)
		}
		if wrote := rev(t, db) != before; wrote != s.wantWrite {
			t.Fatalf("%s: wrote = %v, want %v", s.name, wrote, s.wantWrite)
		}
	}
}

func TestWaitForNode(t *testing.T) {
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	tests := []struct {
		name  string
		write func(tx store.Tx) error
		wakes bool
	}{
		{"its own assignment wakes it", func(tx store.Tx) error { return tx.Put(NodeTaskKey("n1", "t1"), []byte("k")) }, true},
		{"a new cluster wakes it", func(tx store.Tx) error { return tx.Put(ActiveClusterKey(sc.ClusterARN("web")), []byte("{}")) }, true},
		{"another node's assignment does not", func(tx store.Tx) error { return tx.Put(NodeTaskKey("n2", "t1"), []byte("k")) }, false},
		{"a heartbeat does not", func(tx store.Tx) error { return tx.Put(NodeKey("n1"), []byte("{}")) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openTestDB(t)
			// Revision 0 would watch only live events; start from a real one.
			if _, err := db.Update(ctx, func(tx store.Tx) error { return tx.Put("wharf/test-base", []byte("{}")) }); err != nil {
				t.Fatal(err)
			}
			from := rev(t, db)
			if _, err := db.Update(ctx, tt.write); err != nil {
				t.Fatal(err)
			}
			// A change that concerns the node ends even a long wait (it is
			// in the history the watch replays); any other change leaves a
			// short wait to run out in full.
			wait := 200 * time.Millisecond
			if tt.wakes {
				wait = 5 * time.Minute
			}
			start := time.Now()
			if err := WaitForNode(ctx, db, "n1", from, wait); err != nil {
				t.Fatal(err)
			}
			if elapsed := time.Since(start); tt.wakes && elapsed >= wait || !tt.wakes && elapsed < wait {
				t.Fatalf("returned after %v of a %v wait, want woken=%v", elapsed, wait, tt.wakes)
			}
		})
	}
}

// A poll whose client went away does not hold on for the whole wait.
func TestWaitForNodeEndsWithContext(t *testing.T) {
	db := openTestDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- WaitForNode(ctx, db, "n1", 1, time.Minute) }()
	select {
	case err := <-done:
		if err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForNode outlived its context")
	}
}

func rev(t *testing.T, db store.Backend) int64 {
	t.Helper()
	var r int64
	if err := db.View(context.Background(), func(tx store.ReadTx) error { r = tx.Rev(); return nil }); err != nil {
		t.Fatal(err)
	}
	return r
}

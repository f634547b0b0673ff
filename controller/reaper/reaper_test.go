package reaper

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func task(status string, stoppedAgo time.Duration) ecstypes.Task {
	t := ecstypes.Task{LastStatus: &status}
	if stoppedAgo > 0 {
		t.StoppedAt = shape.TimeOf(now.Add(-stoppedAgo))
	}
	return t
}

func TestExpired(t *testing.T) {
	tests := []struct {
		name string
		task ecstypes.Task
		want bool
	}{
		{"stopped two hours ago", task(model.TaskStopped, 2*time.Hour), true},
		{"stopped half an hour ago", task(model.TaskStopped, 30*time.Minute), false},
		{"stopped exactly an hour ago", task(model.TaskStopped, time.Hour), false},
		{"stopped without a stop time", task(model.TaskStopped, 0), false},
		{"running", task(model.TaskRunning, 2*time.Hour), false},
		{"no status", ecstypes.Task{StoppedAt: shape.TimeOf(now.Add(-2 * time.Hour))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expired(tt.task, now, StoppedTaskRetention); got != tt.want {
				t.Fatalf("Expired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReap(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	ctx := context.Background()
	r := New(db, slog.New(slog.DiscardHandler))
	r.now = func() time.Time { return now }
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	tasks := map[string]ecstypes.Task{
		"old":     task(model.TaskStopped, 2*time.Hour),
		"recent":  task(model.TaskStopped, 30*time.Minute),
		"running": task(model.TaskRunning, 0),
	}
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		for id, tk := range tasks {
			tk.TaskArn = new(sc.TaskARN("c", id))
			if err := store.Put(tx, state.TaskKey(sc, "c", id), model.TaskRecord{Task: tk}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The records were written as a store from before the indexes holds
	// them; opening indexes them once.
	if _, err := state.BuildIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Reap(ctx); err != nil || n != 1 {
		t.Fatalf("reaped %d (%v), want 1", n, err)
	}
	for id, want := range map[string]bool{"old": false, "recent": true, "running": true} {
		err := db.View(ctx, func(tx store.ReadTx) error {
			_, ok, err := tx.Get(state.TaskKey(sc, "c", id))
			if ok != want {
				t.Errorf("task %s present=%v, want %v", id, ok, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.Reap(ctx); err != nil || n != 0 {
		t.Fatalf("second pass reaped %d (%v), want 0", n, err)
	}
}

// TestReapInBatches reaps a backlog larger than one transaction's batch,
// written through state.PutTask (which indexes stopped tasks as it goes).
func TestReapInBatches(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{MaxTxnOps: 128}) // etcd's bound, as production
	ctx := context.Background()
	r := New(db, slog.New(slog.DiscardHandler))
	r.now = func() time.Time { return now }
	sc := model.Scope{Account: "000000000000", Region: "eu-west-1"}
	const old = reapBatch + 7
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		for i := range old + 3 {
			tk := task(model.TaskStopped, 2*time.Hour-time.Duration(i)*time.Second)
			if i >= old {
				tk = task(model.TaskStopped, 10*time.Minute)
			}
			tk.TaskArn = new(sc.TaskARN("c", fmt.Sprintf("t%04d", i)))
			if err := state.PutTask(tx, sc, "c", &model.TaskRecord{Task: tk}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Reap(ctx); err != nil || n != old {
		t.Fatalf("reaped %d (%v), want %d", n, err, old)
	}
	err := db.View(ctx, func(tx store.ReadTx) error {
		left, err := tx.List(state.TasksPrefix(sc, "c"), "", 0)
		if len(left) != 3 {
			t.Errorf("%d tasks left, want the 3 recent ones", len(left))
		}
		idx, _ := tx.List(state.StoppedPrefix, "", 0)
		if len(idx) != 3 {
			t.Errorf("%d stopped index entries left, want 3", len(idx))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

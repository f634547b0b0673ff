package ecs

import (
	"context"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

func TestReapStoppedTasks(t *testing.T) {
	api, db := newTestAPI(t)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	api.now = func() time.Time { return now }
	sc := model.Scope{Account: awsapi.DefaultAccount, Region: awsapi.DefaultRegion}
	put := func(id, status string, stoppedAgo time.Duration) {
		task := ecstypes.Task{TaskArn: new(sc.TaskARN("c", id)), LastStatus: new(status)}
		if status == model.TaskStopped {
			task.StoppedAt = shape.TimeOf(now.Add(-stoppedAgo))
		}
		if _, err := db.Update(context.Background(), func(tx store.Tx) error {
			return store.Put(tx, state.TaskKey(sc, "c", id), model.TaskRecord{Task: task})
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("old", model.TaskStopped, 2*time.Hour)
	put("recent", model.TaskStopped, 30*time.Minute)
	put("running", model.TaskRunning, 0)
	n, err := api.ReapStoppedTasks(context.Background(), StoppedTaskRetention)
	if err != nil || n != 1 {
		t.Fatalf("reaped %d (%v), want 1", n, err)
	}
	for id, want := range map[string]bool{"old": false, "recent": true, "running": true} {
		err := db.View(context.Background(), func(tx store.ReadTx) error {
			_, ok, err := state.FindTask(tx, sc, "c", id)
			if ok != want {
				t.Errorf("task %s present=%v, want %v", id, ok, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

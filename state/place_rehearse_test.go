package state

import (
	"context"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// TestRehearsalPlacesOnView runs a controller pass as the service and
// task-set controllers do (RehearsePass, writes counted by a Budget): its
// rehearsal places through the cluster's view, and its commit takes that
// placement without placing again.
func TestRehearsalPlacesOnView(t *testing.T) {
	db := placeCluster(t, 9)
	l := &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(1, 64, 0),
		LaunchType: ecstypes.LaunchTypeEc2, Count: 2, Group: "service:web"}
	before := viewPlacements.Load()
	var rehearsed, committed int
	err := RehearsePass(context.Background(), db, func(tx store.Tx, ps *Placements, quiet bool) error {
		b := NewBudget(tx)
		p, err := ps.Place(b, l, nil, testNow)
		if err != nil {
			return err
		}
		for _, tg := range p.Targets {
			if _, err := CreateTask(b, l, tg, testNow); err != nil {
				return err
			}
		}
		if quiet {
			rehearsed += len(p.Targets)
		} else {
			committed += len(p.Targets)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rehearsed != 2 || committed != 2 {
		t.Fatalf("rehearsed %d placements, committed %d; want 2 and 2", rehearsed, committed)
	}
	if got := viewPlacements.Load() - before; got != 1 {
		t.Fatalf("%d placements planned on the view, want 1 (the rehearsal's)", got)
	}
}

// TestRehearsalSeesItsOwnUsage places twice in one rehearsal with a task
// started in between: the second placement must see the usage record the
// rehearsal wrote, not the view's decoded copy of the stored one; and a
// placement on a snapshot afterwards must see the stored one again, not
// the rehearsal's.
func TestRehearsalSeesItsOwnUsage(t *testing.T) {
	ctx := context.Background()
	db := placeCluster(t, 9)
	ci01 := testScope.ARN("container-instance/" + testCluster + "/ci01")
	launch := func(mem int32) *Launch {
		return &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(1, mem, 0), LaunchType: ecstypes.LaunchTypeEc2, Count: 1}
	}
	// place places 2048 MiB on ci01 through tx as a pass does, after
	// checking that the view shows what reading the records shows, and
	// returns why it did not, or "placed", and the usage revision read.
	place := func(t *testing.T, tx store.ReadTx) (string, int64) {
		t.Helper()
		b := NewBudget(tx.(store.Tx))
		before := viewPlacements.Load()
		got, err := placeInputOf(b, testScope, testCluster, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if viewPlacements.Load() == before {
			t.Fatal("the placement did not plan on the view")
		}
		want, err := placeInputOf(listOnly{tx}, testScope, testCluster, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameInput(got, want); d != "" {
			t.Fatalf("view differs from the records: %s", d)
		}
		p, err := Place(b, launch(2048), []string{"ci01"}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		rev := int64(0)
		for i, s := range got.srcs {
			if LastSegment(s.key) == "ci01" {
				rev = got.usageRevs[i]
			}
		}
		if len(p.Targets) == 1 && p.Targets[0].Instance == ci01 {
			return "placed", rev
		}
		if len(p.Failures) == 1 {
			return shape.Deref(p.Failures[0].Reason), rev
		}
		t.Fatalf("placement %+v", p)
		return "", 0
	}
	var storedRev int64
	err := db.View(ctx, func(tx store.ReadTx) error {
		ov := rehearsal(tx)
		t.Run("before the rehearsal's task: room", func(t *testing.T) {
			var got string
			if got, storedRev = place(t, ov); got != "placed" {
				t.Fatalf("ci01: %q, want placed", got)
			}
		})
		if _, err := CreateTask(ov, launch(4096), Target{Node: "node-01", Instance: ci01}, testNow); err != nil {
			return err
		}
		t.Run("after it: the rehearsal's usage", func(t *testing.T) {
			got, rev := place(t, ov)
			if got != scheduler.ReasonMemory {
				t.Fatalf("ci01: %q, want %s", got, scheduler.ReasonMemory)
			}
			if rev >= 0 {
				t.Fatalf("usage read at revision %d, want the rehearsal's own (negative)", rev)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a snapshot afterwards: the stored usage", func(t *testing.T) {
		err := db.View(ctx, func(tx store.ReadTx) error {
			got, rev := place(t, rehearsal(tx))
			if got != "placed" || rev != storedRev {
				t.Fatalf("ci01: %q at usage revision %d, want placed at %d", got, rev, storedRev)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// legacyRecord is the task record's stored form before it was versioned.
type legacyRecord struct {
	Task        ecstypes.Task                  `json:"task"`
	Definition  ecstypes.TaskDefinition        `json:"definition"`
	NodeID      string                         `json:"nodeId"`
	Network     *ecstypes.NetworkConfiguration `json:"network,omitempty"`
	PendingStop *model.PendingStop             `json:"pendingStop,omitempty"`
	Protection  *model.TaskProtection          `json:"protection,omitempty"`
}

// v1Key is where index layout 1 kept what layout 2 keeps at key, and
// v1Value its value there.
func v1Key(t *testing.T, key string, value []byte, arnOf map[string]string) (string, []byte) {
	t.Helper()
	if rest, ok := strings.CutPrefix(key, nodeTasksRoot); ok {
		node, _, _ := strings.Cut(rest, "/")
		return nodeTasksRoot + node + "/" + arnOf[string(value)], value
	}
	root := idxRoot(testScope)
	for dir, old := range map[string]string{groupTasksDir: "group-tasks/", instanceUsageDir: "instance-usage/", clusterTasksDir: "cluster-tasks/"} {
		if rest, ok := strings.CutPrefix(key, root+dir); ok {
			return root + old + rest, value
		}
	}
	if rest, ok := strings.CutPrefix(key, root+instanceTasksDir); ok {
		e, err := decodeIndexedTask(key, value)
		if err != nil {
			t.Fatal(err)
		}
		p := e.Task
		return root + "instance-tasks/" + rest, []byte(strings.Join([]string{flatTagV1, e.Instance, p.ARN, p.TaskDefinitionARN, p.Group,
			p.StartedBy, p.LastStatus, p.DesiredStatus, "16", "32", ""}, flatSep))
	}
	return key, value
}

// TestBuildIndexesFromLayout1 opens a store as an older wharf left it:
// task records in the legacy form, index layout 1 (long directory names,
// instance entries with every field whole, node assignments by task ARN).
// BuildIndexes drops every old entry and writes exactly what a new store
// holds.
func TestBuildIndexesFromLayout1(t *testing.T) {
	db := openTestDB(t)
	o := &taskOps{t: t, db: db, now: testNow}
	i1, i2 := testScope.ContainerInstanceARN(testCluster, "i1"), testScope.ContainerInstanceARN(testCluster, "i2")
	web := o.create("service:web", i1, "n1", ecstypes.LaunchTypeEc2, testDefinition(128, 256, 8080))
	o.run(web)
	o.create("service:web", i2, "n2", ecstypes.LaunchTypeEc2, testDefinition(128, 256, 0))
	o.create("family:app", "", "n1", ecstypes.LaunchTypeFargate, testDefinition(256, 512, 0))
	done := o.create("batch/1", i2, "n2", ecstypes.LaunchTypeEc2, testDefinition(64, 64, 0))
	o.stop(done)

	want := map[string]string{}
	arnOf := map[string]string{} // task key -> task ARN
	read := func(into map[string]string) {
		err := db.View(context.Background(), func(tx store.ReadTx) error {
			for _, prefix := range []string{"ecs/", "wharf/"} {
				kvs, err := tx.List(prefix, "", 0)
				if err != nil {
					return err
				}
				for _, kv := range kvs {
					into[kv.Key] = string(kv.Value)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read(want)
	want[IndexVersionKey] = indexVersion
	for k := range want {
		if _, cluster, id, ok := parseTaskKey(k); ok {
			arnOf[k] = testScope.TaskARN(cluster, id)
		}
	}

	// Turn the store into what the older wharf wrote.
	o.update(func(tx store.Tx) error {
		for k, v := range want {
			switch _, _, _, isTask := parseTaskKey(k); {
			case isTask:
				var rec model.TaskRecord
				if err := json.Unmarshal([]byte(v), &rec); err != nil {
					return err
				}
				b, err := json.Marshal(legacyRecord{Task: rec.Task, Definition: rec.Definition, NodeID: rec.NodeID, Network: rec.Network,
					PendingStop: rec.PendingStop, Protection: rec.Protection})
				if err != nil {
					return err
				}
				if err := tx.Put(k, b); err != nil {
					return err
				}
			case isIndexKey(k):
				if err := tx.Delete(k); err != nil {
					return err
				}
				ok, ov := v1Key(t, k, []byte(v), arnOf)
				if ok == k && !strings.HasPrefix(k, StoppedPrefix) { // the stopped index kept its layout
					t.Fatalf("index key %s has no layout-1 form", k)
				}
				if err := tx.Put(ok, ov); err != nil {
					return err
				}
			}
		}
		return tx.Put(IndexVersionKey, []byte("1"))
	})

	built, err := BuildIndexes(context.Background(), db)
	if err != nil || !built {
		t.Fatalf("BuildIndexes: built %v, %v", built, err)
	}
	got := map[string]string{}
	read(got)
	for k, v := range want {
		if _, _, _, isTask := parseTaskKey(k); isTask {
			// The records stay in the legacy form until next written;
			// what they say must not change.
			var a, b model.TaskRecord
			if json.Unmarshal([]byte(v), &a) != nil || json.Unmarshal([]byte(got[k]), &b) != nil {
				t.Fatalf("record %s does not decode", k)
			}
			if ja, jb := mustJSON(t, a.Task), mustJSON(t, b.Task); ja != jb {
				t.Errorf("record %s changed:\n got %s\nwant %s", k, jb, ja)
			}
			delete(got, k)
			delete(want, k)
		}
	}
	if !maps.Equal(got, want) {
		for k, v := range got {
			if want[k] != v {
				t.Errorf("after rebuild %s = %q, want %q", k, v, want[k])
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("after rebuild %s is missing", k)
			}
		}
	}
	checkIndexes(t, db, []string{i1, i2})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// indexSnapshot is every index entry and node assignment of db, by key.
func indexSnapshot(t *testing.T, db store.Backend) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		for _, prefix := range []string{StoppedPrefix, nodeTasksRoot, "ecs/"} {
			kvs, err := tx.List(prefix, "", 0)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				if isIndexKey(kv.Key) {
					out[kv.Key] = string(kv.Value)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBuildIndexesBatched rebuilds the indexes of 1,000 tasks on a store
// bounded at 128 keys per transaction, once in one go and once with the
// start stopped half way (a crash between two batches): the next start
// finishes the job, and both leave exactly the indexes the tasks' writes
// kept.
func TestBuildIndexesBatched(t *testing.T) {
	ctx := context.Background()
	db := openBoundDB(t)
	// 1,000 tasks on 40 instances of two clusters, one in five stopped.
	const n = 1000
	td := testDefinition(16, 32, 0)
	for start := 0; start < n; start += 20 {
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < start+20; i++ {
				cluster := []string{testCluster, "d"}[i%2]
				inst := testScope.ContainerInstanceARN(cluster, fmt.Sprintf("i%02d", i%40))
				l := &Launch{Scope: testScope, Cluster: cluster, Definition: td, LaunchType: ecstypes.LaunchTypeEc2, Count: 1,
					Group: fmt.Sprintf("service:s%d", i%7)}
				task, err := CreateTask(tx, l, Target{Node: fmt.Sprintf("n%d", i%3), Instance: inst}, testNow)
				if err != nil {
					return err
				}
				if i%5 == 0 {
					rec, _, err := FindTask(tx, testScope, cluster, LastSegment(shape.Deref(task.TaskArn)))
					if err != nil {
						return err
					}
					MarkStopped(&rec, testNow)
					if err := PutTask(tx, testScope, cluster, &rec); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	want := indexSnapshot(t, db)
	if len(want) < 2*n {
		t.Fatalf("only %d index entries for %d tasks", len(want), n)
	}
	// An older layout: the mark gone, an entry lost, a stray one.
	unbuild := func() {
		t.Helper()
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			for k := range want {
				if err := tx.Delete(k); err != nil {
					return err
				}
				break
			}
			if err := tx.Put(idxRoot(testScope)+"group-tasks/stray", nil); err != nil {
				return err
			}
			return tx.Delete(IndexVersionKey)
		}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		crashAfter int // transactions before the first start stops; 0: none, < 0: that many before the end
	}{
		{"in one start", 0},
		{"stopped while dropping the old entries", 3},
		{"stopped near the end of the tasks", -5},
	}
	full := 0 // transactions of a whole build
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unbuild()
			db.reset()
			if tt.crashAfter < 0 {
				tt.crashAfter += full
			}
			if tt.crashAfter > 0 {
				db.crashAfter = tt.crashAfter
				if _, err := BuildIndexes(ctx, db); !errors.Is(err, errCrash) {
					t.Fatalf("interrupted start: %v", err)
				}
				db.crashAfter = 0
				var marked bool
				_ = db.View(ctx, func(tx store.ReadTx) error { _, marked, _ = tx.Get(IndexVersionKey); return nil })
				if marked {
					t.Fatal("an interrupted build marked the store indexed")
				}
			}
			built, err := BuildIndexes(ctx, db)
			if err != nil || !built {
				t.Fatalf("BuildIndexes: built %v, %v", built, err)
			}
			most, txns := db.maxWritten()
			t.Logf("%d transactions, at most %d keys each", txns, most)
			if full == 0 {
				full = txns
			}
			if most > etcdBound {
				t.Errorf("a transaction wrote %d keys", most)
			}
			got := indexSnapshot(t, db)
			if !maps.Equal(got, want) {
				missing, extra := 0, 0
				for k, v := range want {
					if got[k] != v {
						missing++
					}
				}
				for k := range got {
					if _, ok := want[k]; !ok {
						extra++
					}
				}
				t.Fatalf("rebuilt %d entries, want %d: %d missing or different, %d extra", len(got), len(want), missing, extra)
			}
			if built, err := BuildIndexes(ctx, db); err != nil || built {
				t.Fatalf("next start: built %v, %v", built, err)
			}
		})
	}
}

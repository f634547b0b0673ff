package state

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/store"
)

func testInstance() InstanceRecord {
	return InstanceRecord{NodeID: "node-1", Instance: ecstypes.ContainerInstance{
		ContainerInstanceArn: new(testScope.ContainerInstanceARN("prod", "feedface")), Ec2InstanceId: new("i-feedface"), Version: 2,
		Status: new("ACTIVE"), AgentConnected: true, RunningTasksCount: 1, RegisteredAt: shape.TimeOf(shape.Now().Time),
		RegisteredResources: []ecstypes.Resource{{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: 2048},
			{Name: new("PORTS_UDP"), Type: new("STRINGSET"), StringSetValue: []string{}}},
		Attributes: []ecstypes.Attribute{{Name: new("ecs.os-type"), Value: new("linux")}, {Name: new("com.amazonaws.ecs.capability.task-iam-role")}},
		Tags:       []ecstypes.Tag{}, Attachments: []ecstypes.Attachment{},
	}}
}

// TestInstanceRecordForms: the versioned form round-trips through the
// store, a legacy record (the wire shape, as wharf wrote it before) reads
// the same, and the cluster counts' partial decode (awsapi/ecs
// instanceHead) still finds the status.
func TestInstanceRecordForms(t *testing.T) {
	rec := testInstance()
	legacy, err := json.Marshal(legacyInstanceRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	current, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(current, []byte(`{"v":1,`)) {
		t.Fatalf("stored form %.40s", current)
	}
	for _, c := range []struct {
		name string
		in   []byte
	}{{"legacy", legacy}, {"current", current}} {
		t.Run(c.name, func(t *testing.T) {
			var got InstanceRecord
			if err := json.Unmarshal(c.in, &got); err != nil {
				t.Fatal(err)
			}
			gw, _ := json.Marshal(got.Instance)
			ww, _ := json.Marshal(rec.Instance)
			if !bytes.Equal(gw, ww) || got.NodeID != rec.NodeID {
				t.Fatalf("decoded\n%s\nwant\n%s", gw, ww)
			}
			var head struct {
				Instance struct {
					Status *string `json:"status"`
				} `json:"instance"`
			}
			if err := json.Unmarshal(c.in, &head); err != nil || shape.Deref(head.Instance.Status) != "ACTIVE" {
				t.Fatalf("head status %v, err %v", head.Instance.Status, err)
			}
		})
	}
	db := openTestDB(t)
	ctx := context.Background()
	key := InstanceKey(testScope, "prod", "feedface")
	if _, err := db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, key, rec) }); err != nil {
		t.Fatal(err)
	}
	if err := db.View(ctx, func(tx store.ReadTx) error {
		got, ok, err := store.Get[InstanceRecord](tx, key)
		if err != nil || !ok {
			t.Fatalf("get: %v %v", ok, err)
		}
		if !got.Instance.RegisteredAt.Equal(rec.Instance.RegisteredAt.Time) {
			t.Fatalf("registeredAt %v, want %v", got.Instance.RegisteredAt, rec.Instance.RegisteredAt)
		}
		got.Instance.RegisteredAt = rec.Instance.RegisteredAt
		if !reflect.DeepEqual(got, rec) {
			t.Fatalf("store round trip\n got %+v\nwant %+v", got, rec)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestTaskDefRecordForms: as TestInstanceRecordForms, for task definition
// revisions; empty tags are left out as the legacy form's omitempty did.
func TestTaskDefRecordForms(t *testing.T) {
	td := ecstypes.TaskDefinition{TaskDefinitionArn: new(testScope.TaskDefinitionARN("web", 3)), Family: new("web"), Revision: 3,
		Status: ecstypes.TaskDefinitionStatusActive, ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: new("app"),
			Image: new("wharf-test/app"), Essential: new(true), Environment: []ecstypes.KeyValuePair{}}},
		Volumes: []ecstypes.Volume{}, Compatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityEc2}}
	tests := []struct {
		name string
		rec  TaskDefRecord
		want []ecstypes.Tag
	}{
		{"with tags", TaskDefRecord{TaskDefinition: td, Tags: []ecstypes.Tag{{Key: new("k"), Value: new("v")}}}, []ecstypes.Tag{{Key: new("k"), Value: new("v")}}},
		{"empty tags", TaskDefRecord{TaskDefinition: td, Tags: []ecstypes.Tag{}}, nil},
		{"no tags", TaskDefRecord{TaskDefinition: td}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacy, err := json.Marshal(legacyTaskDefRecord(tt.rec))
			if err != nil {
				t.Fatal(err)
			}
			current, err := json.Marshal(tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range [][]byte{legacy, current} {
				var got TaskDefRecord
				if err := json.Unmarshal(in, &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.TaskDefinition, td) || !reflect.DeepEqual(got.Tags, tt.want) {
					t.Fatalf("from %s\n got %+v\nwant %+v tags %+v", in, got, td, tt.want)
				}
			}
		})
	}
}

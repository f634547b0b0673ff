package state

import (
	"context"
	"errors"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

func TestSetAttachmentStatus(t *testing.T) {
	ctx := context.Background()
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	attARN := func(id string) string { return "arn:aws:ecs:us-east-1:000000000000:attachment/" + id }
	tests := []struct {
		name    string
		cluster string
		changes []AttachmentChange
		wantErr func(error) bool
		want    map[string]string // attachment id → status afterwards
	}{
		{"by ARN", "web", []AttachmentChange{{attARN("eni-a"), "ATTACHED"}}, nil,
			map[string]string{"eni-a": "ATTACHED", "eni-b": "PRECREATED"}},
		{"by id, two tasks", "web", []AttachmentChange{{"eni-a", "DETACHED"}, {"eni-b", "DELETED"}}, nil,
			map[string]string{"eni-a": "DETACHED", "eni-b": "DELETED"}},
		{"unknown attachment changes nothing", "web", []AttachmentChange{{"eni-a", "ATTACHED"}, {"eni-x", "ATTACHED"}},
			func(err error) bool { var inv *InvalidError; return errors.As(err, &inv) },
			map[string]string{"eni-a": "PRECREATED", "eni-b": "PRECREATED"}},
		{"unknown cluster", "gone", []AttachmentChange{{"eni-a", "ATTACHED"}},
			func(err error) bool { return errors.Is(err, ErrClusterNotFound) },
			map[string]string{"eni-a": "PRECREATED", "eni-b": "PRECREATED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			putCluster(t, db, sc, "web", "ACTIVE")
			for i, eni := range []string{"eni-a", "eni-b"} {
				rec := model.TaskRecord{Task: ecstypes.Task{TaskArn: new(sc.TaskARN("web", "t"+string(rune('0'+i)))), Version: 1,
					LastStatus: new("RUNNING"), DesiredStatus: new("RUNNING"),
					Attachments: []ecstypes.Attachment{{Id: new(eni), Type: new("ElasticNetworkInterface"), Status: new("PRECREATED")}}}}
				if _, err := db.Update(ctx, func(tx store.Tx) error { return PutTask(tx, sc, "web", &rec) }); err != nil {
					t.Fatal(err)
				}
			}
			err := SetAttachmentStatus(ctx, db, sc, tt.cluster, tt.changes)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !tt.wantErr(err) {
				t.Fatalf("err = %v", err)
			}
			tasks, err := listTasks(ctx, db, sc, "web")
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range tasks {
				att := rec.Task.Attachments[0]
				if got := shape.Deref(att.Status); got != tt.want[shape.Deref(att.Id)] {
					t.Errorf("%s: %s, want %s", shape.Deref(att.Id), got, tt.want[shape.Deref(att.Id)])
				}
				if changed := shape.Deref(att.Status) != "PRECREATED"; changed != (rec.Task.Version == 2) {
					t.Errorf("%s: version %d after status %s", shape.Deref(att.Id), rec.Task.Version, shape.Deref(att.Status))
				}
			}
		})
	}
}

func listTasks(ctx context.Context, db store.Backend, sc model.Scope, cluster string) ([]model.TaskRecord, error) {
	var out []model.TaskRecord
	err := db.View(ctx, func(tx store.ReadTx) error {
		var err error
		out, err = store.List[model.TaskRecord](tx, TasksPrefix(sc, cluster))
		return err
	})
	return out, err
}

package ecs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func newTestAPI(t *testing.T) (*API, store.Backend) {
	t.Helper()
	db := testdb.Bolt(t, bolt.Options{})
	return New(db, slog.New(slog.NewTextHandler(io.Discard, nil))), db
}

// TestDeleteClusterRefusesWhileInUse seeds the records that RunTask,
// CreateService and RegisterContainerInstance will write, and checks that
// DeleteCluster refuses with ECS's exceptions and counts them.
func TestDeleteClusterRefusesWhileInUse(t *testing.T) {
	sc := model.Scope{Account: awsapi.DefaultAccount, Region: awsapi.DefaultRegion}
	tests := []struct {
		name string
		seed func(tx store.Tx) error
		code string
	}{
		{"active service", func(tx store.Tx) error {
			return store.Put(tx, state.ServicesPrefix(sc, "busy")+"web", model.ServiceRecord{Service: ecstypes.Service{Status: new("ACTIVE"), LaunchType: ecstypes.LaunchTypeFargate}})
		}, codeClusterContainsServices},
		{"running task", func(tx store.Tx) error {
			return state.PutTask(tx, sc, "busy", &model.TaskRecord{Task: ecstypes.Task{TaskArn: new(sc.TaskARN("busy", "t1")), LastStatus: new("RUNNING"), LaunchType: ecstypes.LaunchTypeEc2}})
		}, codeClusterContainsTasks},
		{"pending task", func(tx store.Tx) error {
			return state.PutTask(tx, sc, "busy", &model.TaskRecord{Task: ecstypes.Task{TaskArn: new(sc.TaskARN("busy", "t2")), LastStatus: new("PROVISIONING")}})
		}, codeClusterContainsTasks},
		{"container instance", func(tx store.Tx) error {
			return store.Put(tx, state.InstancesPrefix(sc, "busy")+"i1", state.InstanceRecord{Instance: ecstypes.ContainerInstance{Status: new("ACTIVE"), ContainerInstanceArn: new(sc.ContainerInstanceARN("busy", "i1"))}})
		}, codeClusterContainsInstances},
		{"only stopped tasks", func(tx store.Tx) error {
			return state.PutTask(tx, sc, "busy", &model.TaskRecord{Task: ecstypes.Task{TaskArn: new(sc.TaskARN("busy", "t3")), LastStatus: new("STOPPED")}})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, db := newTestAPI(t)
			ctx := context.Background()
			if _, err := api.CreateCluster(ctx, &ecstypes.CreateClusterRequest{ClusterName: new("busy")}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Update(ctx, tt.seed); err != nil {
				t.Fatal(err)
			}
			desc, err := api.DescribeClusters(ctx, &ecstypes.DescribeClustersRequest{Clusters: []string{"busy"},
				Include: []ecstypes.ClusterField{ecstypes.ClusterFieldStatistics}})
			if err != nil {
				t.Fatal(err)
			}
			cl := desc.Clusters[0]
			counted := cl.RunningTasksCount + cl.PendingTasksCount + cl.ActiveServicesCount + cl.RegisteredContainerInstancesCount
			_, err = api.DeleteCluster(ctx, &ecstypes.DeleteClusterRequest{Cluster: new("busy")})
			if tt.code == "" {
				if err != nil || counted != 0 {
					t.Fatalf("delete: %v (counted %d)", err, counted)
				}
				return
			}
			var ae *awsapi.Error
			if !errors.As(err, &ae) || ae.Code != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if counted != 1 {
				t.Fatalf("DescribeClusters counted %d records, want 1: %+v", counted, cl)
			}
		})
	}
}

package ecs

import (
	"context"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// reapInactive runs the reaper's cluster pass (state.ReapInactiveClusters)
// at the API's clock.
func reapInactive(ctx context.Context, api *API) (int, error) {
	n := 0
	_, err := api.DB.Update(ctx, func(tx store.Tx) (err error) {
		n, err = state.ReapInactiveClusters(tx, api.Now(), model.InactiveClusterRetention)
		return err
	})
	return n, err
}

func TestReapInactiveClusters(t *testing.T) {
	api, _ := newTestAPI(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	api.Now = func() time.Time { return now }
	for _, name := range []string{"old", "recent", "live", "reborn"} {
		if _, err := api.CreateCluster(ctx, &ecstypes.CreateClusterRequest{ClusterName: new(name)}); err != nil {
			t.Fatal(err)
		}
	}
	del := func(name string) {
		t.Helper()
		if _, err := api.DeleteCluster(ctx, &ecstypes.DeleteClusterRequest{Cluster: new(name)}); err != nil {
			t.Fatal(err)
		}
	}
	del("old")
	del("reborn")
	now = now.Add(50 * time.Minute)
	del("recent")
	if _, err := api.CreateCluster(ctx, &ecstypes.CreateClusterRequest{ClusterName: new("reborn")}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute) // old: 70 min ago; recent: 20 min ago

	n, err := reapInactive(ctx, api)
	if err != nil || n != 1 {
		t.Fatalf("reaped %d (%v), want 1", n, err)
	}
	tests := []struct {
		name, status string // status "" means no longer described
	}{
		{"old", ""},
		{"recent", clusterInactive},
		{"live", clusterActive},
		{"reborn", clusterActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := api.DescribeClusters(ctx, &ecstypes.DescribeClustersRequest{Clusters: []string{tt.name}})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(out.Clusters) == 1 {
				got = derefStr(out.Clusters[0].Status)
			}
			if got != tt.status {
				t.Fatalf("status %q, want %q (failures %+v)", got, tt.status, out.Failures)
			}
		})
	}
	if n, err := reapInactive(ctx, api); err != nil || n != 0 {
		t.Fatalf("second pass reaped %d (%v), want 0", n, err)
	}
}

package ecs

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// walk calls list page by page (its token in, the page's items and token
// out) until a page has no token, and returns every item; a bounded loop.
func walk(t *testing.T, list func(tok *string) ([]string, *string, error)) []string {
	t.Helper()
	var all []string
	var tok *string
	for range 100 {
		items, next, err := list(tok)
		if err != nil {
			t.Fatal(err)
		}
		if next != nil && len(items) == 0 {
			t.Fatalf("an empty page with a token after %v", all)
		}
		all = append(all, items...)
		if next == nil {
			return all
		}
		tok = next
	}
	t.Fatalf("no last page after 100 pages: %v", all)
	return nil
}

// The List operations read their records a page at a time (StorePage):
// every page size walks the whole filtered list, in order, and the last
// page hands out no token even when records the filter drops follow it.
func TestListPagingThroughTheStore(t *testing.T) {
	api, db := newTestAPI(t)
	ctx := context.Background()
	sc := awsapi.ScopeOf(ctx)
	if _, err := api.CreateCluster(ctx, &ecstypes.CreateClusterRequest{ClusterName: new("c")}); err != nil {
		t.Fatal(err)
	}
	_, err := db.Update(ctx, func(tx store.Tx) error {
		for i := range 7 {
			name := fmt.Sprintf("svc%d", i)
			st, lt := "ACTIVE", ecstypes.LaunchTypeEc2
			switch {
			case i%3 == 1:
				st = model.ServiceInactive
			case i == 6: // the last record is one the filter drops
				lt = ecstypes.LaunchTypeFargate
			}
			rec := model.ServiceRecord{Service: ecstypes.Service{ServiceName: new(name), ServiceArn: new(sc.ServiceARN("c", name)), Status: new(st), LaunchType: lt}}
			if err := store.Put(tx, state.ServiceKey(sc, "c", name), rec); err != nil {
				return err
			}
		}
		for i, active := range []int{1, 0, 2, 0, 1} {
			f := fmt.Sprintf("fam%d", i)
			if err := store.Put(tx, state.FamilyKey(sc, f), state.FamilyRecord{Family: f, Active: active}); err != nil {
				return err
			}
		}
		return store.Put(tx, state.FamilyKey(sc, "other"), state.FamilyRecord{Family: "other", Active: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := api.CreateCluster(ctx, &ecstypes.CreateClusterRequest{ClusterName: new(fmt.Sprintf("k%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	arns := func(prefix string, names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, prefix+n)
		}
		return out
	}
	tests := []struct {
		name string
		list func(size int32) func(tok *string) ([]string, *string, error)
		want []string
	}{
		{"clusters", func(size int32) func(*string) ([]string, *string, error) {
			return func(tok *string) ([]string, *string, error) {
				out, err := api.ListClusters(ctx, &ecstypes.ListClustersRequest{MaxResults: &size, NextToken: tok})
				if err != nil {
					return nil, nil, err
				}
				return out.ClusterArns, out.NextToken, nil
			}
		}, arns(sc.ClusterARN(""), "c", "k0", "k1", "k2", "k3", "k4")},
		{"EC2 services, not INACTIVE", func(size int32) func(*string) ([]string, *string, error) {
			return func(tok *string) ([]string, *string, error) {
				out, err := api.ListServices(ctx, &ecstypes.ListServicesRequest{Cluster: new("c"), LaunchType: ecstypes.LaunchTypeEc2, MaxResults: &size, NextToken: tok})
				if err != nil {
					return nil, nil, err
				}
				return out.ServiceArns, out.NextToken, nil
			}
		}, arns(sc.ServiceARN("c", ""), "svc0", "svc2", "svc3", "svc5")},
		{"ACTIVE families by prefix", func(size int32) func(*string) ([]string, *string, error) {
			return func(tok *string) ([]string, *string, error) {
				out, err := api.ListTaskDefinitionFamilies(ctx, &ecstypes.ListTaskDefinitionFamiliesRequest{FamilyPrefix: new("fam"), MaxResults: &size, NextToken: tok})
				if err != nil {
					return nil, nil, err
				}
				return out.Families, out.NextToken, nil
			}
		}, []string{"fam0", "fam2", "fam4"}},
		{"INACTIVE families", func(size int32) func(*string) ([]string, *string, error) {
			return func(tok *string) ([]string, *string, error) {
				out, err := api.ListTaskDefinitionFamilies(ctx, &ecstypes.ListTaskDefinitionFamiliesRequest{Status: ecstypes.TaskDefinitionFamilyStatusInactive, MaxResults: &size, NextToken: tok})
				if err != nil {
					return nil, nil, err
				}
				return out.Families, out.NextToken, nil
			}
		}, []string{"fam1", "fam3"}},
	}
	for _, tc := range tests {
		for _, size := range []int32{1, 2, 3, 100} {
			t.Run(fmt.Sprintf("%s by %d", tc.name, size), func(t *testing.T) {
				if got := walk(t, tc.list(size)); !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestListPagingRefusesAnotherListsToken(t *testing.T) {
	api, _ := newTestAPI(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := api.CreateCluster(ctx, &ecstypes.CreateClusterRequest{ClusterName: new(fmt.Sprintf("k%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := api.ListClusters(ctx, &ecstypes.ListClustersRequest{MaxResults: new(int32(1))})
	if err != nil || out.NextToken == nil {
		t.Fatalf("first page: %v, token %v", err, out)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"families with a clusters token", func() error {
			_, err := api.ListTaskDefinitionFamilies(ctx, &ecstypes.ListTaskDefinitionFamiliesRequest{NextToken: out.NextToken})
			return err
		}},
		{"clusters with a made-up token", func() error {
			_, err := api.ListClusters(ctx, &ecstypes.ListClustersRequest{NextToken: new("not-a-token")})
			return err
		}},
		{"maxResults over 100", func() error {
			_, err := api.ListClusters(ctx, &ecstypes.ListClustersRequest{MaxResults: new(int32(101))})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !awsapi.IsCode(err, awsapi.CodeInvalidParameter) {
				t.Fatalf("got %v, want %s", err, awsapi.CodeInvalidParameter)
			}
		})
	}
}

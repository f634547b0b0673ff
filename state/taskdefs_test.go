package state

import (
	"context"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/store"
)

// TestLatestActiveTaskDef registers and deregisters revisions as the ECS
// API does and checks the indexed answer against the revisions themselves.
func TestLatestActiveTaskDef(t *testing.T) {
	const family = "web"
	tests := []struct {
		name       string
		register   int
		deregister []int32
		legacy     bool // the family record predates LatestActive
		want       int32
	}{
		{name: "none registered", register: 0, want: 0},
		{name: "latest of three", register: 3, want: 3},
		{name: "latest deregistered", register: 3, deregister: []int32{3}, want: 2},
		{name: "several top ones deregistered", register: 5, deregister: []int32{5, 3, 4}, want: 2},
		{name: "an older one deregistered", register: 3, deregister: []int32{2}, want: 3},
		{name: "all deregistered", register: 2, deregister: []int32{2, 1}, want: 0},
		{name: "legacy record scans", register: 4, deregister: []int32{4}, legacy: true, want: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTestDB(t)
			ctx := context.Background()
			_, err := db.Update(ctx, func(tx store.Tx) error {
				fam := FamilyRecord{Family: family}
				for range tc.register {
					rev := fam.LastRevision + 1
					NoteRegistered(&fam, rev)
					td := ecstypes.TaskDefinition{Family: new(family), Revision: rev, Status: ecstypes.TaskDefinitionStatusActive}
					if err := store.Put(tx, TaskDefKey(testScope, family, rev), TaskDefRecord{TaskDefinition: td}); err != nil {
						return err
					}
				}
				for _, rev := range tc.deregister {
					rec, _, err := store.Get[TaskDefRecord](tx, TaskDefKey(testScope, family, rev))
					if err != nil {
						return err
					}
					rec.TaskDefinition.Status = ecstypes.TaskDefinitionStatusInactive
					if err := store.Put(tx, TaskDefKey(testScope, family, rev), rec); err != nil {
						return err
					}
					if err := NoteDeregistered(tx, testScope, &fam, rev); err != nil {
						return err
					}
				}
				if tc.legacy {
					fam.LatestActive = 0
				}
				if tc.register == 0 {
					return nil
				}
				return store.Put(tx, FamilyKey(testScope, family), fam)
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.View(ctx, func(tx store.ReadTx) error {
				rec, ok, err := LatestActiveTaskDef(tx, testScope, family)
				if err != nil {
					return err
				}
				got := int32(0)
				if ok {
					got = rec.TaskDefinition.Revision
				}
				if got != tc.want {
					t.Errorf("latest ACTIVE revision = %d, want %d", got, tc.want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

package state

import (
	"fmt"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// The family record indexes its latest ACTIVE revision: registering a
// revision makes it the latest; deregistering the latest moves the index to
// the next lower ACTIVE revision (a downward walk, at write time only).

// NoteRegistered records rev as the family's newest, ACTIVE revision.
func NoteRegistered(fam *FamilyRecord, rev int32) {
	fam.Active++
	fam.LastRevision = max(fam.LastRevision, rev)
	fam.LatestActive = rev
}

// NoteDeregistered records that rev of fam is no longer ACTIVE; the caller
// stores rev's record as INACTIVE in the same transaction, before or after.
func NoteDeregistered(tx store.ReadTx, sc model.Scope, fam *FamilyRecord, rev int32) error {
	fam.Active--
	if fam.LatestActive != rev {
		return nil
	}
	fam.LatestActive = 0
	if fam.Active <= 0 {
		return nil
	}
	for r := rev - 1; r > 0; r-- {
		rec, ok, err := store.Get[TaskDefRecord](tx, TaskDefKey(sc, fam.Family, r))
		if err != nil {
			return fmt.Errorf("state: latest active revision of %s: %w", fam.Family, err)
		}
		if ok && rec.TaskDefinition.Status == ecstypes.TaskDefinitionStatusActive {
			fam.LatestActive = r
			return nil
		}
	}
	return nil
}

// LatestActiveTaskDef is the family's latest ACTIVE revision: one read of
// the family record and one of the revision. A family record from before
// the index (LatestActive 0 with ACTIVE revisions) falls back to a scan.
func LatestActiveTaskDef(tx store.ReadTx, sc model.Scope, family string) (TaskDefRecord, bool, error) {
	fam, ok, err := store.Get[FamilyRecord](tx, FamilyKey(sc, family))
	if err != nil || !ok || fam.Active <= 0 {
		return TaskDefRecord{}, false, err
	}
	if fam.LatestActive > 0 {
		rec, ok, err := store.Get[TaskDefRecord](tx, TaskDefKey(sc, family, fam.LatestActive))
		if err != nil || ok && rec.TaskDefinition.Status == ecstypes.TaskDefinitionStatusActive {
			return rec, ok, err
		}
		// An index out of step would be a bug; the scan still answers right.
	}
	revs, err := store.List[TaskDefRecord](tx, FamilyRevsPrefix(sc, family))
	if err != nil {
		return TaskDefRecord{}, false, err
	}
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].TaskDefinition.Status == ecstypes.TaskDefinitionStatusActive {
			return revs[i], true, nil
		}
	}
	return TaskDefRecord{}, false, nil
}

package state

import (
	"context"
	"fmt"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// AttachmentChange is an agent's report of one task attachment's status
// (an awsvpc task's ENI), by attachment ARN or id.
type AttachmentChange struct {
	AttachmentARN string
	Status        string
}

// attachmentPlan is a task whose attachments a report changes, as read on
// the snapshot, with the revision its commit checks.
type attachmentPlan struct {
	key    string
	modRev int64
	rec    model.TaskRecord
}

// SetAttachmentStatus records the statuses of changes, each attachment
// found among the tasks of cluster. Finding them takes a scan of the
// cluster's tasks, so it runs on a snapshot; the write transaction then
// checks and rewrites only the tasks that hold a changed attachment (each
// through PutTask: the task and its index entries). An unknown attachment
// is an *InvalidError and changes nothing; a cluster that is not ACTIVE is
// ErrClusterNotFound.
func SetAttachmentStatus(ctx context.Context, db store.Backend, sc model.Scope, cluster string, changes []AttachmentChange) error {
	plan := func(tx store.ReadTx) ([]attachmentPlan, error) {
		if err := RequireCluster(tx, sc, cluster); err != nil {
			return nil, err
		}
		tasks, err := store.List[model.TaskRecord](tx, TasksPrefix(sc, cluster))
		if err != nil {
			return nil, err
		}
		changed := map[int]bool{}
		for _, ch := range changes {
			if !setAttachment(tasks, LastSegment(ch.AttachmentARN), ch.Status, changed) {
				return nil, &InvalidError{fmt.Sprintf("The referenced attachment was not found in cluster %s: %s.", cluster, ch.AttachmentARN)}
			}
		}
		var out []attachmentPlan
		for i := range tasks {
			if !changed[i] {
				continue
			}
			key := TaskKey(sc, cluster, LastSegment(shape.Deref(tasks[i].Task.TaskArn)))
			kv, ok, err := tx.Get(key)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue // cannot happen on one snapshot; nothing to write
			}
			tasks[i].Task.Version++
			out = append(out, attachmentPlan{key: key, modRev: kv.ModRev, rec: tasks[i]})
		}
		return out, nil
	}
	commit := func(tx store.Tx, p []attachmentPlan) error {
		for i := range p {
			if err := store.CheckRev(tx, p[i].key, p[i].modRev); err != nil {
				return err
			}
			if err := PutTask(tx, sc, cluster, &p[i].rec); err != nil {
				return err
			}
		}
		return nil
	}
	_, _, err := store.Optimistic(ctx, db, plan, commit)
	return err
}

// setAttachment sets the status of attachment id wherever tasks hold it,
// marks those tasks in changed, and reports whether any did.
func setAttachment(tasks []model.TaskRecord, id, status string, changed map[int]bool) bool {
	found := false
	for i := range tasks {
		for j := range tasks[i].Task.Attachments {
			att := &tasks[i].Task.Attachments[j]
			if shape.Deref(att.Id) == id {
				att.Status = new(status)
				changed[i], found = true, true
			}
		}
	}
	return found
}

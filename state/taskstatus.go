package state

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// The task state machine: how an agent's reports move a task's actual
// state. ApplyTaskStatus and MergeContainer are pure folds of a report into
// a record; ReportTaskStatus and ReportContainer find the task and commit
// the fold in one small transaction.

// msgTaskNotFound is ECS's answer to a state change for an unknown task.
const msgTaskNotFound = "The referenced task was not found."

// ReportTaskStatus applies an agent's task report (see ApplyTaskStatus) to
// the task taskRef of cluster clusterRef (a task ARN's own cluster wins).
// An unknown task is an *InvalidError.
func ReportTaskStatus(ctx context.Context, db store.Backend, sc model.Scope, clusterRef, taskRef string, st agentproto.TaskStatus, now time.Time) error {
	return applyReport(ctx, db, sc, clusterRef, taskRef, func(rec *model.TaskRecord) bool {
		return ApplyTaskStatus(rec, st, now)
	})
}

// ReportContainer applies one container's report (see MergeContainer) to
// the task taskRef, found as in ReportTaskStatus.
func ReportContainer(ctx context.Context, db store.Backend, sc model.Scope, clusterRef, taskRef string, c ecstypes.Container) error {
	return applyReport(ctx, db, sc, clusterRef, taskRef, func(rec *model.TaskRecord) bool {
		// As before the move, a container report alone does not bump the
		// task's version.
		return MergeContainer(rec, c)
	})
}

// applyReport reads the task, folds the report in and writes it back only
// when something changed. It writes the task record and, through PutTask,
// its index entries and its node's assignment key: a handful of keys.
func applyReport(ctx context.Context, db store.Backend, sc model.Scope, clusterRef, taskRef string, apply func(*model.TaskRecord) bool) error {
	cluster := ReportCluster(clusterRef, taskRef)
	_, err := db.Update(ctx, func(tx store.Tx) error {
		rec, ok, err := FindTask(tx, sc, cluster, taskRef)
		if err != nil {
			return err
		}
		if !ok {
			return &InvalidError{msgTaskNotFound}
		}
		if !apply(&rec) {
			return nil
		}
		return PutTask(tx, sc, cluster, &rec)
	})
	return err
}

// ReportCluster is the cluster a report is about: the one in the task's
// ARN when taskRef is an ARN, else clusterRef (or the default cluster).
func ReportCluster(clusterRef, taskRef string) string {
	if arn, ok := model.ParseARN(taskRef); ok {
		if c, _, found := CutTaskResource(arn.Resource); found {
			return c
		}
	}
	return model.ClusterName(clusterRef)
}

// CutTaskResource splits a task ARN's resource, "task/CLUSTER/ID".
func CutTaskResource(res string) (cluster, id string, ok bool) {
	rest, found := strings.CutPrefix(res, "task/")
	i := strings.LastIndexByte(rest, '/')
	if !found || i < 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// containerRank orders container states; reports never move one back.
func containerRank(s string) int {
	switch s {
	case "PENDING":
		return 0
	case "RUNNING":
		return 1
	case "STOPPED":
		return 2
	}
	return -1
}

// ApplyTaskStatus folds an agent's report into a task record. It is the one
// place that moves a task's actual state: states only advance, a STOPPED
// task takes no more reports, and the first stop code and reason win (a
// user's StopTask reason is not replaced by the agent's). Timestamps are
// set once: a late or repeated report never moves them. It reports whether
// anything changed, and bumps the task's version when it did.
func ApplyTaskStatus(rec *model.TaskRecord, st agentproto.TaskStatus, now time.Time) bool {
	t := &rec.Task
	if shape.Deref(t.LastStatus) == model.TaskStopped {
		return false
	}
	before := snapshot(t)
	for _, c := range st.Containers {
		MergeContainer(rec, c)
	}
	if st.HealthStatus != "" {
		t.HealthStatus = st.HealthStatus
	}
	if len(st.Attachments) > 0 {
		t.Attachments = st.Attachments
	}
	setOnce(&t.PullStartedAt, st.PullStartedAt)
	setOnce(&t.PullStoppedAt, st.PullStoppedAt)
	setOnce(&t.ExecutionStoppedAt, st.ExecutionStoppedAt)
	if model.TaskStatusAdvances(shape.Deref(t.LastStatus), st.LastStatus) {
		t.LastStatus = new(st.LastStatus)
		rank := model.TaskStatusRank(st.LastStatus)
		if rank >= model.TaskStatusRank(model.TaskRunning) {
			setOnce(&t.StartedAt, firstNonZero(st.StartedAt, now))
		}
		if rank >= model.TaskStatusRank(model.TaskDeactivating) {
			// The task is on its way out, whoever decided it.
			t.DesiredStatus = new(DesiredStopped)
			if t.StopCode == "" {
				t.StopCode = st.StopCode
			}
			if shape.Deref(t.StoppedReason) == "" && st.StoppedReason != "" {
				t.StoppedReason = new(st.StoppedReason)
			}
			setOnce(&t.StoppingAt, firstNonZero(st.StoppingAt, now))
		}
		if st.LastStatus == model.TaskStopped {
			t.StoppedAt = shape.TimeOf(now)
			setOnce(&t.ExecutionStoppedAt, now)
		}
	}
	if snapshot(t) == before {
		return false
	}
	t.Version++
	return true
}

// MergeContainer applies one container report, matched by name, and
// reports whether the container changed. A STOPPED container takes no
// more reports and its status never moves back; the other fields take the
// latest value reported. It does not bump the task's version.
func MergeContainer(rec *model.TaskRecord, c ecstypes.Container) bool {
	for i := range rec.Task.Containers {
		cur := &rec.Task.Containers[i]
		if shape.Deref(cur.Name) != shape.Deref(c.Name) {
			continue
		}
		if shape.Deref(cur.LastStatus) == "STOPPED" {
			return false
		}
		before := containerSnapshot(*cur)
		if containerRank(shape.Deref(c.LastStatus)) > containerRank(shape.Deref(cur.LastStatus)) {
			cur.LastStatus = c.LastStatus
		}
		if c.RuntimeId != nil {
			cur.RuntimeId = c.RuntimeId
		}
		if c.ImageDigest != nil {
			cur.ImageDigest = c.ImageDigest
		}
		if c.ExitCode != nil {
			cur.ExitCode = c.ExitCode
		}
		if c.Reason != nil {
			cur.Reason = c.Reason
		}
		if c.HealthStatus != "" {
			cur.HealthStatus = c.HealthStatus
		}
		if c.NetworkBindings != nil {
			cur.NetworkBindings = c.NetworkBindings
		}
		if c.NetworkInterfaces != nil {
			cur.NetworkInterfaces = c.NetworkInterfaces
		}
		return containerSnapshot(*cur) != before
	}
	return false
}

func setOnce(ts *shape.Timestamp, t time.Time) {
	if ts.IsZero() && !t.IsZero() {
		*ts = shape.TimeOf(t)
	}
}

func firstNonZero(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}

// snapshot is a comparable image of a task, to tell whether a report
// changed anything (and so whether to bump its version and write).
func snapshot(t *ecstypes.Task) string {
	b, _ := json.Marshal(t)
	return string(b)
}

func containerSnapshot(c ecstypes.Container) string {
	b, _ := json.Marshal(c)
	return string(b)
}

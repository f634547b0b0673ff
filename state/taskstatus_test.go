package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

func taskIn(last, desired string, code ecstypes.TaskStopCode, reason string) model.TaskRecord {
	t := ecstypes.Task{LastStatus: new(last), DesiredStatus: new(desired), StopCode: code, Version: 1,
		Containers: []ecstypes.Container{{Name: new("app"), LastStatus: new("PENDING")}}}
	if reason != "" {
		t.StoppedReason = new(reason)
	}
	return model.TaskRecord{Task: t}
}

func TestApplyTaskStatus(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	running := ecstypes.Container{Name: new("app"), LastStatus: new("RUNNING"), RuntimeId: new("abc")}
	exited := ecstypes.Container{Name: new("app"), LastStatus: new("STOPPED"), ExitCode: new(int32(3))}
	tests := []struct {
		name        string
		rec         model.TaskRecord
		report      agentproto.TaskStatus
		changed     bool
		last        string
		desired     string
		code        ecstypes.TaskStopCode
		reason      string
		containerSt string
	}{
		{"advances to running", taskIn("PROVISIONING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "RUNNING", Containers: []ecstypes.Container{running}},
			true, "RUNNING", "RUNNING", "", "", "RUNNING"},
		{"never moves back", taskIn("RUNNING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "PENDING"},
			false, "RUNNING", "RUNNING", "", "", "PENDING"},
		{"late report of an earlier state changes nothing", taskIn("STOPPING", "STOPPED", ecstypes.TaskStopCodeUserInitiated, "bye"),
			agentproto.TaskStatus{LastStatus: "RUNNING"},
			false, "STOPPING", "STOPPED", ecstypes.TaskStopCodeUserInitiated, "bye", "PENDING"},
		{"repeat report changes nothing", taskIn("RUNNING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "RUNNING"},
			false, "RUNNING", "RUNNING", "", "", "PENDING"},
		{"unknown status changes nothing", taskIn("PENDING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "BOGUS"},
			false, "PENDING", "RUNNING", "", "", "PENDING"},
		{"container report alone still counts", taskIn("RUNNING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "RUNNING", Containers: []ecstypes.Container{running}},
			true, "RUNNING", "RUNNING", "", "", "RUNNING"},
		{"essential exit stops with the agent's code", taskIn("RUNNING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "STOPPED", StopCode: ecstypes.TaskStopCodeEssentialContainerExited,
				StoppedReason: "Essential container in task exited", Containers: []ecstypes.Container{exited}},
			true, "STOPPED", "STOPPED", ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited", "STOPPED"},
		{"jump from PROVISIONING straight to STOPPED", taskIn("PROVISIONING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "STOPPED", StopCode: ecstypes.TaskStopCodeTaskFailedToStart,
				StoppedReason: "CannotPullContainerError: no such image"},
			true, "STOPPED", "STOPPED", ecstypes.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: no such image", "PENDING"},
		{"user's reason wins over the agent's", taskIn("RUNNING", "STOPPED", ecstypes.TaskStopCodeUserInitiated, "deploying"),
			agentproto.TaskStatus{LastStatus: "STOPPED", StopCode: ecstypes.TaskStopCodeEssentialContainerExited, StoppedReason: "Essential container in task exited"},
			true, "STOPPED", "STOPPED", ecstypes.TaskStopCodeUserInitiated, "deploying", "PENDING"},
		{"stopped task takes no more reports", taskIn("STOPPED", "STOPPED", ecstypes.TaskStopCodeUserInitiated, "x"),
			agentproto.TaskStatus{LastStatus: "RUNNING", Containers: []ecstypes.Container{running}},
			false, "STOPPED", "STOPPED", ecstypes.TaskStopCodeUserInitiated, "x", "PENDING"},
		{"stopping on its own sets desired STOPPED", taskIn("RUNNING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "STOPPING", StopCode: ecstypes.TaskStopCodeEssentialContainerExited, StoppedReason: "Essential container in task exited"},
			true, "STOPPING", "STOPPED", ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited", "PENDING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec
			v := rec.Task.Version
			changed := ApplyTaskStatus(&rec, tt.report, now)
			if changed != tt.changed {
				t.Fatalf("changed = %v, want %v", changed, tt.changed)
			}
			task := rec.Task
			if shape.Deref(task.LastStatus) != tt.last || shape.Deref(task.DesiredStatus) != tt.desired {
				t.Fatalf("last %s desired %s, want %s %s", shape.Deref(task.LastStatus), shape.Deref(task.DesiredStatus), tt.last, tt.desired)
			}
			if task.StopCode != tt.code || shape.Deref(task.StoppedReason) != tt.reason {
				t.Fatalf("stop %s %q, want %s %q", task.StopCode, shape.Deref(task.StoppedReason), tt.code, tt.reason)
			}
			if got := shape.Deref(task.Containers[0].LastStatus); got != tt.containerSt {
				t.Fatalf("container %s, want %s", got, tt.containerSt)
			}
			if (task.Version != v) != changed {
				t.Fatalf("version %d→%d with changed=%v", v, task.Version, changed)
			}
			if tt.last == "STOPPED" && changed && (task.StoppedAt.IsZero() || task.ExecutionStoppedAt.IsZero() || task.StoppingAt.IsZero()) {
				t.Fatalf("stop times not all set: stopping %v executionStopped %v stopped %v", task.StoppingAt, task.ExecutionStoppedAt, task.StoppedAt)
			}
			if tt.last == "RUNNING" && shape.Deref(tt.rec.Task.LastStatus) != "RUNNING" && task.StartedAt.IsZero() {
				t.Fatal("startedAt not set")
			}
		})
	}
}

// Timestamps are set by the first report that carries them; later and
// repeated reports never move them.
func TestApplyTaskStatusSetsTimesOnce(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	rec := taskIn("PROVISIONING", "RUNNING", "", "")
	steps := []struct {
		name   string
		report agentproto.TaskStatus
		now    time.Time
	}{
		{"pull starts", agentproto.TaskStatus{LastStatus: "PENDING", PullStartedAt: at(1)}, at(1)},
		{"pull ends", agentproto.TaskStatus{LastStatus: "PENDING", PullStartedAt: at(9), PullStoppedAt: at(2)}, at(2)},
		{"running with the agent's start time", agentproto.TaskStatus{LastStatus: "RUNNING", StartedAt: at(3)}, at(4)},
		{"running again, later", agentproto.TaskStatus{LastStatus: "RUNNING", StartedAt: at(8)}, at(8)},
		{"stopping without a time takes now", agentproto.TaskStatus{LastStatus: "STOPPING"}, at(10)},
		{"stopped", agentproto.TaskStatus{LastStatus: "STOPPED", StoppingAt: at(99), ExecutionStoppedAt: at(11)}, at(12)},
		{"late stopped repeat", agentproto.TaskStatus{LastStatus: "STOPPED", ExecutionStoppedAt: at(50)}, at(50)},
	}
	for _, s := range steps {
		ApplyTaskStatus(&rec, s.report, s.now)
	}
	task := rec.Task
	for _, c := range []struct {
		name string
		got  shape.Timestamp
		want time.Time
	}{
		{"pullStartedAt", task.PullStartedAt, at(1)},
		{"pullStoppedAt", task.PullStoppedAt, at(2)},
		{"startedAt", task.StartedAt, at(3)},
		{"stoppingAt", task.StoppingAt, at(10)},
		{"executionStoppedAt", task.ExecutionStoppedAt, at(11)},
		{"stoppedAt", task.StoppedAt, at(12)},
	} {
		if !c.got.Time.Equal(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got.Time, c.want)
		}
	}
}

func TestMergeContainer(t *testing.T) {
	base := func(status string) model.TaskRecord {
		return model.TaskRecord{Task: ecstypes.Task{Containers: []ecstypes.Container{
			{Name: new("app"), LastStatus: new(status), RuntimeId: new("r1")},
			{Name: new("side"), LastStatus: new("PENDING")},
		}}}
	}
	tests := []struct {
		name    string
		rec     model.TaskRecord
		report  ecstypes.Container
		changed bool
		status  string
		check   func(ecstypes.Container) bool
	}{
		{"advances", base("PENDING"), ecstypes.Container{Name: new("app"), LastStatus: new("RUNNING")}, true, "RUNNING", nil},
		{"never moves back", base("RUNNING"), ecstypes.Container{Name: new("app"), LastStatus: new("PENDING")}, false, "RUNNING", nil},
		{"repeat changes nothing", base("RUNNING"), ecstypes.Container{Name: new("app"), LastStatus: new("RUNNING"), RuntimeId: new("r1")}, false, "RUNNING", nil},
		{"fields take the latest value", base("RUNNING"),
			ecstypes.Container{Name: new("app"), RuntimeId: new("r2"), HealthStatus: ecstypes.HealthStatusHealthy},
			true, "RUNNING", func(c ecstypes.Container) bool {
				return shape.Deref(c.RuntimeId) == "r2" && c.HealthStatus == ecstypes.HealthStatusHealthy
			}},
		{"exit code with the stop", base("RUNNING"),
			ecstypes.Container{Name: new("app"), LastStatus: new("STOPPED"), ExitCode: new(int32(137)), Reason: new("OOM")},
			true, "STOPPED", func(c ecstypes.Container) bool {
				return shape.Deref(c.ExitCode) == 137 && shape.Deref(c.Reason) == "OOM"
			}},
		{"stopped container takes no more reports", base("STOPPED"),
			ecstypes.Container{Name: new("app"), ExitCode: new(int32(1))}, false, "STOPPED",
			func(c ecstypes.Container) bool { return c.ExitCode == nil }},
		{"unknown name changes nothing", base("PENDING"), ecstypes.Container{Name: new("ghost"), LastStatus: new("RUNNING")}, false, "PENDING", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec
			if got := MergeContainer(&rec, tt.report); got != tt.changed {
				t.Fatalf("changed = %v, want %v", got, tt.changed)
			}
			c := rec.Task.Containers[0]
			if shape.Deref(c.LastStatus) != tt.status {
				t.Fatalf("status %s, want %s", shape.Deref(c.LastStatus), tt.status)
			}
			if tt.check != nil && !tt.check(c) {
				t.Fatalf("container %+v", c)
			}
			if shape.Deref(rec.Task.Containers[1].LastStatus) != "PENDING" {
				t.Fatal("the other container moved")
			}
		})
	}
}

func TestReportCluster(t *testing.T) {
	tests := []struct {
		name, clusterRef, taskRef, want string
	}{
		{"task ARN names the cluster", "", "arn:aws:ecs:us-east-1:000000000000:task/web/abc", "web"},
		{"task ARN beats the cluster given", "other", "arn:aws:ecs:us-east-1:000000000000:task/web/abc", "web"},
		{"id with a cluster name", "web", "abc", "web"},
		{"id with a cluster ARN", "arn:aws:ecs:us-east-1:000000000000:cluster/web", "abc", "web"},
		{"id alone is the default cluster", "", "abc", "default"},
		{"old-style task ARN falls back", "web", "arn:aws:ecs:us-east-1:000000000000:task/abc", "web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReportCluster(tt.clusterRef, tt.taskRef); got != tt.want {
				t.Fatalf("ReportCluster(%q, %q) = %q, want %q", tt.clusterRef, tt.taskRef, got, tt.want)
			}
		})
	}
}

// The reports through the store: an unknown task is refused, a report is
// written with its indexes, and a STOPPED task leaves its node's
// assignments.
func TestReportTaskStatus(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	arn := sc.TaskARN("web", "abc")
	rec := taskIn("PENDING", "RUNNING", "", "")
	rec.Task.TaskArn, rec.NodeID = new(arn), "n1"
	if _, err := db.Update(ctx, func(tx store.Tx) error { return PutTask(tx, sc, "web", &rec) }); err != nil {
		t.Fatal(err)
	}
	assigned := func() int {
		resp, err := Assignments(ctx, db, "n1")
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.Tasks)
	}
	if n := assigned(); n != 1 {
		t.Fatalf("%d assignments before, want 1", n)
	}

	var inv *InvalidError
	if err := ReportTaskStatus(ctx, db, sc, "web", "nope", agentproto.TaskStatus{LastStatus: "RUNNING"}, now); !errors.As(err, &inv) {
		t.Fatalf("unknown task: err = %v, want an InvalidError", err)
	}
	if err := ReportContainer(ctx, db, sc, "", arn, ecstypes.Container{Name: new("app"), LastStatus: new("RUNNING")}); err != nil {
		t.Fatal(err)
	}
	if err := ReportTaskStatus(ctx, db, sc, "", arn, agentproto.TaskStatus{LastStatus: "STOPPED", StopCode: ecstypes.TaskStopCodeEssentialContainerExited}, now); err != nil {
		t.Fatal(err)
	}
	var got model.TaskRecord
	if err := db.View(ctx, func(tx store.ReadTx) error {
		var err error
		got, _, err = FindTask(tx, sc, "web", arn)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if shape.Deref(got.Task.LastStatus) != "STOPPED" || shape.Deref(got.Task.Containers[0].LastStatus) != "RUNNING" || got.Task.Version != 2 {
		t.Fatalf("stored task: last %s container %s version %d", shape.Deref(got.Task.LastStatus), shape.Deref(got.Task.Containers[0].LastStatus), got.Task.Version)
	}
	if n := assigned(); n != 0 {
		t.Fatalf("%d assignments after STOPPED, want 0", n)
	}
}

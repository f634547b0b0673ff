package ecs

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
)

func taskIn(last, desired string, code ecstypes.TaskStopCode, reason string) model.TaskRecord {
	t := ecstypes.Task{LastStatus: new(last), DesiredStatus: new(desired), StopCode: code, Version: 1,
		Containers: []ecstypes.Container{{Name: new("app"), LastStatus: new("PENDING")}}}
	if reason != "" {
		t.StoppedReason = new(reason)
	}
	return model.TaskRecord{Task: t}
}

func TestApplyStatus(t *testing.T) {
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
		{"repeat report changes nothing", taskIn("RUNNING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "RUNNING"},
			false, "RUNNING", "RUNNING", "", "", "PENDING"},
		{"essential exit stops with the agent's code", taskIn("RUNNING", "RUNNING", "", ""),
			agentproto.TaskStatus{LastStatus: "STOPPED", StopCode: ecstypes.TaskStopCodeEssentialContainerExited,
				StoppedReason: "Essential container in task exited", Containers: []ecstypes.Container{exited}},
			true, "STOPPED", "STOPPED", ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited", "STOPPED"},
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
			changed := applyStatus(&rec, tt.report, now)
			if changed != tt.changed {
				t.Fatalf("changed = %v, want %v", changed, tt.changed)
			}
			task := rec.Task
			if derefStr(task.LastStatus) != tt.last || derefStr(task.DesiredStatus) != tt.desired {
				t.Fatalf("last %s desired %s, want %s %s", derefStr(task.LastStatus), derefStr(task.DesiredStatus), tt.last, tt.desired)
			}
			if task.StopCode != tt.code || derefStr(task.StoppedReason) != tt.reason {
				t.Fatalf("stop %s %q, want %s %q", task.StopCode, derefStr(task.StoppedReason), tt.code, tt.reason)
			}
			if got := derefStr(task.Containers[0].LastStatus); got != tt.containerSt {
				t.Fatalf("container %s, want %s", got, tt.containerSt)
			}
			if (task.Version != v) != changed {
				t.Fatalf("version %d→%d with changed=%v", v, task.Version, changed)
			}
			if tt.last == "STOPPED" && changed && task.StoppedAt.IsZero() {
				t.Fatal("stoppedAt not set")
			}
			if tt.last == "RUNNING" && changed && task.StartedAt.IsZero() {
				t.Fatal("startedAt not set")
			}
		})
	}
}

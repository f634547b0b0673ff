package ecs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/state"
)

// The state machine's own tests are in state (taskstatus_test.go); here,
// only what the HTTP side adds: decoding and the mapping of errors.

func TestStateErr(t *testing.T) {
	storeFailure := errors.New("disk on fire")
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
		same     bool // passed through unchanged
	}{
		{"invalid input", &state.InvalidError{Message: "The referenced task was not found."}, awsapi.CodeInvalidParameter, "The referenced task was not found.", false},
		{"wrapped invalid input", fmt.Errorf("register: %w", &state.InvalidError{Message: "bad"}), awsapi.CodeInvalidParameter, "bad", false},
		{"cluster not found", fmt.Errorf("%w: web", state.ErrClusterNotFound), codeClusterNotFound, msgClusterNotFound, false},
		{"store failure stays as it is", storeFailure, "", "", true},
		{"nil is nil", nil, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stateErr(tt.err)
			if tt.same {
				if got != tt.err {
					t.Fatalf("stateErr(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			var apiErr *awsapi.Error
			if !errors.As(got, &apiErr) || apiErr.Code != tt.wantCode || apiErr.Message != tt.wantMsg {
				t.Fatalf("stateErr(%v) = %v, want %s: %s", tt.err, got, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestStatusFromStandard(t *testing.T) {
	pulled := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	in := &ecstypes.SubmitTaskStateChangeRequest{
		Task: new("arn:aws:ecs:us-east-1:000000000000:task/web/abc"), Status: new("STOPPED"), Reason: new("done"),
		PullStartedAt: shape.TimeOf(pulled),
		Containers:    []ecstypes.ContainerStateChange{{ContainerName: new("app"), Status: new("STOPPED"), ExitCode: new(int32(2)), RuntimeId: new("r1")}},
	}
	st := statusFromStandard(in)
	if st.TaskARN != *in.Task || st.LastStatus != "STOPPED" || st.StoppedReason != "done" || !st.PullStartedAt.Equal(pulled) {
		t.Fatalf("status %+v", st)
	}
	if len(st.Containers) != 1 {
		t.Fatalf("containers %+v", st.Containers)
	}
	c := st.Containers[0]
	if derefStr(c.Name) != "app" || derefStr(c.LastStatus) != "STOPPED" || *c.ExitCode != 2 || derefStr(c.RuntimeId) != "r1" {
		t.Fatalf("container %+v", c)
	}
}

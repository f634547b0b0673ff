package scheduler

import (
	"reflect"
	"testing"
)

func TestPlaceDaemon(t *testing.T) {
	const group = "service:log-agent"
	in := cluster(8, 1024, 1024)
	in[1].Tasks = []PlacedTask{running("d1", group, 128, 128)}
	in[2].Status = StatusDraining
	in[2].Tasks = []PlacedTask{running("d2", group, 128, 128)}
	in[3].AgentConnected = false
	in[4].Tasks = []PlacedTask{running("big", "service:web", 0, 1000)}
	pending := running("d5a", group, 128, 128)
	pending.LastStatus = "PENDING"
	in[5].Tasks = []PlacedTask{pending, running("d5b", group, 128, 128)}
	in[6] = withAttrs(in[6], "stack", "dev")
	in[6].Tasks = []PlacedTask{running("d6", group, 128, 128)}
	in[7].Tasks = []PlacedTask{stopping(running("d7", group, 128, 128))} // being replaced

	task := webTask(128, 128)
	task.Group = group
	task.Constraints = []Constraint{{Type: MemberOf, Expression: "not(attribute:stack == dev)"}}
	task.Strategies = []Strategy{{Type: Binpack, Field: "memory"}} // ignored for daemons

	r, err := PlaceDaemon(task, in)
	if err != nil {
		t.Fatal(err)
	}
	want := DaemonResult{
		Placements: []Placement{placementOf(in, 0), placementOf(in, 7)},
		Failures:   []Failure{{in[3].ARN, ReasonAgent}, {in[4].ARN, ReasonMemory}},
		Ineligible: []Failure{{in[2].ARN, StatusDraining}, {in[6].ARN, ReasonMemberOf}},
		Stop:       []string{"d5a", "d6"},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("PlaceDaemon =\n%+v\nwant\n%+v", r, want)
	}

	t.Run("invalid constraint", func(t *testing.T) {
		task := task
		task.Constraints = []Constraint{{Type: MemberOf, Expression: "(("}}
		if _, err := PlaceDaemon(task, in); err == nil {
			t.Error("no error for a bad expression")
		}
	})
}

func placementOf(in []Instance, i int) Placement {
	return Placement{InstanceARN: in[i].ARN, InstanceID: in[i].ID, Index: i}
}

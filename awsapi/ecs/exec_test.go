package ecs

import (
	"slices"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		bad  bool
	}{
		{name: "one word", in: "/bin/sh", want: []string{"/bin/sh"}},
		{name: "blanks separate", in: "  ls   -la\t/tmp ", want: []string{"ls", "-la", "/tmp"}},
		{name: "double quotes group", in: `sh -c "echo hello; exit 3"`, want: []string{"sh", "-c", "echo hello; exit 3"}},
		{name: "single quotes keep backslashes", in: `echo 'a\b'`, want: []string{"echo", `a\b`}},
		{name: "backslash escapes a blank", in: `echo a\ b`, want: []string{"echo", "a b"}},
		{name: "empty quotes are a word", in: `printf ""`, want: []string{"printf", ""}},
		{name: "empty", in: "   ", bad: true},
		{name: "unterminated quote", in: `sh -c "echo`, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitCommand(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("split %q = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("split %q = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestTranscriptGroup(t *testing.T) {
	td := ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
		{Name: new("app"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/app"}}},
		{Name: new("side")},
	}}
	cluster := func(cfg *ecstypes.ExecuteCommandConfiguration) ecstypes.Cluster {
		return ecstypes.Cluster{Configuration: &ecstypes.ClusterConfiguration{ExecuteCommandConfiguration: cfg}}
	}
	tests := []struct {
		name      string
		c         ecstypes.Cluster
		container string
		want      string
	}{
		{name: "no configuration uses the container's awslogs group", c: ecstypes.Cluster{}, container: "app", want: "/ecs/app"},
		{name: "DEFAULT uses the container's awslogs group", c: cluster(&ecstypes.ExecuteCommandConfiguration{Logging: ecstypes.ExecuteCommandLoggingDefault}), container: "app", want: "/ecs/app"},
		{name: "DEFAULT without awslogs logs nothing", c: cluster(&ecstypes.ExecuteCommandConfiguration{Logging: ecstypes.ExecuteCommandLoggingDefault}), container: "side"},
		{name: "NONE logs nothing", c: cluster(&ecstypes.ExecuteCommandConfiguration{Logging: ecstypes.ExecuteCommandLoggingNone}), container: "app"},
		{name: "OVERRIDE names its group", c: cluster(&ecstypes.ExecuteCommandConfiguration{Logging: ecstypes.ExecuteCommandLoggingOverride,
			LogConfiguration: &ecstypes.ExecuteCommandLogConfiguration{CloudWatchLogGroupName: new("/exec/audit")}}), container: "side", want: "/exec/audit"},
		{name: "OVERRIDE without a group logs nothing", c: cluster(&ecstypes.ExecuteCommandConfiguration{Logging: ecstypes.ExecuteCommandLoggingOverride}), container: "app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := transcriptGroup(tc.c, td, tc.container); got != tc.want {
				t.Errorf("group = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWithExecAgent(t *testing.T) {
	started := shape.Timestamp{}
	task := ecstypes.Task{StartedAt: started, Containers: []ecstypes.Container{{Name: new("a"), LastStatus: new("RUNNING")}, {Name: new("b"), LastStatus: new("PENDING")}}}
	t.Run("not enabled: no managed agent", func(t *testing.T) {
		got := withExecAgent(task)
		if len(got.Containers[0].ManagedAgents) != 0 {
			t.Errorf("managed agents = %+v", got.Containers[0].ManagedAgents)
		}
	})
	t.Run("enabled: the agent follows each container", func(t *testing.T) {
		task := task
		task.EnableExecuteCommand = true
		got := withExecAgent(task)
		for i, want := range []string{"RUNNING", "PENDING"} {
			ma := got.Containers[i].ManagedAgents
			if len(ma) != 1 || ma[0].Name != ecstypes.ManagedAgentNameExecuteCommandAgent || derefStr(ma[0].LastStatus) != want {
				t.Errorf("container %d managed agents = %+v, want one %s", i, ma, want)
			}
		}
		if len(task.Containers[0].ManagedAgents) != 0 {
			t.Error("the stored task was changed")
		}
	})
}

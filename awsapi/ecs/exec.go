package ecs

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/ssmsession"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// ExecSessions grants ECS Exec sessions: the broker that serves their
// data channels (ssmsession.Broker).
type ExecSessions interface {
	Open(t ssmsession.Target) (ssmsession.Grant, error)
}

// TranscriptOpener opens a CloudWatch Logs stream that a session's
// transcript is written to (in the scope's account and region).
type TranscriptOpener func(sc model.Scope, group, stream string) (io.WriteCloser, error)

// execConfig is what ExecuteCommand needs beyond the store.
type execConfig struct {
	sessions    ExecSessions
	transcripts TranscriptOpener
}

// UseExec enables ExecuteCommand; without it every call is refused with
// TargetNotConnectedException (no agent can run commands). transcripts
// may be nil (no session logging).
func (a *API) UseExec(s ExecSessions, transcripts TranscriptOpener) {
	a.exec = execConfig{sessions: s, transcripts: transcripts}
}

// ECS's own wording for ExecuteCommand's refusals.
const (
	codeTargetNotConnected = "TargetNotConnectedException"
	msgExecNotEnabled      = "The execute command failed because execute command was not enabled when the task was run " +
		"or the execute command agent isn't running. Wait and try the command again or run a new task with execute " +
		"command enabled and try again."
	msgExecInternal       = "The execute command failed due to an internal error. Try again later."
	msgInteractiveOnly    = "Interactive is the only mode supported currently."
	msgExecTaskNotFound   = "The referenced task was not found."
	msgContainerAmbiguous = "Container name must be specified when the task has more than one container."
)

// ExecuteCommand grants a session that runs a command in a task's
// container: the client (the aws CLI's session-manager-plugin, or any
// data channel client) connects to streamUrl with tokenValue.
func (a *API) ExecuteCommand(ctx context.Context, in *ecstypes.ExecuteCommandRequest) (*ecstypes.ExecuteCommandResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := model.ClusterName(derefStr(in.Cluster))
	if !in.Interactive {
		return nil, invalidParam("%s", msgInteractiveOnly)
	}
	cmd, err := splitCommand(derefStr(in.Command))
	if err != nil {
		return nil, invalidParam("The command cannot be run: %v.", err)
	}
	var rec model.TaskRecord
	var cluster ecstypes.Cluster
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, name); err != nil {
			return err
		}
		c, _, err := store.Get[ecstypes.Cluster](tx, state.ClusterKey(sc, name))
		if err != nil {
			return err
		}
		cluster = c
		r, ok, err := state.FindTask(tx, sc, name, derefStr(in.Task))
		if err != nil {
			return err
		}
		if !ok {
			return invalidParam("%s", msgExecTaskNotFound)
		}
		rec = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := rec.Task
	if !t.EnableExecuteCommand || derefStr(t.LastStatus) != model.TaskRunning || derefStr(t.DesiredStatus) != state.DesiredRunning {
		return nil, invalidParam("%s", msgExecNotEnabled)
	}
	c, err := execContainer(t.Containers, derefStr(in.Container))
	if err != nil {
		return nil, err
	}
	if derefStr(c.LastStatus) != model.TaskRunning || derefStr(c.RuntimeId) == "" {
		return nil, invalidParam("%s", msgExecNotEnabled)
	}
	if a.exec.sessions == nil {
		return nil, awsapi.Errorf(codeTargetNotConnected, "%s", msgExecInternal)
	}
	target := ssmsession.Target{TaskARN: derefStr(t.TaskArn), Cluster: name, NodeID: rec.NodeID, Container: derefStr(c.Name),
		RuntimeID: derefStr(c.RuntimeId), Cmd: cmd, Interactive: true}
	if group := transcriptGroup(cluster, rec.Definition, target.Container); group != "" && a.exec.transcripts != nil {
		open := a.exec.transcripts
		target.Transcript = func(sessionID string) (io.WriteCloser, error) { return open(sc, group, sessionID) }
	}
	g, err := a.exec.sessions.Open(target)
	if err != nil {
		a.Log.Warn("ecs exec: cannot grant a session", "task", target.TaskARN, "err", err)
		return nil, awsapi.Errorf(codeTargetNotConnected, "%s", msgExecInternal)
	}
	url := strings.Replace(awsapiEndpoint(ctx), "http://", "ws://", 1) + ssmsession.StreamPath + g.SessionID
	return &ecstypes.ExecuteCommandResponse{
		ClusterArn: t.ClusterArn, TaskArn: t.TaskArn, ContainerArn: c.ContainerArn, ContainerName: c.Name,
		Interactive: true,
		Session:     &ecstypes.Session{SessionId: new(g.SessionID), StreamUrl: new(url), TokenValue: new(g.Token)},
	}, nil
}

// execContainer picks the container a session runs in: the one named, or
// the task's only one.
func execContainer(cs []ecstypes.Container, name string) (ecstypes.Container, error) {
	if name == "" {
		if len(cs) != 1 {
			return ecstypes.Container{}, invalidParam("%s", msgContainerAmbiguous)
		}
		return cs[0], nil
	}
	for _, c := range cs {
		if derefStr(c.Name) == name {
			return c, nil
		}
	}
	return ecstypes.Container{}, invalidParam("The container %s does not exist in the task.", name)
}

// transcriptGroup is the log group a session's transcript goes to under
// the cluster's executeCommandConfiguration: NONE logs nothing; OVERRIDE
// names its group; DEFAULT (or no configuration) uses the container's
// awslogs group, when it has one.
func transcriptGroup(c ecstypes.Cluster, td ecstypes.TaskDefinition, container string) string {
	var cfg *ecstypes.ExecuteCommandConfiguration
	if c.Configuration != nil {
		cfg = c.Configuration.ExecuteCommandConfiguration
	}
	logging := ecstypes.ExecuteCommandLoggingDefault
	if cfg != nil && cfg.Logging != "" {
		logging = cfg.Logging
	}
	switch logging {
	case ecstypes.ExecuteCommandLoggingNone:
		return ""
	case ecstypes.ExecuteCommandLoggingOverride:
		if cfg.LogConfiguration != nil {
			return derefStr(cfg.LogConfiguration.CloudWatchLogGroupName)
		}
		return ""
	}
	for _, cd := range td.ContainerDefinitions {
		if derefStr(cd.Name) == container && cd.LogConfiguration != nil && cd.LogConfiguration.LogDriver == ecstypes.LogDriverAwslogs {
			return cd.LogConfiguration.Options["awslogs-group"]
		}
	}
	return ""
}

// withExecAgent shows the ExecuteCommandAgent managed agent on each
// container of a task run with enableExecuteCommand, RUNNING while the
// container is (wharf's agent answers for it: there is no separate SSM
// agent to wait for).
func withExecAgent(t ecstypes.Task) ecstypes.Task {
	if !t.EnableExecuteCommand {
		return t
	}
	cs := make([]ecstypes.Container, len(t.Containers))
	for i, c := range t.Containers {
		status := derefStr(c.LastStatus)
		if status == "" {
			status = "PENDING"
		}
		agent := ecstypes.ManagedAgent{Name: ecstypes.ManagedAgentNameExecuteCommandAgent, LastStatus: new(status)}
		if status == model.TaskRunning || status == "STOPPED" {
			agent.LastStartedAt = t.StartedAt
		}
		c.ManagedAgents = []ecstypes.ManagedAgent{agent}
		cs[i] = c
	}
	t.Containers = cs
	return t
}

// splitCommand splits ECS Exec's command string into arguments as a shell
// would split words: blanks separate, single and double quotes group, a
// backslash escapes the next character. It does not expand anything: ECS
// runs the command itself, not through a shell.
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, errors.New("it has an unterminated quote or escape")
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("it is empty")
	}
	return args, nil
}

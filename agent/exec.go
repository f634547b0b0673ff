package agent

import (
	"context"
	"fmt"

	"github.com/wharfhq/wharf/runtime/docker"
	"github.com/wharfhq/wharf/ssmsession"
)

// Label the ECS agent puts on every task container (DESIGN: contracts).
const taskARNLabel = "com.amazonaws.ecs.task-arn"

// Exec runs an ECS Exec session's command in one of this host's task
// containers, with a TTY, through the engine's exec API. It is the
// ssmsession.Starter of the embedded agent (`wharf up`), registered for
// this agent's node: the control plane calls it in-process. A fleet's
// agent would serve the same call through a relay from the control plane
// (registered for its own node); today a task on another host's agent is
// refused with TargetNotConnectedException.
func (a *Agent) Exec(ctx context.Context, t ssmsession.Target, rows, cols uint) (ssmsession.Process, error) {
	// The session names the container by its Docker id; checking its
	// task label keeps a session from reaching a container that is not
	// the task's (an id reused or mistyped).
	st, err := a.cfg.Runtime.InspectContainer(ctx, t.RuntimeID)
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w", t.Container, err)
	}
	if st.Labels[taskARNLabel] != t.TaskARN {
		return nil, fmt.Errorf("exec in %s: container %s is not part of task %s", t.Container, t.RuntimeID, t.TaskARN)
	}
	if !st.Running {
		return nil, fmt.Errorf("exec in %s: the container is %s", t.Container, st.Status)
	}
	e, err := a.cfg.Runtime.Exec(ctx, t.RuntimeID, docker.ExecSpec{Cmd: t.Cmd, TTY: true, Rows: rows, Cols: cols})
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w", t.Container, err)
	}
	return e, nil
}

var _ ssmsession.Starter = (*Agent)(nil).Exec

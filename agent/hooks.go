package agent

import (
	"context"
	"maps"

	"github.com/wharfhq/wharf/agentproto"
)

// A containerHook prepares one container of a task before it is created:
// it returns environment variables to add (resolved secrets, the
// credentials URI, …) or an error that fails the task to start. The runner
// reports that error as "ResourceInitializationError: <error>", so its text
// must say what is missing, e.g. `unable to retrieve secret from asm: …`.
// Hooks must be idempotent: an adopted task's containers may be prepared
// again after a restart.
type containerHook func(ctx context.Context, as agentproto.Assignment, container string) (map[string]string, error)

// hookMakers build the agent's container hooks; each feature adds its own
// from an init function in its own file (logs.go, secrets.go, …), so they
// touch no shared code.
var hookMakers []func(a *Agent) containerHook

// extraEnv runs every hook for a container, in order; later hooks win on
// the same variable.
func (a *Agent) extraEnv(ctx context.Context, as agentproto.Assignment, container string) (map[string]string, error) {
	env := map[string]string{}
	for _, h := range a.hooks {
		add, err := h(ctx, as, container)
		if err != nil {
			return nil, err
		}
		maps.Copy(env, add)
	}
	return env, nil
}

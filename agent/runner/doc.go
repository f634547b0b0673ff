// Package runner runs one ECS task on the local Docker engine with ECS's
// lifecycle: task states PROVISIONING → PENDING → RUNNING → STOPPING →
// DEPROVISIONING → STOPPED (only ever forward), container dependencies
// (dependsOn START, COMPLETE, SUCCESS, HEALTHY; links and volumesFrom),
// essential containers, health checks, stop timeouts, the awsvpc network
// namespace (a pause container that the task's containers join) and ECS's
// stop codes and reasons.
//
// A Runner is made per task by the agent (New), driven by Run, told of a
// newer assignment (a StopTask) by Update, and reports every change of the
// task's status through the report callback. Run first adopts the
// containers that already carry the task's ARN label, so a restarted wharf
// continues its tasks; ending Run's context leaves containers running.
// Cleanup removes a stopped task's containers and task-scoped volumes.
//
// Inside, the decisions are a pure function: next(view) computes, from the
// task's desired status, its containers' definitions and their observed
// states, what to do now (pull, create, start or stop a container, move the
// task's status). The Run loop observes (engine events, inspecting only
// when an event leaves something out),
// calls next and applies the actions, the engine operations on goroutines
// of its own whose results come back to the loop. See README.md.
//
// Import rules: runner imports model, agentproto, api/ecstypes and
// runtime/docker (through the Runtime interface it declares); it must not
// import the agent, the control plane, or testkit outside its tests.
package runner

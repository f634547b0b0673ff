package runner

import (
	"fmt"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
)

// This file is the runner's decision logic: next computes, from what the
// task should be and what the engine shows, what to do now. It does no I/O
// and reads no clock; the Run loop observes, calls next and applies.

// ECS's reasons (stoppedReason and container reason).
const (
	reasonEssentialExited = "Essential container in task exited"
	// The ECS agent marks a container whose dependencies can never be met
	// STOPPED with exit code 143 and this prefix on the dependency error.
	reasonCannotStart  = "CannotStartContainerError: "
	reasonCannotCreate = "CannotCreateContainerError: "
	reasonCannotPull   = "CannotPullContainerError: "
	// The ECS reason when a task's network (its ENI; here, the pause
	// container) cannot be set up.
	reasonResourceInit = "ResourceInitializationError: "
	reasonOOM          = "OutOfMemoryError: Container killed due to memory usage"
	dependencyExitCode = 143
)

// phase is how far a container has got. It only moves forward.
type phase int

const (
	phaseNone    phase = iota // not created
	phaseCreated              // created, never started
	phaseRunning
	phaseStopped // exited, failed, or abandoned before it ran
)

// op is the engine operation in flight for a container, if any.
type op int

const (
	opNone op = iota
	opPull
	opCreate
	opStart
	opStop
	opProvision // the pause container: create, start, learn its IP
)

// dependency is one dependsOn entry (or the implicit START of a link or
// volumesFrom).
type dependency struct {
	Container string
	Condition ecstypes.ContainerCondition
}

// cview is what next knows of one container: its definition and its
// observed state.
type cview struct {
	Name         string
	Image        string
	Essential    bool
	HealthCheck  bool
	DependsOn    []dependency
	StartTimeout time.Duration // how long others wait on it (startTimeout)

	Phase      phase
	Op         op
	ImageReady bool
	Started    bool // it ran at some point
	StartedAt  time.Time
	ExitCode   *int
	Health     string // Docker's: "", starting, healthy, unhealthy
	StopSent   bool
	Reason     string
}

// view is the task as next sees it.
type view struct {
	Now           time.Time
	Desired       string // model.TaskRunning or model.TaskStopped
	DesiredCode   ecstypes.TaskStopCode
	DesiredReason string
	Status        string // the task's lastStatus so far
	Awsvpc        bool
	Pause         cview // awsvpc only
	Containers    []cview
}

type actionKind int

const (
	actStatus    actionKind = iota // move the task to Status (StopCode, Reason on STOPPING)
	actProvision                   // set up the pause container
	actPull                        // ensure the container's image
	actCreate
	actStart
	actStop    // stop a running container, with its stop timeout
	actAbandon // mark a container that never ran STOPPED (Reason, ExitCode)
)

// action is one step for the Run loop to apply. Container is a container
// name, or PauseContainerName.
type action struct {
	Kind      actionKind
	Container string
	Status    string
	StopCode  ecstypes.TaskStopCode
	Reason    string
	ExitCode  *int
}

// next decides what to do now. It also returns when to look again if
// nothing happens before (a dependency's startTimeout); zero means never.
func next(v view) ([]action, time.Time) {
	p := &planner{v: v, status: v.Status}
	if v.Status == model.TaskStopped {
		return nil, time.Time{}
	}
	if code, reason, stop := stopCause(v); stop {
		p.stop(code, reason)
	} else {
		p.run()
	}
	return p.acts, p.wake
}

type planner struct {
	v      view
	status string // the task's status including the actions decided so far
	acts   []action
	wake   time.Time
}

func (p *planner) add(a action) { p.acts = append(p.acts, a) }

// advance moves the task forward to s; it never moves it back.
func (p *planner) advance(s string, code ecstypes.TaskStopCode, reason string) {
	if model.TaskStatusAdvances(p.status, s) {
		p.status = s
		p.add(action{Kind: actStatus, Status: s, StopCode: code, Reason: reason})
	}
}

func (p *planner) find(name string) *cview {
	for i := range p.v.Containers {
		if p.v.Containers[i].Name == name {
			return &p.v.Containers[i]
		}
	}
	return nil
}

// stopCause tells whether the task must stop, and why. Once the task is
// STOPPING its code and reason are settled (the loop keeps them).
//
// An explicit stop (StopTask, the service scheduler) wins; then a pause
// container or essential container that failed before it ran
// (TaskFailedToStart, with the container's reason: CannotPullContainerError…);
// then one that ran and exited (EssentialContainerExited).
func stopCause(v view) (ecstypes.TaskStopCode, string, bool) {
	if model.TaskStatusRank(v.Status) >= model.TaskStatusRank(model.TaskStopping) {
		return "", "", true
	}
	if v.Desired == model.TaskStopped {
		return v.DesiredCode, v.DesiredReason, true
	}
	failed := func(c cview) (ecstypes.TaskStopCode, string, bool) {
		if c.Phase != phaseStopped {
			return "", "", false
		}
		if !c.Started && c.Reason != "" {
			return ecstypes.TaskStopCodeTaskFailedToStart, c.Reason, true
		}
		return ecstypes.TaskStopCodeEssentialContainerExited, reasonEssentialExited, true
	}
	if v.Awsvpc {
		if code, reason, ok := failed(v.Pause); ok {
			return code, reason, true
		}
	}
	for _, c := range v.Containers {
		if c.Essential {
			if code, reason, ok := failed(c); ok {
				return code, reason, true
			}
		}
	}
	return "", "", false
}

// stop drives the task to STOPPED: containers that never ran are not
// started; running ones are stopped in reverse dependency order (a
// container only once every container depending on it has stopped), each
// with its stop timeout; the pause container goes last.
func (p *planner) stop(code ecstypes.TaskStopCode, reason string) {
	p.advance(model.TaskStopping, code, reason)
	done := true
	for _, c := range p.v.Containers {
		if c.Phase == phaseStopped {
			continue
		}
		done = false
		switch {
		case c.Op != opNone: // let it finish (a pull is cancelled)
		case c.Phase != phaseRunning:
			p.add(action{Kind: actAbandon, Container: c.Name})
		case !c.StopSent && p.dependentsStopped(c.Name):
			p.add(action{Kind: actStop, Container: c.Name})
		}
	}
	if !done {
		return
	}
	if pause := p.v.Pause; p.v.Awsvpc && pause.Phase != phaseStopped {
		p.advance(model.TaskDeprovisioning, "", "")
		switch {
		case pause.Op != opNone:
		case pause.Phase != phaseRunning:
			p.add(action{Kind: actAbandon, Container: PauseContainerName})
		case !pause.StopSent:
			p.add(action{Kind: actStop, Container: PauseContainerName})
		}
		return
	}
	p.advance(model.TaskStopped, "", "")
}

func (p *planner) dependentsStopped(name string) bool {
	for _, c := range p.v.Containers {
		for _, d := range c.DependsOn {
			if d.Container == name && c.Phase != phaseStopped {
				return false
			}
		}
	}
	return true
}

// run drives the task towards RUNNING: network first (awsvpc), then every
// image, then each container as soon as its dependencies allow.
func (p *planner) run() {
	if pause := p.v.Pause; p.v.Awsvpc && (pause.Phase != phaseRunning || pause.Op != opNone) {
		if pause.Op == opNone { // stopped is handled by stopCause
			p.add(action{Kind: actProvision, Container: PauseContainerName})
		}
		return // PROVISIONING until the network is up
	}
	p.advance(model.TaskPending, "", "")

	pulling := map[string]bool{}
	for _, c := range p.v.Containers {
		if c.Op == opPull {
			pulling[c.Image] = true
		}
	}
	for _, c := range p.v.Containers {
		if c.Phase == phaseNone && !c.ImageReady && c.Op == opNone && !pulling[c.Image] {
			pulling[c.Image] = true
			p.add(action{Kind: actPull, Container: c.Name})
		}
	}

	for _, c := range p.v.Containers {
		if c.Op != opNone || !(c.Phase == phaseNone && c.ImageReady || c.Phase == phaseCreated) {
			continue
		}
		ok, never := p.resolve(c)
		switch {
		case never != "":
			p.add(action{Kind: actAbandon, Container: c.Name, Reason: reasonCannotStart + never, ExitCode: new(dependencyExitCode)})
		case ok && c.Phase == phaseNone:
			p.add(action{Kind: actCreate, Container: c.Name})
		case ok:
			p.add(action{Kind: actStart, Container: c.Name})
		}
	}

	if p.allUp() {
		p.advance(model.TaskRunning, "", "")
	}
}

// allUp tells whether the task is RUNNING: every essential container runs,
// and every container that another waits for has started.
func (p *planner) allUp() bool {
	for _, c := range p.v.Containers {
		if c.Essential && c.Phase != phaseRunning {
			return false
		}
		for _, d := range c.DependsOn {
			if dep := p.find(d.Container); dep != nil && !dep.Started && dep.Phase != phaseStopped {
				return false
			}
		}
	}
	return true
}

// resolve checks container c's dependencies: ok when all are met; never
// (the ECS agent's dependency error) when one can never be met.
//
//	START     the dependency has started (it may have exited since)
//	COMPLETE  it ran and exited
//	SUCCESS   it ran and exited 0
//	HEALTHY   it runs and Docker reports it healthy
//
// A dependency that stopped without running can never be met; nor can
// SUCCESS after a non-zero exit, nor HEALTHY after the dependency stopped,
// nor COMPLETE, SUCCESS or HEALTHY past the dependency's startTimeout.
func (p *planner) resolve(c cview) (ok bool, never string) {
	ok = true
	for _, d := range c.DependsOn {
		dep := p.find(d.Container)
		if dep == nil {
			return false, fmt.Sprintf("dependency graph: container ordering dependency [%s] for target [%s] does not exist.", d.Container, describe(c))
		}
		fail := func(why string) string {
			return fmt.Sprintf("dependency graph: failed to resolve container ordering dependency [%s] for target [%s] %s", describe(*dep), describe(c), why)
		}
		stopped := dep.Phase == phaseStopped
		if stopped && !dep.Started {
			return false, fail("because dependency will never start")
		}
		met := false
		switch d.Condition {
		case ecstypes.ContainerConditionStart:
			met = dep.Started
		case ecstypes.ContainerConditionComplete:
			met = stopped
		case ecstypes.ContainerConditionSuccess:
			met = stopped && dep.ExitCode != nil && *dep.ExitCode == 0
			if stopped && !met {
				return false, fail("as dependency did not exit successfully.")
			}
		case ecstypes.ContainerConditionHealthy:
			met = dep.Phase == phaseRunning && dep.Health == "healthy"
			if stopped {
				return false, fail("as dependency stopped before it became HEALTHY.")
			}
		default:
			return false, fail(fmt.Sprintf("as condition %q is unknown.", d.Condition))
		}
		if met {
			continue
		}
		ok = false
		if d.Condition != ecstypes.ContainerConditionStart && dep.Phase == phaseRunning && dep.StartTimeout > 0 {
			deadline := dep.StartedAt.Add(dep.StartTimeout)
			if !p.v.Now.Before(deadline) {
				return false, fmt.Sprintf("dependency graph: container ordering dependency [%s] for target [%s] has timed out.", describe(*dep), describe(c))
			}
			if p.wake.IsZero() || deadline.Before(p.wake) {
				p.wake = deadline
			}
		}
	}
	return ok, ""
}

// describe names a container as the ECS agent's dependency errors do:
// name(image) (KNOWN->DESIRED), with " - Exit: N" once it has an exit code.
func describe(c cview) string {
	known := map[phase]string{phaseNone: "NONE", phaseCreated: "CREATED", phaseRunning: "RUNNING", phaseStopped: "STOPPED"}[c.Phase]
	if c.Phase == phaseNone && c.ImageReady {
		known = "PULLED"
	}
	desired := "RUNNING"
	if c.Phase == phaseStopped {
		desired = "STOPPED"
	}
	s := fmt.Sprintf("%s(%s) (%s->%s)", c.Name, c.Image, known, desired)
	if c.ExitCode != nil {
		s += fmt.Sprintf(" - Exit: %d", *c.ExitCode)
	}
	return s
}

// containerHealth maps Docker's health state to ECS's.
func containerHealth(h string) ecstypes.HealthStatus {
	switch h {
	case "healthy":
		return ecstypes.HealthStatusHealthy
	case "unhealthy":
		return ecstypes.HealthStatusUnhealthy
	}
	return ecstypes.HealthStatusUnknown
}

// taskHealth aggregates as ECS does, over the essential containers that
// have a health check: UNHEALTHY if any is unhealthy, HEALTHY if all are
// healthy (and there is at least one), otherwise UNKNOWN.
func taskHealth(cs []cview) ecstypes.HealthStatus {
	checked, healthy := 0, 0
	for _, c := range cs {
		if !c.Essential || !c.HealthCheck {
			continue
		}
		checked++
		switch containerHealth(c.Health) {
		case ecstypes.HealthStatusUnhealthy:
			return ecstypes.HealthStatusUnhealthy
		case ecstypes.HealthStatusHealthy:
			healthy++
		}
	}
	if checked > 0 && healthy == checked {
		return ecstypes.HealthStatusHealthy
	}
	return ecstypes.HealthStatusUnknown
}

package service

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/wharfhq/wharf/model"
)

// Spec is what the user asked of a service.
type Spec struct {
	Name    string
	Desired int
	// MinHealthyPercent and MaxPercent bound a rolling deployment (ECS
	// defaults: 100 and 200).
	MinHealthyPercent, MaxPercent int
	Breaker, Rollback             bool
	// Draining is set by DeleteService: run nothing, stop everything.
	Draining bool
}

// Deployment is one deployment as Step sees it.
type Deployment struct {
	ID             string
	TaskDefinition string
	Primary        bool
	// Rollout is IN_PROGRESS, COMPLETED or FAILED.
	Rollout string
	// Failed is how many of its tasks failed (circuit breaker input).
	Failed int
}

// Task is one task of the service as Step sees it.
type Task struct {
	ARN        string
	Deployment string // the deployment that started it (its startedBy)
	// Live: desired RUNNING and not yet STOPPED.
	Live bool
	// Healthy: RUNNING and, where it has health checks, healthy.
	Healthy bool
	// Unhealthy: an essential container failed its health check after the
	// grace period; the task must be replaced.
	Unhealthy bool
	// UnhealthyReason says which check failed ("" means the container
	// health check).
	UnhealthyReason string
	// Retiring: on a DRAINING container instance; replaced like a task of
	// an old deployment.
	Retiring bool
}

// Rollout states.
const (
	RolloutInProgress = "IN_PROGRESS"
	RolloutCompleted  = "COMPLETED"
	RolloutFailed     = "FAILED"
)

// Stop is one task to stop, with the reason the service gives.
type Stop struct {
	ARN    string
	Reason string
}

// Plan is what Step decides for one reconcile.
type Plan struct {
	// Launch is how many tasks to start for the primary deployment.
	Launch int
	Stops  []Stop
	// Completed names the primary deployment when it just completed; the
	// other deployments are then retired.
	Completed string
	// Failed names the primary deployment when its circuit breaker just
	// tripped, with FailReason.
	Failed, FailReason string
	// RollbackTo is the task definition to roll back to (a new deployment)
	// when the breaker tripped with rollback.
	RollbackTo string
	// Retire lists non-primary deployments left without live tasks.
	Retire []string
	// Steady is true when the service runs exactly its desired count on one
	// completed deployment.
	Steady bool
}

// Step decides what to do next for one service. It follows the rolling
// update of ECS (and of Kubernetes' deployment controller):
//
//  1. stop tasks that failed their health checks (they are replaced below);
//  2. start primary tasks up to the desired count, never going above
//     maxPercent of it in total (e.g. desired 4, max 200%: at most 8 tasks);
//  3. stop tasks of old deployments (and tasks on draining instances) while
//     the healthy tasks stay at or above minHealthyPercent (desired 4, min
//     50%: keep 2 healthy) — tasks that are not healthy can always go;
//  4. stop primary tasks above the desired count (a scale-in);
//  5. mark the deployment COMPLETED once the primary runs the desired count
//     healthy and nothing else is left; or FAILED once the circuit breaker
//     counted enough failed tasks.
//
// stable is the task definition of the last completed deployment ("" if
// none), the rollback target.
func Step(s Spec, deps []Deployment, tasks []Task, stable string) Plan {
	var p Plan
	primary := primaryOf(deps)
	if s.Draining {
		for _, t := range tasks {
			if t.Live {
				p.Stops = append(p.Stops, Stop{t.ARN, "Service is being deleted"})
			}
		}
		return p
	}

	// 1. Unhealthy tasks go now; they stop counting as live.
	var live []Task
	for _, t := range tasks {
		switch {
		case !t.Live:
		case t.Unhealthy:
			p.Stops = append(p.Stops, Stop{t.ARN, cmp.Or(t.UnhealthyReason, "Task failed container health checks")})
		default:
			live = append(live, t)
		}
	}
	isPrimary := func(t Task) bool { return primary != nil && t.Deployment == primary.ID && !t.Retiring }
	var ours, retiring []Task
	for _, t := range live {
		if isPrimary(t) {
			ours = append(ours, t)
		} else {
			retiring = append(retiring, t)
		}
	}

	// 5a. The circuit breaker, before anything is started for a failing deployment.
	if primary != nil && s.Breaker && primary.Rollout == RolloutInProgress && primary.Failed >= model.CircuitBreakerThreshold(s.Desired) {
		p.Failed, p.FailReason = primary.ID, "ECS deployment circuit breaker: tasks failed to start."
		if s.Rollback && stable != "" && stable != primary.TaskDefinition {
			p.RollbackTo = stable
		}
		return p
	}

	maxTotal := s.Desired * s.MaxPercent / 100
	minHealthy := (s.Desired*s.MinHealthyPercent + 99) / 100
	canLaunch := primary != nil && primary.Rollout != RolloutFailed

	// 2. Scale the primary up, within maxPercent.
	if canLaunch && len(ours) < s.Desired {
		room := max(maxTotal-len(live), 0)
		if len(retiring) == 0 {
			// Nothing to replace: replacing lost tasks is never held back.
			room = s.Desired - len(ours)
		}
		p.Launch = min(s.Desired-len(ours), room)
	}

	// 3. Retire old tasks within minHealthyPercent: not-healthy ones first.
	healthy := 0
	for _, t := range live {
		if t.Healthy {
			healthy++
		}
	}
	slices.SortStableFunc(retiring, func(a, b Task) int { return boolInt(a.Healthy) - boolInt(b.Healthy) })
	for _, t := range retiring {
		if !canLaunch {
			// A failed deployment without rollback leaves the old tasks
			// serving: nothing would replace them.
			break
		}
		if !t.Healthy {
			p.Stops = append(p.Stops, Stop{t.ARN, retireReason(t)})
			continue
		}
		if healthy-1 < minHealthy {
			break
		}
		healthy--
		p.Stops = append(p.Stops, Stop{t.ARN, retireReason(t)})
	}

	// 4. Scale the primary in: not-healthy tasks first.
	if extra := len(ours) - s.Desired; extra > 0 {
		slices.SortStableFunc(ours, func(a, b Task) int { return boolInt(a.Healthy) - boolInt(b.Healthy) })
		for _, t := range ours[:extra] {
			p.Stops = append(p.Stops, Stop{t.ARN, "Scaling activity initiated by (deployment " + primary.ID + ")"})
		}
	}

	// 5b. Completion and retirement.
	oursHealthy := 0
	for _, t := range ours {
		if t.Healthy {
			oursHealthy++
		}
	}
	retiringLeft := len(retiring) > 0
	for _, d := range deps {
		if d.Primary || slices.ContainsFunc(live, func(t Task) bool { return t.Deployment == d.ID }) {
			continue
		}
		p.Retire = append(p.Retire, d.ID)
	}
	if primary != nil && primary.Rollout == RolloutInProgress && !retiringLeft && len(ours) == s.Desired && oursHealthy == s.Desired {
		p.Completed = primary.ID
	}
	settled := primary != nil && !retiringLeft && len(ours) == s.Desired && oursHealthy == s.Desired &&
		len(deps)-len(p.Retire) == 1 && primary.Rollout == RolloutCompleted
	p.Steady = settled || p.Completed != ""
	return p
}

func primaryOf(deps []Deployment) *Deployment {
	for i := range deps {
		if deps[i].Primary {
			return &deps[i]
		}
	}
	return nil
}

func retireReason(t Task) string {
	if t.Retiring {
		return "Container instance is being drained"
	}
	return fmt.Sprintf("Task replaced by a new deployment (from %s)", t.Deployment)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

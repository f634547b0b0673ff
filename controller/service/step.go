package service

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/model"
)

// Spec is what the user asked of a service, with the launch throttle's
// verdict for this pass.
type Spec struct {
	Name    string
	Desired int
	// MinHealthyPercent and MaxPercent bound a rolling deployment (ECS
	// defaults: 100 and 200).
	MinHealthyPercent, MaxPercent int
	Breaker, Rollback             bool
	// BreakerThreshold is how many failed tasks trip the breaker (0 means
	// ECS's default for Desired, model.CircuitBreakerThreshold).
	BreakerThreshold int
	// Draining is set by DeleteService: run nothing, stop everything.
	Draining bool
	// HoldLaunches is set while the launch throttle delays the next start
	// (tasks keep failing): nothing is started this pass.
	HoldLaunches bool
	// InAlarm lists the deployment alarms (deploymentConfiguration.alarms,
	// when enabled) now in ALARM; AlarmRollback is that config's rollback.
	InAlarm       []string
	AlarmRollback bool
}

// Deployment is one deployment as Step sees it.
type Deployment struct {
	ID             string
	TaskDefinition string
	Primary        bool
	// Rollout is IN_PROGRESS, COMPLETED or FAILED.
	Rollout string
	// Failed is how many of its tasks failed in a row since one of them
	// last stayed up for the stabilisation window (circuit breaker input).
	Failed int
}

// Task is one task of the service as Step sees it.
type Task struct {
	ARN        string
	Deployment string // the deployment that started it (its startedBy)
	// Live: desired RUNNING and not yet STOPPED.
	Live bool
	// Healthy: RUNNING and, where it has health checks or load balancer
	// targets, healthy.
	Healthy bool
	// Stable: healthy and running for the stabilisation window. Only
	// stable tasks count towards minimumHealthyPercent and complete a
	// deployment, so a revision that crashes a moment after it starts
	// never replaces the tasks that work.
	Stable bool
	// Unhealthy: an essential container failed its health check after the
	// grace period; the task must be replaced.
	Unhealthy bool
	// UnhealthyReason says which check failed ("" means the container
	// health check).
	UnhealthyReason string
	// Retiring: on a DRAINING container instance; replaced like a task of
	// an old deployment.
	Retiring bool
	// Protected: task scale-in protection is on; neither a scale-in nor a
	// deployment stops it.
	Protected bool
	// Instance is the container instance the task runs on; scale-in keeps
	// the service spread across instances.
	Instance string
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
	// Held is how many launches the throttle held back this pass.
	Held  int
	Stops []Stop
	// Completed names the primary deployment when it just completed; the
	// other deployments are then retired.
	Completed string
	// Failed names the primary deployment when its circuit breaker just
	// tripped, with FailReason.
	Failed, FailReason string
	// RollbackTo is the task definition to roll back to when the breaker
	// tripped with rollback; Resume names the deployment of it that still
	// has tasks, which becomes primary again and keeps them ("" = start a
	// new deployment).
	RollbackTo, Resume string
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
//  2. trip the circuit breaker once enough of the primary's tasks failed,
//     or fail the deployment while one of its alarms is in ALARM;
//  3. start primary tasks up to the desired count, never going above
//     maxPercent of it in total (desired 4, max 200%: at most 8 tasks);
//  4. stop tasks of old deployments (and on draining instances) while the
//     stable tasks stay at or above minHealthyPercent (desired 4, min 50%:
//     keep 2) — unhealthy tasks can always go;
//  5. stop primary tasks above the desired count (a scale-in);
//  6. mark the deployment COMPLETED once the primary runs the desired count,
//     all stable, and nothing else is left.
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
	live, sick := splitUnhealthy(tasks)
	p.Stops = sick
	ours, retiring := splitPrimary(live, primary)

	// Alarms judge a new revision: a deployment back to the last stable
	// task definition (a rollback) is not failed by the alarm that caused it.
	alarmed := primary != nil && primary.Rollout == RolloutInProgress && len(s.InAlarm) > 0 && primary.TaskDefinition != stable
	if primary != nil && (tripped(s, *primary) || alarmed) {
		p.Failed, p.FailReason = primary.ID, "ECS deployment circuit breaker: tasks failed to start."
		rollback := s.Rollback
		if alarmed && !tripped(s, *primary) {
			p.FailReason = fmt.Sprintf("ECS deployment alarms: alarm %s is in ALARM state.", strings.Join(s.InAlarm, ", "))
			rollback = s.AlarmRollback
		}
		if rollback && stable != "" && stable != primary.TaskDefinition {
			p.RollbackTo = stable
			if d := resumable(deps, stable); d != nil {
				p.Resume = d.ID
			}
		}
		return p
	}

	canLaunch := primary != nil && primary.Rollout != RolloutFailed
	if canLaunch {
		p.Launch = launchCount(s, len(ours), len(live), len(retiring) > 0)
		if s.HoldLaunches {
			p.Held, p.Launch = p.Launch, 0
		}
		// A failed deployment without rollback leaves the old tasks serving:
		// nothing would replace them.
		p.Stops = append(p.Stops, retire(s, live, retiring)...)
	}
	if primary != nil {
		p.Stops = append(p.Stops, scaleIn(s, ours, primary.ID)...)
	}

	for _, d := range deps {
		if !d.Primary && !slices.ContainsFunc(live, func(t Task) bool { return t.Deployment == d.ID }) {
			p.Retire = append(p.Retire, d.ID)
		}
	}
	settled := primary != nil && len(retiring) == 0 && len(ours) == s.Desired && countStable(ours) == s.Desired
	if settled && primary.Rollout == RolloutInProgress {
		p.Completed = primary.ID
	}
	p.Steady = settled && (p.Completed != "" || primary.Rollout == RolloutCompleted && len(deps)-len(p.Retire) == 1)
	return p
}

// tripped reports whether the primary's circuit breaker trips now: only
// while its rollout is in progress, once its consecutive failures reach
// the threshold.
func tripped(s Spec, d Deployment) bool {
	threshold := cmp.Or(s.BreakerThreshold, model.CircuitBreakerThreshold(s.Desired))
	return s.Breaker && d.Rollout == RolloutInProgress && d.Failed >= threshold
}

// resumable is the non-primary deployment of the stable task definition, if
// it is still there: a rollback makes it primary again so that its running
// tasks carry on instead of being replaced by identical ones.
func resumable(deps []Deployment, stable string) *Deployment {
	for i := range deps {
		if d := &deps[i]; !d.Primary && d.TaskDefinition == stable && d.Rollout != RolloutFailed {
			return d
		}
	}
	return nil
}

// splitUnhealthy separates tasks to replace for failed health checks from
// the live ones; unhealthy tasks stop counting as live.
func splitUnhealthy(tasks []Task) (live []Task, stops []Stop) {
	for _, t := range tasks {
		switch {
		case !t.Live:
		case t.Unhealthy:
			stops = append(stops, Stop{t.ARN, cmp.Or(t.UnhealthyReason, "Task failed container health checks")})
		default:
			live = append(live, t)
		}
	}
	return live, stops
}

// splitPrimary separates the primary deployment's tasks from the ones to
// retire (older deployments' and those on draining instances).
func splitPrimary(live []Task, primary *Deployment) (ours, retiring []Task) {
	for _, t := range live {
		if primary != nil && t.Deployment == primary.ID && !t.Retiring {
			ours = append(ours, t)
		} else {
			retiring = append(retiring, t)
		}
	}
	return ours, retiring
}

// launchCount is how many primary tasks to start: up to the desired count,
// within maxPercent while old tasks remain. Desired 4, max 200%, 4 old and
// 1 new live: room for 8-5 = 3, and 3 are missing, so 3. With nothing left
// to replace, lost tasks are replaced whatever maxPercent says.
func launchCount(s Spec, ours, live int, replacing bool) int {
	if ours >= s.Desired {
		return 0
	}
	room := s.Desired - ours
	if replacing {
		room = max(s.Desired*s.MaxPercent/100-live, 0)
	}
	return min(s.Desired-ours, room)
}

// minStable is the number of stable tasks a rollout keeps: minHealthyPercent
// of the desired count, rounded up (desired 3, 50%: 2).
func minStable(s Spec) int { return (s.Desired*s.MinHealthyPercent + 99) / 100 }

// retire stops old tasks while the stable count stays at or above
// minStable. Unhealthy tasks serve nobody and go first; a healthy task
// that has not yet stayed up for the window serves but does not count, so
// it goes only while enough stable tasks remain without it. Protected
// tasks stay.
func retire(s Spec, live, retiring []Task) []Stop {
	stable := countStable(live)
	order := slices.Clone(retiring)
	slices.SortStableFunc(order, func(a, b Task) int { return rank(a) - rank(b) })
	var stops []Stop
	for _, t := range order {
		if t.Protected {
			continue
		}
		if t.Healthy {
			after := stable - boolInt(t.Stable)
			if after < minStable(s) {
				break
			}
			stable = after
		}
		stops = append(stops, Stop{t.ARN, retireReason(t)})
	}
	return stops
}

// rank orders tasks for stopping: unhealthy, then young, then stable.
func rank(t Task) int { return boolInt(t.Healthy) + boolInt(t.Stable) }

// scaleIn stops primary tasks above the desired count: unhealthy ones
// first, then young ones, then stable ones, never protected ones; within
// each rank from the instance that runs the most of the service's tasks, so
// what remains stays spread (swarmkit's rule). Four tasks on instances
// a, a, a, b scaled to 2: both stops come from a, leaving one on each.
func scaleIn(s Spec, ours []Task, deployment string) []Stop {
	extra := len(ours) - s.Desired
	if extra <= 0 {
		return nil
	}
	perInstance := map[string]int{}
	var cands []Task
	for _, t := range ours {
		perInstance[t.Instance]++
		if !t.Protected {
			cands = append(cands, t)
		}
	}
	var stops []Stop
	for len(stops) < extra && len(cands) > 0 {
		best := 0
		for i, t := range cands[1:] {
			b := cands[best]
			if r, rb := rank(t), rank(b); r < rb || r == rb && perInstance[t.Instance] > perInstance[b.Instance] {
				best = i + 1
			}
		}
		t := cands[best]
		cands = slices.Delete(cands, best, best+1)
		perInstance[t.Instance]--
		stops = append(stops, Stop{t.ARN, "Scaling activity initiated by (deployment " + deployment + ")"})
	}
	return stops
}

func countStable(ts []Task) int {
	n := 0
	for _, t := range ts {
		if t.Stable {
			n++
		}
	}
	return n
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

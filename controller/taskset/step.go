package taskset

// Task is one live task of a task set (not STOPPED, desired RUNNING, not
// waiting for its drain) as Step sees it.
type Task struct {
	ARN string
	// Running: lastStatus RUNNING.
	Running bool
	// Healthy: running and passing its container and load balancer checks.
	Healthy bool
	// Unhealthy: failing them past the grace period, to be replaced.
	Unhealthy bool
	// UnhealthyReason is the stop reason for an unhealthy task ("" = the
	// container health checks').
	UnhealthyReason string
}

// Stop is a task to stop and why, in ECS's words.
type Stop struct {
	ARN, Reason string
}

// Plan is what one pass does to one task set.
type Plan struct {
	// Launch is how many tasks to start.
	Launch int
	// Stops are the tasks to stop (after their targets drain).
	Stops []Stop
	// Steady: the set runs exactly its desired count, all healthy.
	Steady bool
}

// failReasonHealth is the stop reason of a task replaced for failing its
// container health checks, as the service scheduler says it.
const failReasonHealth = "Task failed container health checks"

// Step decides one task set's pass: unhealthy tasks are replaced, a
// surplus is stopped (tasks not yet running first, then unhealthy ones,
// then the last listed), a shortfall is launched. Unlike a rolling
// deployment there is no minimum or maximum percent to respect: the
// external controller moves traffic between sets by scaling them.
//
// For example, desired 3 with tasks {healthy, healthy, unhealthy} stops
// the unhealthy one and launches 1; desired 1 with {pending, healthy}
// stops the pending one; desired 2 with {healthy} launches 1.
func Step(setID string, desired int, tasks []Task) Plan {
	var p Plan
	keep := make([]Task, 0, len(tasks))
	for _, t := range tasks {
		if t.Unhealthy {
			reason := t.UnhealthyReason
			if reason == "" {
				reason = failReasonHealth
			}
			p.Stops = append(p.Stops, Stop{t.ARN, reason})
			continue
		}
		keep = append(keep, t)
	}
	desired = max(desired, 0)
	if surplus := len(keep) - desired; surplus > 0 {
		reason := "Scaling activity initiated by (deployment " + setID + ")"
		for _, t := range pickSurplus(keep, surplus) {
			p.Stops = append(p.Stops, Stop{t.ARN, reason})
		}
		return p
	}
	p.Launch = desired - len(keep)
	p.Steady = p.Launch == 0 && len(p.Stops) == 0
	for _, t := range keep {
		p.Steady = p.Steady && t.Running && t.Healthy
	}
	return p
}

// pickSurplus chooses n tasks to stop: the least useful first — tasks not
// yet running, then running ones not (yet) healthy, then healthy ones from
// the end of the list.
func pickSurplus(ts []Task, n int) []Task {
	rank := func(t Task) int {
		switch {
		case !t.Running:
			return 0
		case !t.Healthy:
			return 1
		}
		return 2
	}
	var out []Task
	for r := 0; r <= 2 && len(out) < n; r++ {
		for i := len(ts) - 1; i >= 0 && len(out) < n; i-- {
			if rank(ts[i]) == r {
				out = append(out, ts[i])
			}
		}
	}
	return out
}

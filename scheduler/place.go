package scheduler

import (
	"fmt"
	"math/rand/v2"
)

// Result is the outcome of placing copies of a task.
type Result struct {
	// Placements has one entry per copy placed, in order. The same
	// instance may appear more than once.
	Placements []Placement
	// Unplaced is how many copies found no instance. Copies are placed one
	// after the other, so once one fails the rest fail for the same
	// reasons.
	Unplaced int
	// Failures are RunTask's failures[] for the first copy that could not
	// be placed: each instance with the reason it was turned away.
	Failures []Failure
	// Explanation says why, for logs and service events; nil when every
	// copy was placed.
	Explanation *Explanation
}

// Place places count copies of task on instances, one after the other: each
// copy sees the CPU, memory, ports and task groups of the copies placed
// before it. For every copy the feasibility chain keeps the instances that
// can take it (README.md lists the filters), the strategies rank them
// (task.Strategies, or DefaultStrategies), and one is picked, at random
// among equals when rng is set. A nil rng makes the answer depend only on
// the order of instances.
//
// instances are not modified. The error is an invalid constraint or
// strategy (see ValidateConstraints, ValidateStrategies); the API should
// have refused those already.
func Place(task Task, count int, instances []Instance, rng *rand.Rand) (Result, error) {
	return PlaceUsing(task, count, instances, nil, rng)
}

// PlaceUsing is Place with used[i] in place of instances[i].Used when used
// is not nil (it then has one entry per instance; nil entries hold
// nothing). A caller that keeps decoded instances across placements, and
// sees only their usage change between two, passes the two apart rather
// than copying every instance to set its Used.
func PlaceUsing(task Task, count int, instances []Instance, used []*Usage, rng *rand.Rand) (Result, error) {
	if used != nil && len(used) != len(instances) {
		return Result{}, fmt.Errorf("scheduler: %d usages for %d instances", len(used), len(instances))
	}
	p, err := compile(task)
	if err != nil {
		return Result{}, err
	}
	slab := slabs.Get().(*nodeSlab)
	defer slab.release()
	nodes := slab.fill(instances, used)
	fs := p.feasibility(placeChain, nodes)
	var r Result
	for i := range count {
		ok := fs.passing()
		if len(ok) == 0 {
			r.Unplaced = count - i
			r.Explanation, r.Failures = fs.explain()
			break
		}
		n := p.pick(ok, nodes, rng)
		p.commit(n)
		fs.recheck(n)
		r.Placements = append(r.Placements, placement(n))
	}
	return r, nil
}

func placement(n *node) Placement {
	return Placement{InstanceARN: n.inst.ARN, InstanceID: n.inst.ID, Index: n.index}
}

// PlaceOn places one copy of task on each of the named instances, as
// StartTask does: targets are container instance ARNs or IDs, and may repeat.
// A target that is not among instances fails with MISSING; one that cannot
// take the task fails with its reason (INACTIVE, DRAINING, AGENT, ATTRIBUTE,
// RESOURCE:*). StartTask takes no placement constraints or strategies, so
// task.Constraints and task.Strategies are not used.
func PlaceOn(task Task, targets []string, instances []Instance) Result {
	r, _ := PlaceOnUsing(task, targets, instances, nil) // fails only on a usage count
	return r
}

// PlaceOnUsing is PlaceOn with used[i] in place of instances[i].Used when
// used is not nil, as PlaceUsing. used must then have one entry per
// instance, else the error says so.
func PlaceOnUsing(task Task, targets []string, instances []Instance, used []*Usage) (Result, error) {
	if used != nil && len(used) != len(instances) {
		return Result{}, fmt.Errorf("scheduler: %d usages for %d instances", len(used), len(instances))
	}
	p := newPlan(task)
	slab := slabs.Get().(*nodeSlab)
	defer slab.release()
	nodes := slab.fill(instances, used)
	byRef := make(map[string]*node, 2*len(nodes))
	for _, n := range nodes {
		byRef[n.inst.ARN] = n
		if n.inst.ID != "" {
			byRef[n.inst.ID] = n
		}
	}
	var r Result
	for _, ref := range targets {
		n, found := byRef[ref]
		if !found {
			r.Unplaced++
			r.Failures = append(r.Failures, Failure{ARN: ref, Reason: ReasonMissing})
			continue
		}
		if v := p.run(startChain, n); v.reason != "" {
			r.Unplaced++
			r.Failures = append(r.Failures, Failure{ARN: n.inst.ARN, Reason: v.reason})
			continue
		}
		p.commit(n)
		r.Placements = append(r.Placements, placement(n))
	}
	return r, nil
}

// DaemonResult is what a DAEMON service needs to do now.
type DaemonResult struct {
	// Placements are the instances that should each get one task now:
	// eligible, without a task of the group, and able to take one.
	Placements []Placement
	// Failures are eligible instances without a task of the group that
	// cannot take one now (AGENT, ATTRIBUTE, RESOURCE:*): service events.
	Failures []Failure
	// Ineligible are instances the service does not run on: not ACTIVE, or
	// failing a memberOf constraint. Not an error.
	Ineligible []Failure
	// Stop are task ARNs of the group to stop: extra copies on one
	// instance (a non-RUNNING copy goes first), and copies on ACTIVE
	// instances that no longer satisfy a memberOf constraint
	// (ECS's SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED). Tasks on
	// DRAINING instances are left to the draining logic.
	Stop []string
}

// daemonChain is what an eligible instance must pass to take the task.
var daemonChain = []filter{agentFilter, attributeFilter, portFilter, cpuFilter, memoryFilter}

// PlaceDaemon answers, for a DAEMON service, which instances lack a task of
// task.Group and can take one: ECS runs exactly one task on every ACTIVE
// instance that satisfies the service's placement constraints. Strategies
// and distinctInstance do not apply. The error is an invalid constraint.
func PlaceDaemon(task Task, instances []Instance) (DaemonResult, error) {
	task.Strategies = nil
	p, err := compile(task)
	if err != nil {
		return DaemonResult{}, err
	}
	var r DaemonResult
	for _, n := range newNodes(instances) {
		if reason := checkStatus(p, n); reason != "" {
			r.Ineligible = append(r.Ineligible, Failure{ARN: n.inst.ARN, Reason: reason})
			continue
		}
		mine := daemonTasks(n.inst, task.Group)
		if reason := checkMemberOf(p, n); reason != "" {
			r.Ineligible = append(r.Ineligible, Failure{ARN: n.inst.ARN, Reason: reason})
			for _, t := range mine {
				r.Stop = append(r.Stop, t.ARN)
			}
			continue
		}
		if len(mine) > 0 {
			keep := 0
			for i, t := range mine {
				if t.LastStatus == TaskRunning {
					keep = i
					break
				}
			}
			for i, t := range mine {
				if i != keep {
					r.Stop = append(r.Stop, t.ARN)
				}
			}
			continue
		}
		if v := p.run(daemonChain, n); v.reason != "" {
			r.Failures = append(r.Failures, Failure{ARN: n.inst.ARN, Reason: v.reason})
			continue
		}
		p.commit(n)
		r.Placements = append(r.Placements, placement(n))
	}
	return r, nil
}

// daemonTasks are the instance's live tasks of the group.
func daemonTasks(in *Instance, group string) []PlacedTask {
	var out []PlacedTask
	for _, t := range in.Tasks {
		if t.Group == group && t.live() {
			out = append(out, t)
		}
	}
	return out
}

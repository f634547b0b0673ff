package scheduler

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// ChooseToStop picks up to n of the candidate tasks (ARNs of tasks on
// instances) to stop when a service scales in or a deployment retires old
// tasks, and returns them in the order chosen. Candidates that are not
// found, already stopped or already being stopped are ignored.
//
// The rule, one task at a time, each choice seeing the ones before:
//
//  1. Tasks that do the least good go first, as swarmkit removes
//     non-running tasks first: tasks on instances that are not ACTIVE
//     (DRAINING), then on instances whose agent is disconnected, then
//     tasks that are not RUNNING yet.
//  2. Then the strategies, in order, each breaking the ties of the one
//     before, the way ECS documents scale-in: spread takes the task from
//     the value (zone, instance, …) with the most tasks of the task's
//     group, keeping the spread balanced; binpack takes it from the
//     instance that will have the most of the resource free afterwards;
//     random picks any. No strategies means DefaultStrategies of the first
//     candidate's group: for a service, the zone with the most of its tasks
//     and within it the instance with the most, as ECS documents for the
//     service scheduler.
//  3. Remaining ties are broken at random when rng is set, else by the
//     order of candidates.
//
// The error is an invalid strategy.
func ChooseToStop(candidates []string, n int, instances []Instance, strategies []Strategy, rng *rand.Rand) ([]string, error) {
	if err := ValidateStrategies(strategies); err != nil {
		return nil, err
	}
	nodes := newNodes(instances)
	type where struct {
		node *node
		task PlacedTask
	}
	byARN := make(map[string]where)
	for _, nd := range nodes {
		for _, t := range nd.inst.Tasks {
			if t.live() && t.ARN != "" {
				byARN[t.ARN] = where{nd, t}
			}
		}
	}
	var cands []where
	seen := make(map[string]bool)
	for _, arn := range candidates {
		if w, ok := byARN[arn]; ok && !seen[arn] {
			seen[arn] = true
			cands = append(cands, w)
		}
	}
	if len(cands) == 0 || n <= 0 {
		return nil, nil
	}
	if len(strategies) == 0 {
		strategies = DefaultStrategies(cands[0].task.Group)
	}

	var out []string
	for len(out) < n && len(cands) > 0 {
		best := keepBest(cands, func(w where) int {
			score := 0
			if !w.node.active() {
				score += 4
			}
			if !w.node.inst.AgentConnected {
				score += 2
			}
			if w.task.LastStatus != TaskRunning {
				score++
			}
			return score
		})
		for _, s := range strategies {
			if len(best) == 1 {
				break
			}
			switch s.Type {
			case Spread:
				perInstance, attr, _ := spreadField(s.Field)
				if perInstance {
					best = keepBest(best, func(w where) int { return w.node.live[w.task.Group] })
					continue
				}
				counts := map[string]map[string]int{} // group → value → tasks
				best = keepBest(best, func(w where) int {
					g := w.task.Group
					if counts[g] == nil {
						counts[g] = spreadCounts(nodes, attr, g)
					}
					return counts[g][w.node.inst.Attributes[attr]]
				})
			case Binpack:
				if strings.EqualFold(s.Field, "cpu") {
					best = keepBest(best, func(w where) int { return w.node.freeCPU() + w.task.Reserved.CPU })
				} else {
					best = keepBest(best, func(w where) int { return w.node.freeMemory() + w.task.Reserved.Memory })
				}
			case Random:
				best = []where{choose(best, rng)}
			}
		}
		w := choose(best, rng)
		out = append(out, w.task.ARN)
		w.node.cpu -= w.task.Reserved.CPU
		w.node.mem -= w.task.Reserved.Memory
		w.node.live[w.task.Group]--
		cands = slices.DeleteFunc(cands, func(c where) bool { return c.task.ARN == w.task.ARN })
	}
	return out, nil
}

package scheduler

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// AvailabilityZone is the built-in attribute that holds an instance's zone.
const AvailabilityZone = "ecs.availability-zone"

// DefaultStrategies is what a task is placed with when neither the request
// nor the service names a strategy.
//
// Service tasks (group "service:NAME"): ECS documents that the service
// scheduler balances tasks across Availability Zones, favouring within the
// chosen zone the instances with the fewest tasks of the service, i.e.
// spread by attribute:ecs.availability-zone, then by instanceId.
//
// Standalone tasks (RunTask): ECS documents no default. wharf places them
// at random among the instances that fit, as the random strategy does;
// with a nil *rand.Rand that is the first instance that fits, in order.
func DefaultStrategies(group string) []Strategy {
	if strings.HasPrefix(group, "service:") {
		return []Strategy{
			{Type: Spread, Field: "attribute:" + AvailabilityZone},
			{Type: Spread, Field: "instanceId"},
		}
	}
	return []Strategy{{Type: Random}}
}

// ValidateStrategies checks placement strategies the way the API does:
// known types, a valid field for spread and binpack, at most 5.
func ValidateStrategies(ss []Strategy) error {
	if len(ss) > MaxStrategies {
		return fmt.Errorf("too many placement strategies: %d, at most %d", len(ss), MaxStrategies)
	}
	for i, s := range ss {
		switch s.Type {
		case Spread:
			if _, _, err := spreadField(s.Field); err != nil {
				return fmt.Errorf("placement strategy %d: %w", i+1, err)
			}
		case Binpack:
			if f := strings.ToLower(s.Field); f != "cpu" && f != "memory" {
				return fmt.Errorf("placement strategy %d: binpack field must be cpu or memory, not %q", i+1, s.Field)
			}
		case Random:
		default:
			return fmt.Errorf("placement strategy %d: unknown type %q: use spread, binpack or random", i+1, s.Type)
		}
	}
	return nil
}

// spreadField reads a spread field: instanceId (or host) spreads over
// instances, attribute:NAME over the values of the attribute.
func spreadField(field string) (perInstance bool, attribute string, err error) {
	switch strings.ToLower(field) {
	case "instanceid", "host":
		return true, "", nil
	}
	if name, ok := cutPrefixFold(field, "attribute:"); ok && name != "" {
		return false, name, nil
	}
	return false, "", fmt.Errorf("spread field must be instanceId, host or attribute:NAME, not %q", field)
}

// spreadCounts counts, per value of the attribute, the live tasks of the
// group on ACTIVE instances: what "spread" balances. Instances without the
// attribute share the value "". Tasks being stopped, and tasks on DRAINING
// instances (which the service scheduler is replacing), do not count.
func spreadCounts(nodes []*node, attribute, group string) map[string]int {
	counts := make(map[string]int)
	for _, n := range nodes {
		if n.active() {
			counts[n.inst.Attributes[attribute]] += n.live[group]
		}
	}
	return counts
}

// spreadIndex is the state of one "spread by attribute" for one call of
// Place: each node's bucket (attribute value) and each bucket's count of
// live tasks of the group, kept up to date by commit.
type spreadIndex struct {
	bucket []int // node index → bucket
	count  []int // bucket → live tasks of the group on ACTIVE instances
}

func (p *plan) spreadIndex(nodes []*node, attribute string) *spreadIndex {
	if s, ok := p.spread[attribute]; ok {
		return s
	}
	ids := make(map[string]int)
	s := &spreadIndex{bucket: make([]int, len(nodes))}
	for i, n := range nodes {
		v := n.inst.Attributes[attribute]
		id, ok := ids[v]
		if !ok {
			id = len(ids)
			ids[v] = id
			s.count = append(s.count, 0)
		}
		s.bucket[i] = id
		if n.active() {
			s.count[id] += n.live[p.task.Group]
		}
	}
	if p.spread == nil {
		p.spread = make(map[string]*spreadIndex)
	}
	p.spread[attribute] = s
	return s
}

// liveCounts returns, by node index, the live tasks of the group on each
// node: what spreading by instanceId balances.
func (p *plan) liveCounts(nodes []*node) []int {
	if p.live == nil {
		p.live = make([]int, len(nodes))
		for i, n := range nodes {
			p.live[i] = n.live[p.task.Group]
		}
	}
	return p.live
}

// commit places a copy on n: the node's usage and the spread counts.
func (p *plan) commit(n *node) {
	n.place(p)
	if p.live != nil {
		p.live[n.index]++
	}
	if n.active() {
		for _, s := range p.spread {
			s.count[s.bucket[n.index]]++
		}
	}
}

// pick narrows the feasible nodes strategy by strategy, keeping at each step
// the nodes that score best (ECS applies strategies in order, each breaking
// the ties of the one before), and then takes one: at random when rng is
// set, else the first in instance order.
func (p *plan) pick(cands, all []*node, rng *rand.Rand) *node {
	for _, s := range p.strategies {
		if len(cands) == 1 {
			break
		}
		switch s.Type {
		case Spread:
			perInstance, attr, _ := spreadField(s.Field)
			if perInstance {
				live := p.liveCounts(all)
				cands = keepBest(cands, func(n *node) int { return -live[n.index] })
				continue
			}
			idx := p.spreadIndex(all, attr)
			cands = keepBest(cands, func(n *node) int { return -idx.count[idx.bucket[n.index]] })
		case Binpack:
			// Least of the resource left after placing the task.
			if strings.EqualFold(s.Field, "cpu") {
				cands = keepBest(cands, func(n *node) int { return -(n.freeCPU() - p.task.Resources.CPU) })
			} else {
				cands = keepBest(cands, func(n *node) int { return -(n.freeMemory() - p.task.Resources.Memory) })
			}
		case Random:
			cands = []*node{choose(cands, rng)}
		}
	}
	return choose(cands, rng)
}

// keepBest returns the elements with the highest score, in their order.
func keepBest[T any](xs []T, score func(T) int) []T {
	if len(xs) <= 1 {
		return xs
	}
	best, ties := score(xs[0]), 1
	for _, x := range xs[1:] {
		switch s := score(x); {
		case s > best:
			best, ties = s, 1
		case s == best:
			ties++
		}
	}
	if ties == len(xs) {
		return xs
	}
	out := make([]T, 0, ties)
	for _, x := range xs {
		if score(x) == best {
			out = append(out, x)
		}
	}
	return out
}

func choose[T any](xs []T, rng *rand.Rand) T {
	if rng == nil || len(xs) == 1 {
		return xs[0]
	}
	return xs[rng.IntN(len(xs))]
}

package scheduler

import (
	"fmt"
	"strings"
	"sync"
)

// node is the scheduler's working copy of one instance: what is used on it
// and which task groups it runs. Placing a copy updates the node, so the
// next copy sees it (as swarmkit's NodeInfo does). The Instance itself is
// never modified.
type node struct {
	inst  *Instance
	index int
	cpu   int // CPU units reserved by holding tasks
	mem   int // MiB reserved by holding tasks
	// Host ports in use: the host's own and the Used totals' are read in
	// place (no copy: most placements never look at ports, and a map per
	// node per placement was a good part of its cost); those of Tasks and
	// of copies placed go in the maps.
	fixed   [2][]Port
	tcp     map[int]struct{}
	udp     map[int]struct{}
	groups  map[string]int // holding tasks per group: distinctInstance, task:group
	live    map[string]int // holding tasks not being stopped, per group: spread
	running int            // tasks in RUNNING: runningTasksCount
}

func newNode(in *Instance, index int) *node {
	n := &node{}
	n.init(in, in.Used, index)
	return n
}

// init sets n up for in, with u as what the tasks not listed in in.Tasks
// hold (nil: nothing).
func (n *node) init(in *Instance, u *Usage, index int) {
	n.inst, n.index = in, index
	n.fixed[0] = in.Registered.Ports
	if u != nil {
		n.cpu += u.Reserved.CPU
		n.mem += u.Reserved.Memory
		n.fixed[1] = u.Reserved.Ports
		n.running += u.Running
		// Copies: placing a copy counts it in the node's maps.
		for g, c := range u.Groups {
			n.groups = inc(n.groups, g, c)
		}
		for g, c := range u.Live {
			n.live = inc(n.live, g, c)
		}
	}
	for _, t := range in.Tasks {
		if !t.holding() {
			continue
		}
		n.cpu += t.Reserved.CPU
		n.mem += t.Reserved.Memory
		for _, p := range t.Reserved.Ports {
			n.usePort(p)
		}
		n.groups = inc(n.groups, t.Group, 1)
		if t.live() {
			n.live = inc(n.live, t.Group, 1)
		}
		if t.LastStatus == TaskRunning {
			n.running++
		}
	}
}

func newNodes(instances []Instance) []*node { return newNodesUsing(instances, nil) }

// newNodesUsing builds the nodes with used[i], when used is not nil, in
// place of instances[i].Used.
func newNodesUsing(instances []Instance, used []*Usage) []*node {
	return (&nodeSlab{}).fill(instances, used)
}

// nodeSlab holds a placement's nodes in one allocation rather than one per
// instance (a placement across 1,000 instances builds 1,000 nodes), reused
// through slabs by the next placement once released.
type nodeSlab struct {
	nodes []node
	ptrs  []*node
}

var slabs = sync.Pool{New: func() any { return &nodeSlab{} }}

func (s *nodeSlab) fill(instances []Instance, used []*Usage) []*node {
	if cap(s.nodes) < len(instances) {
		s.nodes = make([]node, len(instances))
		s.ptrs = make([]*node, len(instances))
	}
	s.nodes, s.ptrs = s.nodes[:len(instances)], s.ptrs[:len(instances)]
	for i := range instances {
		u := instances[i].Used
		if used != nil {
			u = used[i]
		}
		s.nodes[i] = node{}
		s.nodes[i].init(&instances[i], u, i)
		s.ptrs[i] = &s.nodes[i]
	}
	return s.ptrs
}

// release hands the slab back, holding nothing of the placement.
func (s *nodeSlab) release() {
	clear(s.nodes)
	clear(s.ptrs)
	slabs.Put(s)
}

func inc(m map[string]int, k string, d int) map[string]int {
	if m == nil {
		m = make(map[string]int)
	}
	m[k] += d
	return m
}

func (n *node) usePort(p Port) {
	if p.Port <= 0 {
		return
	}
	if p.udp() {
		if n.udp == nil {
			n.udp = make(map[int]struct{})
		}
		n.udp[p.Port] = struct{}{}
		return
	}
	if n.tcp == nil {
		n.tcp = make(map[int]struct{})
	}
	n.tcp[p.Port] = struct{}{}
}

func (n *node) portUsed(p Port) bool {
	m := n.tcp
	if p.udp() {
		m = n.udp
	}
	if _, used := m[p.Port]; used {
		return true
	}
	for _, ports := range n.fixed {
		for _, q := range ports {
			if q.Port == p.Port && q.udp() == p.udp() {
				return true
			}
		}
	}
	return false
}

// place records a new copy of t on the node. It starts out PENDING: it
// holds resources and counts for spreading, but is not RUNNING yet.
func (n *node) place(t *plan) {
	n.cpu += t.task.Resources.CPU
	n.mem += t.task.Resources.Memory
	for _, p := range t.task.Resources.Ports {
		n.usePort(p)
	}
	n.groups = inc(n.groups, t.task.Group, 1)
	n.live = inc(n.live, t.task.Group, 1)
}

func (n *node) freeCPU() int    { return n.inst.Registered.CPU - n.cpu }
func (n *node) freeMemory() int { return n.inst.Registered.Memory - n.mem }
func (n *node) active() bool    { return n.inst.Status == StatusActive }

func (n *node) hasGroup(g string) bool { return n.groups[g] > 0 }

func (n *node) anyGroup(match func(string) bool) bool {
	for g, c := range n.groups {
		if c > 0 && match(g) {
			return true
		}
	}
	return false
}

// plan is a Task checked and compiled for placement: parsed memberOf
// expressions and validated strategies, ECS's defaults filled in.
type plan struct {
	task       Task
	memberOf   []*Expression
	distinct   bool
	strategies []Strategy
	spread     map[string]*spreadIndex // by attribute, built on first use
	live       []int                   // by node index, built on first use
}

// newPlan starts a plan for t, with ECS's default group "family:FAMILY"
// when t has none.
func newPlan(t Task) *plan {
	if t.Group == "" && t.Family != "" {
		t.Group = "family:" + t.Family
	}
	return &plan{task: t, strategies: t.Strategies}
}

func compile(t Task) (*plan, error) {
	if err := ValidateConstraints(t.Constraints); err != nil {
		return nil, err
	}
	if err := ValidateStrategies(t.Strategies); err != nil {
		return nil, err
	}
	p := newPlan(t)
	if len(p.strategies) == 0 {
		p.strategies = DefaultStrategies(p.task.Group)
	}
	for _, c := range t.Constraints {
		if c.Type == DistinctInstance {
			p.distinct = true
			continue
		}
		e, err := ParseExpression(c.Expression)
		if err != nil {
			return nil, err // checked by ValidateConstraints
		}
		p.memberOf = append(p.memberOf, e)
	}
	return p, nil
}

// MaxConstraints is ECS's limit on placement constraints per task, the task
// definition's and the request's together.
const MaxConstraints = 10

// MaxStrategies is ECS's limit on placement strategies per request.
const MaxStrategies = 5

// ValidateConstraints checks placement constraints the way the API does
// before it stores or runs them: known types, an expression for memberOf
// and none for distinctInstance, expressions that parse, at most 10.
func ValidateConstraints(cs []Constraint) error {
	if len(cs) > MaxConstraints {
		return fmt.Errorf("too many placement constraints: %d, at most %d (task definition and request together)", len(cs), MaxConstraints)
	}
	for i, c := range cs {
		switch c.Type {
		case DistinctInstance:
			if strings.TrimSpace(c.Expression) != "" {
				return fmt.Errorf("placement constraint %d: distinctInstance takes no expression", i+1)
			}
		case MemberOf:
			if strings.TrimSpace(c.Expression) == "" {
				return fmt.Errorf("placement constraint %d: memberOf needs an expression", i+1)
			}
			if _, err := ParseExpression(c.Expression); err != nil {
				return fmt.Errorf("placement constraint %d: %w", i+1, err)
			}
		default:
			return fmt.Errorf("placement constraint %d: unknown type %q: use distinctInstance or memberOf", i+1, c.Type)
		}
	}
	return nil
}

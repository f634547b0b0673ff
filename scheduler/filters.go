package scheduler

// ECS failure reasons, as RunTask and StartTask report them in failures[]
// and as the service scheduler names them in its events. Sources: the
// Amazon ECS Developer Guide, "API failure reasons" (RESOURCE:*, AGENT,
// ATTRIBUTE, MISSING, INACTIVE) and the strings ECS returns for placement
// constraints (the guide's service event examples quote them).
const (
	ReasonCPU              = "RESOURCE:CPU"
	ReasonMemory           = "RESOURCE:MEMORY"
	ReasonPorts            = "RESOURCE:PORTS" // a TCP host port is taken
	ReasonPortsUDP         = "RESOURCE:PORTS_UDP"
	ReasonAgent            = "AGENT"     // the instance's agent is disconnected
	ReasonAttribute        = "ATTRIBUTE" // a requiresAttributes entry is missing
	ReasonDistinctInstance = "DistinctInstance placement constraint unsatisfied."
	ReasonMemberOf         = "MemberOf placement constraint unsatisfied."
	ReasonMissing          = "MISSING"  // StartTask: no such container instance
	ReasonInactive         = "INACTIVE" // the instance was deregistered
)

// A non-ACTIVE instance other than INACTIVE fails with its status as the
// reason ("DRAINING", "REGISTERING", "DEREGISTERING", …). ECS documents no
// reason for these; the status says exactly why.

// filter is one feasibility check, as in swarmkit's pipeline: whether it has
// anything to check for this task, and whether a node passes. A failing
// check returns the ECS reason; the reasons are counted to explain a failed
// placement.
type filter struct {
	name    string
	applies func(p *plan) bool
	check   func(p *plan, n *node) string // "" when n passes
}

// The chain, cheapest and most decisive first. A node that fails a later
// filter is "closer" to fitting than one that fails an earlier one; the
// closest node names the failure in the service event.
var (
	// Status first: a DRAINING or INACTIVE instance takes nothing, whatever
	// else is true of it.
	statusFilter = filter{"status", always, checkStatus}
	// Agent next: a disconnected agent cannot start the task.
	agentFilter = filter{"agent", always, checkAgent}
	// Attributes: a map lookup per required attribute.
	attributeFilter = filter{"attributes", hasRequiredAttributes, checkAttributes}
	// distinctInstance: one map lookup.
	distinctFilter = filter{"distinctInstance", isDistinct, checkDistinct}
	// memberOf: evaluates expressions, possibly regular expressions.
	memberOfFilter = filter{"memberOf", hasMemberOf, checkMemberOf}
	// Resources last: they change with every copy placed, and "not enough
	// memory" is the most actionable thing to tell a user.
	portFilter   = filter{"ports", hasPorts, checkPorts}
	cpuFilter    = filter{"cpu", always, checkCPU}
	memoryFilter = filter{"memory", always, checkMemory}
)

// placeChain is used by Place (RunTask, services) and PlaceDaemon.
var placeChain = []filter{statusFilter, agentFilter, attributeFilter, distinctFilter, memberOfFilter, portFilter, cpuFilter, memoryFilter}

// startChain is used by PlaceOn (StartTask), which names its instances and
// so takes no placement constraints.
var startChain = []filter{statusFilter, agentFilter, attributeFilter, portFilter, cpuFilter, memoryFilter}

func always(*plan) bool { return true }

func checkStatus(_ *plan, n *node) string {
	switch s := n.inst.Status; s {
	case StatusActive:
		return ""
	case "":
		return ReasonInactive
	default:
		return s
	}
}

func checkAgent(_ *plan, n *node) string {
	if n.inst.AgentConnected {
		return ""
	}
	return ReasonAgent
}

// TaskENI is the attribute of instances that can run awsvpc tasks.
const TaskENI = "ecs.capability.task-eni"

func hasRequiredAttributes(p *plan) bool {
	return len(p.task.RequiredAttributes) > 0 || p.task.NetworkMode == "awsvpc"
}

func checkAttributes(p *plan, n *node) string {
	if _, ok := n.inst.Attributes[TaskENI]; !ok && p.task.NetworkMode == "awsvpc" {
		return ReasonAttribute
	}
	for _, a := range p.task.RequiredAttributes {
		v, ok := n.inst.Attributes[a.Name]
		if !ok || (a.Value != "" && v != a.Value) {
			return ReasonAttribute
		}
	}
	return ""
}

func isDistinct(p *plan) bool { return p.distinct }

func checkDistinct(p *plan, n *node) string {
	if n.hasGroup(p.task.Group) {
		return ReasonDistinctInstance
	}
	return ""
}

func hasMemberOf(p *plan) bool { return len(p.memberOf) > 0 }

func checkMemberOf(p *plan, n *node) string {
	for _, e := range p.memberOf {
		if !e.root.eval(n) {
			return ReasonMemberOf
		}
	}
	return ""
}

func hasPorts(p *plan) bool { return len(p.task.Resources.Ports) > 0 }

func checkPorts(p *plan, n *node) string {
	reason := ""
	for _, port := range p.task.Resources.Ports {
		if port.Port <= 0 || !n.portUsed(port) {
			continue
		}
		if !port.udp() {
			return ReasonPorts
		}
		reason = ReasonPortsUDP
	}
	return reason
}

func checkCPU(p *plan, n *node) string {
	if p.task.Resources.CPU > n.freeCPU() {
		return ReasonCPU
	}
	return ""
}

func checkMemory(p *plan, n *node) string {
	if p.task.Resources.Memory > n.freeMemory() {
		return ReasonMemory
	}
	return ""
}

// verdict is the outcome of the chain on one node.
type verdict struct {
	depth  int    // index of the failing filter; len(chain) when the node passes
	reason string // "" when the node passes
}

// run evaluates the chain on n, stopping at the first failure.
func (p *plan) run(chain []filter, n *node) verdict {
	for i, f := range chain {
		if !f.applies(p) {
			continue
		}
		if r := f.check(p, n); r != "" {
			return verdict{depth: i, reason: r}
		}
	}
	return verdict{depth: len(chain)}
}

// stage is a filter of the chain that applies to the plan, with its depth
// in the chain.
type stage struct {
	depth int
	check func(p *plan, n *node) string
}

// feasibility caches the chain's verdict on every node for one task. A
// node's verdict depends only on the node and the task, so after a copy is
// placed only that node is checked again (Nomad caches feasibility the same
// way). Which filters apply is settled once, not per node.
type feasibility struct {
	plan     *plan
	stages   []stage
	depth    int // len(chain): a passing node's depth
	nodes    []*node
	verdicts []verdict
	ok       []*node // the nodes that pass, in order, while fresh
	fresh    bool    // ok is up to date: no verdict flipped since it was built
}

func (p *plan) feasibility(chain []filter, nodes []*node) *feasibility {
	fs := &feasibility{plan: p, depth: len(chain), nodes: nodes, verdicts: make([]verdict, len(nodes))}
	for i, f := range chain {
		if f.applies(p) {
			fs.stages = append(fs.stages, stage{depth: i, check: f.check})
		}
	}
	for i, n := range nodes {
		fs.verdicts[i] = fs.run(n)
	}
	return fs
}

// run is plan.run over the stages that apply.
func (fs *feasibility) run(n *node) verdict {
	for _, s := range fs.stages {
		if r := s.check(fs.plan, n); r != "" {
			return verdict{depth: s.depth, reason: r}
		}
	}
	return verdict{depth: fs.depth}
}

// passing returns the nodes that pass, in order. The slice is reused by
// later calls: callers must not modify it.
func (fs *feasibility) passing() []*node {
	if fs.fresh {
		return fs.ok
	}
	fs.ok = fs.ok[:0]
	for i, n := range fs.nodes {
		if fs.verdicts[i].reason == "" {
			fs.ok = append(fs.ok, n)
		}
	}
	fs.fresh = true
	return fs.ok
}

// recheck evaluates n again after it changed. Placing a copy only ever
// turns a node from passing to failing; the list of passing nodes is
// rebuilt only then.
func (fs *feasibility) recheck(n *node) {
	v := fs.run(n)
	if (v.reason == "") != (fs.verdicts[n.index].reason == "") {
		fs.fresh = false
	}
	fs.verdicts[n.index] = v
}

// explain says why no node passes, with the failures to report.
func (fs *feasibility) explain() (*Explanation, []Failure) {
	return explain(fs.nodes, fs.verdicts), failures(fs.nodes, fs.verdicts)
}

func failures(nodes []*node, verdicts []verdict) []Failure {
	out := make([]Failure, 0, len(nodes))
	for i, n := range nodes {
		if r := verdicts[i].reason; r != "" {
			out = append(out, Failure{ARN: n.inst.ARN, Reason: r})
		}
	}
	return out
}

package scheduler

import (
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// Container instance statuses, as ECS reports them.
const (
	StatusActive   = "ACTIVE"
	StatusDraining = "DRAINING"
	StatusInactive = "INACTIVE"
)

// Task statuses this package looks at.
const (
	TaskRunning = "RUNNING"
	TaskStopped = "STOPPED"
)

// Port is a host port with its protocol ("tcp" or "udp"; "" means tcp).
// Port 0 is a dynamic host port: Docker picks a free one, so it never
// conflicts and reserves nothing.
type Port struct {
	Port     int
	Protocol string
}

func (p Port) udp() bool { return strings.EqualFold(p.Protocol, "udp") }

// Resources is what an instance registers or what a task reserves: CPU units
// (1024 per vCPU), memory in MiB, and host ports.
type Resources struct {
	CPU    int
	Memory int
	Ports  []Port
}

// Attribute is a required container instance attribute. An empty Value asks
// only that the attribute be present.
type Attribute struct {
	Name  string
	Value string
}

// Instance is a container instance as the scheduler sees it.
type Instance struct {
	ARN            string
	ID             string // the container instance ID, last part of the ARN
	EC2InstanceID  string // for ec2InstanceId queries
	Status         string // ACTIVE, DRAINING, INACTIVE, REGISTERING, …
	AgentConnected bool
	AgentVersion   string    // for agentVersion queries, e.g. "1.82.0"
	RegisteredAt   time.Time // for registeredAt queries
	// Attributes by name. Presence-only attributes such as
	// ecs.capability.task-eni have the value "". Built-ins such as
	// ecs.availability-zone and ecs.instance-type are plain attributes.
	Attributes map[string]string
	// Registered is the instance's capacity. Its Ports are the host ports
	// reserved for the host itself (ECS's PORTS and PORTS_UDP resources).
	Registered Resources
	// Tasks placed on the instance. Stopped tasks may be left in or out;
	// they hold nothing.
	Tasks []PlacedTask
	// Used is what tasks not listed in Tasks hold, in total: a caller that
	// keeps per-instance totals passes them here instead of every task
	// (the two add up). Used is read only, never modified.
	Used *Usage
}

// Usage is what an instance's tasks hold, summed: the placement view of
// tasks that are not listed one by one.
type Usage struct {
	// Reserved is the CPU, memory and host ports of the tasks that are
	// not STOPPED.
	Reserved Resources
	// Running counts the tasks in RUNNING (runningTasksCount).
	Running int
	// Groups counts the tasks that are not STOPPED per task group, and
	// Live those of them not being stopped. They need only hold the
	// groups the placement looks at: the task's own group for
	// distinctInstance and spread, every group for a memberOf expression
	// on task:group (see NeedsAllGroups).
	Groups, Live map[string]int
}

// PlacedTask is a task already placed on an instance.
type PlacedTask struct {
	ARN               string
	TaskDefinitionARN string // …:task-definition/FAMILY:REVISION
	Group             string // "service:web", "family:nginx", or the RunTask group
	StartedBy         string // carried for the caller; placement does not use it
	Reserved          Resources
	// LastStatus is the task's last known status. A task holds its
	// reservation until it reaches STOPPED; "" counts as holding.
	LastStatus string
	// DesiredStatus is STOPPED once the task is being stopped. Such a task
	// still holds its resources but no longer counts towards spreading and
	// is not picked again by ChooseToStop.
	DesiredStatus string
}

// holding reports whether the task still reserves resources on its instance.
func (t PlacedTask) holding() bool { return t.LastStatus != TaskStopped }

// live reports whether the task holds resources and is meant to keep running.
func (t PlacedTask) live() bool { return t.holding() && t.DesiredStatus != TaskStopped }

// Constraint is a placement constraint: Type "distinctInstance" (no
// expression) or "memberOf" with a cluster query language Expression.
type Constraint struct {
	Type       string
	Expression string
}

// Constraint types.
const (
	DistinctInstance = "distinctInstance"
	MemberOf         = "memberOf"
)

// Strategy is a placement strategy: Type "spread" with Field "instanceId",
// "host" or "attribute:NAME"; "binpack" with Field "cpu" or "memory";
// "random" without a field.
type Strategy struct {
	Type  string
	Field string
}

// Strategy types.
const (
	Spread  = "spread"
	Binpack = "binpack"
	Random  = "random"
)

// Task is what one copy of a task asks of an instance.
type Task struct {
	TaskDefinitionARN string
	Family            string
	// Group is the task group: "service:NAME" for service tasks, the
	// request's group or "family:FAMILY" for RunTask ("family:"+Family is
	// used when Group is empty). distinctInstance, spread and task:group are
	// all about this group.
	Group string
	// StartedBy is carried for the caller; placement does not use it.
	StartedBy string
	// NetworkMode of the task definition ("bridge", "host", "awsvpc",
	// "none"). Requirements has already turned it into Resources.Ports; an
	// awsvpc task also needs the ecs.capability.task-eni attribute, as in
	// ECS, whether or not RequiredAttributes lists it.
	NetworkMode string
	Resources   Resources
	// RequiredAttributes are the task definition's requiresAttributes.
	RequiredAttributes []Attribute
	// Constraints are the task definition's and the request's together.
	Constraints []Constraint
	// Strategies in order; the first is the primary, the rest break ties.
	// Empty means ECS's default, see DefaultStrategies.
	Strategies []Strategy
}

// Placement is where one copy of a task goes.
type Placement struct {
	InstanceARN string
	InstanceID  string
	Index       int // position of the instance in the slice passed in
}

// Failure is an entry of ECS's failures[]: the container instance and why
// the task could not be placed on it.
type Failure struct {
	ARN    string
	Reason string
}

// ECS returns f in the wire shape of RunTask's and StartTask's failures.
func (f Failure) ECS() ecstypes.Failure {
	arn, reason := f.ARN, f.Reason
	return ecstypes.Failure{Arn: &arn, Reason: &reason}
}

// ConstraintsFrom merges a task definition's placement constraints with a
// request's (RunTask, CreateService), task definition first.
func ConstraintsFrom(td []ecstypes.TaskDefinitionPlacementConstraint, req []ecstypes.PlacementConstraint) []Constraint {
	out := make([]Constraint, 0, len(td)+len(req))
	for _, c := range td {
		out = append(out, Constraint{Type: string(c.Type), Expression: shape.Deref(c.Expression)})
	}
	for _, c := range req {
		out = append(out, Constraint{Type: string(c.Type), Expression: shape.Deref(c.Expression)})
	}
	return out
}

// StrategiesFrom converts a request's placement strategies.
func StrategiesFrom(in []ecstypes.PlacementStrategy) []Strategy {
	out := make([]Strategy, 0, len(in))
	for _, s := range in {
		out = append(out, Strategy{Type: string(s.Type), Field: shape.Deref(s.Field)})
	}
	return out
}

// AttributesFrom converts a task definition's requiresAttributes.
func AttributesFrom(in []ecstypes.Attribute) []Attribute {
	out := make([]Attribute, 0, len(in))
	for _, a := range in {
		out = append(out, Attribute{Name: shape.Deref(a.Name), Value: shape.Deref(a.Value)})
	}
	return out
}

// InstanceFromECS converts a container instance in its API shape: identity,
// status, agent, attributes and registered resources (CPU, MEMORY, PORTS,
// PORTS_UDP). The caller adds the instance's Tasks.
func InstanceFromECS(ci ecstypes.ContainerInstance) Instance {
	in := Instance{
		ARN:            shape.Deref(ci.ContainerInstanceArn),
		EC2InstanceID:  shape.Deref(ci.Ec2InstanceId),
		Status:         shape.Deref(ci.Status),
		AgentConnected: ci.AgentConnected,
		RegisteredAt:   ci.RegisteredAt.Time,
		Attributes:     make(map[string]string, len(ci.Attributes)),
	}
	in.ID = in.ARN[strings.LastIndexByte(in.ARN, '/')+1:]
	if ci.VersionInfo != nil {
		in.AgentVersion = shape.Deref(ci.VersionInfo.AgentVersion)
	}
	for _, a := range ci.Attributes {
		in.Attributes[shape.Deref(a.Name)] = shape.Deref(a.Value)
	}
	for _, r := range ci.RegisteredResources {
		switch shape.Deref(r.Name) {
		case "CPU":
			in.Registered.CPU = ResourceInt(r)
		case "MEMORY":
			in.Registered.Memory = ResourceInt(r)
		case "PORTS", "PORTS_UDP":
			proto := "tcp"
			if shape.Deref(r.Name) == "PORTS_UDP" {
				proto = "udp"
			}
			for _, s := range r.StringSetValue {
				if p, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && p > 0 {
					in.Registered.Ports = append(in.Registered.Ports, Port{Port: p, Protocol: proto})
				}
			}
		}
	}
	return in
}

// ResourceInt is an INTEGER (or LONG, or DOUBLE) resource's value.
func ResourceInt(r ecstypes.Resource) int {
	switch {
	case r.IntegerValue != 0:
		return int(r.IntegerValue)
	case r.LongValue != 0:
		return int(r.LongValue)
	default:
		return int(r.DoubleValue)
	}
}

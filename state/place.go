package state

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// InvalidError is a placement request ECS would refuse (an empty cluster, a
// bad constraint); the API reports it as InvalidParameterException.
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return e.Message }

// Usage is what the tasks on one container instance hold.
type Usage struct {
	Running, Pending int
	Reserved         scheduler.Resources
}

// ClusterTasksByInstance reads the cluster's tasks that still hold
// resources, as the scheduler sees them, by container instance ARN, from
// the instance-tasks index.
func ClusterTasksByInstance(tx store.ReadTx, sc model.Scope, cluster string) (map[string][]scheduler.PlacedTask, error) {
	kvs, err := tx.List(InstanceTasksPrefix(sc, cluster), "", 0)
	if err != nil {
		return nil, err
	}
	out := map[string][]scheduler.PlacedTask{}
	for _, kv := range kvs {
		r, err := decodeIndexedTask(kv.Key, kv.Value)
		if err != nil {
			return nil, err
		}
		out[r.Instance] = append(out[r.Instance], r.Task)
	}
	return out, nil
}

// PlacedTask is a task record as the scheduler sees it.
func PlacedTask(r model.TaskRecord) scheduler.PlacedTask {
	return scheduler.PlacedTask{
		ARN:               shape.Deref(r.Task.TaskArn),
		TaskDefinitionARN: shape.Deref(r.Task.TaskDefinitionArn),
		Group:             shape.Deref(r.Task.Group),
		StartedBy:         shape.Deref(r.Task.StartedBy),
		Reserved:          scheduler.Requirements(r.Definition, r.Task.Overrides),
		LastStatus:        shape.Deref(r.Task.LastStatus),
		DesiredStatus:     shape.Deref(r.Task.DesiredStatus),
	}
}

// InstanceUsage is what the instance's tasks that are not STOPPED hold,
// from the instance's usage record.
func InstanceUsage(tx store.ReadTx, sc model.Scope, cluster, instanceARN string) (Usage, error) {
	u, _, err := store.Get[Usage](tx, InstanceUsageKey(sc, cluster, LastSegment(instanceARN)))
	return u, err
}

// Remaining is registered minus usage, in ECS's resource shape: CPU and
// MEMORY as integers, PORTS and PORTS_UDP as every host port now taken.
func Remaining(registered []ecstypes.Resource, u Usage) []ecstypes.Resource {
	out := make([]ecstypes.Resource, 0, len(registered))
	for _, r := range registered {
		switch shape.Deref(r.Name) {
		case "CPU":
			r.IntegerValue = int32(ResourceInt([]ecstypes.Resource{r}, "CPU") - u.Reserved.CPU)
		case "MEMORY":
			r.IntegerValue = int32(ResourceInt([]ecstypes.Resource{r}, "MEMORY") - u.Reserved.Memory)
		case "PORTS", "PORTS_UDP":
			proto := "tcp"
			if shape.Deref(r.Name) == "PORTS_UDP" {
				proto = "udp"
			}
			ports := slices.Clone(r.StringSetValue)
			for _, p := range u.Reserved.Ports {
				if (p.Protocol == proto || p.Protocol == "" && proto == "tcp") && p.Port > 0 {
					ports = append(ports, strconv.Itoa(p.Port))
				}
			}
			r.StringSetValue = shape.OrEmpty(ports)
		}
		out = append(out, r)
	}
	return out
}

// ResourceInt reads an INTEGER resource such as CPU or MEMORY by name.
func ResourceInt(rs []ecstypes.Resource, name string) int {
	for _, r := range rs {
		if shape.Deref(r.Name) == name {
			return scheduler.ResourceInt(r)
		}
	}
	return 0
}

// Placement is where a launch's tasks go, and why the rest could not.
type Placement struct {
	Targets  []Target
	Failures []ecstypes.Failure
	// Explanation says why tasks were left unplaced (nil when all fit), in
	// the words of ECS's service events.
	Explanation *scheduler.Explanation
	// Reads are the records whose change would make Targets wrong: each
	// chosen instance's record and usage record (a task added to or
	// removed from an instance changes its usage record, so distinctInstance
	// and task:group are covered too). A plan made on a snapshot commits
	// with CheckReads on them.
	Reads []Read
}

// Place decides where each of l.Count tasks goes: for FARGATE on a
// connected agent host, for EC2 on a container instance chosen by the
// scheduler (only among `only`, one each, for StartTask).
//
// It reads the instance records, their usage records and the agents'
// heartbeats, through the cluster's placement view when the snapshot
// allows (place_view.go: only the records changed since the last
// placement are decoded); tasks only when a constraint or strategy needs
// them: the
// task group's through the group index for distinctInstance and spread,
// the whole instance-tasks index for a memberOf on task:group.
func Place(tx store.ReadTx, l *Launch, only []string, now time.Time) (Placement, error) {
	if l.LaunchType == ecstypes.LaunchTypeFargate {
		return placeFargate(tx, l, now)
	}
	var out Placement
	task := scheduler.Task{
		TaskDefinitionARN:  shape.Deref(l.Definition.TaskDefinitionArn),
		Family:             shape.Deref(l.Definition.Family),
		Group:              l.Group,
		StartedBy:          l.StartedBy,
		NetworkMode:        string(l.Definition.NetworkMode),
		Resources:          scheduler.Requirements(l.Definition, l.Overrides),
		RequiredAttributes: scheduler.AttributesFrom(l.Definition.RequiresAttributes),
		Constraints:        scheduler.ConstraintsFrom(l.Definition.PlacementConstraints, l.Constraints),
		Strategies:         scheduler.StrategiesFrom(l.Strategies),
	}
	if task.Group == "" {
		task.Group = "family:" + task.Family
	}
	var err error
	// StartTask's chain looks at resources only; RunTask's at groups when
	// its constraints and strategies say so.
	var byInstance map[string][]scheduler.PlacedTask
	var groupHolding, groupLive map[string]int
	switch {
	case only == nil && scheduler.NeedsAllGroups(task.Constraints):
		if byInstance, err = ClusterTasksByInstance(tx, l.Scope, l.Cluster); err != nil {
			return out, err
		}
	case only == nil && scheduler.NeedsGroup(task):
		if groupHolding, groupLive, err = groupUsage(tx, l.Scope, l.Cluster, task.Group); err != nil {
			return out, err
		}
	}
	in, err := placeInputOf(tx, l.Scope, l.Cluster, now)
	if err != nil {
		return out, err
	}
	insts, used := in.insts, in.used // shared read only: copied before a change
	switch {
	case byInstance != nil:
		insts = slices.Clone(insts)
		for i := range insts {
			insts[i].Tasks = byInstance[insts[i].ARN]
		}
		used = nil // the tasks carry everything
	case groupHolding != nil:
		used = slices.Clone(used)
		for i := range insts {
			if arn := insts[i].ARN; groupHolding[arn] > 0 || groupLive[arn] > 0 {
				used[i] = withGroup(used[i], arn, task.Group, groupHolding, groupLive)
			}
		}
	}
	if len(insts) == 0 && only == nil {
		return out, &InvalidError{"No Container Instances were found in your cluster."}
	}
	if err := scheduler.ValidateConstraints(task.Constraints); err != nil {
		return out, &InvalidError{err.Error()}
	}
	if err := scheduler.ValidateStrategies(task.Strategies); err != nil {
		return out, &InvalidError{err.Error()}
	}
	var res scheduler.Result
	if only != nil {
		if res, err = scheduler.PlaceOnUsing(task, only, insts, used); err != nil {
			return out, fmt.Errorf("state: place on %v: %w", only, err)
		}
	} else {
		res, err = scheduler.PlaceUsing(task, l.Count, insts, used, rand.New(rand.NewPCG(uint64(now.UnixNano()), 1)))
		if err != nil {
			return out, &InvalidError{err.Error()}
		}
	}
	for _, f := range res.Failures {
		out.Failures = append(out.Failures, f.ECS())
	}
	fits := map[int]*Fit{} // by instance index, when capacity alone decides
	lenient := !slices.ContainsFunc(task.Constraints, func(c scheduler.Constraint) bool {
		return c.Type == scheduler.DistinctInstance || c.Type == scheduler.MemberOf
	})
	for _, p := range res.Placements {
		src := in.srcs[p.Index]
		out.Targets = append(out.Targets, Target{Node: src.node, Instance: p.InstanceARN, AZ: insts[p.Index].Attributes["ecs.availability-zone"]})
		f, seen := fits[p.Index]
		if !seen {
			f = &Fit{Capacity: insts[p.Index].Registered}
			fits[p.Index] = f
			usage := Read{Key: InstanceUsageKey(l.Scope, l.Cluster, insts[p.Index].ID), ModRev: in.usageRevs[p.Index]}
			if lenient {
				usage.Fit = f
			}
			out.Reads = append(out.Reads, Read{Key: src.key, ModRev: src.modRev}, usage)
		}
		f.Add.CPU += task.Resources.CPU
		f.Add.Memory += task.Resources.Memory
		f.Add.Ports = append(f.Add.Ports, task.Resources.Ports...)
	}
	out.Explanation = res.Explanation
	return out, nil
}

// placeFargate puts each task on the connected agent host with the fewest
// tasks: Fargate capacity is not the user's to count, only liveness matters.
func placeFargate(tx store.ReadTx, l *Launch, now time.Time) (Placement, error) {
	var out Placement
	nodes, err := store.List[NodeRecord](tx, NodesPrefix)
	if err != nil {
		return out, err
	}
	type cand struct {
		id    string
		tasks int
	}
	var cands []cand
	for _, n := range nodes {
		if now.Sub(n.LastSeen) >= HeartbeatTimeout {
			continue
		}
		kvs, err := tx.List(NodeTasksPrefix(n.NodeID), "", 0)
		if err != nil {
			return out, err
		}
		cands = append(cands, cand{n.NodeID, len(kvs)})
	}
	if len(cands) == 0 {
		out.Failures = []ecstypes.Failure{{Arn: new(l.Scope.ClusterARN(l.Cluster)), Reason: new("Capacity is unavailable at this time."),
			Detail: new("No wharf agent is connected to run FARGATE tasks: start `wharf up` with Docker available.")}}
		return out, nil
	}
	for range l.Count {
		slices.SortStableFunc(cands, func(x, y cand) int { return x.tasks - y.tasks })
		out.Targets = append(out.Targets, Target{Node: cands[0].id, AZ: l.Scope.Region + "a"})
		cands[0].tasks++
	}
	return out, nil
}

// FilterInstances applies a cluster query language expression.
func FilterInstances(recs []InstanceRecord, expr string) ([]InstanceRecord, error) {
	insts := make([]scheduler.Instance, len(recs))
	for i, r := range recs {
		insts[i] = scheduler.InstanceFromECS(r.Instance)
	}
	kept, err := scheduler.FilterInstances(expr, insts)
	if err != nil {
		return nil, err
	}
	var out []InstanceRecord
	for _, k := range kept {
		i := slices.IndexFunc(recs, func(r InstanceRecord) bool { return shape.Deref(r.Instance.ContainerInstanceArn) == k.ARN })
		out = append(out, recs[i])
	}
	return out, nil
}

// placeableInstances remembers container instance records as placement
// sees them. Every placement reads every instance of the cluster, and
// decoding their JSON was most of its cost (75 placements/s across 1,000
// instances); a record whose stored bytes are unchanged is not decoded
// again. Keyed by store key and checked against the bytes, the cache is
// exact whichever store or revision the bytes come from; what it hands out
// is shared, read only. (Instance-tasks entries have a flat encoding that
// decodes about as fast as such a cache answers, so they are not cached.)
var (
	placeableInstances = newDigestCache(func(kv store.KV) (cachedInstance, error) {
		var r InstanceRecord
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return cachedInstance{}, fmt.Errorf("state: decode %s: %w", kv.Key, err)
		}
		return cachedInstance{inst: scheduler.InstanceFromECS(r.Instance), node: r.NodeID, status: shape.Deref(r.Instance.Status)}, nil
	})
)

// maxCached bounds each cache; past it, it starts over.
const maxCached = 200_000

type cachedInstance struct {
	inst   scheduler.Instance // AgentConnected and Tasks unset
	node   string
	status string
}

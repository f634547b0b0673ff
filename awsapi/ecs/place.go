package ecs

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// usage is what the tasks on one container instance hold.
type usage struct {
	running, pending int
	res              scheduler.Resources
}

// clusterTasksByInstance reads the cluster's tasks once, as the scheduler
// sees them, grouped by container instance ARN.
func clusterTasksByInstance(tx store.ReadTx, sc model.Scope, cluster string) (map[string][]scheduler.PlacedTask, error) {
	recs, err := store.List[model.TaskRecord](tx, tasksPrefix(sc, cluster))
	if err != nil {
		return nil, err
	}
	out := map[string][]scheduler.PlacedTask{}
	for _, r := range recs {
		ci := derefStr(r.Task.ContainerInstanceArn)
		if ci == "" || derefStr(r.Task.LastStatus) == model.TaskStopped {
			continue
		}
		out[ci] = append(out[ci], placedTask(r))
	}
	return out, nil
}

func placedTask(r model.TaskRecord) scheduler.PlacedTask {
	return scheduler.PlacedTask{
		ARN:               derefStr(r.Task.TaskArn),
		TaskDefinitionARN: derefStr(r.Task.TaskDefinitionArn),
		Group:             derefStr(r.Task.Group),
		StartedBy:         derefStr(r.Task.StartedBy),
		Reserved:          scheduler.Requirements(r.Definition, r.Task.Overrides),
		LastStatus:        derefStr(r.Task.LastStatus),
		DesiredStatus:     derefStr(r.Task.DesiredStatus),
	}
}

// instanceUsage sums what the instance's tasks that are not STOPPED hold.
func instanceUsage(tx store.ReadTx, sc model.Scope, cluster, instanceARN string) (usage, error) {
	byInstance, err := clusterTasksByInstance(tx, sc, cluster)
	if err != nil {
		return usage{}, err
	}
	var u usage
	for _, t := range byInstance[instanceARN] {
		if t.LastStatus == model.TaskRunning {
			u.running++
		} else {
			u.pending++
		}
		u.res.CPU += t.Reserved.CPU
		u.res.Memory += t.Reserved.Memory
		u.res.Ports = append(u.res.Ports, t.Reserved.Ports...)
	}
	return u, nil
}

// remaining is registered minus usage, in ECS's resource shape: CPU and
// MEMORY as integers, PORTS and PORTS_UDP as every host port now taken.
func remaining(registered []ecstypes.Resource, u usage) []ecstypes.Resource {
	out := make([]ecstypes.Resource, 0, len(registered))
	for _, r := range registered {
		switch derefStr(r.Name) {
		case "CPU":
			r.IntegerValue = int32(resourceInt([]ecstypes.Resource{r}, "CPU") - u.res.CPU)
		case "MEMORY":
			r.IntegerValue = int32(resourceInt([]ecstypes.Resource{r}, "MEMORY") - u.res.Memory)
		case "PORTS", "PORTS_UDP":
			proto := "tcp"
			if derefStr(r.Name) == "PORTS_UDP" {
				proto = "udp"
			}
			ports := slices.Clone(r.StringSetValue)
			for _, p := range u.res.Ports {
				if (p.Protocol == proto || p.Protocol == "" && proto == "tcp") && p.Port > 0 {
					ports = append(ports, strconv.Itoa(p.Port))
				}
			}
			r.StringSetValue = orEmpty(ports)
		}
		out = append(out, r)
	}
	return out
}

// placeTasks decides where each of l.count tasks goes: for FARGATE on a
// connected agent host, for EC2 on a container instance chosen by the
// scheduler (only among `only` for StartTask). Tasks that fit nowhere come
// back as ECS failures.
func (a *API) placeTasks(tx store.ReadTx, l *launch, only []string) ([]target, []ecstypes.Failure, error) {
	if l.launchType == ecstypes.LaunchTypeFargate {
		return a.placeFargate(tx, l)
	}
	recs, err := store.List[instanceRecord](tx, instancesPrefix(l.sc, l.cluster))
	if err != nil {
		return nil, nil, err
	}
	byInstance, err := clusterTasksByInstance(tx, l.sc, l.cluster)
	if err != nil {
		return nil, nil, err
	}
	var failures []ecstypes.Failure
	var insts []scheduler.Instance
	nodes := map[string]string{}
	for _, r := range recs {
		if derefStr(r.Instance.Status) == instanceInactive {
			continue
		}
		ci := r.Instance
		connected, err := a.nodeConnected(tx, r.NodeID)
		if err != nil {
			return nil, nil, err
		}
		ci.AgentConnected = connected
		in := scheduler.InstanceFromECS(ci)
		in.Tasks = byInstance[in.ARN]
		insts = append(insts, in)
		nodes[in.ARN] = r.NodeID
	}
	if only != nil {
		var picked []scheduler.Instance
		for _, ref := range only {
			i := slices.IndexFunc(insts, func(in scheduler.Instance) bool { return in.ID == instanceID(ref) })
			if i < 0 {
				failures = append(failures, ecstypes.Failure{Arn: new(l.sc.ContainerInstanceARN(l.cluster, instanceID(ref))), Reason: new("MISSING")})
				continue
			}
			picked = append(picked, insts[i])
		}
		insts = picked
	}
	if len(insts) == 0 && only == nil {
		return nil, nil, invalidParam("No Container Instances were found in your cluster.")
	}
	task := scheduler.Task{
		TaskDefinitionARN:  derefStr(l.td.TaskDefinitionArn),
		Family:             derefStr(l.td.Family),
		Group:              derefStr(l.in.Group),
		StartedBy:          derefStr(l.in.StartedBy),
		NetworkMode:        string(l.td.NetworkMode),
		Resources:          scheduler.Requirements(l.td, l.in.Overrides),
		RequiredAttributes: scheduler.AttributesFrom(l.td.RequiresAttributes),
		Constraints:        scheduler.ConstraintsFrom(l.td.PlacementConstraints, l.in.PlacementConstraints),
		Strategies:         scheduler.StrategiesFrom(l.in.PlacementStrategy),
	}
	if task.Group == "" {
		task.Group = "family:" + task.Family
	}
	if err := scheduler.ValidateConstraints(task.Constraints); err != nil {
		return nil, nil, invalidParam("%v", err)
	}
	var res scheduler.Result
	if only != nil {
		// StartTask: one task on each named instance that can take it.
		refs := make([]string, 0, len(insts))
		for _, in := range insts {
			refs = append(refs, in.ARN)
		}
		res = scheduler.PlaceOn(task, refs, insts)
	} else {
		var err error
		res, err = scheduler.Place(task, l.count, insts, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)))
		if err != nil {
			return nil, nil, invalidParam("%v", err)
		}
	}
	failures = appendFailures(failures, res.Failures)
	var targets []target
	for _, p := range res.Placements {
		targets = append(targets, target{node: nodes[p.InstanceARN], instance: p.InstanceARN, az: insts[p.Index].Attributes["ecs.availability-zone"]})
	}
	return targets, failures, nil
}

func appendFailures(out []ecstypes.Failure, fs []scheduler.Failure) []ecstypes.Failure {
	for _, f := range fs {
		out = append(out, f.ECS())
	}
	return out
}

// placeFargate puts each task on the connected agent host with the fewest
// tasks: Fargate capacity is not the user's to count, so only liveness
// matters.
func (a *API) placeFargate(tx store.ReadTx, l *launch) ([]target, []ecstypes.Failure, error) {
	nodes, err := store.List[nodeRecord](tx, "wharf/nodes/")
	if err != nil {
		return nil, nil, err
	}
	type cand struct {
		id    string
		tasks int
	}
	var cands []cand
	for _, n := range nodes {
		if a.now().Sub(n.LastSeen) >= heartbeatTimeout {
			continue
		}
		kvs, err := tx.List(nodeTasksPrefix(n.NodeID), "", 0)
		if err != nil {
			return nil, nil, err
		}
		cands = append(cands, cand{n.NodeID, len(kvs)})
	}
	if len(cands) == 0 {
		f := ecstypes.Failure{Arn: new(l.sc.ClusterARN(l.cluster)), Reason: new("Capacity is unavailable at this time."),
			Detail: new("No wharf agent is connected to run FARGATE tasks: start `wharf up` with Docker available.")}
		return nil, []ecstypes.Failure{f}, nil
	}
	targets := make([]target, 0, l.count)
	for range l.count {
		slices.SortStableFunc(cands, func(x, y cand) int { return x.tasks - y.tasks })
		targets = append(targets, target{node: cands[0].id, az: l.sc.Region + "a"})
		cands[0].tasks++
	}
	return targets, nil, nil
}

// filterInstances applies a cluster query language expression.
func filterInstances(recs []instanceRecord, expr string) ([]instanceRecord, error) {
	insts := make([]scheduler.Instance, len(recs))
	for i, r := range recs {
		insts[i] = scheduler.InstanceFromECS(r.Instance)
	}
	kept, err := scheduler.FilterInstances(expr, insts)
	if err != nil {
		return nil, err
	}
	var out []instanceRecord
	for _, k := range kept {
		i := slices.IndexFunc(recs, func(r instanceRecord) bool { return derefStr(r.Instance.ContainerInstanceArn) == k.ARN })
		out = append(out, recs[i])
	}
	return out, nil
}

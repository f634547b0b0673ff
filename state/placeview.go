package state

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// otherTasks is the group of the stand-in task that carries what the rest
// of an instance's tasks hold (see tasksByInstance); no real group is
// empty or starts with a NUL.
const otherTasks = "\x00other"

// tasksByInstance is what placement needs of the tasks already placed, by
// instance ARN. Without l.GroupTasks it is every task of the cluster, from
// the instance-tasks index. With them (the service scheduler has read its
// own tasks already) it is those tasks plus, per instance, one stand-in
// holding what the instance's other tasks hold, from the instance-usage
// index: one entry per busy instance rather than one per task, so a
// service's placement costs the same in a cluster of 100 tasks or 10,000.
// The stand-in keeps cpu, memory and ports exact, and the group's own
// tasks keep distinctInstance and spread exact; a memberOf expression may
// ask about any group (task:group) or count running tasks, so with one
// the full index is read.
func tasksByInstance(tx store.ReadTx, l *Launch, constraints []scheduler.Constraint) (map[string][]scheduler.PlacedTask, error) {
	if l.GroupTasks == nil || slices.ContainsFunc(constraints, func(c scheduler.Constraint) bool { return c.Type == scheduler.MemberOf }) {
		return ClusterTasksByInstance(tx, l.Scope, l.Cluster)
	}
	mine := map[string][]scheduler.PlacedTask{} // by instance id
	for _, t := range l.GroupTasks {
		id := LastSegment(t.Instance)
		mine[id] = append(mine[id], t.Task)
	}
	prefix := InstanceUsageKey(l.Scope, l.Cluster, "")
	kvs, err := tx.List(prefix, "", 0)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]scheduler.PlacedTask, len(kvs))
	for _, kv := range kvs {
		u, err := instanceUsages.get(kv)
		if err != nil {
			return nil, err
		}
		id := kv.Key[len(prefix):]
		rest := u.Reserved
		rest.Ports = slices.Clone(rest.Ports)
		for _, t := range mine[id] {
			rest.CPU -= t.Reserved.CPU
			rest.Memory -= t.Reserved.Memory
			for _, p := range t.Reserved.Ports {
				if i := slices.Index(rest.Ports, p); i >= 0 {
					rest.Ports = slices.Delete(rest.Ports, i, i+1)
				}
			}
		}
		tasks := mine[id]
		if u.Running+u.Pending > len(tasks) {
			tasks = append(slices.Clip(tasks), scheduler.PlacedTask{Group: otherTasks, Reserved: rest,
				LastStatus: model.TaskPending, DesiredStatus: DesiredRunning})
		}
		out[l.Scope.ContainerInstanceARN(l.Cluster, id)] = tasks
	}
	// The usage entries are written with the tasks, so every instance of
	// the group has one; should one be missing, the group's tasks still
	// count.
	for id, tasks := range mine {
		arn := l.Scope.ContainerInstanceARN(l.Cluster, id)
		if _, ok := out[arn]; !ok {
			out[arn] = tasks
		}
	}
	return out, nil
}

// instanceUsages caches decoded instance-usage records, as
// placeableInstances does instance records: most are unchanged between
// two placements.
var instanceUsages = newDecodeCache(func(kv store.KV) (Usage, error) {
	var u Usage
	if err := json.Unmarshal(kv.Value, &u); err != nil {
		return u, fmt.Errorf("state: decode %s: %w", kv.Key, err)
	}
	return u, nil
})

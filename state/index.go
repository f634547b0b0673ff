package state

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// Derived numbers come from indexes that every task write keeps in step,
// in the same transaction as the task record (PutTask and DeleteTask are
// the only writers), never from a scan of the cluster:
//
//	ecs/A/R/idx/group/CLUSTER/GROUP/TASKID      ""          every task of a group ("service:web")
//	ecs/A/R/idx/inst/CLUSTER/INSTID/TASKID      IndexedTask tasks not STOPPED, by container instance (indexcodec.go)
//	ecs/A/R/idx/usage/CLUSTER/INSTID            Usage       what those tasks hold, summed
//	ecs/A/R/idx/counts/CLUSTER                  TaskCounts  running and pending tasks by launch type
//	wharf/idx/stopped/STOPPED-AT/TASK-KEY       ""          STOPPED tasks by stop time (unix ns, 20 digits)
//	wharf/node-tasks/NODE/TASKID                TASK-KEY    tasks assigned to a node's agent, not STOPPED (keys.go)
//
// There is one group and one instance entry per task, so their directory
// names are short and their values keep nothing the key says. GROUP is
// path-escaped: a RunTask group may hold a slash. A store written before
// the indexes existed, or with another layout, is indexed once at open
// (BuildIndexes).

// The index directories under ecs/A/R/idx/.
const (
	groupTasksDir    = "group/"
	instanceTasksDir = "inst/"
	instanceUsageDir = "usage/"
	clusterTasksDir  = "counts/"
)

func idxRoot(s model.Scope) string { return Root(s) + "idx/" }

// GroupTasksPrefix holds the index entries of a group's tasks.
func GroupTasksPrefix(s model.Scope, cluster, group string) string {
	return idxRoot(s) + groupTasksDir + cluster + "/" + url.PathEscape(group) + "/"
}

// InstanceTasksPrefix holds the cluster's not-STOPPED placed tasks.
func InstanceTasksPrefix(s model.Scope, cluster string) string {
	return idxRoot(s) + instanceTasksDir + cluster + "/"
}

func instanceTaskKey(s model.Scope, cluster, inst, id string) string {
	return InstanceTasksPrefix(s, cluster) + inst + "/" + id
}

// InstanceUsageKey is the usage record of one container instance (by id).
func InstanceUsageKey(s model.Scope, cluster, inst string) string {
	return idxRoot(s) + instanceUsageDir + cluster + "/" + inst
}

// ClusterTasksKey is the cluster's task counts.
func ClusterTasksKey(s model.Scope, cluster string) string {
	return idxRoot(s) + clusterTasksDir + cluster
}

// StoppedPrefix orders every STOPPED task, all regions, by stop time.
const StoppedPrefix = "wharf/idx/stopped/"

// IndexVersionKey marks a store whose indexes are built.
const IndexVersionKey = "wharf/index-version"

// indexVersion changes when the index layout does; BuildIndexes then
// rebuilds them. 2: short directory names, instance entries without what
// their key says ("t2"), node-tasks keyed by task id.
const indexVersion = "2"

// IndexedTask is an instance-tasks entry: the task as placement sees it.
type IndexedTask struct {
	Instance string               `json:"instance"`
	Task     scheduler.PlacedTask `json:"task"`
}

// TaskCounts counts a cluster's tasks that are not STOPPED by launch type
// ("" is EC2, as a task without one).
type TaskCounts struct {
	Running map[string]int `json:"running,omitempty"`
	Pending map[string]int `json:"pending,omitempty"`
}

// Total sums m.
func Total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// taskFacts is what one version of a task record contributes to the
// indexes; two versions with equal facts need no index write.
type taskFacts struct {
	group      string
	instance   string // container instance id; "" when none
	holds      bool   // placed on an instance and not STOPPED
	placed     []byte // the instance-tasks entry when holds (indexcodec.go)
	running    bool
	launchType string
	class      string // "running", "pending" or "" for the cluster counts
	stoppedKey string
	reserved   scheduler.Resources
}

func factsOf(taskKey string, r *model.TaskRecord) (taskFacts, error) {
	if r == nil {
		return taskFacts{}, nil
	}
	t := &r.Task
	last := shape.Deref(t.LastStatus)
	f := taskFacts{group: shape.Deref(t.Group), launchType: string(t.LaunchType), running: last == model.TaskRunning}
	switch last {
	case model.TaskRunning:
		f.class = "running"
	case model.TaskStopped, "DELETED":
	default:
		f.class = "pending"
	}
	if last == model.TaskStopped && !t.StoppedAt.IsZero() {
		f.stoppedKey = fmt.Sprintf("%s%020d/%s", StoppedPrefix, t.StoppedAt.UnixNano(), taskKey)
	}
	if arn := shape.Deref(t.ContainerInstanceArn); arn != "" && last != model.TaskStopped {
		f.instance, f.holds = LastSegment(arn), true
		p := PlacedTask(*r)
		f.reserved = p.Reserved
		sc, cluster, id, _ := parseTaskKey(taskKey)
		b, err := encodeIndexedTask(entryKey{sc: sc, cluster: cluster, inst: f.instance, id: id}, IndexedTask{Instance: arn, Task: p})
		if err != nil {
			return f, fmt.Errorf("state: encode index entry of %s: %w", taskKey, err)
		}
		f.placed = b
	}
	return f, nil
}

// indexTask moves the indexes from what old contributed to what cur does;
// old nil is a new task, cur nil a deleted one.
func indexTask(tx store.Tx, sc model.Scope, cluster, id string, old, cur *model.TaskRecord) error {
	key := TaskKey(sc, cluster, id)
	o, err := factsOf(key, old)
	if err != nil {
		return err
	}
	n, err := factsOf(key, cur)
	if err != nil {
		return err
	}
	if old == nil || cur == nil || o.group != n.group {
		if old != nil {
			if err := tx.Delete(GroupTasksPrefix(sc, cluster, o.group) + id); err != nil {
				return err
			}
		}
		if cur != nil {
			if err := tx.Put(GroupTasksPrefix(sc, cluster, n.group)+id, nil); err != nil {
				return err
			}
		}
	}
	moved := o.holds != n.holds || o.instance != n.instance
	if o.holds && (moved || !n.holds) {
		if err := tx.Delete(instanceTaskKey(sc, cluster, o.instance, id)); err != nil {
			return err
		}
	}
	if n.holds && (moved || string(o.placed) != string(n.placed)) {
		if err := tx.Put(instanceTaskKey(sc, cluster, n.instance, id), n.placed); err != nil {
			return err
		}
	}
	if moved || o.running != n.running || !sameResources(o.reserved, n.reserved) {
		if o.holds {
			if err := addUsage(tx, InstanceUsageKey(sc, cluster, o.instance), o, -1); err != nil {
				return err
			}
		}
		if n.holds {
			if err := addUsage(tx, InstanceUsageKey(sc, cluster, n.instance), n, +1); err != nil {
				return err
			}
		}
	}
	if o.class != n.class || o.launchType != n.launchType {
		if err := addCounts(tx, ClusterTasksKey(sc, cluster), o, n); err != nil {
			return err
		}
	}
	if o.stoppedKey != n.stoppedKey {
		if o.stoppedKey != "" {
			if err := tx.Delete(o.stoppedKey); err != nil {
				return err
			}
		}
		if n.stoppedKey != "" {
			if err := tx.Put(n.stoppedKey, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func sameResources(a, b scheduler.Resources) bool {
	return a.CPU == b.CPU && a.Memory == b.Memory && slices.Equal(a.Ports, b.Ports)
}

// addUsage adds (sign +1) or takes away (-1) one task's share of an
// instance's usage record; a record that falls to no tasks is deleted.
func addUsage(tx store.Tx, key string, f taskFacts, sign int) error {
	u, _, err := store.Get[Usage](tx, key)
	if err != nil {
		return err
	}
	if f.running {
		u.Running += sign
	} else {
		u.Pending += sign
	}
	u.Reserved.CPU += sign * f.reserved.CPU
	u.Reserved.Memory += sign * f.reserved.Memory
	if sign > 0 {
		u.Reserved.Ports = append(u.Reserved.Ports, f.reserved.Ports...)
	} else {
		for _, p := range f.reserved.Ports {
			if i := slices.Index(u.Reserved.Ports, p); i >= 0 {
				u.Reserved.Ports = slices.Delete(u.Reserved.Ports, i, i+1)
			}
		}
	}
	if u.Running+u.Pending <= 0 {
		return tx.Delete(key)
	}
	return store.Put(tx, key, u)
}

func addCounts(tx store.Tx, key string, o, n taskFacts) error {
	c, _, err := store.Get[TaskCounts](tx, key)
	if err != nil {
		return err
	}
	bump := func(class, lt string, d int) {
		m := &c.Running
		if class == "pending" {
			m = &c.Pending
		}
		if *m == nil {
			*m = map[string]int{}
		}
		if (*m)[lt] += d; (*m)[lt] <= 0 {
			delete(*m, lt)
		}
	}
	if o.class != "" {
		bump(o.class, o.launchType, -1)
	}
	if n.class != "" {
		bump(n.class, n.launchType, +1)
	}
	if len(c.Running)+len(c.Pending) == 0 {
		return tx.Delete(key)
	}
	return store.Put(tx, key, c)
}

// GroupTasks reads every task of a group ("service:NAME") in the cluster
// through the group index.
func GroupTasks(tx store.ReadTx, sc model.Scope, cluster, group string) ([]model.TaskRecord, error) {
	var out []model.TaskRecord
	err := ScanGroupTasks(tx, sc, cluster, group, "", func(r model.TaskRecord) (bool, error) {
		out = append(out, r)
		return true, nil
	})
	return out, err
}

// ScanTasks calls fn with the cluster's tasks whose id sorts after
// `after`, in id order, until fn returns false.
func ScanTasks(tx store.ReadTx, sc model.Scope, cluster, after string, fn func(model.TaskRecord) (bool, error)) error {
	prefix := TasksPrefix(sc, cluster)
	return store.Each(tx, prefix, cursorAfter(prefix, after), func(kv store.KV) (bool, error) {
		var r model.TaskRecord
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return false, fmt.Errorf("store: decode %s: %w", kv.Key, err)
		}
		return fn(r)
	})
}

// ScanGroupTasks is ScanTasks over one group's tasks, through its index.
func ScanGroupTasks(tx store.ReadTx, sc model.Scope, cluster, group, after string, fn func(model.TaskRecord) (bool, error)) error {
	prefix := GroupTasksPrefix(sc, cluster, group)
	return store.Each(tx, prefix, cursorAfter(prefix, after), func(kv store.KV) (bool, error) {
		r, ok, err := store.Get[model.TaskRecord](tx, TaskKey(sc, cluster, kv.Key[len(prefix):]))
		if err != nil {
			return false, err
		}
		if !ok {
			return false, fmt.Errorf("state: group index entry %s names no task", kv.Key)
		}
		return fn(r)
	})
}

// cursorAfter is the full key after which a scan of prefix resumes past
// id ("" from the start).
func cursorAfter(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}

// ClusterTaskCounts reads the cluster's running and pending task counts.
func ClusterTaskCounts(tx store.ReadTx, sc model.Scope, cluster string) (TaskCounts, error) {
	c, _, err := store.Get[TaskCounts](tx, ClusterTasksKey(sc, cluster))
	return c, err
}

// StoppedTask is one entry of the stopped-task index.
type StoppedTask struct {
	Key       string // the task record's key
	StoppedAt int64  // unix nanoseconds
}

// StoppedBefore lists up to limit tasks that stopped before cutoff (unix
// ns), oldest first: the index is sorted by stop time, so it reads no
// further than the first younger one.
func StoppedBefore(tx store.ReadTx, cutoff int64, limit int) ([]StoppedTask, error) {
	kvs, err := tx.List(StoppedPrefix, "", limit)
	if err != nil {
		return nil, err
	}
	var out []StoppedTask
	for _, kv := range kvs {
		rest := kv.Key[len(StoppedPrefix):]
		at, key, ok := strings.Cut(rest, "/")
		ns, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("state: malformed stopped-task index key %q", kv.Key)
		}
		if ns >= cutoff {
			break
		}
		out = append(out, StoppedTask{Key: key, StoppedAt: ns})
	}
	return out, nil
}

// DeleteTaskKey deletes the task record at key (ecs/A/R/tasks/CLUSTER/ID)
// and its index entries; a missing record is not an error.
func DeleteTaskKey(tx store.Tx, key string) error {
	sc, cluster, id, ok := parseTaskKey(key)
	if !ok {
		return fmt.Errorf("state: %q is not a task key", key)
	}
	rec, found, err := store.Get[model.TaskRecord](tx, key)
	if err != nil || !found {
		return err
	}
	if err := tx.Delete(key); err != nil {
		return err
	}
	if err := indexTask(tx, sc, cluster, id, &rec, nil); err != nil {
		return err
	}
	if rec.NodeID != "" {
		return tx.Delete(NodeTaskKey(rec.NodeID, shape.Deref(rec.Task.TaskArn)))
	}
	return nil
}

// parseTaskKey splits ecs/ACCOUNT/REGION/tasks/CLUSTER/ID.
func parseTaskKey(key string) (sc model.Scope, cluster, id string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 6 || p[0] != "ecs" || p[3] != "tasks" || p[5] == "" {
		return sc, "", "", false
	}
	return model.Scope{Account: p[1], Region: p[2]}, p[4], p[5], true
}

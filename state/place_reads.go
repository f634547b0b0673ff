package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// What placement reads besides the instance records, each from an index or
// a small record kept on write, never a scan of the cluster's tasks:
//
//	resources, ports, runningTasksCount  instance-usage records (one range read)
//	agent liveness                       the agents' heartbeats
//	the task's group (distinctInstance,  the group-tasks index, then those
//	  spread)                            tasks' records
//	every group (memberOf task:group)    the instance-tasks index, as before
//
// A placement decodes only what changed since the last one: through the
// cluster's view (place_view.go) on a snapshot that is a store.Scanner,
// else through the digest caches below, which key decoded records by
// their stored bytes.

// Read is a record a plan depended on, at the revision it was read
// (ModRev 0: the record did not exist). A plan made on a snapshot commits
// only if CheckReads finds every one unchanged, or, for a usage record
// with a Fit, changed but still leaving room for what the plan adds.
type Read struct {
	Key    string
	ModRev int64
	Fit    *Fit
}

// Fit is what a plan puts on one container instance, against its capacity.
// Concurrent RunTasks that spread over the same few least-used instances
// would otherwise conflict on nearly every commit although most of them
// still fit: ECS's placement is likewise best effort under concurrency
// for strategies, never for capacity or constraints. A plan whose
// constraints look at other tasks (distinctInstance, memberOf) has no Fit.
type Fit struct {
	Capacity scheduler.Resources // registered CPU and memory; ports held by the host
	Add      scheduler.Resources // the plan's tasks on the instance, summed
}

// CheckReads is the compare of a plan's commit: store.ErrConflict when a
// record changed since the plan read it (and, with a Fit, no longer has
// room for the plan).
func CheckReads(tx store.ReadTx, reads []Read) error {
	for _, r := range reads {
		err := store.CheckRev(tx, r.Key, r.ModRev)
		if err == nil || r.Fit == nil || !errors.Is(err, store.ErrConflict) {
			if err != nil {
				return err
			}
			continue
		}
		u, _, gerr := store.Get[Usage](tx, r.Key)
		if gerr != nil {
			return gerr
		}
		if !r.Fit.fits(u.Reserved) {
			return err
		}
	}
	return nil
}

// fits reports whether f.Add still fits beside used.
func (f *Fit) fits(used scheduler.Resources) bool {
	if used.CPU+f.Add.CPU > f.Capacity.CPU || used.Memory+f.Add.Memory > f.Capacity.Memory {
		return false
	}
	taken := func(p scheduler.Port) bool {
		same := func(q scheduler.Port) bool {
			return q.Port == p.Port && strings.EqualFold(q.Protocol, "udp") == strings.EqualFold(p.Protocol, "udp")
		}
		return slices.ContainsFunc(used.Ports, same) || slices.ContainsFunc(f.Capacity.Ports, same)
	}
	return !slices.ContainsFunc(f.Add.Ports, taken)
}

// RecordingTx is a ReadTx that remembers every record read with Get and
// its revision, so a plan can list what it depended on. List calls are
// not recorded: a range's new members cannot be compared by revision.
type RecordingTx struct {
	store.ReadTx
	reads map[string]int64
}

// Recording wraps tx.
func Recording(tx store.ReadTx) *RecordingTx {
	return &RecordingTx{ReadTx: tx, reads: map[string]int64{}}
}

// Get reads key and records its revision.
func (r *RecordingTx) Get(key string) (store.KV, bool, error) {
	kv, ok, err := r.ReadTx.Get(key)
	if err == nil {
		r.reads[key] = kv.ModRev // 0 when absent
	}
	return kv, ok, err
}

// Scan implements store.Scanner through the wrapped snapshot; like List,
// it records nothing.
func (r *RecordingTx) Scan(prefix string, fn func(key, value []byte, createRev, modRev int64) error) error {
	return store.ScanOf(r.ReadTx, prefix, fn)
}

// Origin is the wrapped snapshot's, 0 when it makes no promise.
func (r *RecordingTx) Origin() uint64 { return store.OriginOf(r.ReadTx) }

// Reads lists what was read so far.
func (r *RecordingTx) Reads() []Read {
	out := make([]Read, 0, len(r.reads))
	for k, rev := range r.reads {
		out = append(out, Read{Key: k, ModRev: rev})
	}
	return out
}

var (
	// A usage record as the scheduler takes it (without groups), shared
	// read only by every placement until the record changes.
	usageRecords = newDigestCache(func(kv store.KV) (*scheduler.Usage, error) {
		var u Usage
		if err := json.Unmarshal(kv.Value, &u); err != nil {
			return nil, fmt.Errorf("state: decode %s: %w", kv.Key, err)
		}
		return &scheduler.Usage{Reserved: u.Reserved, Running: u.Running}, nil
	})
	noUsage    = &scheduler.Usage{}
	heartbeats = newDigestCache(func(kv store.KV) (NodeRecord, error) {
		var n NodeRecord
		if err := json.Unmarshal(kv.Value, &n); err != nil {
			return n, fmt.Errorf("state: decode %s: %w", kv.Key, err)
		}
		return n, nil
	})
	// Task records are large and many: their cache keeps a digest of the
	// bytes rather than the bytes.
	groupMembers = newDigestCache(func(kv store.KV) (groupMember, error) {
		var r model.TaskRecord
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return groupMember{}, fmt.Errorf("state: decode %s: %w", kv.Key, err)
		}
		t := &r.Task
		last := shape.Deref(t.LastStatus)
		return groupMember{instance: shape.Deref(t.ContainerInstanceArn), holding: last != model.TaskStopped,
			live: last != model.TaskStopped && shape.Deref(t.DesiredStatus) != model.TaskStopped}, nil
	})
)

// placeInput is what the scheduler places on: the cluster's instances
// that are not INACTIVE (Used and Tasks unset), what their tasks use, and
// where each came from. Shared read only when it comes from a view.
type placeInput struct {
	insts     []scheduler.Instance
	used      []*scheduler.Usage
	srcs      []instSource
	usageRevs []int64 // ModRev of each instance's usage record; 0: none
}

// viewPlacements counts the placements planned on a cluster's view, for
// tests: that a rehearsal's placement takes the view is a matter of
// speed, which no result shows.
var viewPlacements atomic.Int64

// placeInputOf reads the cluster for a placement: through its view when
// the snapshot is a store.Scanner that promises an Origin (a View's, and
// a rehearsal's overlay on one), else (a write transaction, a store
// without Scan) by reading the three ranges.
func placeInputOf(tx store.ReadTx, sc model.Scope, cluster string, now time.Time) (placeInput, error) {
	if s, ok := tx.(store.Scanner); ok && s.Origin() != 0 {
		v, err := viewOf(s, tx.Rev(), sc, cluster, now)
		if err != nil {
			return placeInput{}, err
		}
		viewPlacements.Add(1)
		return placeInput{insts: v.placeable, used: v.used, srcs: v.srcs, usageRevs: v.usageRevs}, nil
	}
	kvs, err := tx.List(InstancesPrefix(sc, cluster), "", 0)
	if err != nil {
		return placeInput{}, err
	}
	usages, err := instanceUsages(tx, sc, cluster)
	if err != nil {
		return placeInput{}, err
	}
	beats, err := lastSeen(tx)
	if err != nil {
		return placeInput{}, err
	}
	var in placeInput
	for _, kv := range kvs {
		ci, err := placeableInstances.get(kv)
		if err != nil {
			return placeInput{}, err
		}
		if ci.status == scheduler.StatusInactive {
			continue
		}
		inst := ci.inst
		beat, ok := beats[ci.node]
		inst.AgentConnected = ci.node != "" && ok && now.Sub(beat.LastSeen) < HeartbeatTimeout
		used := noUsage
		ukv := usages[LastSegment(kv.Key)]
		if ukv.Key != "" {
			if used, err = usageRecords.get(ukv); err != nil {
				return placeInput{}, err
			}
		}
		in.insts = append(in.insts, inst)
		in.used = append(in.used, used)
		in.srcs = append(in.srcs, instSource{key: kv.Key, modRev: kv.ModRev, node: ci.node})
		in.usageRevs = append(in.usageRevs, ukv.ModRev)
	}
	return in, nil
}

// instanceUsages reads the cluster's usage records in one range, by
// container instance id.
func instanceUsages(tx store.ReadTx, sc model.Scope, cluster string) (map[string]store.KV, error) {
	prefix := InstanceUsageKey(sc, cluster, "")
	kvs, err := tx.List(prefix, "", 0)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.KV, len(kvs))
	for _, kv := range kvs {
		out[kv.Key[len(prefix):]] = kv
	}
	return out, nil
}

// lastSeen reads every agent's last heartbeat, by node id.
func lastSeen(tx store.ReadTx) (map[string]NodeRecord, error) {
	kvs, err := tx.List(NodesPrefix, "", 0)
	if err != nil {
		return nil, err
	}
	out := make(map[string]NodeRecord, len(kvs))
	for _, kv := range kvs {
		n, err := heartbeats.get(kv)
		if err != nil {
			return nil, err
		}
		out[n.NodeID] = n
	}
	return out, nil
}

// groupMember is a task of a group as spread and distinctInstance see it.
type groupMember struct {
	instance      string // container instance ARN; "" when not placed
	holding, live bool   // not STOPPED; and not being stopped
}

// groupUsage counts, per container instance ARN, the group's tasks that
// hold resources there and those of them that are live, through the
// group-tasks index: what distinctInstance and spread need, and no other
// task.
func groupUsage(tx store.ReadTx, sc model.Scope, cluster, group string) (holding, live map[string]int, err error) {
	holding, live = map[string]int{}, map[string]int{}
	prefix := GroupTasksPrefix(sc, cluster, group)
	err = store.Each(tx, prefix, "", func(e store.KV) (bool, error) {
		key := TaskKey(sc, cluster, e.Key[len(prefix):])
		kv, ok, err := tx.Get(key)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, fmt.Errorf("state: group index entry %s names no task", e.Key)
		}
		m, err := groupMembers.get(kv)
		if err != nil {
			return false, err
		}
		if m.instance != "" && m.holding {
			holding[m.instance]++
			if m.live {
				live[m.instance]++
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return holding, live, nil
}

// withGroup is u with the counts of group's tasks on the instance arn
// (from groupUsage) added.
func withGroup(u *scheduler.Usage, arn, group string, holding, live map[string]int) *scheduler.Usage {
	out := &scheduler.Usage{Reserved: u.Reserved, Running: u.Running}
	if c := holding[arn]; c > 0 {
		out.Groups = map[string]int{group: c}
	}
	if c := live[arn]; c > 0 {
		out.Live = map[string]int{group: c}
	}
	return out
}

// digestCache keeps decoded records: an entry is reused while the
// record's revisions, length and a 64-bit digest of its bytes match, which
// holds only for the same bytes (or a hash collision among records of one
// key at one revision: not a practical concern). Revisions alone would not
// do: two stores in one process (as tests run them) share keys and
// revisions.
type digestCache[T any] struct {
	decode func(store.KV) (T, error)
	seed   maphash.Seed
	mu     sync.Mutex
	m      map[string]digestEntry[T]
}

type digestEntry[T any] struct {
	createRev, modRev int64
	n                 int
	sum               uint64
	v                 T
}

func newDigestCache[T any](decode func(store.KV) (T, error)) *digestCache[T] {
	return &digestCache[T]{decode: decode, seed: maphash.MakeSeed(), m: map[string]digestEntry[T]{}}
}

func (c *digestCache[T]) get(kv store.KV) (T, error) {
	sum := maphash.Bytes(c.seed, kv.Value)
	c.mu.Lock()
	e, ok := c.m[kv.Key]
	c.mu.Unlock()
	if ok && e.createRev == kv.CreateRev && e.modRev == kv.ModRev && e.n == len(kv.Value) && e.sum == sum {
		return e.v, nil
	}
	v, err := c.decode(kv)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[kv.Key] = digestEntry[T]{createRev: kv.CreateRev, modRev: kv.ModRev, n: len(kv.Value), sum: sum, v: v}
	c.mu.Unlock()
	return v, nil
}

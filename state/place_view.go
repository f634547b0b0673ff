package state

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// Placement plans against an in-memory view of the cluster, as Nomad's
// scheduler plans against a snapshot: the container instances decoded,
// their usage records and the agents' heartbeats, each entry with the
// revisions it was decoded at. A placement scans the three ranges in place
// (store.Scanner: keys and revisions, no copy of a value), keeps every
// entry whose revisions are unchanged and decodes only what changed since
// the view was last refreshed; the scheduler's instance list is rebuilt
// only when an instance record or an agent's liveness changed, the usage
// list (one pointer per instance) when a usage record did. Across 1,000
// instances a placement used to copy out and digest 3,000 records; now it
// compares their revisions.
//
// Correctness does not rest on the view: it is refreshed against the very
// snapshot the plan is made on, so it shows exactly what that snapshot
// holds (a value decoded once is reused only for the same key, revisions
// and store, see store.Scanner's Origin), and the commit's CheckReads
// still guards against what changed after the snapshot.
//
// Memory is bounded: at most maxViews cluster views and maxViewInstances
// instances across them, the least recently used dropped first, and one
// heartbeat view per store for at most maxViewStores stores. A view is
// immutable once published and shared read only by concurrent placements;
// a refresh builds a new one.

const (
	maxViews         = 64
	maxViewInstances = 50_000
	maxViewStores    = 8
)

// clusterView is one cluster's placement view at one snapshot.
type clusterView struct {
	built bool         // false: the empty view a cluster starts from
	rev   int64        // the snapshot's revision
	insts []instEntry  // every instance record, INACTIVE too, in key order
	usage []usageEntry // the usage records, in key order (instance id order)
	nodes *nodesView   // the heartbeats the liveness below was computed from

	// What the scheduler takes: the instances that are not INACTIVE, in
	// key order, AgentConnected set as it is for any now in [from, until)
	// (Used and Tasks unset), and aligned with them where each came from
	// and what its tasks use.
	placeable   []scheduler.Instance
	srcs        []instSource
	used        []*scheduler.Usage
	usageRevs   []int64 // ModRev of each instance's usage record; 0: none
	from, until time.Time
}

// instSource is where a placeable instance came from, for the plan's Reads
// and its Targets.
type instSource struct {
	key    string // the instance record's
	modRev int64
	node   string // the agent's node id
}

type instEntry struct {
	key               string
	createRev, modRev int64
	ci                *cachedInstance // shared read only
}

type usageEntry struct {
	key, id           string // id: the container instance's, the key's last segment
	createRev, modRev int64
	u                 *scheduler.Usage // shared read only
}

type nodeEntry struct {
	key               string
	createRev, modRev int64
	n                 NodeRecord
}

// nodesView is every agent's heartbeat at one snapshot of one store.
type nodesView struct {
	entries []nodeEntry
	seen    map[string]time.Time // LastSeen by node id
}

func (e *instEntry) ident() (string, int64, int64)  { return e.key, e.createRev, e.modRev }
func (e *usageEntry) ident() (string, int64, int64) { return e.key, e.createRev, e.modRev }
func (e *nodeEntry) ident() (string, int64, int64)  { return e.key, e.createRev, e.modRev }

// validAt reports whether the view's AgentConnected flags hold at now.
func (v *clusterView) validAt(now time.Time) bool {
	return !now.Before(v.from) && now.Before(v.until)
}

// views holds the published views.
var views = &viewRegistry{clusters: map[viewKey]*viewSlot{}, nodes: map[uint64]*nodesSlot{}}

type viewKey struct {
	origin uint64
	prefix string // the cluster's InstancesPrefix
}

type viewRegistry struct {
	mu        sync.Mutex
	tick      uint64 // a use counter: the least recently used goes first
	clusters  map[viewKey]*viewSlot
	instances int // across clusters
	nodes     map[uint64]*nodesSlot
}

type viewSlot struct {
	v    *clusterView
	used uint64
}

type nodesSlot struct {
	v    *nodesView
	rev  int64
	used uint64
}

func (r *viewRegistry) cluster(k viewKey) *clusterView {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.clusters[k]
	if !ok {
		return nil
	}
	r.tick++
	s.used = r.tick
	return s.v
}

// putCluster publishes v unless a view of a later snapshot is there.
func (r *viewRegistry) putCluster(k viewKey, v *clusterView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tick++
	if s, ok := r.clusters[k]; ok {
		if s.v.rev > v.rev {
			return
		}
		r.instances -= len(s.v.insts)
		delete(r.clusters, k)
	}
	if len(v.insts) > maxViewInstances {
		return // planned on, never kept
	}
	for len(r.clusters) >= maxViews || r.instances+len(v.insts) > maxViewInstances {
		r.evictLocked()
	}
	r.clusters[k] = &viewSlot{v: v, used: r.tick}
	r.instances += len(v.insts)
}

func (r *viewRegistry) evictLocked() {
	var oldest viewKey
	first := true
	for k, s := range r.clusters {
		if first || s.used < r.clusters[oldest].used {
			oldest, first = k, false
		}
	}
	r.instances -= len(r.clusters[oldest].v.insts)
	delete(r.clusters, oldest)
}

func (r *viewRegistry) nodesOf(origin uint64) *nodesView {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.nodes[origin]
	if !ok {
		return nil
	}
	r.tick++
	s.used = r.tick
	return s.v
}

func (r *viewRegistry) putNodes(origin uint64, rev int64, v *nodesView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tick++
	if s, ok := r.nodes[origin]; ok {
		if s.rev <= rev {
			s.v, s.rev, s.used = v, rev, r.tick
		}
		return
	}
	for len(r.nodes) >= maxViewStores {
		var oldest uint64
		first := true
		for o, s := range r.nodes {
			if first || s.used < r.nodes[oldest].used {
				oldest, first = o, false
			}
		}
		delete(r.nodes, oldest)
	}
	r.nodes[origin] = &nodesSlot{v: v, rev: rev, used: r.tick}
}

// viewOf refreshes the cluster's view against the snapshot sc (whose
// Origin is not 0) and returns it.
func viewOf(sc store.Scanner, rev int64, scope model.Scope, cluster string, now time.Time) (*clusterView, error) {
	origin := sc.Origin()
	nodes, err := refreshNodes(sc, origin, rev)
	if err != nil {
		return nil, err
	}
	k := viewKey{origin: origin, prefix: InstancesPrefix(scope, cluster)}
	old := views.cluster(k)
	if old == nil {
		old = &clusterView{}
	}
	insts, instsChanged, err := rescan(sc, k.prefix, old.insts, decodeInstEntry)
	if err != nil {
		return nil, err
	}
	usage, usageChanged, err := rescan(sc, InstanceUsageKey(scope, cluster, ""), old.usage, decodeUsageEntry)
	if err != nil {
		return nil, err
	}
	livenessSame := old.built && !instsChanged && nodes == old.nodes && old.validAt(now)
	if livenessSame && !usageChanged {
		return old, nil
	}
	v := &clusterView{built: true, rev: rev, insts: insts, usage: usage, nodes: nodes}
	kept := livenessSame
	if kept {
		v.placeable, v.srcs, v.from, v.until = old.placeable, old.srcs, old.from, old.until
	} else {
		kept = v.derive(old, instsChanged, now)
	}
	if kept && !usageChanged {
		v.used, v.usageRevs = old.used, old.usageRevs
	} else {
		v.alignUsage()
	}
	views.putCluster(k, v)
	return v, nil
}

// derive sets the scheduler's instances and their liveness at now. When
// the instance records are those of old and only heartbeats (or now)
// moved, old's instances are kept unless a flag flips; it reports whether
// they were.
func (v *clusterView) derive(old *clusterView, instsChanged bool, now time.Time) bool {
	v.from, v.until = time.Time{}, farFuture
	connected := make([]bool, 0, len(v.insts))
	for _, e := range v.insts {
		if e.ci.status == scheduler.StatusInactive {
			continue
		}
		c := false
		if seen, ok := v.nodes.seen[e.ci.node]; ok && e.ci.node != "" {
			// Connected while now < seen+timeout: the flag holds over
			// [from, until).
			end := seen.Add(HeartbeatTimeout)
			if c = now.Before(end); c {
				if end.Before(v.until) {
					v.until = end
				}
			} else if end.After(v.from) {
				v.from = end
			}
		}
		connected = append(connected, c)
	}
	if old.built && !instsChanged && len(old.placeable) == len(connected) {
		flips := false
		for i := range connected {
			if old.placeable[i].AgentConnected != connected[i] {
				flips = true
				break
			}
		}
		if !flips {
			v.placeable, v.srcs = old.placeable, old.srcs
			return true
		}
	}
	v.placeable = make([]scheduler.Instance, 0, len(connected))
	v.srcs = make([]instSource, 0, len(connected))
	for _, e := range v.insts {
		if e.ci.status == scheduler.StatusInactive {
			continue
		}
		in := e.ci.inst
		in.AgentConnected = connected[len(v.placeable)]
		v.placeable = append(v.placeable, in)
		v.srcs = append(v.srcs, instSource{key: e.key, modRev: e.modRev, node: e.ci.node})
	}
	return false
}

// farFuture bounds a view's liveness when no agent is connected.
var farFuture = time.Unix(1<<40, 0)

// alignUsage sets each placeable instance's usage from the usage records:
// both are in key order, which is instance id order, so one merge.
func (v *clusterView) alignUsage() {
	v.used = make([]*scheduler.Usage, len(v.placeable))
	v.usageRevs = make([]int64, len(v.placeable))
	j := 0
	for i := range v.placeable {
		id := LastSegment(v.srcs[i].key)
		for j < len(v.usage) && v.usage[j].id < id {
			j++
		}
		if j < len(v.usage) && v.usage[j].id == id {
			v.used[i], v.usageRevs[i] = v.usage[j].u, v.usage[j].modRev
			continue
		}
		v.used[i] = noUsage
	}
}

// refreshNodes brings the store's heartbeat view up to the snapshot.
func refreshNodes(sc store.Scanner, origin uint64, rev int64) (*nodesView, error) {
	old := views.nodesOf(origin)
	if old == nil {
		old = &nodesView{}
	}
	entries, changed, err := rescan(sc, NodesPrefix, old.entries, decodeNodeEntry)
	if err != nil {
		return nil, err
	}
	if !changed && old.seen != nil {
		return old, nil
	}
	v := &nodesView{entries: entries, seen: make(map[string]time.Time, len(entries))}
	for _, e := range entries {
		v.seen[e.n.NodeID] = e.n.LastSeen
	}
	views.putNodes(origin, rev, v)
	return v, nil
}

// identified is an entry that knows its key and revisions.
type identified[E any] interface {
	*E
	ident() (key string, createRev, modRev int64)
}

// rescan compares what sc holds under prefix with old, the entries of the
// same range at an earlier snapshot (in key order), and returns old itself
// when nothing changed, else the current entries: old's where the key and
// revisions match, freshly decoded where not. Both lists are in key order,
// so the comparison is one merge, and a range that did not change costs no
// allocation.
func rescan[E any, P identified[E]](sc store.Scanner, prefix string, old []E, decode func(key string, value []byte, createRev, modRev int64) (E, error)) ([]E, bool, error) {
	var out []E
	changed := false
	i, j := 0, 0 // i: entries seen so far; j: old's entry to compare with once changed
	err := sc.Scan(prefix, func(k, v []byte, createRev, modRev int64) error {
		if !changed {
			if i < len(old) {
				if key, c, m := P(&old[i]).ident(); key == string(k) && c == createRev && m == modRev {
					i++
					return nil
				}
			}
			changed = true
			out = make([]E, i, max(len(old), i+1))
			copy(out, old[:i])
			j = i
		}
		for j < len(old) {
			key, _, _ := P(&old[j]).ident()
			if key >= string(k) {
				break
			}
			j++
		}
		if j < len(old) {
			if key, c, m := P(&old[j]).ident(); key == string(k) && c == createRev && m == modRev {
				out = append(out, old[j])
				j++
				return nil
			}
		}
		e, err := decode(string(k), v, createRev, modRev)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if !changed {
		if i == len(old) {
			return old, false, nil
		}
		return old[:i:i], true, nil // the last records were deleted
	}
	return out, true, nil
}

func decodeInstEntry(key string, value []byte, createRev, modRev int64) (instEntry, error) {
	var r InstanceRecord
	if err := json.Unmarshal(value, &r); err != nil {
		return instEntry{}, fmt.Errorf("state: decode %s: %w", key, err)
	}
	ci := &cachedInstance{inst: scheduler.InstanceFromECS(r.Instance), node: r.NodeID, status: shape.Deref(r.Instance.Status)}
	return instEntry{key: key, createRev: createRev, modRev: modRev, ci: ci}, nil
}

func decodeUsageEntry(key string, value []byte, createRev, modRev int64) (usageEntry, error) {
	var u Usage
	if err := json.Unmarshal(value, &u); err != nil {
		return usageEntry{}, fmt.Errorf("state: decode %s: %w", key, err)
	}
	return usageEntry{key: key, id: LastSegment(key), createRev: createRev, modRev: modRev, u: &scheduler.Usage{Reserved: u.Reserved, Running: u.Running}}, nil
}

func decodeNodeEntry(key string, value []byte, createRev, modRev int64) (nodeEntry, error) {
	var n NodeRecord
	if err := json.Unmarshal(value, &n); err != nil {
		return nodeEntry{}, fmt.Errorf("state: decode %s: %w", key, err)
	}
	return nodeEntry{key: key, createRev: createRev, modRev: modRev, n: n}, nil
}

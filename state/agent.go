package state

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// The agent side of the control plane: heartbeats, the long poll and the
// assignments it answers with. Every agent-facing write of a node's
// heartbeat goes through NoteAlive.

// MaxPollWait bounds an agent's long poll.
const MaxPollWait = 30 * time.Second

// HeartbeatEvery is how often a node's heartbeat record is rewritten: a
// poll or registration within it of the last write changes nothing, so
// polls cost no write. Well under HeartbeatTimeout.
const HeartbeatEvery = 10 * time.Second

// NoteAlive records inside tx that node's agent was seen at now: it writes
// wharf/nodes/NODE (one key) unless that was written within
// HeartbeatEvery. An empty node (an instance no agent of ours runs) is
// nothing to note.
func NoteAlive(tx store.Tx, node string, now time.Time) error {
	if node == "" {
		return nil
	}
	n, ok, err := store.Get[NodeRecord](tx, NodeKey(node))
	if err != nil || ok && fresh(n, now) {
		return err
	}
	return store.Put(tx, NodeKey(node), NodeRecord{NodeID: node, LastSeen: now})
}

func fresh(n NodeRecord, now time.Time) bool {
	d := now.Sub(n.LastSeen)
	return d >= 0 && d < HeartbeatEvery
}

// Heartbeat is NoteAlive in a transaction of its own. The record is read
// on a snapshot first, so a poll whose heartbeat is fresh takes no write
// transaction at all.
func Heartbeat(ctx context.Context, db store.Backend, node string, now time.Time) error {
	stale := true
	err := db.View(ctx, func(tx store.ReadTx) error {
		n, ok, err := store.Get[NodeRecord](tx, NodeKey(node))
		stale = !ok || !fresh(n, now)
		return err
	})
	if err != nil || !stale {
		return err
	}
	_, err = db.Update(ctx, func(tx store.Tx) error { return NoteAlive(tx, node, now) })
	return err
}

// Poll is one long poll of an agent: its heartbeat, then, when the agent
// already holds the state as of req.AfterRevision, a wait of up to
// req.WaitSeconds (at most MaxPollWait) for a change that concerns it,
// then its whole desired state.
func Poll(ctx context.Context, db store.Backend, req agentproto.PollRequest, now time.Time) (*agentproto.PollResponse, error) {
	if err := Heartbeat(ctx, db, req.NodeID, now); err != nil {
		return nil, err
	}
	if req.AfterRevision > 0 {
		wait := min(time.Duration(req.WaitSeconds)*time.Second, MaxPollWait)
		if err := WaitForNode(ctx, db, req.NodeID, req.AfterRevision, wait); err != nil {
			return nil, err
		}
	}
	return Assignments(ctx, db, req.NodeID)
}

// WaitForNode returns once anything the node cares about changed after rev
// (its assignments, or the set of clusters), or after wait, or when ctx
// ends. A revision the store no longer keeps answers at once: the caller
// then reads everything anew.
func WaitForNode(ctx context.Context, db store.Backend, node string, rev int64, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	w, err := db.Watch(ctx, "wharf/", rev)
	if errors.Is(err, store.ErrCompacted) {
		return nil
	}
	if err != nil {
		return err
	}
	tasks, clusters := NodeTasksPrefix(node), ActiveClustersPrefix()
	for ev := range w.C {
		if strings.HasPrefix(ev.KV.Key, tasks) || strings.HasPrefix(ev.KV.Key, clusters) {
			return nil
		}
	}
	// Closed: timeout, client gone, or fallen behind; all answer now.
	return nil
}

// Assignments is the node's whole desired state, read on one snapshot:
// every ACTIVE cluster (of all regions) and every task assigned to it.
func Assignments(ctx context.Context, db store.Backend, node string) (*agentproto.PollResponse, error) {
	resp := &agentproto.PollResponse{Clusters: []string{}, Tasks: []agentproto.Assignment{}}
	err := db.View(ctx, func(tx store.ReadTx) error {
		resp.Revision = tx.Rev()
		clusters, err := tx.List(ActiveClustersPrefix(), "", 0)
		if err != nil {
			return err
		}
		for _, kv := range clusters {
			resp.Clusters = append(resp.Clusters, strings.TrimPrefix(kv.Key, ActiveClustersPrefix()))
		}
		idx, err := tx.List(NodeTasksPrefix(node), "", 0)
		if err != nil {
			return err
		}
		for _, kv := range idx {
			rec, ok, err := store.Get[model.TaskRecord](tx, string(kv.Value))
			if err != nil {
				return err
			}
			if ok {
				resp.Tasks = append(resp.Tasks, AssignmentOf(rec))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// AssignmentOf is what an agent is told about one of its tasks.
func AssignmentOf(rec model.TaskRecord) agentproto.Assignment {
	t := rec.Task
	return agentproto.Assignment{
		TaskARN:              shape.Deref(t.TaskArn),
		ClusterARN:           shape.Deref(t.ClusterArn),
		ContainerInstanceARN: shape.Deref(t.ContainerInstanceArn),
		DesiredStatus:        shape.Deref(t.DesiredStatus),
		StopCode:             t.StopCode,
		StoppedReason:        shape.Deref(t.StoppedReason),
		LaunchType:           t.LaunchType,
		Definition:           rec.Definition,
		Overrides:            t.Overrides,
		Network:              rec.Network,
		Group:                shape.Deref(t.Group),
		StartedBy:            shape.Deref(t.StartedBy),
		Version:              t.Version,
	}
}

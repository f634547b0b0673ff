package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// maxPollWait bounds an agent's long poll.
const maxPollWait = 30 * time.Second

// heartbeatEvery is how often a poll refreshes its node's heartbeat record.
const heartbeatEvery = 10 * time.Second

// PollHandler serves agentproto.PollPath.
func (a *API) PollHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req agentproto.PollRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil || req.NodeID == "" {
			http.Error(w, "poll needs a JSON body with nodeId", http.StatusBadRequest)
			return
		}
		resp, err := a.poll(r.Context(), req)
		if err != nil {
			if r.Context().Err() == nil {
				a.Log.Error("agent poll failed", "node", req.NodeID, "err", err)
				http.Error(w, "poll failed", http.StatusInternalServerError)
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
}

func (a *API) poll(ctx context.Context, req agentproto.PollRequest) (*agentproto.PollResponse, error) {
	if err := a.heartbeat(ctx, req.NodeID); err != nil {
		return nil, err
	}
	if req.AfterRevision > 0 {
		wait := min(time.Duration(req.WaitSeconds)*time.Second, maxPollWait)
		if err := a.waitForNode(ctx, req.NodeID, req.AfterRevision, wait); err != nil {
			return nil, err
		}
	}
	return a.assignments(ctx, req.NodeID)
}

// heartbeat records that the node is alive, at most every heartbeatEvery.
func (a *API) heartbeat(ctx context.Context, node string) error {
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		n, ok, err := store.Get[state.NodeRecord](tx, state.NodeKey(node))
		if err != nil || ok && a.Now().Sub(n.LastSeen) < heartbeatEvery {
			return err
		}
		return store.Put(tx, state.NodeKey(node), state.NodeRecord{NodeID: node, LastSeen: a.Now()})
	})
	return err
}

// waitForNode returns once anything the node cares about changed after rev
// (its assignments, or the set of clusters), or after wait.
func (a *API) waitForNode(ctx context.Context, node string, rev int64, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	w, err := a.DB.Watch(ctx, "wharf/", rev)
	if errors.Is(err, store.ErrCompacted) {
		return nil
	}
	if err != nil {
		return err
	}
	for ev := range w.C {
		if strings.HasPrefix(ev.KV.Key, state.NodeTasksPrefix(node)) || strings.HasPrefix(ev.KV.Key, state.ActiveClustersPrefix()) {
			return nil
		}
	}
	// Closed: timeout, client gone, or fallen behind; all answer now.
	return nil
}

// assignments is the node's whole desired state.
func (a *API) assignments(ctx context.Context, node string) (*agentproto.PollResponse, error) {
	resp := &agentproto.PollResponse{Clusters: []string{}, Tasks: []agentproto.Assignment{}}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		resp.Revision = tx.Rev()
		clusters, err := tx.List(state.ActiveClustersPrefix(), "", 0)
		if err != nil {
			return err
		}
		for _, kv := range clusters {
			resp.Clusters = append(resp.Clusters, strings.TrimPrefix(kv.Key, state.ActiveClustersPrefix()))
		}
		idx, err := tx.List(state.NodeTasksPrefix(node), "", 0)
		if err != nil {
			return err
		}
		for _, kv := range idx {
			rec, ok, err := store.Get[model.TaskRecord](tx, string(kv.Value))
			if err != nil {
				return err
			}
			if ok {
				resp.Tasks = append(resp.Tasks, assignmentOf(rec))
			}
		}
		return nil
	})
	return resp, err
}

func assignmentOf(rec model.TaskRecord) agentproto.Assignment {
	t := rec.Task
	return agentproto.Assignment{
		TaskARN:              derefStr(t.TaskArn),
		ClusterARN:           derefStr(t.ClusterArn),
		ContainerInstanceARN: derefStr(t.ContainerInstanceArn),
		DesiredStatus:        derefStr(t.DesiredStatus),
		StopCode:             t.StopCode,
		StoppedReason:        derefStr(t.StoppedReason),
		LaunchType:           t.LaunchType,
		Definition:           rec.Definition,
		Overrides:            t.Overrides,
		Network:              rec.Network,
		Group:                derefStr(t.Group),
		StartedBy:            derefStr(t.StartedBy),
		Version:              t.Version,
	}
}

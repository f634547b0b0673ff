package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/state"
)

// Bulk registration (agentproto.RegisterPath): the embedded agent
// registers in a batch of one region's clusters in one call and one
// transaction (state.RegisterBulk says why). Here the request is checked
// and each cluster's refusal worded as ECS's error.

// RegisterHandler serves agentproto.RegisterPath.
func (a *API) RegisterHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req agentproto.RegisterRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&req); err != nil {
			http.Error(w, "register needs a JSON body: "+err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := a.registerBulk(r.Context(), req)
		var apiErr *awsapi.Error
		switch {
		case errors.As(err, &apiErr):
			http.Error(w, apiErr.Message, http.StatusBadRequest)
			return
		case err != nil:
			if r.Context().Err() == nil {
				a.Log.Error("agent bulk registration failed", "node", req.NodeID, "err", err)
				http.Error(w, "register failed", http.StatusInternalServerError)
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
}

// registerBulk validates req and registers its node in each of its
// clusters.
func (a *API) registerBulk(ctx context.Context, req agentproto.RegisterRequest) (*agentproto.RegisterResponse, error) {
	if req.NodeID == "" {
		return nil, invalidParam("nodeId is required.")
	}
	if len(req.Clusters) > agentproto.MaxRegisterBatch {
		return nil, invalidParam("clusters can have at most %d entries, got %d.", agentproto.MaxRegisterBatch, len(req.Clusters))
	}
	in := req.Instance
	if node := state.NodeOf(in.Attributes); node != req.NodeID {
		return nil, invalidParam("attribute %s is %q, want the nodeId %q.", agentproto.NodeAttribute, node, req.NodeID)
	}
	cpu, mem := state.ResourceInt(in.TotalResources, "CPU"), state.ResourceInt(in.TotalResources, "MEMORY")
	if cpu <= 0 || mem <= 0 {
		return nil, invalidParam("totalResources must include CPU and MEMORY (INTEGER) greater than 0.")
	}
	results, err := state.RegisterBulk(ctx, a.DB, req.NodeID, req.Region, in, req.Clusters, a.Now())
	if err != nil {
		return nil, err
	}
	resp := &agentproto.RegisterResponse{Results: make([]agentproto.RegisterResult, 0, len(results))}
	for _, r := range results {
		res := agentproto.RegisterResult{ClusterARN: r.ClusterARN, ContainerInstanceARN: r.ContainerInstanceARN}
		var apiErr *awsapi.Error
		if errors.As(stateErr(r.Err), &apiErr) {
			res.Error = apiErr.Code + ": " + apiErr.Message
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

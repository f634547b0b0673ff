package ecs

import (
	"encoding/json"
	"net/http"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/state"
)

// PollHandler serves agentproto.PollPath: the agent's long poll, which is
// also its heartbeat (state.Poll).
func (a *API) PollHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req agentproto.PollRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil || req.NodeID == "" {
			http.Error(w, "poll needs a JSON body with nodeId", http.StatusBadRequest)
			return
		}
		resp, err := state.Poll(r.Context(), a.DB, req, a.Now())
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

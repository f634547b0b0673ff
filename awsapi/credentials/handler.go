package credentials

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/wharfhq/wharf/agentproto"
)

// Handler serves POST agentproto.CredentialsPath for agents.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req agentproto.CredentialsRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"code": "InvalidRequest", "message": "the body must be a JSON credentials request: " + err.Error()})
			return
		}
		out, err := s.Mint(r.Context(), req)
		var me *mintError
		switch {
		case errors.As(err, &me):
			writeJSON(w, me.status, map[string]string{"code": me.code, "message": me.message})
		case err != nil:
			s.Log.Error("credentials: mint failed", "task", req.TaskARN, "role", req.Role, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"code": "InternalError", "message": "wharf could not mint credentials; the server log says why"})
		default:
			writeJSON(w, http.StatusOK, out)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

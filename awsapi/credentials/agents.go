package credentials

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Agents authenticates agents on the agent endpoints. A node id is public
// (DescribeContainerInstances shows it as an attribute), so it proves
// nothing: each node gets a secret from IssueHandler, and Require lets a
// request through only with its node's secret as a bearer token.
type Agents struct {
	awsapi.Base
	auth     func(*http.Request) (*awsapi.Principal, *awsapi.Error)
	required func() bool // auth is on
}

// agentPrefix is where the agents' secret hashes live.
const agentPrefix = "wharf/agent-secrets/"

// agentRecord is one node's secret, hashed (it is 32 random bytes, so a
// plain SHA-256 is enough).
type agentRecord struct {
	NodeID     string    `json:"nodeId"`
	SecretHash string    `json:"secretHash"`
	Issued     time.Time `json:"issued"`
	IssuedTo   string    `json:"issuedTo"` // who asked: a principal ARN, or "unverified" with auth off
}

// NewAgents returns the agent authenticator; api verifies the signature of
// secret requests.
func NewAgents(db store.Backend, api *awsapi.Server, log *slog.Logger) *Agents {
	return &Agents{Base: awsapi.NewBase(db, log), auth: api.Authenticate, required: api.AuthRequired}
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// IssueHandler serves POST agentproto.SecretPath.
func (g *Agents) IssueHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, e := g.auth(r)
		if e != nil {
			awsapi.WriteAuthError(w, e)
			return
		}
		var req agentproto.SecretRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || req.NodeID == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"code": "InvalidRequest", "message": "the body must be a JSON secret request with nodeId"})
			return
		}
		secret := base64.RawURLEncoding.EncodeToString(randomBytes(32))
		who := "unverified"
		if p != nil {
			who = p.ARN
		}
		_, err := g.DB.Update(r.Context(), func(tx store.Tx) error {
			_, found, err := store.Get[agentRecord](tx, agentPrefix+req.NodeID)
			if err != nil {
				return err
			}
			if found && p == nil {
				return refuse(http.StatusForbidden, "NodeHasSecret", "node %s already has a secret; a new one is issued only to a request signed with a key of the account", req.NodeID)
			}
			return store.Put(tx, agentPrefix+req.NodeID, agentRecord{NodeID: req.NodeID, SecretHash: hashSecret(secret), Issued: g.Now().UTC(), IssuedTo: who})
		})
		var me *mintError
		switch {
		case errors.As(err, &me):
			writeJSON(w, me.status, map[string]string{"code": me.code, "message": me.message})
		case err != nil:
			g.Log.Error("agents: issue a secret", "node", req.NodeID, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"code": "InternalError", "message": "wharf could not issue the secret; the server log says why"})
		default:
			g.Log.Info("issued an agent secret", "node", req.NodeID, "to", who)
			writeJSON(w, http.StatusOK, agentproto.SecretResponse{Secret: secret})
		}
	})
}

// Require serves h only to the agent whose secret the request carries for
// the nodeId of its JSON body; anything else is a 401. With auth off
// (loopback only) every local process may call any API as the root user,
// so an agent endpoint asks no more than they do: it is served as before.
func (g *Agents) Require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.required() {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"code": "InvalidRequest", "message": "could not read the body"})
			return
		}
		var who struct {
			NodeID string `json:"nodeId"`
		}
		_ = json.Unmarshal(body, &who)
		if ok, err := g.check(r.Context(), who.NodeID, r.Header.Get("Authorization")); err != nil {
			g.Log.Error("agents: check a secret", "node", who.NodeID, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"code": "InternalError", "message": "wharf could not check the agent's secret"})
			return
		} else if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wharf-agent"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "AgentUnauthorized",
				"message": "this endpoint needs the node's secret (Authorization: Bearer …) from " + agentproto.SecretPath})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// check reports whether authz carries node's secret.
func (g *Agents) check(ctx context.Context, node, authz string) (bool, error) {
	secret, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || secret == "" || node == "" {
		return false, nil
	}
	var rec agentRecord
	var found bool
	err := g.DB.View(ctx, func(tx store.ReadTx) error {
		var err error
		rec, found, err = store.Get[agentRecord](tx, agentPrefix+node)
		return err
	})
	if err != nil || !found {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(rec.SecretHash)) == 1, nil
}

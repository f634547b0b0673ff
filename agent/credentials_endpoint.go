package agent

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
)

// The credentials endpoint, as containers see it and as it is served.
//
//	container ──GET 169.254.170.2:80/v2/credentials/ID──┐
//	     iptables nat WHARF-CREDENTIALS (PREROUTING for  │ DNAT
//	     containers, OUTPUT for host-network tasks)       ▼
//	                                      GATEWAY:51679 (the front: one agent on the host)
//	          ID's tag is mine ─▶ answer     │  ID's tag is another agent's
//	                                         ▼
//	              unix @wharf-credentials/TAG (each agent's own socket) ─▶ answer
//
// Every agent on a host installs the same rules and tries to hold the
// front port; whichever holds it passes on the requests for IDs of other
// agents (tests run several wharfs on one engine). The last agent to stop
// removes the rules.
const (
	credentialsIP        = "169.254.170.2"
	credentialsFrontPort = 51679 // where the ECS agent serves credentials too
	credentialsSocket    = "@wharf-credentials/"
	natInterval          = 10 * time.Second
)

// run serves the endpoint and keeps the rules in place until ctx ends.
func (c *credentialsAgent) run(ctx context.Context, gateway string) {
	log := c.a.cfg.Log
	srv := &http.Server{Handler: http.HandlerFunc(c.serveHTTP), ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	serve := func(ln net.Listener) {
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warn("agent: credentials endpoint stopped", "addr", ln.Addr().String(), "err", err)
			}
		})
	}
	if ln, err := net.Listen("unix", credentialsSocket+c.tag); err == nil {
		serve(ln)
	} else {
		log.Warn("agent: credentials endpoint: cannot open this agent's socket (is another agent with the same node id running?)", "err", err)
	}
	nat := newNAT(gateway)
	front, lastNATErr := false, ""
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ctx.Err() == nil; i++ {
		if !front {
			// Only one agent holds the port; the others try again each tick.
			if ln, err := net.Listen("tcp", net.JoinHostPort(gateway, strconv.Itoa(credentialsFrontPort))); err == nil {
				front = true
				serve(ln)
				log.Debug("agent: serving the credentials endpoint", "addr", ln.Addr().String())
			}
		}
		if i%int(natInterval/time.Second) == 0 {
			msg := ""
			if err := nat.ensure(ctx); err != nil {
				msg = err.Error()
			}
			if msg != lastNATErr && ctx.Err() == nil {
				if msg != "" {
					log.Warn("agent: cannot route 169.254.170.2 to the credentials endpoint; tasks with a task role get no credentials", "err", msg)
				} else if lastNATErr != "" {
					log.Info("agent: 169.254.170.2 routes to the credentials endpoint again")
				}
				lastNATErr = msg
			}
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	wg.Wait()
	if !otherCredentialAgents(c.tag) {
		if err := nat.remove(sctx); err != nil {
			log.Warn("agent: could not remove the credentials endpoint's iptables rules", "err", err)
		}
	}
}

// serveHTTP answers GET /v2/credentials/ID (and /v1/credentials?id=ID) with
// the JSON of the ECS credentials endpoint, and its error answers.
func (c *credentialsAgent) serveHTTP(w http.ResponseWriter, r *http.Request) {
	r, cancel := detach(r, 30*time.Second)
	defer cancel()
	var id string
	switch {
	case strings.HasPrefix(r.URL.Path, "/v2/credentials"):
		id = strings.Trim(strings.TrimPrefix(r.URL.Path, "/v2/credentials"), "/")
	case r.URL.Path == "/v1/credentials":
		id = r.URL.Query().Get("id")
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		credError(w, http.StatusMethodNotAllowed, "InvalidRequest", "only GET is served")
		return
	}
	if id == "" {
		credError(w, http.StatusBadRequest, "NoIdInRequest", "CredentialsV2Request: No ID in the request")
		return
	}
	if tag := idTag(id); tag != c.tag {
		c.forward(w, r, tag)
		return
	}
	as, ok := c.taskFor(id)
	if !ok {
		credError(w, http.StatusBadRequest, "InvalidIdInRequest", "CredentialsV2Request: Credentials not found")
		return
	}
	cr, err := c.get(r.Context(), as.TaskARN, agentproto.RoleTask)
	if err != nil {
		c.a.cfg.Log.Warn("agent: credentials endpoint: could not get task role credentials", "task", as.TaskARN, "err", err)
		credError(w, http.StatusInternalServerError, "InternalServerError", "CredentialsV2Request: Internal server error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(cr)
}

func credError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

// idTag is the agent tag an ID carries ("" if it carries none).
func idTag(id string) string {
	if len(id) < 8 {
		return ""
	}
	if _, err := hex.DecodeString(id[:8]); err != nil {
		return ""
	}
	return id[:8]
}

// forward passes a request on to the agent whose tag the ID carries.
func (c *credentialsAgent) forward(w http.ResponseWriter, r *http.Request, tag string) {
	if tag == "" {
		credError(w, http.StatusBadRequest, "InvalidIdInRequest", "CredentialsV2Request: Credentials not found")
		return
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", credentialsSocket+tag)
		},
	}}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://agent"+r.URL.RequestURI(), nil)
	if err != nil {
		credError(w, http.StatusBadRequest, "InvalidIdInRequest", "CredentialsV2Request: Credentials not found")
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		// The agent that handed the ID out is gone.
		credError(w, http.StatusBadRequest, "InvalidIdInRequest", "CredentialsV2Request: Credentials not found")
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, 64<<10))
}

// otherCredentialAgents reports whether another agent in this network
// namespace (where the iptables rules apply) still serves its socket.
func otherCredentialAgents(myTag string) bool {
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return true // cannot tell: leave the rules to the others
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if p := f[len(f)-1]; strings.HasPrefix(p, credentialsSocket) && p != credentialsSocket+myTag {
			return true
		}
	}
	return false
}

package agent

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// refreshMargin is how long before expiry cached credentials are minted
// anew: a container's SDK caches them until shortly before Expiration, so
// what it fetches must stay valid well after.
const refreshMargin = 30 * time.Minute

// credentialsAgent gives tasks their role credentials as ECS does: a task
// with a task role gets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
// (/v2/credentials/ID), and 169.254.170.2 answers it from inside the task
// (see credentials_endpoint.go). It also holds the execution role
// credentials the agent signs its own calls for a task with.
//
// A credentials ID is a UUID made of this agent's tag (4 bytes, so that
// another agent on the host can pass the request on) and an HMAC of the
// task ARN under a key kept in the data dir, so IDs are unguessable and
// the same after a restart, when running containers still carry them.
type credentialsAgent struct {
	a   *Agent
	key []byte
	tag string // 8 hex digits

	mu    sync.Mutex
	cache map[credKey]cachedCreds
	ids   map[string]string // credentials ID → task ARN
}

type credKey struct{ task, role string }

type cachedCreds struct {
	c       agentproto.Credentials
	expires time.Time
}

func newCredentialsAgent(a *Agent) (*credentialsAgent, error) {
	key, err := loadCredentialsKey(a.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(a.id.NodeID))
	return &credentialsAgent{a: a, key: key, tag: hex.EncodeToString(sum[:4]),
		cache: map[credKey]cachedCreds{}, ids: map[string]string{}}, nil
}

// loadCredentialsKey reads (or makes, mode 0600) the key credentials IDs
// are derived with; without a data dir it lives in memory.
func loadCredentialsKey(dir string) ([]byte, error) {
	key := make([]byte, 32)
	if dir == "" {
		_, _ = rand.Read(key)
		return key, nil
	}
	path := filepath.Join(dir, "credentials.key")
	b, err := os.ReadFile(path)
	if err == nil {
		if key, err = hex.DecodeString(strings.TrimSpace(string(b))); err != nil || len(key) != 32 {
			return nil, fmt.Errorf("agent: %s is not 32 bytes of hex: remove it and a new one is made", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("agent: read credentials key: %w", err)
	}
	_, _ = rand.Read(key)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: credentials key: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("agent: write credentials key: %w", err)
	}
	return key, nil
}

// idFor is the credentials ID of a task.
func (c *credentialsAgent) idFor(taskARN string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(taskARN))
	sum := m.Sum(nil)
	var b [16]byte
	tag, _ := hex.DecodeString(c.tag)
	copy(b[:4], tag)
	copy(b[4:], sum[:12])
	b[6] = b[6]&0x0f | 0x40 // a version-4 UUID in shape
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// get returns credentials for a role of a task, minted by the control
// plane and cached until refreshMargin before they expire.
func (c *credentialsAgent) get(ctx context.Context, taskARN, role string) (agentproto.Credentials, error) {
	k := credKey{taskARN, role}
	now := time.Now()
	c.mu.Lock()
	cc, ok := c.cache[k]
	c.mu.Unlock()
	if ok && cc.expires.Sub(now) > refreshMargin {
		return cc.c, nil
	}
	cr, err := c.mint(ctx, taskARN, role)
	if err != nil {
		return agentproto.Credentials{}, err
	}
	exp, err := time.Parse(time.RFC3339, cr.Expiration)
	if err != nil {
		return agentproto.Credentials{}, fmt.Errorf("credentials for %s: bad Expiration %q", taskARN, cr.Expiration)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for old, v := range c.cache {
		if !v.expires.After(now) {
			delete(c.cache, old)
		}
	}
	c.cache[k] = cachedCreds{c: cr, expires: exp}
	return cr, nil
}

// mint asks the control plane for new credentials.
func (c *credentialsAgent) mint(ctx context.Context, taskARN, role string) (agentproto.Credentials, error) {
	body, _ := json.Marshal(agentproto.CredentialsRequest{NodeID: c.a.id.NodeID, TaskARN: taskARN, Role: role})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.a.cl.base+agentproto.CredentialsPath, bytes.NewReader(body))
	if err != nil {
		return agentproto.Credentials{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	c.a.cl.bearer(req)
	resp, err := c.a.cl.http.Do(req)
	if err != nil {
		return agentproto.Credentials{}, fmt.Errorf("get %s role credentials: %w", role, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return agentproto.Credentials{}, fmt.Errorf("get %s role credentials: %w", role, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		if json.Unmarshal(b, &e) != nil || e.Code == "" {
			return agentproto.Credentials{}, fmt.Errorf("get %s role credentials: HTTP %d: %s", role, resp.StatusCode, bytes.TrimSpace(b))
		}
		return agentproto.Credentials{}, fmt.Errorf("get %s role credentials: %s: %s", role, e.Code, e.Message)
	}
	var out agentproto.Credentials
	if err := json.Unmarshal(b, &out); err != nil {
		return agentproto.Credentials{}, fmt.Errorf("get %s role credentials: %w", role, err)
	}
	return out, nil
}

// roleARN is the ARN (or name) of a role of an assigned task: the
// overrides win over the definition, as in ECS.
func roleARN(as agentproto.Assignment, role string) string {
	over, def := (*string)(nil), as.Definition.TaskRoleArn
	if role == agentproto.RoleExecution {
		def = as.Definition.ExecutionRoleArn
	}
	if o := as.Overrides; o != nil {
		over = o.TaskRoleArn
		if role == agentproto.RoleExecution {
			over = o.ExecutionRoleArn
		}
	}
	if shape.Deref(over) != "" {
		return *over
	}
	return shape.Deref(def)
}

// credentialsHook gives a container of a task with a task role the
// credentials URI, minting the credentials first so the container's first
// call finds them (and a task whose role cannot be had fails to start).
func (c *credentialsAgent) hook(ctx context.Context, as agentproto.Assignment, container string) (map[string]string, error) {
	if roleARN(as, agentproto.RoleTask) == "" {
		return nil, nil
	}
	if _, err := c.get(ctx, as.TaskARN, agentproto.RoleTask); err != nil {
		return nil, fmt.Errorf("unable to get credentials for the task role: %w", err)
	}
	id := c.idFor(as.TaskARN)
	c.mu.Lock()
	c.ids[id] = as.TaskARN
	c.mu.Unlock()
	return map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/" + id}, nil
}

func init() {
	hookMakers = append(hookMakers, func(a *Agent) containerHook { return a.creds.hook })
}

// taskFor finds the running task a credentials ID of this agent names:
// from the IDs handed out, else (after a restart) by deriving the ID of
// each task the agent runs.
func (c *credentialsAgent) taskFor(id string) (agentproto.Assignment, bool) {
	c.mu.Lock()
	arn, known := c.ids[id]
	c.mu.Unlock()
	a := c.a
	a.mu.Lock()
	if !known {
		for taskARN := range a.tasks {
			if c.idFor(taskARN) == id {
				arn, known = taskARN, true
				break
			}
		}
	}
	tr := a.tasks[arn]
	live := known && tr != nil && tr.r != nil && tr.goneAt.IsZero()
	var as agentproto.Assignment
	if live {
		as = tr.assigned
	}
	a.mu.Unlock()
	if !live || tr.r.Status().LastStatus == model.TaskStopped {
		return agentproto.Assignment{}, false
	}
	return as, roleARN(as, agentproto.RoleTask) != ""
}

// executionCredentials are the credentials the agent signs its calls for a
// task with: its execution role's, or the agent's own when the task has
// none.
func (c *credentialsAgent) executionCredentials(ctx context.Context, as agentproto.Assignment) (agentproto.Credentials, error) {
	if roleARN(as, agentproto.RoleExecution) == "" {
		return c.a.cl.key, nil
	}
	return c.get(ctx, as.TaskARN, agentproto.RoleExecution)
}

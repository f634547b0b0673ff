package agent

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// identity is what the agent keeps across restarts: its node id, and the
// container instance it is in each cluster, so that it re-registers as the
// same instance rather than a new one.
type identity struct {
	mu        sync.Mutex
	path      string
	NodeID    string            `json:"nodeId"`
	Instances map[string]string `json:"instances"` // cluster ARN → container instance ARN
	// Secret authenticates the agent to the control plane's agent
	// endpoints (secret.go); "" until issued.
	Secret string `json:"secret,omitempty"`
	// TokenKey keys the task metadata URI tokens (tokens.go), so that they
	// cannot be derived from the node id and task ARN, which are public.
	TokenKey string `json:"tokenKey,omitempty"`
	saves    int    // writes of the file since loading, for tests
}

func loadIdentity(dir string) (*identity, error) {
	id := &identity{path: filepath.Join(dir, "agent.json"), Instances: map[string]string{}}
	b, err := os.ReadFile(id.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		var r [8]byte
		_, _ = rand.Read(r[:])
		id.NodeID = "node-" + hex.EncodeToString(r[:])
		id.TokenKey = newTokenKey()
		return id, id.save()
	case err != nil:
		return nil, fmt.Errorf("read agent identity: %w", err)
	}
	if err := json.Unmarshal(b, id); err != nil {
		return nil, fmt.Errorf("read agent identity %s: %w", id.path, err)
	}
	if id.Instances == nil {
		id.Instances = map[string]string{}
	}
	if id.TokenKey == "" {
		// An identity from before the keyed tokens: running tasks' URIs
		// change with the key, which only new containers see.
		id.TokenKey = newTokenKey()
		if err := id.save(); err != nil {
			return nil, err
		}
	}
	return id, nil
}

func (id *identity) instance(cluster string) string {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.Instances[cluster]
}

// setInstances notes several clusters' instances in one write.
func (id *identity) setInstances(arns map[string]string) error {
	if len(arns) == 0 {
		return nil
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	changed := false
	for c, arn := range arns {
		if id.Instances[c] != arn {
			id.Instances[c] = arn
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return id.save()
}

func (id *identity) forget(keep map[string]bool) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	changed := false
	for c := range id.Instances {
		if !keep[c] {
			delete(id.Instances, c)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return id.save()
}

// save writes atomically (temp file + rename) with the caller holding mu or
// during construction.
func (id *identity) save() error {
	if err := os.MkdirAll(filepath.Dir(id.path), 0o700); err != nil {
		return fmt.Errorf("save agent identity: %w", err)
	}
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	id.saves++
	tmp := id.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save agent identity: %w", err)
	}
	return os.Rename(tmp, id.path)
}

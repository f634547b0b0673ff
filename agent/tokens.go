package agent

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// tokenTable maps metadata URI tokens to (task ARN, container name).
type tokenTable struct {
	mu sync.Mutex
	m  map[string][2]string
}

func (t *tokenTable) put(tok, task, container string) {
	t.mu.Lock()
	t.m[tok] = [2]string{task, container}
	t.mu.Unlock()
}

func (t *tokenTable) get(tok string) (task, container string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[tok]
	return v[0], v[1], ok
}

// newTokenKey is a random key for metadataToken, kept in agent.json.
func newTokenKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// metadataToken is the token in a container's metadata URI: an HMAC of
// its task and container under the agent's secret key, so the same URI
// comes back after a restart, and knowing the (public) node id and task
// ARN is not enough to make one.
func metadataToken(key, taskARN, container string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(taskARN + "\x00" + container))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

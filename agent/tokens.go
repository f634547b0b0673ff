package agent

import "sync"

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

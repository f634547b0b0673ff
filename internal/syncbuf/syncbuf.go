// Package syncbuf is a bytes.Buffer that goroutines may write while a
// test reads it (a process's or a client's output). It imports only the
// standard library.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is safe for one or more writers and readers at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

package ssmsession

import (
	"context"
	"io"
	"strings"
	"sync"
)

// fakeProcess is a command that prints out, then echoes what it is sent
// until it reads "exit\r", and exits with code.
type fakeProcess struct {
	out      chan []byte
	code     int
	mu       sync.Mutex
	in       []byte
	sizes    [][2]uint
	closed   bool
	done     chan struct{}
	doneOnce sync.Once
}

func newFakeProcess(first string, code int) *fakeProcess {
	p := &fakeProcess{out: make(chan []byte, 64), code: code, done: make(chan struct{})}
	if first != "" {
		p.out <- []byte(first)
	}
	return p
}

func (p *fakeProcess) Read(b []byte) (int, error) {
	// Output written before the exit is read before EOF, as from a pipe.
	select {
	case o := <-p.out:
		return copy(b, o), nil
	default:
	}
	select {
	case o := <-p.out:
		return copy(b, o), nil
	case <-p.done:
		return 0, io.EOF
	}
}

func (p *fakeProcess) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.in = append(p.in, b...)
	in := string(p.in)
	p.mu.Unlock()
	p.out <- append([]byte(nil), b...)
	if strings.HasSuffix(in, "exit\r") || strings.HasSuffix(in, "exit\n") {
		p.finish()
	}
	return len(b), nil
}

func (p *fakeProcess) finish() { p.doneOnce.Do(func() { close(p.done) }) }

func (p *fakeProcess) Resize(_ context.Context, rows, cols uint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sizes = append(p.sizes, [2]uint{rows, cols})
	return nil
}

func (p *fakeProcess) ExitCode(context.Context) (int, bool, error) { return p.code, false, nil }

func (p *fakeProcess) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.finish()
	return nil
}

func (p *fakeProcess) input() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.in)
}

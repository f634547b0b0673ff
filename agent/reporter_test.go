package agent

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
)

// controlPlane is a SubmitTaskStateChange the test holds: each call waits
// until the test lets it answer (with the error it is given).
type controlPlane struct {
	mu       sync.Mutex
	calls    []agentproto.TaskStatus // in the order they were made
	inflight map[string]int          // by task
	most     int                     // the most calls in flight at once
	twice    bool                    // two calls of one task were in flight at once
	answer   chan error
}

func newControlPlane() *controlPlane {
	return &controlPlane{inflight: map[string]int{}, answer: make(chan error)}
}

func (c *controlPlane) send(ctx context.Context, st agentproto.TaskStatus) error {
	c.mu.Lock()
	c.calls = append(c.calls, st)
	c.inflight[st.TaskARN]++
	if c.inflight[st.TaskARN] > 1 {
		c.twice = true
	}
	n := 0
	for _, k := range c.inflight {
		n += k
	}
	c.most = max(c.most, n)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight[st.TaskARN]--
		c.mu.Unlock()
	}()
	select {
	case err := <-c.answer:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitCalls waits (bounded) until n calls were made, and returns them.
func (c *controlPlane) waitCalls(t *testing.T, n int) []agentproto.TaskStatus {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		calls := slices.Clone(c.calls)
		c.mu.Unlock()
		if len(calls) >= n {
			return calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls after 5 s, want %d: %v", len(calls), n, calls)
		}
	}
}

// respond answers one call in flight with err.
func (c *controlPlane) respond(t *testing.T, err error) {
	t.Helper()
	select {
	case c.answer <- err:
	case <-time.After(5 * time.Second):
		t.Fatal("no call to answer after 5 s")
	}
}

func is(st agentproto.TaskStatus, arn, last string) bool {
	return st.TaskARN == arn && st.LastStatus == last
}

func status(arn, last string) agentproto.TaskStatus {
	return agentproto.TaskStatus{TaskARN: arn, LastStatus: last}
}

func TestReporter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		run  func(t *testing.T, cp *controlPlane, r *reporter)
	}{
		{"the newest status of a task replaces those not sent yet", func(t *testing.T, cp *controlPlane, r *reporter) {
			r.put(status("a", "PENDING"))
			cp.waitCalls(t, 1)
			r.put(status("a", "ACTIVATING"))
			r.put(status("a", "RUNNING"))
			cp.respond(t, nil)
			calls := cp.waitCalls(t, 2)
			cp.respond(t, nil)
			if calls[1].LastStatus != "RUNNING" {
				t.Errorf("second call sent %s, want RUNNING", calls[1].LastStatus)
			}
		}},
		{"tasks are sent together, one status per task at a time", func(t *testing.T, cp *controlPlane, r *reporter) {
			r.put(status("a", "PENDING"))
			r.put(status("b", "PENDING"))
			cp.waitCalls(t, 2) // b does not wait for a
			r.put(status("a", "RUNNING"))
			time.Sleep(20 * time.Millisecond) // a RUNNING must not go while a PENDING is in flight
			cp.mu.Lock()
			n := len(cp.calls)
			cp.mu.Unlock()
			if n != 2 {
				t.Fatalf("%d calls with a's first in flight, want 2", n)
			}
			cp.respond(t, nil)
			cp.respond(t, nil)
			calls := cp.waitCalls(t, 3)
			cp.respond(t, nil)
			if !is(calls[2], "a", "RUNNING") {
				t.Errorf("third call %+v, want a RUNNING", calls[2])
			}
		}},
		{"no more than reportSenders calls at once", func(t *testing.T, cp *controlPlane, r *reporter) {
			const tasks = 3 * reportSenders
			for i := range tasks {
				r.put(status(string(rune('A'+i)), "RUNNING"))
			}
			cp.waitCalls(t, reportSenders) // the first reportSenders go at once
			for range tasks {
				cp.respond(t, nil)
			}
			calls := cp.waitCalls(t, tasks)
			cp.mu.Lock()
			most := cp.most
			cp.mu.Unlock()
			if most != reportSenders {
				t.Errorf("%d calls in flight at most, want %d", most, reportSenders)
			}
			if calls[0].TaskARN != "A" {
				t.Errorf("first call for %s, want A (the oldest)", calls[0].TaskARN)
			}
		}},
		{"a failed status is sent again", func(t *testing.T, cp *controlPlane, r *reporter) {
			r.put(status("a", "RUNNING"))
			cp.waitCalls(t, 1)
			cp.respond(t, errors.New("control plane away"))
			calls := cp.waitCalls(t, 2)
			cp.respond(t, nil)
			if !is(calls[1], "a", "RUNNING") {
				t.Errorf("retry sent %+v", calls[1])
			}
		}},
		{"a failed status gives way to a newer one", func(t *testing.T, cp *controlPlane, r *reporter) {
			r.put(status("a", "PENDING"))
			cp.waitCalls(t, 1)
			r.put(status("a", "RUNNING"))
			cp.respond(t, errors.New("control plane away"))
			calls := cp.waitCalls(t, 2)
			cp.respond(t, nil)
			if !is(calls[1], "a", "RUNNING") {
				t.Errorf("after the failure sent %+v, want a RUNNING", calls[1])
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cp := newControlPlane()
			r := newReporterWith(cp.send, slog.New(slog.DiscardHandler))
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { defer close(done); r.run(ctx) }()
			tt.run(t, cp, r)
			cancel()
			<-done
			cp.mu.Lock()
			defer cp.mu.Unlock()
			if cp.twice {
				t.Error("two statuses of one task were in flight at once")
			}
		})
	}
}

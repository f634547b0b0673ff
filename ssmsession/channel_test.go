package ssmsession

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/syncbuf"
)

// syncBuffer is a buffer that goroutines may write while the test reads it.
type syncBuffer = syncbuf.Buffer

// serve starts a broker over httptest whose commands are proc.
func serve(t *testing.T, proc *fakeProcess) (*Broker, string) {
	return serveEach(t, func() *fakeProcess { return proc })
}

// serveEach starts a broker whose every session runs a new process.
func serveEach(t *testing.T, newProc func() *fakeProcess) (*Broker, string) {
	t.Helper()
	b := NewBroker(slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	b.Use("", func(_ context.Context, _ Target, rows, cols uint) (Process, error) {
		proc := newProc()
		_ = proc.Resize(context.Background(), rows, cols) // the start size, as the first one
		return proc, nil
	})
	srv := httptest.NewServer(b)
	t.Cleanup(func() { _ = b.Close(); srv.Close() })
	return b, strings.Replace(srv.URL, "http://", "ws://", 1) + StreamPath
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestChannelSession(t *testing.T) {
	cases := []struct {
		name     string
		drop     int // output messages the client ignores once
		exitCode int
	}{
		{name: "output, keys, resize and exit", exitCode: 3},
		{name: "output the client dropped is sent again", drop: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proc := newFakeProcess("$ ", tc.exitCode)
			b, base := serve(t, proc)
			g, err := b.Open(Target{TaskARN: "task", Cmd: []string{"sh"}, Interactive: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out := &syncBuffer{}
			c, err := Dial(ctx, base+g.SessionID, g.Token, out)
			if err != nil {
				t.Fatal(err)
			}
			c.dropFirstOutput = tc.drop
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			<-c.Ready()
			if err := c.Resize(ctx, 40, 120); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the prompt", func() bool { return strings.Contains(out.String(), "$ ") })
			for _, k := range []string{"e", "c", "h", "o", "\r", "exit\r"} {
				if err := c.Send(ctx, []byte(k)); err != nil {
					t.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				t.Fatalf("client: %v", err)
			}
			if got := proc.input(); got != "echo\rexit\r" {
				t.Errorf("the command read %q", got)
			}
			if got := out.String(); got != "$ echo\rexit\r" {
				t.Errorf("the client printed %q", got)
			}
			waitFor(t, "the session's result", func() bool { _, ok := b.Result(g.SessionID); return ok })
			res, _ := b.Result(g.SessionID)
			if res.ExitCode != tc.exitCode || res.Reason != "" || res.FirstOutput <= 0 {
				t.Errorf("result = %+v", res)
			}
			proc.mu.Lock()
			sizes := proc.sizes
			proc.mu.Unlock()
			if len(sizes) == 0 || sizes[len(sizes)-1] != [2]uint{40, 120} {
				t.Errorf("sizes = %v", sizes)
			}
		})
	}
}

func TestBrokerTokens(t *testing.T) {
	b, base := serveEach(t, func() *fakeProcess { return newFakeProcess("", 0) })
	first, err := b.Open(Target{TaskARN: "task-1", Cmd: []string{"sh"}, Interactive: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Open(Target{TaskARN: "task-2", Cmd: []string{"sh"}, Interactive: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run := func(session, token string) (*Client, chan error) {
		c, err := Dial(ctx, base+session, token, &syncBuffer{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		return c, done
	}
	t.Run("a token opens no other session", func(t *testing.T) {
		_, done := run(second.SessionID, first.Token)
		if err := <-done; !errors.Is(err, ErrRefused) {
			t.Errorf("err = %v, want refused", err)
		}
	})
	t.Run("a token opens its session once", func(t *testing.T) {
		c, done := run(first.SessionID, first.Token)
		<-c.Ready()
		_, again := run(first.SessionID, first.Token)
		if err := <-again; !errors.Is(err, ErrRefused) {
			t.Errorf("reuse: err = %v, want refused", err)
		}
		if err := c.Terminate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Errorf("terminated session: %v", err)
		}
		waitFor(t, "the session's result", func() bool { _, ok := b.Result(first.SessionID); return ok })
		res, _ := b.Result(first.SessionID)
		if res.Reason != "client terminated the session" {
			t.Errorf("result = %+v", res)
		}
	})
	t.Run("the other session still opens with its own token", func(t *testing.T) {
		c, done := run(second.SessionID, second.Token)
		<-c.Ready()
		_ = c.Terminate(ctx)
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	t.Run("a task on a host no agent here serves is refused", func(t *testing.T) {
		if _, err := b.Open(Target{TaskARN: "elsewhere", NodeID: "other-host"}); !errors.Is(err, ErrNoAgent) {
			t.Errorf("open = %v, want ErrNoAgent", err)
		}
	})
	t.Run("a closed broker ends running sessions", func(t *testing.T) {
		g, err := b.Open(Target{TaskARN: "task-3", Cmd: []string{"sh"}, Interactive: true})
		if err != nil {
			t.Fatal(err)
		}
		c, done := run(g.SessionID, g.Token)
		<-c.Ready()
		waitFor(t, "the session to run", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.running) == 1 })
		_ = b.Close()
		if err := <-done; err != nil {
			t.Errorf("client: %v (want a clean channel_closed)", err)
		}
		if _, err := b.Open(Target{TaskARN: "task-4"}); !errors.Is(err, ErrNoAgent) {
			t.Errorf("open after close: %v", err)
		}
	})
}

// tWriter sends the broker's log to the test's.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Input is delivered once and in sequence, whatever order it comes in.
func TestChannelOrdersInput(t *testing.T) {
	tests := []struct {
		name   string
		arrive []int64
		want   []int64
	}{
		{name: "in order", arrive: []int64{0, 1, 2}, want: []int64{0, 1, 2}},
		{name: "early ones wait for the gap", arrive: []int64{0, 2, 3, 1}, want: []int64{0, 1, 2, 3}},
		{name: "resent copies are dropped", arrive: []int64{0, 0, 1, 0, 1, 2}, want: []int64{0, 1, 2}},
		{name: "nothing before the first", arrive: []int64{1, 2}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Channel{early: map[int64]Message{}}
			var got []int64
			for _, s := range tc.arrive {
				for _, m := range c.order(Message{SequenceNumber: s}) {
					got = append(got, m.SequenceNumber)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("delivered %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("delivered %v, want %v", got, tc.want)
				}
			}
		})
	}
}

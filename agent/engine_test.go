package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agent/runner"
	"github.com/wharfhq/wharf/runtime/docker"
)

// fakeSource is an engine events source the test feeds: each Events call
// is a stream on streams, fed through in and broken through brk.
type fakeSource struct{ streams chan fakeStream }

type fakeStream struct {
	in  chan docker.ContainerEvent
	brk chan error
}

func (f *fakeSource) Events(ctx context.Context, _ map[string]string) (<-chan docker.ContainerEvent, <-chan error) {
	s := fakeStream{in: make(chan docker.ContainerEvent), brk: make(chan error)}
	out, errc := make(chan docker.ContainerEvent), make(chan error, 1)
	go func() {
		defer close(out)
		for {
			select {
			case ev := <-s.in:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case err := <-s.brk:
				errc <- err
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	f.streams <- s
	return out, errc
}

// startHub runs a hub on a fake source and returns the first stream.
func startHub(t *testing.T) (*eventHub, *fakeSource, fakeStream) {
	t.Helper()
	src := &fakeSource{streams: make(chan fakeStream, 4)}
	h := newEventHub(src, nil, slog.New(slog.DiscardHandler))
	h.retry = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h, src, next(t, src)
}

func next(t *testing.T, src *fakeSource) fakeStream {
	t.Helper()
	select {
	case s := <-src.streams:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("the hub did not subscribe")
	}
	return fakeStream{}
}

func ev(arn, id string) docker.ContainerEvent {
	return docker.ContainerEvent{ID: id, Action: "start", Attributes: map[string]string{runner.LabelTaskARN: arn}}
}

// recv is the next event of a subscription; ok false when it closed.
func recv(t *testing.T, ch <-chan docker.ContainerEvent) (docker.ContainerEvent, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return docker.ContainerEvent{}, false
}

func TestEventHub(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		run  func(t *testing.T, h *eventHub, src *fakeSource, s fakeStream)
	}{
		{name: "routes by task ARN", run: func(t *testing.T, h *eventHub, src *fakeSource, s fakeStream) {
			a, _ := h.subscribe(t.Context(), "arn:a")
			b, _ := h.subscribe(t.Context(), "arn:b")
			for _, e := range []docker.ContainerEvent{ev("arn:a", "a1"), ev("arn:other", "x"), ev("arn:b", "b1"), ev("arn:a", "a2")} {
				s.in <- e
			}
			for _, want := range []struct {
				ch <-chan docker.ContainerEvent
				id string
			}{{a, "a1"}, {a, "a2"}, {b, "b1"}} {
				if e, ok := recv(t, want.ch); !ok || e.ID != want.id {
					t.Errorf("got %q (open %v), want %q", e.ID, ok, want.id)
				}
			}
		}},
		{name: "a cancelled subscription closes without error", run: func(t *testing.T, h *eventHub, src *fakeSource, s fakeStream) {
			ctx, cancel := context.WithCancel(t.Context())
			a, errs := h.subscribe(ctx, "arn:a")
			cancel()
			if _, ok := recv(t, a); ok {
				t.Fatal("an event after cancel")
			}
			select {
			case err := <-errs:
				t.Errorf("error %v", err)
			default:
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.subs) != 0 {
				t.Errorf("subscriptions left: %v", h.subs)
			}
		}},
		{name: "a broken stream ends subscriptions with its error, then the hub subscribes again", run: func(t *testing.T, h *eventHub, src *fakeSource, s fakeStream) {
			a, errs := h.subscribe(t.Context(), "arn:a")
			s.brk <- errors.New("unexpected EOF")
			if _, ok := recv(t, a); ok {
				t.Fatal("open after the break")
			}
			if err := <-errs; err == nil || err.Error() != "agent: engine events: unexpected EOF" {
				t.Errorf("error %v", err)
			}
			s2 := next(t, src)
			a, _ = h.subscribe(t.Context(), "arn:a") // waits for the new stream
			s2.in <- ev("arn:a", "a3")
			if e, ok := recv(t, a); !ok || e.ID != "a3" {
				t.Errorf("after resubscribing: %q %v", e.ID, ok)
			}
		}},
		{name: "a subscriber that falls behind is dropped, the others are served", run: func(t *testing.T, h *eventHub, src *fakeSource, s fakeStream) {
			slow, errs := h.subscribe(t.Context(), "arn:slow")
			b, _ := h.subscribe(t.Context(), "arn:b")
			for range subBuffer + 1 {
				s.in <- ev("arn:slow", "s")
			}
			s.in <- ev("arn:b", "b1")
			if e, ok := recv(t, b); !ok || e.ID != "b1" {
				t.Errorf("b: %q %v", e.ID, ok)
			}
			n := 0
			for range slow {
				n++
			}
			if n != subBuffer {
				t.Errorf("slow read %d events before the close, want %d", n, subBuffer)
			}
			if err := <-errs; err == nil {
				t.Error("no error for the slow subscriber")
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, src, s := startHub(t)
			tt.run(t, h, src, s)
		})
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	const n = 3
	// full is a gate with every place taken.
	full := func(t *testing.T) *gate {
		g := newGate(n)
		for range n {
			if err := g.acquire(t.Context(), false); err != nil {
				t.Fatal(err)
			}
		}
		return g
	}
	// wait queues an acquire and waits (bounded) until it is queued; its
	// channel gets the acquire's result.
	wait := func(t *testing.T, g *gate, ctx context.Context, start bool) chan error {
		t.Helper()
		g.mu.Lock()
		before := len(g.starts) + len(g.creates)
		g.mu.Unlock()
		got := make(chan error, 1)
		go func() { got <- g.acquire(ctx, start) }()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			g.mu.Lock()
			queued := len(g.starts) + len(g.creates)
			g.mu.Unlock()
			if queued > before {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatal("acquire not queued after 5 s")
			}
		}
	}
	granted := func(ch chan error) bool {
		select {
		case err := <-ch:
			return err == nil
		case <-time.After(5 * time.Second):
			return false
		}
	}
	pending := func(ch chan error) bool {
		select {
		case <-ch:
			return false
		default:
			return true
		}
	}
	for _, tt := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"no more than n places at once", func(t *testing.T) {
			g := full(t)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			if err := g.acquire(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("acquire beyond %d = %v, want to wait", n, err)
			}
			g.release()
			if err := g.acquire(t.Context(), false); err != nil {
				t.Errorf("after a release: %v", err)
			}
		}},
		{"a waiting start goes before the creates that came first", func(t *testing.T) {
			g := full(t)
			c1 := wait(t, g, t.Context(), false)
			c2 := wait(t, g, t.Context(), false)
			s1 := wait(t, g, t.Context(), true)
			g.release()
			if !granted(s1) || !pending(c1) || !pending(c2) {
				t.Fatal("the first release did not go to the start")
			}
			g.release()
			if !granted(c1) || !pending(c2) {
				t.Fatal("the second release did not go to the first create")
			}
			g.release()
			if !granted(c2) {
				t.Fatal("the third release did not go to the second create")
			}
		}},
		{"starts keep their order", func(t *testing.T) {
			g := full(t)
			s1 := wait(t, g, t.Context(), true)
			s2 := wait(t, g, t.Context(), true)
			g.release()
			if !granted(s1) || !pending(s2) {
				t.Fatal("the first release did not go to the first start")
			}
			g.release()
			if !granted(s2) {
				t.Fatal("the second release did not go to the second start")
			}
		}},
		{"a waiter whose context ends leaves the queue", func(t *testing.T) {
			g := full(t)
			ctx, cancel := context.WithCancel(t.Context())
			gone := wait(t, g, ctx, true)
			cancel()
			if err := <-gone; !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled acquire = %v", err)
			}
			g.release()
			g.mu.Lock()
			free, queued := g.free, len(g.starts)+len(g.creates)
			g.mu.Unlock()
			if free != 1 || queued != 0 {
				t.Errorf("after the release: %d free, %d queued; want 1 free, none queued", free, queued)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t)
		})
	}
}

// lookups is an image lookup the test controls: it counts calls per ref,
// blocks until release is closed, and fails with fail while it is set.
type lookups struct {
	mu      sync.Mutex
	calls   map[string]int
	release chan struct{}
	fail    error
}

func (l *lookups) lookup(ctx context.Context, ref string, pull bool) error {
	l.mu.Lock()
	l.calls[ref]++
	fail := l.fail
	l.mu.Unlock()
	select {
	case <-l.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return fail
}

func (l *lookups) count(ref string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[ref]
}

// waitCount waits (bounded) until ref was looked up n times.
func (l *lookups) waitCount(t *testing.T, ref string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); l.count(ref) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s looked up %d times, want %d", ref, l.count(ref), n)
		}
	}
}

func TestImageCache(t *testing.T) {
	t.Parallel()
	const burst = 50
	t.Run("a burst shares one lookup", func(t *testing.T) {
		t.Parallel()
		l := &lookups{calls: map[string]int{}, release: make(chan struct{})}
		c := newImageCache(l.lookup, time.Now)
		errs := make(chan error, burst)
		for range burst {
			go func() { errs <- c.ensure(t.Context(), "app:1", false) }()
		}
		l.waitCount(t, "app:1", 1)
		close(l.release)
		for range burst {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if n := l.count("app:1"); n != 1 {
			t.Errorf("%d lookups for a burst of %d, want 1", n, burst)
		}
	})
	t.Run("found stays fresh for imageFresh, then is looked up again", func(t *testing.T) {
		t.Parallel()
		l := &lookups{calls: map[string]int{}, release: make(chan struct{})}
		close(l.release)
		now := time.Unix(1000, 0)
		c := newImageCache(l.lookup, func() time.Time { return now })
		for _, step := range []struct {
			name    string
			advance time.Duration
			want    int
		}{
			{name: "first", want: 1},
			{name: "within imageFresh", advance: imageFresh - time.Second, want: 1},
			{name: "past imageFresh", advance: time.Second, want: 2},
		} {
			now = now.Add(step.advance)
			if err := c.ensure(t.Context(), "app:1", false); err != nil {
				t.Fatal(err)
			}
			if n := l.count("app:1"); n != step.want {
				t.Errorf("%s: %d lookups, want %d", step.name, n, step.want)
			}
		}
	})
	t.Run("a failure is not shared: each waiter looks again", func(t *testing.T) {
		t.Parallel()
		l := &lookups{calls: map[string]int{}, release: make(chan struct{}), fail: errors.New("registry down")}
		c := newImageCache(l.lookup, time.Now)
		first := make(chan error, 1)
		go func() { first <- c.ensure(t.Context(), "app:1", false) }()
		l.waitCount(t, "app:1", 1)
		second := make(chan error, 1)
		go func() { second <- c.ensure(t.Context(), "app:1", false) }()
		close(l.release)
		if err := <-first; err == nil {
			t.Fatal("the failed lookup succeeded")
		}
		if err := <-second; err == nil {
			t.Fatal("the waiter's own lookup succeeded")
		}
		if n := l.count("app:1"); n != 2 {
			t.Errorf("%d lookups, want 2 (the waiter's own after the failure)", n)
		}
	})
	t.Run("pull true and other images are not shared", func(t *testing.T) {
		t.Parallel()
		l := &lookups{calls: map[string]int{}, release: make(chan struct{})}
		close(l.release)
		c := newImageCache(l.lookup, time.Now)
		for _, ref := range []string{"app:1", "app:2"} {
			if err := c.ensure(t.Context(), ref, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.ensure(t.Context(), "app:1", true); err != nil {
			t.Fatal(err)
		}
		if a, b := l.count("app:1"), l.count("app:2"); a != 2 || b != 1 {
			t.Errorf("lookups app:1 %d, app:2 %d; want 2 (a pull always asks) and 1", a, b)
		}
	})
	t.Run("a waiter's context ends its wait", func(t *testing.T) {
		t.Parallel()
		l := &lookups{calls: map[string]int{}, release: make(chan struct{})}
		defer close(l.release)
		c := newImageCache(l.lookup, time.Now)
		go func() { _ = c.ensure(t.Context(), "app:1", false) }()
		l.waitCount(t, "app:1", 1)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		if err := c.ensure(ctx, "app:1", false); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("waiter = %v, want its deadline", err)
		}
	})
}

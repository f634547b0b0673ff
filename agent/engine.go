package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agent/runner"
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/runtime/docker"
)

// engine is the runtime the agent's runners use: the Docker runtime with
// one events stream for the whole agent instead of one per task, fanned
// out to the runners by task ARN, image lookups shared by the tasks of a
// burst, and a bound on the containers being created or started at once,
// so that a burst of tasks does not queue hundreds of requests on the
// engine (each slower for the others).
type engine struct {
	*docker.Runtime
	hub    *eventHub
	images *imageCache
	gate   *gate // the creates and starts in progress
	ids    traceIDs
}

var _ runner.Runtime = (*engine)(nil)

// maxStarting bounds the container creations and starts in progress at
// once: the engine serialises much of them anyway, and beyond a few the
// requests only wait longer inside it.
const maxStarting = 8

func newEngine(rt *docker.Runtime, nodeID string, log *slog.Logger) *engine {
	filter := map[string]string{agentproto.NodeAttribute: nodeID, runner.LabelTaskARN: ""}
	return &engine{Runtime: rt, hub: newEventHub(rt, filter, log), images: newImageCache(rt.EnsureImage, time.Now),
		gate: newGate(maxStarting)}
}

// EnsureImage makes the image available, sharing the lookup (and pull)
// with the other tasks that want the same image at the same time.
func (e *engine) EnsureImage(ctx context.Context, ref string, pull bool) error {
	return e.images.ensure(ctx, ref, pull)
}

// CreateContainer creates the container once fewer than maxStarting
// creations and starts are in progress, after every start waiting.
func (e *engine) CreateContainer(ctx context.Context, spec docker.ContainerSpec) (string, error) {
	arn := spec.Labels[runner.LabelTaskARN]
	trace(arn, "create.queued")
	if err := e.gate.acquire(ctx, false); err != nil {
		return "", fmt.Errorf("docker: create container %s: %w", spec.Name, err)
	}
	defer e.gate.release()
	trace(arn, "create.called")
	id, err := e.Runtime.CreateContainer(ctx, spec)
	trace(arn, "create.done")
	e.ids.note(spec, id)
	return id, err
}

// StartContainer starts the container once fewer than maxStarting
// creations and starts are in progress, before any create waiting.
func (e *engine) StartContainer(ctx context.Context, id string) error {
	e.ids.trace(id, "start.queued")
	if err := e.gate.acquire(ctx, true); err != nil {
		return fmt.Errorf("docker: start container %s: %w", id, err)
	}
	defer e.gate.release()
	e.ids.trace(id, "start.called")
	err := e.Runtime.StartContainer(ctx, id)
	e.ids.trace(id, "start.done")
	return err
}

// InspectContainer is the runtime's, traced.
func (e *engine) InspectContainer(ctx context.Context, id string) (docker.ContainerState, error) {
	st, err := e.Runtime.InspectContainer(ctx, id)
	e.ids.trace(id, "inspect.done")
	return st, err
}

// gate bounds the creates and starts in progress, letting a waiting start
// through before any waiting create. Were they let through in arrival
// order, a burst's creates (all asked for at once) would all go before
// the first start (asked for as each create returns), so no task would
// run until every container of the burst was created, and the tasks'
// RUNNING reports would all reach the control plane at the very end.
// Starts first, each task goes from created to running as soon as it can,
// as an Engine API client that creates and starts one container after
// the other does, and the reports spread over the burst.
type gate struct {
	mu      sync.Mutex
	free    int
	starts  []chan struct{} // waiting, in arrival order
	creates []chan struct{}
}

func newGate(n int) *gate { return &gate{free: n} }

// acquire waits for a place (start: ahead of the creates) or until ctx
// ends.
func (g *gate) acquire(ctx context.Context, start bool) error {
	g.mu.Lock()
	if g.free > 0 { // nobody waits while places are free: release hands them over
		g.free--
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{}, 1)
	q := &g.creates
	if start {
		q = &g.starts
	}
	*q = append(*q, ch)
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		if i := slices.Index(*q, ch); i >= 0 {
			*q = slices.Delete(*q, i, i+1)
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Unlock()
		// Handed a place as ctx ended: pass it on.
		g.release()
		return ctx.Err()
	}
}

// release frees a place, handing it to the first waiting start, else to
// the first waiting create.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, q := range []*[]chan struct{}{&g.starts, &g.creates} {
		if len(*q) > 0 {
			ch := (*q)[0]
			*q = (*q)[1:]
			ch <- struct{}{}
			return
		}
	}
	g.free++
}

// Events serves a runner's subscription (the task's ARN label alone) from
// the agent's stream; any other filter gets its own engine stream.
func (e *engine) Events(ctx context.Context, labelFilter map[string]string) (<-chan docker.ContainerEvent, <-chan error) {
	arn, ok := labelFilter[runner.LabelTaskARN]
	if !ok || arn == "" || len(labelFilter) != 1 {
		return e.Runtime.Events(ctx, labelFilter)
	}
	return e.hub.subscribe(ctx, arn)
}

// imageFresh is how long an image found on the engine is taken as present
// without asking again: a burst's tasks all ask within a second or two.
// Should the image be removed meanwhile, a task's create fails with
// CannotCreateContainerError, as when it is removed between a lookup and
// the create; after imageFresh the next task looks (and pulls) again.
const imageFresh = 10 * time.Second

// imageCache shares image lookups: each task's pull step asks the engine
// whether its image is there (an image inspect) and pulls it only if not,
// so a burst of fifty tasks of one image would ask fifty times at once.
// One lookup per image runs at a time; those who want the image meanwhile
// wait for it, and a found image is remembered for imageFresh. Only
// success is shared: a failed lookup (a pull cancelled with its task, a
// registry error) leaves each waiter to try for itself.
type imageCache struct {
	lookup func(ctx context.Context, ref string, pull bool) error
	now    func() time.Time

	mu       sync.Mutex
	found    map[string]time.Time     // ref → when it was last found
	inflight map[string]chan struct{} // ref → closed when its lookup ends
}

func newImageCache(lookup func(ctx context.Context, ref string, pull bool) error, now func() time.Time) *imageCache {
	return &imageCache{lookup: lookup, now: now, found: map[string]time.Time{}, inflight: map[string]chan struct{}{}}
}

// ensure is EnsureImage through the cache. pull (always pull first) is
// never shared: it asks for the registry's newest, not for any image.
func (c *imageCache) ensure(ctx context.Context, ref string, pull bool) error {
	if pull {
		return c.lookup(ctx, ref, pull)
	}
	for {
		c.mu.Lock()
		if at, ok := c.found[ref]; ok && c.now().Sub(at) < imageFresh {
			c.mu.Unlock()
			return nil
		}
		wait, busy := c.inflight[ref]
		if !busy {
			done := make(chan struct{})
			c.inflight[ref] = done
			c.mu.Unlock()
			err := c.lookup(ctx, ref, false)
			c.mu.Lock()
			if err == nil {
				now := c.now()
				for r, at := range c.found { // forget the stale: the map stays as small as the images in use
					if now.Sub(at) >= imageFresh {
						delete(c.found, r)
					}
				}
				c.found[ref] = now
			}
			delete(c.inflight, ref)
			close(done)
			c.mu.Unlock()
			return err
		}
		c.mu.Unlock()
		select {
		case <-wait: // found (the loop returns), or failed (look again)
		case <-ctx.Done():
			return fmt.Errorf("docker: ensure image %s: %w", ref, ctx.Err())
		}
	}
}

// eventSource is where the hub reads events: *docker.Runtime.
type eventSource interface {
	Events(ctx context.Context, labelFilter map[string]string) (<-chan docker.ContainerEvent, <-chan error)
}

// eventHub reads one events stream and hands each event to the
// subscribers of the task it is about. A subscription behaves like an
// engine stream of its own: its channel closes when the subscriber's
// context ends, or, after an error, when the agent's stream broke or the
// subscriber fell behind. A runner then subscribes again and looks at its
// containers afresh, so nothing is lost for good.
type eventHub struct {
	src    eventSource
	filter map[string]string
	log    *slog.Logger
	retry  time.Duration // the first pause before subscribing again

	mu   sync.Mutex
	up   chan struct{} // closed while the stream is up
	live bool
	subs map[string]map[*hubSub]struct{} // by task ARN
}

type hubSub struct {
	ch     chan docker.ContainerEvent
	errc   chan error
	closed bool
}

// subBuffer is how many events a subscriber may leave unread before it is
// dropped (and so told to look again); a task has a handful of containers,
// each with a few events.
const subBuffer = 256

// upWait bounds how long a subscription waits for the agent's stream to
// be up before it is refused (the runner retries).
const upWait = 5 * time.Second

func newEventHub(src eventSource, filter map[string]string, log *slog.Logger) *eventHub {
	return &eventHub{src: src, filter: filter, log: log, retry: time.Second, up: make(chan struct{}), subs: map[string]map[*hubSub]struct{}{}}
}

var errHubDown = errors.New("agent: the engine's events stream is down")

// subscribe returns the events of the containers of task arn until ctx
// ends. The subscription counts from the call on: it waits (a little) for
// the agent's stream to be up, so no event after it returns is missed.
func (h *eventHub) subscribe(ctx context.Context, arn string) (<-chan docker.ContainerEvent, <-chan error) {
	s := &hubSub{ch: make(chan docker.ContainerEvent, subBuffer), errc: make(chan error, 1)}
	h.mu.Lock()
	up := h.up
	h.mu.Unlock()
	timer := time.NewTimer(upWait)
	defer timer.Stop()
	select {
	case <-up:
	case <-ctx.Done():
	case <-timer.C:
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.live || ctx.Err() != nil {
		s.errc <- errHubDown
		close(s.ch)
		return s.ch, s.errc
	}
	if h.subs[arn] == nil {
		h.subs[arn] = map[*hubSub]struct{}{}
	}
	h.subs[arn][s] = struct{}{}
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		defer h.mu.Unlock()
		h.drop(arn, s, nil)
	}()
	return s.ch, s.errc
}

// drop ends subscription s, with err for its reader if not nil; h.mu is
// held.
func (h *eventHub) drop(arn string, s *hubSub, err error) {
	if s.closed {
		return
	}
	s.closed = true
	delete(h.subs[arn], s)
	if len(h.subs[arn]) == 0 {
		delete(h.subs, arn)
	}
	if err != nil {
		s.errc <- err
	}
	close(s.ch)
}

// deliver hands ev to the subscribers of its task.
func (h *eventHub) deliver(ev docker.ContainerEvent) {
	arn := ev.Attributes[runner.LabelTaskARN]
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[arn] {
		select {
		case s.ch <- ev:
		default:
			h.drop(arn, s, fmt.Errorf("agent: task %s fell %d events behind", arn, subBuffer))
		}
	}
}

// setLive marks the stream up or down; down ends every subscription with
// err, since their events may be lost.
func (h *eventHub) setLive(live bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if live == h.live {
		return
	}
	h.live = live
	if live {
		close(h.up)
		return
	}
	h.up = make(chan struct{})
	for arn, subs := range h.subs {
		for s := range subs {
			h.drop(arn, s, err)
		}
	}
}

// run reads the agent's events stream until ctx ends, subscribing again
// (with a growing pause, reset by any event) when it breaks.
func (h *eventHub) run(ctx context.Context) {
	defer h.setLive(false, context.Canceled)
	for backoff := h.retry; ; backoff = min(2*backoff, 30*time.Second) {
		events, errs := h.src.Events(ctx, h.filter)
		h.setLive(true, nil)
		for ev := range events {
			backoff = h.retry
			h.deliver(ev)
		}
		var err error
		select {
		case err = <-errs:
		default:
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the stream ended")
		}
		h.log.Warn("agent: engine events", "err", err)
		h.setLive(false, fmt.Errorf("agent: engine events: %w", err))
		if !runner.Sleep(ctx, backoff) {
			return
		}
	}
}

package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// An agent that cannot start never fails silently: it retries with backoff
// (startMinBackoff doubling to startMaxBackoff) and, until it is running,
// its Health names the cause, which GET /_wharf/health answers with 503:
//
//	start ──▶ ping Docker ──▶ bridge address ──▶ metadata listener ──▶ poll loop
//	  ▲            │                 │                   │
//	  └── wait 1s, 2s, 4s … 30s ◀────┴───── Health = "agent: cannot …"
//
// The poll loop notes its own failures the same way (the control plane
// out of reach, Docker gone since), and clears them on its next success.
const (
	startMinBackoff = time.Second
	startMaxBackoff = 30 * time.Second
	// dockerCheckEvery is how often the running agent checks that Docker
	// still answers, so that Health notices an engine that went away.
	dockerCheckEvery = 10 * time.Second
)

// dockerProbe is what starting the agent needs of the Docker runtime.
type dockerProbe interface {
	Ping(ctx context.Context) error
	BridgeGateway(ctx context.Context) (string, error)
}

// health is the agent's current problem, if any.
type health struct {
	mu  sync.Mutex
	err error
}

func (h *health) set(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

func (h *health) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Health is nil once the agent polls and has synced its tasks and nothing
// it needs is failing (registering in the clusters goes on meanwhile); otherwise an error naming the cause, such as
// "agent: cannot reach Docker: …".
func (a *Agent) Health() error {
	if err := a.health.get(); err != nil {
		return err
	}
	if err := a.reg.health(); err != nil {
		return err
	}
	if !a.Ready() {
		return errors.New("the local agent has not registered yet")
	}
	return nil
}

// backoff doubles a wait from min up to max.
type backoff struct {
	min, max, cur time.Duration
}

// next is the wait before the next attempt: min, 2·min, 4·min, … max.
func (b *backoff) next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = b.min
	case b.cur < b.max:
		b.cur = min(b.cur*2, b.max)
	}
	return b.cur
}

// start prepares what the agent serves on (the Docker bridge's address and
// the metadata endpoint's listener), retrying with backoff until it works
// or ctx ends; it returns the bridge's address.
func (a *Agent) start(ctx context.Context) (string, error) {
	b := backoff{min: startMinBackoff, max: startMaxBackoff}
	for {
		gw, err := a.prepare(ctx)
		if err == nil {
			a.health.set(nil)
			return gw, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		a.health.set(err)
		wait := b.next()
		a.cfg.Log.Warn("agent: cannot start; retrying", "err", err, "in", wait)
		if !a.sleep(ctx, wait) {
			return "", ctx.Err()
		}
	}
}

// prepare is one attempt of start.
func (a *Agent) prepare(ctx context.Context) (string, error) {
	if err := a.probe.Ping(ctx); err != nil {
		return "", fmt.Errorf("agent: cannot reach Docker (start dockerd, or run wharf with --no-agent): %w", err)
	}
	gw, err := a.probe.BridgeGateway(ctx)
	if err != nil {
		return "", fmt.Errorf("agent: cannot find the host's address on Docker's bridge: %w", err)
	}
	if err := a.meta.listen(gw); err != nil {
		return "", fmt.Errorf("agent: cannot serve the task metadata endpoint on %s: %w", gw, err)
	}
	return gw, nil
}

// checkDocker notes in Health whether Docker still answers, at most every
// dockerCheckEvery; it reports whether it does.
func (a *Agent) checkDocker(ctx context.Context) bool {
	if time.Since(a.dockerAt) < dockerCheckEvery {
		return a.dockerOK
	}
	a.dockerAt = time.Now()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.probe.Ping(pctx); err != nil {
		if ctx.Err() == nil {
			a.health.set(fmt.Errorf("agent: cannot reach Docker: %w", err))
		}
		a.dockerOK = false
		return false
	}
	a.dockerOK = true
	return true
}

package ctrl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// Runner is anything the supervisor keeps running: a Controller, a data
// plane. Run returns soon after ctx ends.
type Runner interface {
	Run(ctx context.Context) error
}

// Supervisor runs a fixed set of runners for the server's lifetime. A
// runner whose Run fails (an error, a panic, or returning while ctx is
// live) is logged and restarted after a backoff that grows with each
// failure in a row and starts afresh after a run that lasted longer than
// the backoff's cap. Cancelling ctx stops them all; Run returns once every
// one has returned, so no goroutine outlives it.
type Supervisor struct {
	// Backoff spaces restarts (DefaultRestartBackoff when zero).
	Backoff Backoff
	Clock   Clock
	Log     *slog.Logger

	runners []named
}

type named struct {
	name string
	r    Runner
}

// Add registers a runner; call it before Run.
func (s *Supervisor) Add(name string, r Runner) {
	s.runners = append(s.runners, named{name, r})
}

// Names lists the registered runners, in order.
func (s *Supervisor) Names() []string {
	out := make([]string, len(s.runners))
	for i, n := range s.runners {
		out[i] = n.name
	}
	return out
}

// Run runs every runner until ctx ends, and returns once all stopped.
func (s *Supervisor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, n := range s.runners {
		wg.Go(func() { s.keep(ctx, n) })
	}
	wg.Wait()
	return nil
}

func (s *Supervisor) keep(ctx context.Context, n named) {
	clock, backoff, log := orReal(s.Clock), s.Backoff.orDefault(DefaultRestartBackoff), s.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("runner", n.name)
	failures := 0
	for {
		start := clock.Now()
		err := runSafely(ctx, n.r)
		if ctx.Err() != nil {
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("stopped with an error", "err", err)
			}
			return
		}
		if err == nil {
			err = errors.New("returned before shutdown")
		}
		if clock.Now().Sub(start) > backoff.Max {
			failures = 0 // it ran well for a while: this is a new failure, not a crash loop
		}
		d := backoff.Delay(failures)
		failures++
		log.Error("failed; restarting after a backoff", "err", err, "backoff", d, "failures", failures)
		select {
		case <-ctx.Done():
			return
		case <-after(clock, d):
		}
	}
}

func runSafely(ctx context.Context, r Runner) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return r.Run(ctx)
}

package ctrl

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// DefaultMaxRetries is how many times in a row a key's sync may fail
// before the controller drops the key (with backoff from 5ms, the last
// retry comes about three minutes after the first failure).
const DefaultMaxRetries = 15

// Source puts keys on a controller's queue until ctx ends. An error it
// returns while ctx is live ends the controller's Run with that error (the
// supervisor then restarts the controller); nil means it has nothing more
// to add.
type Source interface {
	Run(ctx context.Context, q *Queue) error
}

// Controller runs Workers workers over a queue fed by Sources, each
// calling Sync for one key at a time. A key is never synced by two workers
// at once.
type Controller struct {
	// Name is how logs refer to the controller.
	Name string
	// Sync brings whatever key names to its desired state. An error
	// requeues the key with backoff; nil forgets its failures.
	Sync func(ctx context.Context, key string) error
	// Sources feed the queue.
	Sources []Source
	// Workers is how many keys are synced concurrently (1 when 0).
	Workers int
	// MaxRetries is how many failed syncs in a row requeue a key before it
	// is dropped until a source adds it again (DefaultMaxRetries when 0).
	MaxRetries int
	// Backoff spaces a failing key's retries (DefaultKeyBackoff when zero).
	Backoff Backoff
	// Clock is the time source (the wall clock when nil).
	Clock Clock
	// Log receives failures (slog.Default when nil).
	Log *slog.Logger
}

// Run syncs keys until ctx ends or a source fails. It returns once every
// worker and source has stopped: nil after ctx ended, the source's error
// otherwise.
func (c *Controller) Run(ctx context.Context) error {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("controller", c.Name)
	q := NewQueue(c.Clock, c.Backoff)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	errc := make(chan error, len(c.Sources))
	for _, s := range c.Sources {
		wg.Go(func() {
			if err := s.Run(ctx, q); err != nil && ctx.Err() == nil {
				errc <- err
				cancel()
			}
		})
	}
	for range max(c.Workers, 1) {
		wg.Go(func() {
			for c.processNext(ctx, q, log) {
			}
		})
	}
	<-ctx.Done()
	q.ShutDown()
	wg.Wait()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: %w", c.Name, err)
	default:
		return nil
	}
}

// processNext syncs one key; false means the queue is shut down.
func (c *Controller) processNext(ctx context.Context, q *Queue, log *slog.Logger) bool {
	key, shutdown := q.Get()
	if shutdown {
		return false
	}
	defer q.Done(key)
	if ctx.Err() != nil {
		return true // shutting down: the queue drains without syncing
	}
	err := c.sync(ctx, key)
	maxRetries := c.MaxRetries
	if maxRetries <= 0 {
		maxRetries = DefaultMaxRetries
	}
	switch {
	case err == nil:
		q.Forget(key)
	case ctx.Err() != nil:
		// The failure is the shutdown's; the next run starts afresh.
	case q.NumRequeues(key) < maxRetries:
		log.Warn("sync failed; retrying with backoff", "key", key, "retries", q.NumRequeues(key), "err", err)
		q.AddRateLimited(key)
	default:
		log.Error("sync keeps failing; dropping the key until it changes or the next resync", "key", key, "retries", maxRetries, "err", err)
		q.Forget(key)
	}
	return true
}

// sync calls Sync, turning a panic into an error so that one bad record
// costs a retry, not the process.
func (c *Controller) sync(ctx context.Context, key string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sync panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return c.Sync(ctx, key)
}

package ctrl

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// TestPeriodicAtStartRetriedOnFailure: the first pass runs at start; when
// it fails it is retried after its backoff rather than a whole period later.
func TestPeriodicAtStartRetriedOnFailure(t *testing.T) {
	var calls atomic.Int64
	c := Periodic("purge", time.Hour, slog.New(slog.DiscardHandler), func(context.Context) error {
		if calls.Add(1) == 1 {
			return errors.New("store busy")
		}
		return nil
	})
	c.Backoff = Backoff{Base: time.Millisecond, Max: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d passes; want the failed one retried", calls.Load())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

package credexpiry

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

type fakePurger struct{ calls atomic.Int64 }

func (f *fakePurger) Purge(context.Context) error {
	if f.calls.Add(1) == 1 {
		return errors.New("store busy")
	}
	return nil
}

// TestPurgeAtStartRetriedOnFailure: the first pass runs at start; when it
// fails it is retried after its backoff rather than a whole Interval later.
func TestPurgeAtStartRetriedOnFailure(t *testing.T) {
	f := &fakePurger{}
	c := New(f, slog.New(slog.DiscardHandler))
	c.Backoff = ctrl.Backoff{Base: time.Millisecond, Max: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for f.calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d passes; want the failed one retried", f.calls.Load())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

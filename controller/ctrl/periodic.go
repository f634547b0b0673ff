package ctrl

import (
	"context"
	"log/slog"
	"time"
)

// Periodic is a controller that runs pass at start and every period, and
// retries a failed pass with backoff (1 s doubling, at most a minute)
// rather than waiting a whole period. The server runs the Secrets Manager
// purge and the expiry of minted credentials on it.
func Periodic(name string, period time.Duration, log *slog.Logger, pass func(ctx context.Context) error) *Controller {
	return &Controller{
		Name:    name,
		Log:     log,
		Backoff: Backoff{Base: time.Second, Max: min(period, time.Minute)},
		Sources: []Source{&Every{Period: period, Keys: []string{name}}},
		Sync:    func(ctx context.Context, _ string) error { return pass(ctx) },
	}
}

// Package secretpurge is the Secrets Manager purge as a controller: every
// Interval it has the service delete the secrets whose recovery window has
// ended (reads already treat them as gone). A failed pass is retried with
// backoff.
//
// It declares the one method it needs (Secrets) and imports only
// controller/ctrl: never awsapi; the server wires awsapi/secretsmanager in.
package secretpurge

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// Interval is how often deleted secrets are purged.
const Interval = time.Minute

// Secrets is what the purge needs from Secrets Manager.
type Secrets interface {
	// Purge deletes the secrets whose recovery window has ended.
	Purge(ctx context.Context) error
}

// New returns the secret purge controller.
func New(s Secrets, log *slog.Logger) *ctrl.Controller {
	return &ctrl.Controller{
		Name:    "secret purge",
		Log:     log,
		Backoff: ctrl.Backoff{Base: time.Second, Max: Interval},
		Sources: []ctrl.Source{&ctrl.Every{Period: Interval, Keys: []string{"deleted secrets"}}},
		Sync:    func(ctx context.Context, _ string) error { return s.Purge(ctx) },
	}
}

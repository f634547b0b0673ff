// Package credexpiry is the expiry of minted task-role credentials as a
// controller: every Interval it has the credentials service delete the
// records of keys that expired long enough ago (an expired key is refused
// at once; the record only lingers to say "expired" rather than
// "unknown"). A failed pass is retried with backoff.
//
// It declares the one method it needs (Credentials) and imports only
// controller/ctrl: never awsapi; the server wires awsapi/credentials in.
package credexpiry

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// Interval is how often expired credentials are purged.
const Interval = 10 * time.Minute

// Credentials is what the expiry needs from the credentials service.
type Credentials interface {
	// Purge deletes the records of keys that expired long enough ago.
	Purge(ctx context.Context) error
}

// New returns the credentials expiry controller.
func New(c Credentials, log *slog.Logger) *ctrl.Controller {
	return &ctrl.Controller{
		Name:    "credentials expiry",
		Log:     log,
		Backoff: ctrl.Backoff{Base: time.Second, Max: time.Minute},
		Sources: []ctrl.Source{&ctrl.Every{Period: Interval, Keys: []string{"expired credentials"}}},
		Sync:    func(ctx context.Context, _ string) error { return c.Purge(ctx) },
	}
}

// Package ecrlifecycle applies ECR lifecycle policies as a controller: it
// runs ECR's expiry pass (every repository's policy, then the registry's
// garbage collection) at start, every Interval, and soon after a policy
// changes. A failed pass is retried with backoff.
//
// It declares the two methods it needs (ECR) and imports only
// controller/ctrl: never awsapi; the server wires awsapi/ecr in.
package ecrlifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// Interval is how often policies are applied without a nudge: ECR applies
// a policy within 24 hours; wharf within a minute.
const Interval = 30 * time.Second

// ECR is what the controller needs from the ECR service.
type ECR interface {
	// ApplyLifecycle runs one expiry pass.
	ApplyLifecycle(ctx context.Context) error
	// Nudges receives when a lifecycle policy changed.
	Nudges() <-chan struct{}
}

// New returns the lifecycle controller.
func New(e ECR, log *slog.Logger) *ctrl.Controller {
	keys := []string{"lifecycle"}
	return &ctrl.Controller{
		Name:    "ecr lifecycle",
		Log:     log,
		Backoff: ctrl.Backoff{Base: time.Second, Max: Interval},
		Sources: []ctrl.Source{&ctrl.Every{Period: Interval, Keys: keys}, &ctrl.Signal{C: e.Nudges(), Keys: keys}},
		Sync:    func(ctx context.Context, _ string) error { return e.ApplyLifecycle(ctx) },
	}
}

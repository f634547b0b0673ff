// Package logretention is CloudWatch Logs' janitor as a controller: it runs
// the logs service's sweep (events past their group's retention, events of
// deleted groups and streams) at start, every Interval, and whenever the
// service signals a change that wants a sweep soon (a retention policy, a
// deletion). A failed sweep is retried with backoff.
//
// It declares the two methods it needs (Logs) and imports only
// controller/ctrl: never awsapi; the server wires awsapi/logs in.
package logretention

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/controller/ctrl"
)

// Interval is how often the janitor sweeps without being nudged.
const Interval = time.Minute

// Logs is what the janitor needs from CloudWatch Logs.
type Logs interface {
	// Sweep runs one janitor pass.
	Sweep(ctx context.Context) error
	// Nudges receives when a change wants a sweep soon.
	Nudges() <-chan struct{}
}

// New returns the log retention controller.
func New(l Logs, log *slog.Logger) *ctrl.Controller {
	keys := []string{"sweep"}
	return &ctrl.Controller{
		Name:    "log retention",
		Log:     log,
		Backoff: ctrl.Backoff{Base: time.Second, Max: Interval},
		Sources: []ctrl.Source{&ctrl.Every{Period: Interval, Keys: keys}, &ctrl.Signal{C: l.Nudges(), Keys: keys}},
		Sync:    func(ctx context.Context, _ string) error { return l.Sweep(ctx) },
	}
}

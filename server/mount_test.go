package server

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestBackgroundRunners pins the explicit list of what the supervisor
// runs: every background loop of the control plane is one of these.
func TestBackgroundRunners(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"with a data dir", Config{DataDir: t.TempDir()}, []string{"service scheduler", "task-set controller", "stopped-task reaper",
			"load balancer data plane", "scheduled scaling", "cloudwatch", "log retention", "logs insights queries", "secret purge", "credentials expiry",
			"sts session expiry", "event delivery", "schedules", "ecs events", "ecr lifecycle"}},
		{"without a data dir CloudWatch Logs is off", Config{}, []string{"service scheduler", "task-set controller", "stopped-task reaper",
			"load balancer data plane", "scheduled scaling", "cloudwatch", "secret purge", "credentials expiry",
			"sts session expiry", "event delivery", "schedules", "ecs events"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := testdb.Bolt(t, bolt.Options{})
			tt.cfg.Account, tt.cfg.Log = "000000000000", slog.New(slog.DiscardHandler)
			cp := newControlPlane(db, tt.cfg, func() error { return nil })
			for _, c := range cp.closers {
				defer c()
			}
			if got := cp.bg.Names(); !slices.Equal(got, tt.want) {
				t.Fatalf("runners = %q, want %q", got, tt.want)
			}
		})
	}
}

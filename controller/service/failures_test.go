package service

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
)

func TestCountFailures(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	const w = 10 * time.Second
	crash := func(start, stop int) taskLife {
		return taskLife{deployment: "d", started: at(start), stopped: at(stop), failed: true}
	}
	tests := []struct {
		name     string
		lives    []taskLife
		reset    bool
		count    int
		neverRan bool
	}{
		{"no tasks", nil, true, 0, false},
		{"crashes a moment after RUNNING count", []taskLife{crash(0, 2), crash(3, 5), crash(6, 8)}, true, 3, false},
		{"never RUNNING counts", []taskLife{{deployment: "d", stopped: at(1), failed: true}}, true, 1, true},
		{"a task that stayed up resets the count", []taskLife{crash(0, 2), {deployment: "d", started: at(3), healthy: true}, crash(20, 21)}, true, 1, false},
		{"a task up but not yet for the window resets nothing", []taskLife{crash(0, 2), {deployment: "d", started: at(25), healthy: true}}, true, 1, false},
		{"an unhealthy live task resets nothing", []taskLife{crash(0, 2), {deployment: "d", started: at(3)}}, true, 1, false},
		{"without resetOnHealthyTask every failure counts", []taskLife{crash(0, 2), {deployment: "d", started: at(3), healthy: true}, crash(20, 21)}, false, 2, false},
		{"a stop someone asked for is no failure", []taskLife{{deployment: "d", started: at(0), stopped: at(2)}}, true, 0, false},
		{"a crash after a long run resets, then counts", []taskLife{crash(0, 2), crash(3, 60)}, true, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := countFailures(tt.lives, at(30), w, tt.reset)["d"]
			if f.count != tt.count || (f.count > 0 && f.neverRan != tt.neverRan) {
				t.Fatalf("count %d neverRan %v; want %d %v", f.count, f.neverRan, tt.count, tt.neverRan)
			}
		})
	}
}

func TestLaunchDelay(t *testing.T) {
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {1, 0}, {2, 5 * time.Second}, {3, 10 * time.Second}, {4, 20 * time.Second}, {9, 640 * time.Second}, {10, 1280 * time.Second}, {11, MaxLaunchDelay}, {500, MaxLaunchDelay}} {
		if got := LaunchDelay(tt.failures); got != tt.want {
			t.Errorf("LaunchDelay(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestThrottle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    failures
		now  time.Time
		held bool
	}{
		{"one failure is replaced at once", failures{count: 1, last: t0}, t0, false},
		{"two failures wait 5s", failures{count: 2, last: t0}, t0.Add(4 * time.Second), true},
		{"after the delay the launch goes", failures{count: 2, last: t0}, t0.Add(5 * time.Second), false},
		{"four failures wait 20s", failures{count: 4, last: t0}, t0.Add(19 * time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.throttle(tt.now); got.held != tt.held {
				t.Fatalf("held %v, want %v", got.held, tt.held)
			}
		})
	}
}

func TestBreakerConfig(t *testing.T) {
	no := false
	tests := []struct {
		name      string
		cb        ecstypes.DeploymentCircuitBreaker
		desired   int
		threshold int
		reset     bool
	}{
		{"defaults", ecstypes.DeploymentCircuitBreaker{Enable: true}, 10, 5, true},
		{"a count", ecstypes.DeploymentCircuitBreaker{Enable: true, ThresholdConfiguration: &ecstypes.ThresholdConfiguration{Type: ecstypes.ThresholdTypeCount, Value: 2}}, 10, 2, true},
		{"unbounded percent", ecstypes.DeploymentCircuitBreaker{Enable: true, ThresholdConfiguration: &ecstypes.ThresholdConfiguration{Type: ecstypes.ThresholdTypeUnboundedPercent, Value: 25}}, 4, 1, true},
		{"no reset", ecstypes.DeploymentCircuitBreaker{Enable: true, ResetOnHealthyTask: &no}, 4, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, reset := breakerConfig(&tt.cb, tt.desired)
			if th != tt.threshold || reset != tt.reset {
				t.Fatalf("breakerConfig = %d, %v; want %d, %v", th, reset, tt.threshold, tt.reset)
			}
		})
	}
}

package state

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/model"
)

func TestTaskProtected(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		protection *model.TaskProtection
		want       bool
	}{
		{"never protected", nil, false},
		{"protected, expires later", &model.TaskProtection{Enabled: true, ExpiresAt: now.Add(time.Minute)}, true},
		{"expires exactly now", &model.TaskProtection{Enabled: true, ExpiresAt: now}, false},
		{"expired", &model.TaskProtection{Enabled: true, ExpiresAt: now.Add(-time.Second)}, false},
		{"disabled", &model.TaskProtection{Enabled: false, ExpiresAt: now.Add(time.Hour)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TaskProtected(model.TaskRecord{Protection: tt.protection}, now); got != tt.want {
				t.Fatalf("TaskProtected = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSetTaskProtection(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var rec model.TaskRecord
	SetTaskProtection(&rec, true, DefaultProtectionMinutes, now)
	if !TaskProtected(rec, now.Add(119*time.Minute)) || TaskProtected(rec, now.Add(120*time.Minute)) {
		t.Fatalf("default protection should last exactly 2 hours: %+v", rec.Protection)
	}
	// Asking again restarts the clock.
	SetTaskProtection(&rec, true, 10, now.Add(115*time.Minute))
	if !TaskProtected(rec, now.Add(124*time.Minute)) || TaskProtected(rec, now.Add(125*time.Minute)) {
		t.Fatalf("renewal: %+v", rec.Protection)
	}
	SetTaskProtection(&rec, false, 0, now)
	if rec.Protection != nil || TaskProtected(rec, now) {
		t.Fatal("disabling kept the protection")
	}
}

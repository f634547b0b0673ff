package model

import (
	"testing"
	"time"
)

func TestInactiveClusterExpired(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		deletedAt time.Time
		want      bool
	}{
		{"just deleted", now, false},
		{"59 minutes ago", now.Add(-59 * time.Minute), false},
		{"exactly the retention ago", now.Add(-InactiveClusterRetention), true},
		{"two hours ago", now.Add(-2 * time.Hour), true},
		{"unknown deletion time", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InactiveClusterExpired(tt.deletedAt, now, InactiveClusterRetention); got != tt.want {
				t.Errorf("InactiveClusterExpired(%v) = %v, want %v", tt.deletedAt, got, tt.want)
			}
		})
	}
}

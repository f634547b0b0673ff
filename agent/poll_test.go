package agent

import (
	"testing"
	"time"
)

func TestPollPause(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		last time.Time
		want time.Duration
	}{
		{"the first poll goes at once", time.Time{}, 0},
		{"a poll answered at once waits out the gap", now.Add(-10 * time.Millisecond), minPollGap - 10*time.Millisecond},
		{"a poll sent just now waits the whole gap", now, minPollGap},
		{"a long poll that waited goes again at once", now.Add(-20 * time.Second), 0},
		{"exactly the gap ago goes at once", now.Add(-minPollGap), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pollPause(tt.last, now); got != tt.want {
				t.Errorf("pollPause = %v, want %v", got, tt.want)
			}
		})
	}
}

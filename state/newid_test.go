package state

import (
	"regexp"
	"testing"
	"time"
)

func TestNewIDSortsByTime(t *testing.T) {
	base := time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC)
	shape := regexp.MustCompile(`^[0-9a-f]{32}$`)
	tests := []struct {
		name         string
		earlier, now time.Time
	}{
		{"one millisecond apart", base, base.Add(time.Millisecond)},
		{"a day apart", base, base.Add(24 * time.Hour)},
		{"across a byte carry", time.UnixMilli(0xff), time.UnixMilli(0x100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newIDAt(tc.earlier), newIDAt(tc.now)
			if !shape.MatchString(a) || !shape.MatchString(b) {
				t.Fatalf("ids %q, %q: want 32 lower-case hex digits", a, b)
			}
			if a >= b {
				t.Errorf("id at %v = %s, not before id at %v = %s", tc.earlier, a, tc.now, b)
			}
		})
	}
	seen := map[string]bool{}
	for range 1000 {
		id := newIDAt(base)
		if seen[id] {
			t.Fatalf("id %s made twice in one millisecond", id)
		}
		seen[id] = true
	}
}

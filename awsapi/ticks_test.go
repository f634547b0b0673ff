package awsapi

import (
	"testing"
	"time"
)

func TestEarliest(t *testing.T) {
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Minute)
	for _, tc := range []struct {
		name       string
		a, b, want time.Time
	}{
		{"both zero", time.Time{}, time.Time{}, time.Time{}},
		{"a zero", time.Time{}, t2, t2},
		{"b zero", t1, time.Time{}, t1},
		{"a earlier", t1, t2, t1},
		{"b earlier", t2, t1, t1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Earliest(tc.a, tc.b); !got.Equal(tc.want) {
				t.Fatalf("Earliest(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

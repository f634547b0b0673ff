package model

import "testing"

func TestBreakerThreshold(t *testing.T) {
	tests := []struct {
		name    string
		desired int
		kind    string
		value   int
		want    int
	}{
		{"defaults: half of 10", 10, "", 0, 5},
		{"defaults: at least 3", 1, "", 0, 3},
		{"defaults: half of 7 rounded up", 7, "BOUNDED_PERCENT", 50, 4},
		{"defaults: at most 200", 1000, "", 0, 200},
		{"bounded 10 percent of 4 is still 3", 4, "BOUNDED_PERCENT", 10, 3},
		{"unbounded 10 percent of 4 rounds up to 1", 4, "UNBOUNDED_PERCENT", 10, 1},
		{"unbounded above 200", 1000, "UNBOUNDED_PERCENT", 50, 500},
		{"count is the value", 4, "COUNT", 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BreakerThreshold(tt.desired, tt.kind, tt.value); got != tt.want {
				t.Fatalf("BreakerThreshold(%d, %q, %d) = %d, want %d", tt.desired, tt.kind, tt.value, got, tt.want)
			}
			if tt.kind == "" && CircuitBreakerThreshold(tt.desired) != tt.want {
				t.Fatalf("CircuitBreakerThreshold(%d) differs", tt.desired)
			}
		})
	}
}

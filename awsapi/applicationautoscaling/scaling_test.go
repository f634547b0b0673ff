package applicationautoscaling

import (
	"testing"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
)

func f(v float64) *float64 { return &v }
func i32(v int32) *int32   { return &v }

func TestTargetTrackingCapacity(t *testing.T) {
	tests := []struct {
		name           string
		current        int32
		metric, target float64
		want           int32
	}{
		{"over target scales out", 4, 90, 60, 6},
		{"far over target scales out in one step", 2, 100, 25, 8},
		{"under target scales in, rounded up", 4, 40, 60, 3},
		{"at target stays", 3, 60, 60, 3},
		{"a hair over rounds up", 3, 60.5, 60, 4},
		{"idle scales to one", 5, 1, 60, 1},
		{"no capacity stays at zero", 0, 90, 60, 0},
		{"request count per target", 2, 1500, 1000, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := targetTrackingCapacity(tc.current, tc.metric, tc.target); got != tc.want {
				t.Fatalf("targetTrackingCapacity(%d, %v, %v) = %d, want %d", tc.current, tc.metric, tc.target, got, tc.want)
			}
		})
	}
}

func TestFindStep(t *testing.T) {
	// Scale out: [0, 10) +1, [10, 20) +2, [20, ∞) +3.
	out := []aas.StepAdjustment{
		{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: i32(1)},
		{MetricIntervalLowerBound: f(10), MetricIntervalUpperBound: f(20), ScalingAdjustment: i32(2)},
		{MetricIntervalLowerBound: f(20), ScalingAdjustment: i32(3)},
	}
	// Scale in: (-∞, -10] −2, (-10, 0] −1.
	in := []aas.StepAdjustment{
		{MetricIntervalUpperBound: f(-10), ScalingAdjustment: i32(-2)},
		{MetricIntervalLowerBound: f(-10), MetricIntervalUpperBound: f(0), ScalingAdjustment: i32(-1)},
	}
	tests := []struct {
		name   string
		steps  []aas.StepAdjustment
		breach float64
		want   int32
		ok     bool
	}{
		{"at the threshold: the lower bound is inclusive above", out, 0, 1, true},
		{"inside the first step", out, 5, 1, true},
		{"on a boundary above: the upper bound is exclusive", out, 10, 2, true},
		{"open-ended top", out, 1e9, 3, true},
		{"below the threshold with only scale-out steps", out, -1, 0, false},
		{"just below the threshold", in, -0.5, -1, true},
		{"on a boundary below: the upper bound is inclusive", in, -10, -2, true},
		{"far below", in, -500, -2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := findStep(tc.steps, tc.breach)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("findStep(%v) = %d, %v; want %d, %v", tc.breach, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestAdjust(t *testing.T) {
	tests := []struct {
		name              string
		current           int32
		typ               aas.AdjustmentType
		adj, minMagnitude int32
		want              int32
	}{
		{"change in capacity out", 4, aas.AdjustmentTypeChangeInCapacity, 2, 0, 6},
		{"change in capacity in", 4, aas.AdjustmentTypeChangeInCapacity, -3, 0, 1},
		{"exact capacity", 4, aas.AdjustmentTypeExactCapacity, 10, 0, 10},
		{"percent rounds down above 1", 10, aas.AdjustmentTypePercentChangeInCapacity, 25, 0, 12},
		{"percent between 0 and 1 is 1", 2, aas.AdjustmentTypePercentChangeInCapacity, 10, 0, 3},
		{"percent between -1 and 0 is -1", 2, aas.AdjustmentTypePercentChangeInCapacity, -10, 0, 1},
		{"percent below -1 rounds up", 10, aas.AdjustmentTypePercentChangeInCapacity, -25, 0, 8},
		{"min adjustment magnitude out", 4, aas.AdjustmentTypePercentChangeInCapacity, 10, 3, 7},
		{"min adjustment magnitude in", 10, aas.AdjustmentTypePercentChangeInCapacity, -10, 2, 8},
		{"min magnitude smaller than the change", 20, aas.AdjustmentTypePercentChangeInCapacity, 50, 2, 30},
		{"percent of zero", 0, aas.AdjustmentTypePercentChangeInCapacity, 50, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := adjust(tc.current, tc.typ, tc.adj, tc.minMagnitude); got != tc.want {
				t.Fatalf("adjust = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	base := bounds{Min: 1, Max: 10, Now: now, OutCooldown: 300 * time.Second, InCooldown: 300 * time.Second}
	with := func(fn func(*bounds)) bounds { b := base; fn(&b); return b }
	tests := []struct {
		name          string
		current, want int32
		b             bounds
		scale         bool
		desired       int32
		notScaled     string
	}{
		{"scale out", 2, 5, base, true, 5, ""},
		{"scale out clamped to max", 8, 15, base, true, 10, ""},
		{"at max: not scaled", 10, 15, base, false, 10, notScaledAtMax},
		{"scale in", 5, 2, base, true, 2, ""},
		{"scale in clamped to min", 3, 0, base, true, 1, ""},
		{"at min: not scaled", 1, 0, base, false, 1, notScaledAtMin},
		{"nothing to do", 4, 4, base, false, 4, notScaledAtDesired},
		{"scale-out suspended", 2, 5, with(func(b *bounds) { b.OutSuspended = true }), false, 2, ""},
		{"scale-in suspended", 5, 2, with(func(b *bounds) { b.InSuspended = true }), false, 5, ""},
		{"scale-in disabled", 5, 2, with(func(b *bounds) { b.DisableScaleIn = true }), false, 5, ""},
		{"scale-out suspended does not stop scale-in", 5, 2, with(func(b *bounds) { b.OutSuspended = true }), true, 2, ""},
		{"a scale-out in the scale-out cooldown goes ahead (want was computed from the base)", 4, 6, with(func(b *bounds) { b.LastOut = now.Add(-time.Minute) }), true, 6, ""},
		{"scale-out not held by a scale-in cooldown", 2, 5, with(func(b *bounds) { b.LastIn = now.Add(-time.Minute) }), true, 5, ""},
		{"scale-in held by its cooldown", 5, 2, with(func(b *bounds) { b.LastIn = now.Add(-time.Minute) }), false, 5, ""},
		{"scale-in held by a recent scale-out", 5, 2, with(func(b *bounds) { b.LastOut = now.Add(-time.Minute) }), false, 5, ""},
		{"scale-in after both cooldowns", 5, 2, with(func(b *bounds) { b.LastIn, b.LastOut = now.Add(-time.Hour), now.Add(-time.Hour) }), true, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(tc.current, tc.want, tc.b)
			if d.Scale != tc.scale || d.Desired != tc.desired || d.NotScaled != tc.notScaled {
				t.Fatalf("decide(%d → %d) = %+v, want scale %v desired %d notScaled %q", tc.current, tc.want, d, tc.scale, tc.desired, tc.notScaled)
			}
		})
	}
}

func TestStepWant(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cfg := &aas.StepScalingPolicyConfiguration{AdjustmentType: aas.AdjustmentTypeChangeInCapacity, StepAdjustments: []aas.StepAdjustment{
		{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(20), ScalingAdjustment: i32(1)},
		{MetricIntervalLowerBound: f(20), ScalingAdjustment: i32(3)},
	}}
	b := bounds{Min: 1, Max: 20, Now: now, OutCooldown: 300 * time.Second}
	inCooldown := b
	inCooldown.LastOut, inCooldown.BaseAtLastOut = now.Add(-time.Minute), 2
	tests := []struct {
		name    string
		current int32
		breach  float64
		b       bounds
		want    int32
		ok      bool
	}{
		{"small breach adds one", 2, 5, b, 3, true},
		{"large breach adds three", 2, 25, b, 5, true},
		{"no step holds a negative breach", 2, -5, b, 2, false},
		{"in cooldown the same breach adds nothing more", 3, 5, inCooldown, 3, true},
		{"in cooldown a larger breach adds from the base", 3, 25, inCooldown, 5, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := stepWant(cfg, tc.current, tc.breach, tc.b)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("stepWant = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCheckStep(t *testing.T) {
	ok := []aas.StepAdjustment{{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: i32(1)}, {MetricIntervalLowerBound: f(10), ScalingAdjustment: i32(2)}}
	tests := []struct {
		name  string
		cfg   *aas.StepScalingPolicyConfiguration
		valid bool
	}{
		{"contiguous steps", &aas.StepScalingPolicyConfiguration{AdjustmentType: aas.AdjustmentTypeChangeInCapacity, StepAdjustments: ok}, true},
		{"no configuration", nil, false},
		{"no adjustment type", &aas.StepScalingPolicyConfiguration{StepAdjustments: ok}, false},
		{"no steps", &aas.StepScalingPolicyConfiguration{AdjustmentType: aas.AdjustmentTypeChangeInCapacity}, false},
		{"min magnitude without percent", &aas.StepScalingPolicyConfiguration{AdjustmentType: aas.AdjustmentTypeChangeInCapacity, MinAdjustmentMagnitude: i32(2), StepAdjustments: ok}, false},
		{"a gap", &aas.StepScalingPolicyConfiguration{AdjustmentType: aas.AdjustmentTypeChangeInCapacity, StepAdjustments: []aas.StepAdjustment{
			{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: i32(1)}, {MetricIntervalLowerBound: f(15), ScalingAdjustment: i32(2)}}}, false},
		{"an overlap", &aas.StepScalingPolicyConfiguration{AdjustmentType: aas.AdjustmentTypeChangeInCapacity, StepAdjustments: []aas.StepAdjustment{
			{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: i32(1)}, {MetricIntervalLowerBound: f(5), ScalingAdjustment: i32(2)}}}, false},
		{"no adjustment", &aas.StepScalingPolicyConfiguration{AdjustmentType: aas.AdjustmentTypeChangeInCapacity, StepAdjustments: []aas.StepAdjustment{{MetricIntervalLowerBound: f(0)}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkStep(tc.cfg); (err == nil) != tc.valid {
				t.Fatalf("checkStep: %v, want valid %v", err, tc.valid)
			}
		})
	}
}

func TestTargetTrackingWant(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	b := bounds{Min: 1, Max: 20, Now: now, OutCooldown: 300 * time.Second, InCooldown: 300 * time.Second}
	// Scaled out from 2 to 4 a minute ago.
	cooling := b
	cooling.LastOut, cooling.BaseAtLastOut = now.Add(-time.Minute), 2
	tests := []struct {
		name    string
		current int32
		metric  float64
		high    bool
		b       bounds
		want    int32
	}{
		{"high alarm scales out", 2, 100, true, b, 4},
		{"high alarm never scales in", 4, 10, true, b, 4},
		{"low alarm scales in", 4, 20, false, b, 2},
		{"low alarm never scales out", 2, 90, false, b, 2},
		{"in the cooldown the same load adds nothing more", 4, 100, true, cooling, 4},
		{"in the cooldown more load adds from the base", 4, 150, true, cooling, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := targetTrackingWant(tc.current, tc.metric, 50, tc.high, tc.b); got != tc.want {
				t.Fatalf("targetTrackingWant = %d, want %d", got, tc.want)
			}
		})
	}
}

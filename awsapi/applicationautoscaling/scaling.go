package applicationautoscaling

import (
	"math"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/api/shape"
)

// The arithmetic of scaling, as pure functions over plain values: what a
// policy asks for given the current capacity and a metric, and whether the
// target's bounds, suspensions and cooldowns let it happen. The handlers
// read the store, call these, and write what they decide.

// Not-scaled reason codes, as AWS reports them in NotScaledReasons.
const (
	notScaledAtMax     = "AlreadyAtMaxCapacity"
	notScaledAtMin     = "AlreadyAtMinCapacity"
	notScaledAtDesired = "AlreadyAtDesiredCapacity"
)

// clamp keeps n within [lo, hi].
func clamp(n, lo, hi int32) int32 { return max(lo, min(n, hi)) }

// targetTrackingCapacity is the capacity that brings a metric proportional
// to capacity (an average utilization, requests per target) back to the
// target: ceil(current × metric / target), rounded up so that the new
// capacity never leaves the metric above the target. With current 4, CPU 90
// and target 60: ceil(6) = 6; CPU 40 at target 60: ceil(2.67) = 3.
func targetTrackingCapacity(current int32, metric, target float64) int32 {
	if current <= 0 || target <= 0 || math.IsNaN(metric) {
		return current
	}
	// A hair below the integer stays there: 3 × 60 / 60 is 3, not 4.
	n := math.Ceil(float64(current)*metric/target - 1e-9)
	return int32(min(n, math.MaxInt32))
}

// findStep is the adjustment of the step whose interval holds the breach
// (metric − threshold). Above the threshold an interval holds its lower
// bound and not its upper; below it, its upper and not its lower, as AWS
// defines them. ok is false when no step holds the breach.
func findStep(steps []aas.StepAdjustment, breach float64) (adj int32, ok bool) {
	for _, s := range steps {
		lo, hi := math.Inf(-1), math.Inf(1)
		if s.MetricIntervalLowerBound != nil {
			lo = *s.MetricIntervalLowerBound
		}
		if s.MetricIntervalUpperBound != nil {
			hi = *s.MetricIntervalUpperBound
		}
		var in bool
		if breach >= 0 {
			in = breach >= lo && breach < hi
		} else {
			in = breach > lo && breach <= hi
		}
		if in {
			return shape.ToInt32(s.ScalingAdjustment), true
		}
	}
	return 0, false
}

// adjust applies a step's adjustment to the current capacity.
//
//	ChangeInCapacity         current + adj                 (4, +2 → 6)
//	ExactCapacity            adj                           (4, 10 → 10)
//	PercentChangeInCapacity  current + current·adj/100, the change rounded
//	                         towards zero but at least ±1, then at least
//	                         minMagnitude in size          (10, +25% → 12;
//	                         2, +10% → 3; 10, −25% → 8)
func adjust(current int32, typ aas.AdjustmentType, adj, minMagnitude int32) int32 {
	switch typ {
	case aas.AdjustmentTypeExactCapacity:
		return adj
	case aas.AdjustmentTypePercentChangeInCapacity:
		change := float64(current) * float64(adj) / 100
		var n int32
		switch {
		case change >= 1 || change <= -1:
			n = int32(math.Trunc(change))
		case change > 0:
			n = 1
		case change < 0:
			n = -1
		}
		if minMagnitude > 0 && n != 0 && abs32(n) < minMagnitude {
			n = minMagnitude * sign32(n)
		}
		return current + n
	default:
		return current + adj
	}
}

// bounds is what limits any scaling of a target.
type bounds struct {
	Min, Max        int32
	InSuspended     bool // DynamicScalingInSuspended
	OutSuspended    bool // DynamicScalingOutSuspended
	DisableScaleIn  bool // a target tracking policy's DisableScaleIn
	Now             time.Time
	LastOut, LastIn time.Time     // the policy's last scale-out and scale-in
	OutCooldown     time.Duration // the policy's scale-out cooldown
	InCooldown      time.Duration // the policy's scale-in cooldown
	BaseAtLastOut   int32         // the capacity the last scale-out started from
}

// inOutCooldown reports whether the policy's scale-out cooldown runs.
func (b bounds) inOutCooldown() bool {
	return !b.LastOut.IsZero() && b.Now.Before(b.LastOut.Add(b.OutCooldown))
}

// decision is what a policy does now.
type decision struct {
	Scale   bool
	Desired int32
	// NotScaled is the AWS reason code when the policy wanted a change the
	// bounds refused ("" when it wanted none or was held by a cooldown or
	// a suspension).
	NotScaled string
	// Held says why nothing happened otherwise (for the log).
	Held string
}

// decide turns what a policy asks for (want, from current) into what
// happens: clamped to [Min, Max], held by suspensions and cooldowns.
//
// Scale-out is fast: its cooldown holds nothing here, because in the
// cooldown the policy computes want from the capacity the last scale-out
// started from (outWant), so only a scale-out larger than the last one
// goes ahead, as AWS documents. Scale-in is conservative: it waits out
// both the scale-in and the scale-out cooldowns.
func decide(current, want int32, b bounds) decision {
	switch {
	case want > current:
		if b.OutSuspended {
			return decision{Desired: current, Held: "dynamic scale-out is suspended"}
		}
		n := clamp(want, b.Min, b.Max)
		if n <= current {
			return decision{Desired: current, NotScaled: notScaledAtMax}
		}
		return decision{Scale: true, Desired: n}
	case want < current:
		if b.InSuspended || b.DisableScaleIn {
			return decision{Desired: current, Held: "scale-in is disabled or suspended"}
		}
		if (!b.LastIn.IsZero() && b.Now.Before(b.LastIn.Add(b.InCooldown))) || b.inOutCooldown() {
			return decision{Desired: current, Held: "in cooldown"}
		}
		n := clamp(want, b.Min, b.Max)
		if n >= current {
			return decision{Desired: current, NotScaled: notScaledAtMin}
		}
		return decision{Scale: true, Desired: n}
	}
	return decision{Desired: current, NotScaled: notScaledAtDesired}
}

// outWant is a scale-out's want computed by f from the right capacity:
// the current one, or in the scale-out cooldown the one the last
// scale-out started from (the capacity it added counts as added already).
// A want that is no larger than current is no scale-out: current.
//
//	base 2, scaled to 4 a minute ago, f = ×2:   from 2 → 4, no change
//	the same with f = ×3:                       from 2 → 6, scale to 6
func outWant(current int32, b bounds, f func(from int32) int32) int32 {
	from := current
	if b.inOutCooldown() {
		from = b.BaseAtLastOut
	}
	return max(f(from), current)
}

// stepWant is what a step policy asks for on a breach, from current
// (scale-outs through outWant). ok is false when no step holds the breach.
func stepWant(cfg *aas.StepScalingPolicyConfiguration, current int32, breach float64, b bounds) (int32, bool) {
	adj, ok := findStep(cfg.StepAdjustments, breach)
	if !ok {
		return current, false
	}
	apply := func(from int32) int32 {
		return adjust(from, cfg.AdjustmentType, adj, shape.ToInt32(cfg.MinAdjustmentMagnitude))
	}
	if want := apply(current); want <= current {
		return want, true
	}
	return outWant(current, b, apply), true
}

// targetTrackingWant is what a target tracking policy asks for at metric:
// its high alarm only scales out (through outWant), its low alarm only in.
func targetTrackingWant(current int32, metric, target float64, high bool, b bounds) int32 {
	want := targetTrackingCapacity(current, metric, target)
	switch {
	case high && want > current:
		return outWant(current, b, func(from int32) int32 { return targetTrackingCapacity(from, metric, target) })
	case high, !high && want > current:
		return current
	}
	return want
}

func abs32(n int32) int32 {
	if n < 0 {
		return -n
	}
	return n
}

func sign32(n int32) int32 {
	if n < 0 {
		return -1
	}
	return 1
}

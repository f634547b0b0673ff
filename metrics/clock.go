package metrics

import (
	"os"
	"strconv"
	"time"
)

// TimeScaleEnv names the test hook that shortens metric time: with
// WHARF_METRICS_TIME_SCALE=30 a metric minute lasts two real seconds. The
// rules (periods, evaluation ranges, retention) are unchanged; only the
// clock they read runs faster. Never set it in production.
const TimeScaleEnv = "WHARF_METRICS_TIME_SCALE"

// Clock is the metrics clock: real time, or real time sped up by Scale
// from Origin.
type Clock struct {
	Scale  float64
	Origin time.Time
}

// ClockFromEnv is the wall clock, or the scaled clock TimeScaleEnv asks for.
func ClockFromEnv() Clock {
	s, err := strconv.ParseFloat(os.Getenv(TimeScaleEnv), 64)
	if err != nil || s <= 1 {
		return Clock{Scale: 1}
	}
	return Clock{Scale: s, Origin: time.Now()}
}

// Now is the clock's time.
func (c Clock) Now() time.Time {
	if c.Scale <= 1 {
		return time.Now()
	}
	return c.Origin.Add(time.Duration(float64(time.Since(c.Origin)) * c.Scale))
}

// Real converts a metric duration into the real time it lasts.
func (c Clock) Real(d time.Duration) time.Duration {
	if c.Scale <= 1 {
		return d
	}
	return time.Duration(float64(d) / c.Scale)
}

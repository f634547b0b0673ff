package alarms

import (
	"fmt"
	"strings"
	"time"

	"github.com/wharfhq/wharf/metrics"
)

// Datapoint is one period of an alarm's evaluation range: its start and
// the statistic's value, nil when the period has no data.
type Datapoint struct {
	Start time.Time
	Value *float64
}

// Verdict is what one evaluation decides.
type Verdict struct {
	State  string
	Reason string
}

// Evaluate decides an alarm's state from the datapoints of its evaluation
// range (EvaluationPeriods of them, oldest first) as CloudWatch documents:
//
//   - each datapoint is breaching, not breaching, or missing; missing ones
//     count as breaching with TreatMissingData=breaching and as not
//     breaching with notBreaching;
//   - M (DatapointsToAlarm, default N) breaching datapoints out of the N
//     set ALARM;
//   - with missing (the default) and ignore, when every datapoint is
//     missing the alarm goes to INSUFFICIENT_DATA (missing) or keeps its
//     state (ignore); when some are missing, the alarm is judged on the
//     present ones: ALARM if M of them breach, or if all present ones
//     breach (the range holds too few to say otherwise); OK else.
//
// Worked example, M=2 of N=3, threshold 50, GreaterThanThreshold,
// datapoints [60, –, 70]: two breach → ALARM under every treatment.
// [40, –, –]: missing → OK; breaching → ALARM (2 missing count as breaching).
func Evaluate(al *metrics.Alarm, dps []Datapoint) Verdict {
	m, n := al.M(), len(dps)
	treat := al.TreatMissingData
	if treat == "" {
		treat = "missing"
	}
	var breach, good, missing int
	for _, d := range dps {
		switch {
		case d.Value == nil:
			missing++
		case Breaches(al.ComparisonOperator, *d.Value, al.Threshold):
			breach++
		default:
			good++
		}
	}
	switch treat {
	case "breaching":
		breach, missing = breach+missing, 0
	case "notBreaching":
		good, missing = good+missing, 0
	}
	if missing == n {
		if treat == "ignore" {
			return Verdict{State: al.State, Reason: al.StateReason}
		}
		return Verdict{State: metrics.StateInsufficientData,
			Reason: fmt.Sprintf("Insufficient Data: %d datapoint%s %s unknown.", n, plural(n), wasWere(n))}
	}
	if breach >= m || (missing > 0 && good == 0 && breach > 0) {
		return Verdict{State: metrics.StateAlarm, Reason: reason(al, dps, breach, m, "ALARM")}
	}
	return Verdict{State: metrics.StateOK, Reason: reason(al, dps, good, m, "OK")}
}

// Breaches compares a value with the threshold by the alarm's operator.
func Breaches(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

// reason words a verdict as CloudWatch's state reasons do: "Threshold
// Crossed: 2 out of the last 3 datapoints [60.0 (04/12/26 13:40:00), …]
// were greater than the threshold (50.0) (minimum 2 datapoints for OK ->
// ALARM transition)."
func reason(al *metrics.Alarm, dps []Datapoint, count, m int, to string) string {
	var vals []string
	for i := len(dps) - 1; i >= 0; i-- {
		if v := dps[i].Value; v != nil {
			vals = append(vals, fmt.Sprintf("%s (%s)", num(*v), dps[i].Start.UTC().Format("02/01/06 15:04:05")))
		}
	}
	cmp := map[string]string{
		"GreaterThanOrEqualToThreshold": "greater than or equal to",
		"GreaterThanThreshold":          "greater than",
		"LessThanThreshold":             "less than",
		"LessThanOrEqualToThreshold":    "less than or equal to",
	}[al.ComparisonOperator]
	verb := wasWere(count)
	if to == "OK" {
		cmp = "not " + cmp
	}
	from := "OK -> ALARM"
	if to == "OK" {
		from = "ALARM -> OK"
	}
	return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s) (minimum %d datapoint%s for %s transition).",
		count, len(dps), strings.Join(vals, ", "), verb, cmp, num(al.Threshold), m, plural(m), from)
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%g", v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

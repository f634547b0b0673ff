package alarms

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/metrics"
)

// pts builds an evaluation range from a compact form: a number is a
// datapoint, -1 a missing one.
func pts(vs ...float64) []Datapoint {
	out := make([]Datapoint, len(vs))
	for i, v := range vs {
		out[i].Start = time.Date(2026, 1, 1, 12, i, 0, 0, time.UTC)
		if v >= 0 {
			out[i].Value = &v
		}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	const X, O, M = 90.0, 10.0, -1.0 // breaching, not breaching, missing (threshold 50)
	cases := []struct {
		name   string
		n, m   int
		treat  string
		state  string // current
		points []Datapoint
		want   string
	}{
		{"3 of 3 breaching", 3, 3, "", "OK", pts(X, X, X), "ALARM"},
		{"2 of 3 breaching, M=3", 3, 3, "", "OK", pts(O, X, X), "OK"},
		{"M of N: 2 of 3 breaching, M=2", 3, 2, "", "OK", pts(X, O, X), "ALARM"},
		{"M of N: 1 of 3, M=2", 3, 2, "", "ALARM", pts(O, O, X), "OK"},
		{"missing: all missing", 3, 3, "missing", "OK", pts(M, M, M), "INSUFFICIENT_DATA"},
		{"default is missing", 3, 3, "", "ALARM", pts(M, M, M), "INSUFFICIENT_DATA"},
		{"ignore: all missing keeps state", 3, 3, "ignore", "ALARM", pts(M, M, M), "ALARM"},
		{"missing: present ones all breach", 3, 3, "missing", "OK", pts(M, M, X), "ALARM"},
		{"missing: a good one present", 3, 3, "missing", "ALARM", pts(O, M, X), "OK"},
		{"breaching: missing counts", 3, 3, "breaching", "OK", pts(M, X, M), "ALARM"},
		{"breaching: all missing", 3, 2, "breaching", "OK", pts(M, M, M), "ALARM"},
		{"notBreaching: missing counts good", 3, 2, "notBreaching", "ALARM", pts(M, X, M), "OK"},
		{"notBreaching: all missing", 1, 1, "notBreaching", "INSUFFICIENT_DATA", pts(M), "OK"},
		{"single period at threshold", 1, 1, "", "OK", pts(50), "OK"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			al := &metrics.Alarm{EvaluationPeriods: c.n, DatapointsToAlarm: c.m, Threshold: 50, ComparisonOperator: "GreaterThanThreshold",
				TreatMissingData: c.treat, State: c.state, Statistic: "Average"}
			if got := Evaluate(al, c.points); got.State != c.want {
				t.Fatalf("state %s, want %s (%s)", got.State, c.want, got.Reason)
			}
		})
	}
}

func TestBreaches(t *testing.T) {
	cases := []struct {
		op   string
		v    float64
		want bool
	}{
		{"GreaterThanOrEqualToThreshold", 50, true},
		{"GreaterThanThreshold", 50, false},
		{"LessThanThreshold", 49, true},
		{"LessThanOrEqualToThreshold", 51, false},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			if got := Breaches(c.op, c.v, 50); got != c.want {
				t.Fatalf("Breaches(%s, %v, 50) = %v", c.op, c.v, got)
			}
		})
	}
}

func TestReasonWording(t *testing.T) {
	al := &metrics.Alarm{EvaluationPeriods: 1, Threshold: 50, ComparisonOperator: "GreaterThanThreshold"}
	got := Evaluate(al, pts(90)).Reason
	want := "Threshold Crossed: 1 out of the last 1 datapoints [90.0 (01/01/26 12:00:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)."
	if got != want {
		t.Fatalf("reason:\n%s\nwant\n%s", got, want)
	}
}

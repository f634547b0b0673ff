package metrics

import (
	"maps"
	"testing"
)

func TestEvalExpression(t *testing.T) {
	vars := map[string]Series{
		"m1": {60: 10, 120: 20, 180: 30},
		"m2": {60: 5, 120: 0},
	}
	all := []Series{vars["m1"], vars["m2"]}
	cases := []struct {
		expr string
		want Series
		bad  bool
	}{
		{"m1 + m2", Series{60: 15, 120: 20}, false},
		{"m1 * 100 / m2", Series{60: 200}, false}, // no value where m2 is 0, none where m2 has none
		{"-m1 + 1", Series{60: -9, 120: -19, 180: -29}, false},
		{"(m1 - m2) * 2", Series{60: 10, 120: 40}, false},
		{"SUM(METRICS())", Series{60: 15, 120: 20, 180: 30}, false},
		{"AVG(m1, m2)", Series{60: 7.5, 120: 10, 180: 30}, false},
		{"MAX([m1, m2])", Series{60: 10, 120: 20, 180: 30}, false},
		{"100 * m2 / MAX([m1, m2])", Series{60: 50, 120: 0}, false}, // m2 has no value at 180
		{"SUM([m1, METRICS()])", Series{60: 25, 120: 40, 180: 60}, false},
		{"[m1, m2]", nil, true},     // several series: an alarm or a result needs one
		{"[m1, m2] * 2", nil, true}, // arithmetic on an array is not served
		{"MAX([m1, 2])", nil, true},
		{"MAX([m1, m2)", nil, true},
		{"MIN(m1, m2)", Series{60: 5, 120: 0, 180: 30}, false},
		{"RATE(m1)", nil, true},
		{"m3", nil, true},
		{"METRICS()", nil, true},
		{"1 + 2", nil, true},
		{"m1 +", nil, true},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			got, err := EvalExpression(c.expr, vars, all)
			if c.bad {
				if err == nil {
					t.Fatalf("accepted: %v", got)
				}
				return
			}
			if err != nil || !maps.Equal(got, c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

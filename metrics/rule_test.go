package metrics

import (
	"reflect"
	"testing"
)

func TestParseRule(t *testing.T) {
	states := map[string]string{"cpu": StateAlarm, "mem": StateOK, "disk": StateInsufficientData, "my alarm": StateAlarm}
	cases := []struct {
		name  string
		rule  string
		want  bool
		names []string
	}{
		{"one alarm", `ALARM(cpu)`, true, []string{"cpu"}},
		{"and", `ALARM(cpu) AND ALARM(mem)`, false, []string{"cpu", "mem"}},
		{"or", `ALARM(cpu) OR ALARM(mem)`, true, []string{"cpu", "mem"}},
		{"not", `NOT ALARM(mem)`, true, []string{"mem"}},
		{"precedence: AND before OR", `ALARM(mem) AND ALARM(cpu) OR OK(mem)`, true, []string{"mem", "cpu", "mem"}},
		{"parentheses", `ALARM(mem) AND (ALARM(cpu) OR OK(mem))`, false, []string{"mem", "cpu", "mem"}},
		{"quoted name with a space", `ALARM("my alarm") AND INSUFFICIENT_DATA(disk)`, true, []string{"my alarm", "disk"}},
		{"ARN", `ALARM("arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu")`, true, []string{"cpu"}},
		{"constants", `TRUE AND NOT FALSE`, true, nil},
		{"unknown alarm matches nothing", `ALARM(gone) OR OK(gone)`, false, []string{"gone", "gone"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseRule(c.rule)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Eval(states); got != c.want {
				t.Fatalf("eval %v, want %v", got, c.want)
			}
			if !reflect.DeepEqual(r.Names(), c.names) {
				t.Fatalf("names %v, want %v", r.Names(), c.names)
			}
		})
	}
	for _, bad := range []string{``, `ALARM(cpu`, `ALARM()`, `ALARM(cpu) AND`, `cpu`, `ALARM(cpu) ALARM(mem)`, `(ALARM(cpu)`} {
		t.Run("invalid "+bad, func(t *testing.T) {
			if _, err := ParseRule(bad); err == nil {
				t.Fatalf("%q parsed", bad)
			}
		})
	}
}

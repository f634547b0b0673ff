package agent

import "testing"

func TestWorkingSet(t *testing.T) {
	cases := []struct {
		name  string
		usage uint64
		raw   string
		want  uint64
	}{
		{"cgroup v2 less inactive_file", 100, `{"memory_stats":{"stats":{"inactive_file":30,"active_file":10}}}`, 70},
		{"cgroup v1 less cache", 100, `{"memory_stats":{"stats":{"cache":40}}}`, 60},
		{"no stats", 100, `{}`, 100},
		{"not JSON", 100, `nope`, 100},
		{"cache above usage", 10, `{"memory_stats":{"stats":{"cache":40}}}`, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := workingSet(c.usage, []byte(c.raw)); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

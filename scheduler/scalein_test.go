package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// serviceCluster puts tasks of service:web on six instances (zones a, b, c,
// a, b, c): perInstance[i] tasks on ci00i, named web-i-k.
func serviceCluster(perInstance ...int) ([]Instance, []string) {
	in := cluster(len(perInstance), 4096, 4096)
	var arns []string
	for i, n := range perInstance {
		for k := range n {
			arn := fmt.Sprintf("web-%d-%d", i, k)
			in[i].Tasks = append(in[i].Tasks, running(arn, "service:web", 256, 256))
			arns = append(arns, arn)
		}
	}
	return in, arns
}

func TestChooseToStop(t *testing.T) {
	tests := []struct {
		name       string
		setup      func() ([]Instance, []string)
		n          int
		strategies []Strategy
		want       []string
	}{
		{
			name:  "service default: busiest zone, then busiest instance",
			setup: func() ([]Instance, []string) { return serviceCluster(3, 1, 1, 1, 1, 0) },
			n:     3,
			// zone a has 4 (ci000: 3, ci003: 1): two from ci000; then a and b
			// tie at 2 and every instance holds 1: the first candidate.
			want: []string{"web-0-0", "web-0-1", "web-0-2"},
		},
		{
			name:       "spread by instance only",
			setup:      func() ([]Instance, []string) { return serviceCluster(1, 3, 2) },
			n:          3,
			strategies: []Strategy{{Spread, "instanceId"}},
			want:       []string{"web-1-0", "web-1-1", "web-2-0"},
		},
		{
			name: "non-running tasks go first",
			setup: func() ([]Instance, []string) {
				in, arns := serviceCluster(2, 1, 1)
				in[2].Tasks[0].LastStatus = "PENDING"
				return in, arns
			},
			n:    2,
			want: []string{"web-2-0", "web-0-0"},
		},
		{
			name: "draining instance first, then disconnected agent",
			setup: func() ([]Instance, []string) {
				in, arns := serviceCluster(3, 1, 1, 1)
				in[3].Status = StatusDraining
				in[2].AgentConnected = false
				return in, arns
			},
			n:    3,
			want: []string{"web-3-0", "web-2-0", "web-0-0"},
		},
		{
			name: "binpack memory: from the instance left with the most free",
			setup: func() ([]Instance, []string) {
				in, arns := serviceCluster(1, 1, 1)
				in[0].Tasks = append(in[0].Tasks, running("other", "family:x", 0, 3000))
				in[2].Tasks = append(in[2].Tasks, running("other2", "family:x", 0, 1000))
				return in, arns
			},
			n:          2,
			strategies: []Strategy{{Binpack, "memory"}},
			want:       []string{"web-1-0", "web-2-0"},
		},
		{
			name: "binpack cpu",
			setup: func() ([]Instance, []string) {
				in, arns := serviceCluster(1, 1)
				in[1].Tasks = append(in[1].Tasks, running("other", "family:x", 2000, 0))
				return in, arns
			},
			n:          1,
			strategies: []Strategy{{Binpack, "cpu"}},
			want:       []string{"web-0-0"},
		},
		{
			name: "only candidates, each once; stopping and unknown ones ignored",
			setup: func() ([]Instance, []string) {
				in, _ := serviceCluster(3, 3)
				in[0].Tasks[2] = stopping(in[0].Tasks[2])
				return in, []string{"web-1-2", "web-0-2", "nope", "web-1-2", "web-0-1"}
			},
			n:    5,
			want: []string{"web-1-2", "web-0-1"},
		},
		{
			name:  "n zero",
			setup: func() ([]Instance, []string) { return serviceCluster(1) },
			n:     0,
			want:  nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, cands := tc.setup()
			got, err := ChooseToStop(cands, tc.n, in, tc.strategies, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ChooseToStop = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChooseToStopKeepsZonesBalanced(t *testing.T) {
	in, arns := serviceCluster(5, 3, 2, 4, 1, 3, 3, 2, 2, 1, 2, 6) // zones a 13, b 8, c 13
	rng := rand.New(rand.NewPCG(9, 9))
	stop, err := ChooseToStop(arns, 16, in, nil, rng)
	if err != nil || len(stop) != 16 {
		t.Fatalf("ChooseToStop = %v, %v", stop, err)
	}
	left := map[string]int{}
	for i, inst := range in {
		for _, task := range inst.Tasks {
			if !slices.Contains(stop, task.ARN) {
				left[zones[i%3]]++
			}
		}
	}
	if lo, hi := spreadOf(left, zones); hi-lo > 1 {
		t.Errorf("tasks left per zone %v", left)
	}
	again, _ := ChooseToStop(arns, 16, in, nil, rand.New(rand.NewPCG(9, 9)))
	if !slices.Equal(stop, again) {
		t.Errorf("same seed chose %v then %v", stop, again)
	}
}

func TestChooseToStopInvalid(t *testing.T) {
	in, arns := serviceCluster(1)
	if _, err := ChooseToStop(arns, 1, in, []Strategy{{Type: "pack"}}, nil); err == nil {
		t.Error("no error for an unknown strategy")
	}
}

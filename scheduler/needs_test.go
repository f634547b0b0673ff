package scheduler

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestNeedsGroup(t *testing.T) {
	tests := []struct {
		name string
		task Task
		want bool
	}{
		{"standalone default is random", Task{Family: "web"}, false},
		{"service default spreads", Task{Group: "service:web"}, true},
		{"distinctInstance", Task{Family: "web", Constraints: []Constraint{{Type: DistinctInstance}}}, true},
		{"memberOf alone", Task{Family: "web", Constraints: []Constraint{{Type: MemberOf, Expression: "attribute:a == b"}}}, false},
		{"binpack", Task{Group: "service:web", Strategies: []Strategy{{Type: Binpack, Field: "memory"}}}, false},
		{"spread after binpack", Task{Family: "web", Strategies: []Strategy{{Type: Binpack, Field: "cpu"}, {Type: Spread, Field: "host"}}}, true},
		{"random", Task{Group: "service:web", Strategies: []Strategy{{Type: Random}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsGroup(tc.task); got != tc.want {
				t.Errorf("NeedsGroup = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNeedsAllGroups(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want bool
	}{
		{"attribute", "attribute:ecs.instance-type == t3.large", false},
		{"task group", "task:group == service:db", true},
		{"negated in an and", "attribute:a exists and not(task:group =~ service:.*)", true},
		{"or of attributes", "attribute:a == b or runningTasksCount > 2", false},
		{"quoted value mentioning task:group", "attribute:note == 'task:group'", false},
		{"does not parse", "task:group ==", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := []Constraint{{Type: DistinctInstance}, {Type: MemberOf, Expression: tc.expr}}
			if got := NeedsAllGroups(cs); got != tc.want {
				t.Errorf("NeedsAllGroups(%q) = %v, want %v", tc.expr, got, tc.want)
			}
		})
	}
}

// usedOf sums tasks the way a store's per-instance usage records do, with
// the groups of every task.
func usedOf(tasks []PlacedTask) *Usage {
	u := &Usage{Groups: map[string]int{}, Live: map[string]int{}}
	for _, t := range tasks {
		if !t.holding() {
			continue
		}
		u.Reserved.CPU += t.Reserved.CPU
		u.Reserved.Memory += t.Reserved.Memory
		u.Reserved.Ports = append(u.Reserved.Ports, t.Reserved.Ports...)
		if t.LastStatus == TaskRunning {
			u.Running++
		}
		u.Groups[t.Group]++
		if t.live() {
			u.Live[t.Group]++
		}
	}
	return u
}

// Totals in Used place exactly as the tasks they sum do.
func TestUsedPlacesAsTasks(t *testing.T) {
	base := cluster(9, 4096, 8192)
	for i := range base {
		for k := range i % 4 {
			tk := running(fmt.Sprintf("t%d-%d", i, k), []string{"service:web", "family:batch"}[k%2], 256*k, 512, Port{Port: 8000 + k, Protocol: "tcp"})
			if k == 3 {
				tk.DesiredStatus = TaskStopped
			}
			if k == 2 {
				tk.LastStatus = "PENDING"
			}
			base[i].Tasks = append(base[i].Tasks, tk)
		}
	}
	tasks := map[string]Task{
		"spread service":   {Group: "service:web", Resources: Resources{CPU: 512, Memory: 1024}},
		"distinct":         {Family: "batch", Constraints: []Constraint{{Type: DistinctInstance}}, Resources: Resources{CPU: 128}},
		"binpack memory":   {Family: "batch", Strategies: []Strategy{{Type: Binpack, Field: "memory"}}, Resources: Resources{Memory: 3000}},
		"port":             {Family: "batch", Resources: Resources{Ports: []Port{{Port: 8001, Protocol: "tcp"}}}},
		"memberOf group":   {Family: "x", Constraints: []Constraint{{Type: MemberOf, Expression: "task:group == service:web"}}},
		"running count":    {Family: "x", Constraints: []Constraint{{Type: MemberOf, Expression: "runningTasksCount >= 2"}}},
		"spread zone, cpu": {Family: "x", Strategies: []Strategy{{Type: Spread, Field: "attribute:ecs.availability-zone"}, {Type: Binpack, Field: "cpu"}}, Resources: Resources{CPU: 1000}},
	}
	for name, task := range tasks {
		t.Run(name, func(t *testing.T) {
			summed := make([]Instance, len(base))
			for i, in := range base {
				in.Used, in.Tasks = usedOf(in.Tasks), nil
				summed[i] = in
			}
			want, err := Place(task, 12, base, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Place(task, 12, summed, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("with Used:\n%+v\nwith Tasks:\n%+v", got, want)
			}
		})
	}
}

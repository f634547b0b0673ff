package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkPlace places 100 copies on 1,000 instances that already run
// 3,000 tasks, with each strategy.
func BenchmarkPlace(b *testing.B) {
	instances := cluster(1000, 8192, 16384)
	for i := range instances {
		for k := range 3 {
			instances[i].Tasks = append(instances[i].Tasks, running(fmt.Sprintf("t%d-%d", i, k), fmt.Sprintf("service:s%d", k), 256, 512, Port{8000 + k, "tcp"}))
		}
	}
	cases := []struct {
		name string
		task Task
	}{
		{"random", webTask(256, 512)},
		{"service-default-spread", func() Task { t := webTask(256, 512); t.Group = "service:web"; return t }()},
		{"binpack-memory", withStrategies(webTask(256, 512), Strategy{Binpack, "memory"})},
		{"memberOf-distinct-ports", withConstraints(webTask(256, 512, Port{80, "tcp"}),
			Constraint{Type: DistinctInstance},
			Constraint{Type: MemberOf, Expression: "attribute:ecs.instance-type =~ t3.* and not(task:group == service:s9)"})},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				r, err := Place(c.task, 100, instances, rng)
				if err != nil || len(r.Placements) != 100 {
					b.Fatalf("placed %d: %v", len(r.Placements), err)
				}
			}
		})
	}
}

func BenchmarkFilterInstances(b *testing.B) {
	instances := cluster(1000, 8192, 16384)
	for b.Loop() {
		if _, err := FilterInstances("attribute:ecs.instance-type =~ t3.* and attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", instances); err != nil {
			b.Fatal(err)
		}
	}
}

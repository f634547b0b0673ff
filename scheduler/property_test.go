package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPlaceNeverOvercommits places random tasks on random clusters and
// checks, with a naive accounting of its own, that no instance ends up with
// more CPU or memory reserved than it registered, that no host port is
// taken twice, that only ACTIVE connected instances are used, that
// distinctInstance holds, and that a copy is left unplaced only when no
// instance could take it.
func TestPlaceNeverOvercommits(t *testing.T) {
	portPool := []Port{{22, "tcp"}, {80, "tcp"}, {53, "udp"}, {53, "tcp"}, {8080, "tcp"}}
	strategyPool := [][]Strategy{
		nil,
		{{Type: Random}},
		{{Binpack, "memory"}},
		{{Binpack, "cpu"}, {Type: Random}},
		{{Spread, "attribute:ecs.availability-zone"}, {Binpack, "memory"}},
		{{Spread, "instanceId"}},
	}
	for iter := range 400 {
		rng := rand.New(rand.NewPCG(uint64(iter), 99))
		instances := make([]Instance, 1+rng.IntN(30))
		for i := range instances {
			in := instance(i, rng.IntN(4097), rng.IntN(8193))
			in.Registered.Ports = nil
			for _, p := range portPool {
				if rng.IntN(6) == 0 {
					in.Registered.Ports = append(in.Registered.Ports, p)
				}
			}
			switch rng.IntN(10) {
			case 0:
				in.Status = StatusDraining
			case 1:
				in.AgentConnected = false
			}
			// Existing tasks that fit, some of them stopped.
			for k := range rng.IntN(4) {
				pt := running(fmt.Sprintf("t%d-%d", i, k), []string{"family:web", "service:api"}[rng.IntN(2)], rng.IntN(1025), rng.IntN(2049))
				if rng.IntN(3) == 0 {
					pt = stopped(pt)
				}
				if u := usage(in); pt.LastStatus == TaskStopped || (u.cpu+pt.Reserved.CPU <= in.Registered.CPU && u.mem+pt.Reserved.Memory <= in.Registered.Memory) {
					in.Tasks = append(in.Tasks, pt)
				}
			}
			instances[i] = in
		}
		task := webTask(rng.IntN(1025), rng.IntN(2049))
		if rng.IntN(2) == 0 {
			task.Group = "service:api"
		}
		for _, p := range portPool[1:] {
			if rng.IntN(4) == 0 {
				task.Resources.Ports = append(task.Resources.Ports, p)
			}
		}
		if rng.IntN(3) == 0 {
			task.Resources.Ports = append(task.Resources.Ports, Port{0, "tcp"})
		}
		distinct := rng.IntN(4) == 0
		if distinct {
			task.Constraints = []Constraint{{Type: DistinctInstance}}
		}
		task.Strategies = strategyPool[rng.IntN(len(strategyPool))]
		count := 1 + rng.IntN(40)

		r, err := Place(task, count, instances, rng)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		if len(r.Placements)+r.Unplaced != count {
			t.Fatalf("iteration %d: %d placed + %d unplaced != %d", iter, len(r.Placements), r.Unplaced, count)
		}
		// Apply the placements to copies of the instances.
		after := make([]Instance, len(instances))
		copy(after, instances)
		for i := range after {
			after[i].Tasks = append([]PlacedTask(nil), instances[i].Tasks...)
		}
		for k, p := range r.Placements {
			in := &after[p.Index]
			if in.Status != StatusActive || !in.AgentConnected {
				t.Fatalf("iteration %d: placed on %s (%s, agent %v)", iter, in.ID, in.Status, in.AgentConnected)
			}
			if distinct && groupCount(*in, task.Group) > 0 {
				t.Fatalf("iteration %d: distinctInstance broken on %s", iter, in.ID)
			}
			in.Tasks = append(in.Tasks, PlacedTask{ARN: fmt.Sprintf("new-%d", k), Group: task.Group, Reserved: task.Resources})
		}
		for _, in := range after {
			u := usage(in)
			if u.cpu > in.Registered.CPU || u.mem > in.Registered.Memory {
				t.Fatalf("iteration %d: %s overcommitted: cpu %d/%d, memory %d/%d", iter, in.ID, u.cpu, in.Registered.CPU, u.mem, in.Registered.Memory)
			}
			if u.dupPort != nil {
				t.Fatalf("iteration %d: %s has port %v twice", iter, in.ID, *u.dupPort)
			}
		}
		if r.Unplaced > 0 {
			for _, in := range after {
				if naiveFits(in, task, distinct) {
					t.Fatalf("iteration %d: %d unplaced but %s could take one (%s)", iter, r.Unplaced, in.ID, r.Explanation.Summary())
				}
			}
			if len(r.Failures) != len(instances) {
				t.Fatalf("iteration %d: %d failures for %d instances", iter, len(r.Failures), len(instances))
			}
		}
	}
}

type tally struct {
	cpu, mem int
	dupPort  *Port
}

func usage(in Instance) tally {
	var u tally
	seen := map[Port]bool{}
	take := func(p Port) {
		if p.Port == 0 {
			return
		}
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		if seen[p] {
			u.dupPort = &p
		}
		seen[p] = true
	}
	for _, p := range in.Registered.Ports {
		take(p)
	}
	for _, t := range in.Tasks {
		if t.LastStatus == TaskStopped {
			continue
		}
		u.cpu += t.Reserved.CPU
		u.mem += t.Reserved.Memory
		for _, p := range t.Reserved.Ports {
			take(p)
		}
	}
	return u
}

func groupCount(in Instance, group string) int {
	n := 0
	for _, t := range in.Tasks {
		if t.Group == group && t.LastStatus != TaskStopped {
			n++
		}
	}
	return n
}

func naiveFits(in Instance, task Task, distinct bool) bool {
	if in.Status != StatusActive || !in.AgentConnected {
		return false
	}
	if distinct && groupCount(in, task.Group) > 0 {
		return false
	}
	in.Tasks = append(append([]PlacedTask(nil), in.Tasks...), PlacedTask{Group: task.Group, Reserved: task.Resources})
	u := usage(in)
	return u.cpu <= in.Registered.CPU && u.mem <= in.Registered.Memory && u.dupPort == nil
}

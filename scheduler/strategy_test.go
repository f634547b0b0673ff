package scheduler

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

var azThenInstance = []Strategy{{Spread, "attribute:ecs.availability-zone"}, {Spread, "instanceId"}}

func TestSpreadEven(t *testing.T) {
	tests := []struct {
		name       string
		group      string
		strategies []Strategy
		count      int
		instances  int         // 50: zones of 17, 17, 16; 48: 16 each
		existing   map[int]int // instance index → tasks of the group already there
	}{
		{"service default", "service:web", nil, 100, 50, nil},
		{"service default, 150", "service:web", nil, 150, 50, nil},
		{"service default, equal zones", "service:web", nil, 100, 48, nil},
		{"explicit az then instance", "family:web", azThenInstance, 77, 50, nil},
		{"host is instanceId", "family:web", []Strategy{{Spread, "attribute:ecs.availability-zone"}, {Spread, "host"}}, 31, 50, nil},
		{"evens out an unbalanced start", "service:web", nil, 60, 50, map[int]int{0: 3, 3: 3, 6: 2, 1: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			instances := cluster(tc.instances, 100000, 100000)
			before := 0
			for i, n := range tc.existing {
				for k := range n {
					instances[i].Tasks = append(instances[i].Tasks, running(fmt.Sprintf("old-%d-%d", i, k), tc.group, 1, 1))
				}
				before += n
			}
			task := webTask(1, 1)
			task.Group, task.Strategies = tc.group, tc.strategies
			r, err := Place(task, tc.count, instances, rand.New(rand.NewPCG(7, 7)))
			if err != nil || r.Unplaced != 0 {
				t.Fatalf("Place: %v, %d unplaced", err, r.Unplaced)
			}
			perInstance, perZone := counts(instances, r.Placements)
			if tc.existing != nil && (perInstance["ci000"] != 0 || perInstance["ci003"] != 0) {
				t.Errorf("new copies on the fullest instances: %v", perInstance)
			}
			for i, n := range tc.existing {
				perInstance[instances[i].ID] += n
				perZone[instances[i].Attributes["ecs.availability-zone"]] += n
			}
			if lo, hi := spreadOf(perZone, zones); hi-lo > 1 {
				t.Errorf("zones %v: counts differ by %d", perZone, hi-lo)
			}
			// Spreading by zone first balances zones; instances are balanced
			// within a zone, and across the cluster when zones are equal.
			for _, z := range zones {
				if tc.existing != nil {
					break // the tasks already there cannot move
				}
				var inZone []string
				for _, in := range instances {
					if in.Attributes["ecs.availability-zone"] == z {
						inZone = append(inZone, in.ID)
					}
				}
				if lo, hi := spreadOf(perInstance, inZone); hi-lo > 1 {
					t.Errorf("zone %s: instance counts from %d to %d", z, lo, hi)
				}
			}
			if lo, hi := spreadOf(perInstance, ids(instances)); hi-lo > 1 && tc.instances%3 == 0 {
				t.Errorf("instances: counts from %d to %d", lo, hi)
			}
		})
	}
}

func TestSpreadCustomAttribute(t *testing.T) {
	instances := cluster(12, 10000, 10000)
	for i := range instances {
		instances[i] = withAttrs(instances[i], "rack", fmt.Sprintf("r%d", i%4))
	}
	instances[11] = withAttrs(instances[11], "rack", "") // one instance in the "" bucket
	delete(instances[11].Attributes, "rack")
	task := withStrategies(webTask(1, 1), Strategy{Spread, "attribute:rack"})
	r, err := Place(task, 25, instances, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	perRack := map[string]int{}
	for _, p := range r.Placements {
		perRack[instances[p.Index].Attributes["rack"]]++
	}
	if lo, hi := spreadOf(perRack, []string{"r0", "r1", "r2", "r3", ""}); hi-lo > 1 {
		t.Errorf("racks %v differ by more than one", perRack)
	}
}

func TestBinpack(t *testing.T) {
	used := []int{1000, 3000, 0, 2000, 3500} // MiB in use on ci000..ci004 of 4096
	instances := cluster(5, 100000, 4096)
	for i, u := range used {
		instances[i].Tasks = []PlacedTask{running(fmt.Sprintf("t%d", i), "family:other", 0, u)}
	}
	t.Run("memory fills the fullest instance first", func(t *testing.T) {
		task := withStrategies(webTask(10, 500), Strategy{Binpack, "memory"})
		r, err := Place(task, 12, instances, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range r.Placements {
			got = append(got, p.InstanceID)
		}
		want := []string{"ci004", "ci001", "ci001", "ci003", "ci003", "ci003", "ci003", "ci000", "ci000", "ci000", "ci000", "ci000"}
		if !slices.Equal(got, want) {
			t.Errorf("placements %v, want %v", got, want)
		}
	})
	t.Run("cpu", func(t *testing.T) {
		in := cluster(3, 1024, 100000)
		in[1].Tasks = []PlacedTask{running("busy", "family:other", 900, 0)}
		in[2].Tasks = []PlacedTask{running("half", "family:other", 512, 0)}
		r, _ := Place(withStrategies(webTask(100, 1), Strategy{Binpack, "CPU"}), 3, in, nil)
		var got []string
		for _, p := range r.Placements {
			got = append(got, p.InstanceID)
		}
		if want := []string{"ci001", "ci002", "ci002"}; !slices.Equal(got, want) {
			t.Errorf("placements %v, want %v", got, want)
		}
	})
	t.Run("spread by zone, then binpack memory within the zone", func(t *testing.T) {
		in := cluster(6, 100000, 4096)
		in[3].Tasks = []PlacedTask{running("x", "family:other", 0, 3000)} // zone a, fuller than ci000
		in[1].Tasks = []PlacedTask{running("y", "family:other", 0, 1000)} // zone b, fuller than ci004
		task := withStrategies(webTask(1, 100), Strategy{Spread, "attribute:ecs.availability-zone"}, Strategy{Binpack, "memory"})
		r, _ := Place(task, 6, in, nil)
		per, perZone := counts(in, r.Placements)
		if want := map[string]int{"ci003": 2, "ci001": 2, "ci002": 2}; !reflect.DeepEqual(per, want) {
			t.Errorf("per instance %v, want %v (zones %v)", per, want, perZone)
		}
	})
}

func TestRandom(t *testing.T) {
	instances := cluster(50, 100000, 100000)
	task := withStrategies(webTask(1, 1), Strategy{Type: Random})
	place := func(seed uint64) []string {
		r, err := Place(task, 40, instances, rand.New(rand.NewPCG(seed, seed)))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range r.Placements {
			out = append(out, p.InstanceID)
		}
		return out
	}
	t.Run("same seed, same placements", func(t *testing.T) {
		if a, b := place(42), place(42); !slices.Equal(a, b) {
			t.Errorf("seed 42 gave %v then %v", a, b)
		}
	})
	t.Run("another seed, other placements", func(t *testing.T) {
		if a, b := place(42), place(43); slices.Equal(a, b) {
			t.Errorf("seeds 42 and 43 both gave %v", a)
		}
	})
	t.Run("uses many instances", func(t *testing.T) {
		seen := map[string]bool{}
		for _, id := range place(1) {
			seen[id] = true
		}
		if len(seen) < 20 {
			t.Errorf("40 random copies used only %d instances", len(seen))
		}
	})
	t.Run("standalone default is random", func(t *testing.T) {
		plain := webTask(1, 1)
		r1, _ := Place(plain, 40, instances, rand.New(rand.NewPCG(42, 42)))
		r2, _ := Place(task, 40, instances, rand.New(rand.NewPCG(42, 42)))
		if !reflect.DeepEqual(r1, r2) {
			t.Error("no strategy places differently from random")
		}
	})
	t.Run("nil rng is deterministic: first instance that fits", func(t *testing.T) {
		r, _ := Place(webTask(1, 1), 3, instances, nil)
		for _, p := range r.Placements {
			if p.InstanceID != "ci000" {
				t.Errorf("placed on %s, want ci000", p.InstanceID)
			}
		}
	})
	t.Run("random after spread breaks ties only", func(t *testing.T) {
		task := withStrategies(webTask(1, 1), Strategy{Spread, "instanceId"}, Strategy{Type: Random})
		r, _ := Place(task, 100, instances, rand.New(rand.NewPCG(5, 5)))
		per, _ := counts(instances, r.Placements)
		if lo, hi := spreadOf(per, ids(instances)); lo != 2 || hi != 2 {
			t.Errorf("instance counts from %d to %d, want 2 each", lo, hi)
		}
	})
}

func TestDefaultStrategies(t *testing.T) {
	if got := DefaultStrategies("service:web"); !reflect.DeepEqual(got, azThenInstance) {
		t.Errorf("service default = %v", got)
	}
	for _, g := range []string{"family:web", "batch", ""} {
		if got := DefaultStrategies(g); !reflect.DeepEqual(got, []Strategy{{Type: Random}}) {
			t.Errorf("default for %q = %v", g, got)
		}
	}
}

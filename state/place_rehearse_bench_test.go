package state

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/store"
)

// BenchmarkRehearsePlace measures a controller pass that starts tasks, as
// the service scheduler runs one: RehearsePass places 10 tasks across
// 1,000 container instances in its rehearsal (on a snapshot) and commits
// them with their indexes. It prints passes per CPU second of this
// process beside the wall-clock figure and the machine's load: the
// machine is shared, and the CPU figure varies less with load.
func BenchmarkRehearsePlace(b *testing.B) {
	const instances, count = 1000, 10
	db := openTestDB(b)
	ctx := context.Background()
	now := time.Now()
	benchInstances(b, db, instances, 0, now)
	// A service of its own each pass: the group's earlier tasks, which
	// placement reads too, do not pile up across passes.
	l := &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(1, 6, 0),
		LaunchType: ecstypes.LaunchTypeEc2, Count: count}
	passes := 0
	pass := func(tx store.Tx, ps *Placements, quiet bool) error {
		budget := NewBudget(tx)
		p, err := ps.Place(budget, l, nil, now)
		if err != nil {
			return err
		}
		if len(p.Targets) != count {
			return fmt.Errorf("placed %d of %d: %v", len(p.Targets), count, p.Failures)
		}
		for _, t := range p.Targets {
			if _, err := CreateTask(budget, l, t, now); err != nil {
				return err
			}
		}
		return nil
	}
	run := func() {
		passes++
		l.Group = fmt.Sprintf("service:bench-%d", passes)
		if err := RehearsePass(ctx, db, pass); err != nil {
			b.Fatal(err)
		}
	}
	run() // the first pass builds the view
	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "passes/cpu-s")
	fmt.Fprintf(os.Stderr, "rehearse: %d instances, passes of %d tasks: %.0f passes/s, %.0f per CPU second, %s CPU per pass; load %s\n",
		instances, count, float64(b.N)/time.Since(start).Seconds(), float64(b.N)/cpu.Seconds(), (cpu / time.Duration(b.N)).Round(time.Microsecond), loadAverage())
}

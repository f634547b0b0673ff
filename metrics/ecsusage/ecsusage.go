// Package ecsusage turns the agents' raw usage reports into the metrics
// ECS publishes: AWS/ECS CPUUtilization and MemoryUtilization per
// ClusterName and per ClusterName+ServiceName, once a minute, with ECS's
// definitions:
//
//	CPUUtilization    = CPU units used by the tasks × 100 / CPU units reserved by them
//	MemoryUtilization = MiB used by the tasks × 100 / MiB reserved by them
//
// where a task's reservation is its task-level cpu/memory, or else the sum
// of its containers' cpu and memory (hard limit, else memoryReservation),
// and 1024 CPU units are one vCPU busy for the period. The published value
// is a statistic set of the per-task ratios (as ECS's per-minute datapoint
// carries Average, Minimum, Maximum and SampleCount); its Average is the
// group's total ratio because each sample is weighted by reservation.
//
// It reads ECS task records (state, model) and writes the metrics store;
// it imports no service package.
package ecsusage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// staleAfter drops a task whose agent stopped reporting it (it stopped).
const staleAfter = 90 * time.Second

// Usage keeps the latest usage rate of every running task.
type Usage struct {
	DB  store.Backend
	M   *metrics.Store
	Log *slog.Logger
	// Now is the metrics clock: the time datapoints are stamped with.
	Now func() time.Time
	// Perf, when set, receives each minute the Container Insights
	// performance figures of the tasks in clusters with it on (perf.go).
	Perf PerfSink

	mu   sync.Mutex
	last map[string]agentproto.TaskUsage // previous report, by task ARN
	rate map[string]Rate
}

// Rate is one task's usage over the interval between two reports.
type Rate struct {
	CPUUnits float64 // 1024 = one CPU busy
	MemMiB   float64
	At       time.Time // real time of the later report
	// Containers is the same by container name, when the agent reports it.
	Containers map[string]ContainerRate
}

// ContainerRate is one container's usage over the same interval.
type ContainerRate struct{ CPUUnits, MemMiB float64 }

// Handler serves agentproto.StatsPath.
func (u *Usage) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rep agentproto.StatsReport
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(&rep); err != nil {
			http.Error(w, "stats needs a JSON StatsReport body", http.StatusBadRequest)
			return
		}
		u.Record(rep)
		w.WriteHeader(http.StatusNoContent)
	})
}

// Record takes one report: a task's rate is the CPU time its containers
// used between its previous report and this one, over the time between.
func (u *Usage) Record(rep agentproto.StatsReport) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last == nil {
		u.last, u.rate = map[string]agentproto.TaskUsage{}, map[string]Rate{}
	}
	for _, t := range rep.Tasks {
		prev, ok := u.last[t.TaskARN]
		u.last[t.TaskARN] = t
		dt := t.SampledAt.Sub(prev.SampledAt)
		if !ok || dt <= 0 || prev.Containers != t.Containers || t.CPUNanos < prev.CPUNanos {
			continue // a first sample, or a container restarted: no rate yet
		}
		u.rate[t.TaskARN] = Rate{
			CPUUnits:   float64(t.CPUNanos-prev.CPUNanos) / float64(dt.Nanoseconds()) * 1024,
			MemMiB:     float64(t.MemoryBytes) / (1 << 20),
			At:         t.SampledAt,
			Containers: containerRates(prev.PerContainer, t.PerContainer, dt),
		}
	}
}

// TaskSample is one task's usage and reservation, with where it belongs.
type TaskSample struct {
	Account, Region, Cluster, Service string
	TaskID, Family                    string
	CPUUsed, CPUReserved              float64
	MemUsed, MemReserved              float64
}

// Publish stamps one minute's datapoints from the current rates.
func (u *Usage) Publish(ctx context.Context) error {
	now := time.Now()
	u.mu.Lock()
	rates := make(map[string]Rate, len(u.rate))
	for arn, r := range u.rate {
		if now.Sub(r.At) > staleAfter {
			delete(u.rate, arn)
			delete(u.last, arn)
			continue
		}
		rates[arn] = r
	}
	u.mu.Unlock()
	if len(rates) == 0 {
		return nil
	}
	var samples []TaskSample
	var insights []ClusterInsights
	var perf []PerfTask
	err := u.DB.View(ctx, func(tx store.ReadTx) error {
		seen := map[model.Scope]map[string]bool{}
		for arn, r := range rates {
			s, rec, ok, err := sampleOf(tx, arn, r)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			samples = append(samples, s)
			sc := model.Scope{Account: s.Account, Region: s.Region}
			if seen[sc] == nil {
				seen[sc] = map[string]bool{}
			}
			on, known := seen[sc][s.Cluster]
			if !known {
				if on, err = insightsOn(tx, sc, s.Cluster); err != nil {
					return err
				}
				seen[sc][s.Cluster] = on
				if on {
					ci, err := readInsights(tx, sc, s.Cluster)
					if err != nil {
						return err
					}
					insights = append(insights, ci)
				}
			}
			if on && u.Perf != nil {
				perf = append(perf, perfTask(s, &rec, r))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ecs metrics: read tasks: %w", err)
	}
	at := u.Now()
	u.M.Put(Datums(samples, at)...)
	u.M.Put(InsightsDatums(insights, samples, at)...)
	if u.Perf != nil && len(insights) > 0 {
		// Log events carry real time: the performance group is read with
		// the logs API's clock, not the (test-scaled) metrics clock.
		if err := u.Perf(ctx, perf, insights, now); err != nil {
			return fmt.Errorf("ecs metrics: performance events: %w", err)
		}
	}
	return nil
}

// sampleOf reads the task arn names and pairs its rate with its
// reservation; ok is false for a task that is gone or not running.
func sampleOf(tx store.ReadTx, arn string, r Rate) (TaskSample, model.TaskRecord, bool, error) {
	a, ok := model.ParseARN(arn)
	parts := strings.Split(a.Resource, "/")
	if !ok || len(parts) != 3 || parts[0] != "task" {
		return TaskSample{}, model.TaskRecord{}, false, nil
	}
	sc := model.Scope{Account: a.Account, Region: a.Region}
	rec, found, err := store.Get[model.TaskRecord](tx, state.TaskKey(sc, parts[1], parts[2]))
	if err != nil || !found {
		return TaskSample{}, rec, false, err
	}
	cpu, mem := Reservation(&rec)
	s := TaskSample{Account: a.Account, Region: a.Region, Cluster: parts[1], TaskID: parts[2], Family: shape.ToString(rec.Definition.Family),
		CPUUsed: r.CPUUnits, CPUReserved: cpu, MemUsed: r.MemMiB, MemReserved: mem}
	if g := shape.ToString(rec.Task.Group); strings.HasPrefix(g, "service:") {
		s.Service = strings.TrimPrefix(g, "service:")
	}
	return s, rec, true, nil
}

// Reservation is a task's CPU units and MiB as ECS counts them for
// utilization: the task-level values, else the sums over its containers.
func Reservation(rec *model.TaskRecord) (cpu, memMiB float64) {
	cpu, _ = strconv.ParseFloat(shape.ToString(rec.Task.Cpu), 64)
	memMiB, _ = strconv.ParseFloat(shape.ToString(rec.Task.Memory), 64)
	var cSum, mSum float64
	for _, c := range rec.Definition.ContainerDefinitions {
		cSum += float64(c.Cpu)
		switch {
		case c.Memory != nil:
			mSum += float64(*c.Memory)
		case c.MemoryReservation != nil:
			mSum += float64(*c.MemoryReservation)
		}
	}
	if cpu <= 0 {
		cpu = cSum
	}
	if memMiB <= 0 {
		memMiB = mSum
	}
	return cpu, memMiB
}

type group struct{ account, region, cluster, service string }

type sums struct {
	cpuUsed, cpuRes, memUsed, memRes float64
	cpuSet, memSet                   metrics.StatSet
}

// Datums aggregates task samples into the AWS/ECS datapoints at t: per
// cluster, and per cluster and service. A group with nothing reserved
// publishes no datapoint for that resource.
func Datums(samples []TaskSample, t time.Time) []metrics.Datum {
	acc := map[group]*sums{}
	add := func(g group, s TaskSample) {
		x := acc[g]
		if x == nil {
			x = &sums{}
			acc[g] = x
		}
		x.cpuUsed += s.CPUUsed
		x.cpuRes += s.CPUReserved
		x.memUsed += s.MemUsed
		x.memRes += s.MemReserved
		if s.CPUReserved > 0 {
			addSet(&x.cpuSet, s.CPUUsed*100/s.CPUReserved)
		}
		if s.MemReserved > 0 {
			addSet(&x.memSet, s.MemUsed*100/s.MemReserved)
		}
	}
	for _, s := range samples {
		add(group{s.Account, s.Region, s.Cluster, ""}, s)
		if s.Service != "" {
			add(group{s.Account, s.Region, s.Cluster, s.Service}, s)
		}
	}
	var out []metrics.Datum
	for g, x := range acc {
		dims := []metrics.Dim{{Name: "ClusterName", Value: g.cluster}}
		if g.service != "" {
			dims = append(dims, metrics.Dim{Name: "ServiceName", Value: g.service})
		}
		id := func(name string) metrics.ID {
			return metrics.ID{Account: g.account, Region: g.region, Namespace: "AWS/ECS", Name: name, Dims: dims}
		}
		if x.cpuRes > 0 {
			out = append(out, metrics.Datum{ID: id("CPUUtilization"), Unit: "Percent", Time: t, Set: groupSet(x.cpuSet, x.cpuUsed*100/x.cpuRes)})
		}
		if x.memRes > 0 {
			out = append(out, metrics.Datum{ID: id("MemoryUtilization"), Unit: "Percent", Time: t, Set: groupSet(x.memSet, x.memUsed*100/x.memRes)})
		}
	}
	return out
}

func addSet(s *metrics.StatSet, v float64) {
	if s.SampleCount == 0 || v < s.Min {
		s.Min = v
	}
	if s.SampleCount == 0 || v > s.Max {
		s.Max = v
	}
	s.SampleCount++
}

// groupSet is the minute's statistic set: the tasks' minimum and maximum
// ratios, and a sum making Average the group's total ratio.
func groupSet(s metrics.StatSet, total float64) *metrics.StatSet {
	s.Sum = total * s.SampleCount
	return &s
}

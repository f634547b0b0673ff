package ecsusage

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// Container Insights performance log events. For a cluster with the
// setting on, ECS writes each minute one Task event per task, one
// Container event per container, one Service event per service and one
// Cluster event to /aws/ecs/containerinsights/CLUSTER/performance. This
// package measures; the figures go to a PerfSink that the server wires to
// CloudWatch Logs (this package imports no service package).

// PerfSink writes one minute of performance figures, at real time at:
// the tasks of clusters with Container Insights on and those clusters'
// counts.
type PerfSink func(ctx context.Context, tasks []PerfTask, clusters []ClusterInsights, at time.Time) error

// PerfTask is one task's performance figures and the facts ECS's Task
// event carries with them.
type PerfTask struct {
	TaskSample
	Revision            string
	ContainerInstanceID string
	KnownStatus         string
	LaunchType          string
	AvailabilityZone    string
	CreatedAt           time.Time
	StartedAt           time.Time
	PullStartedAt       time.Time
	PullStoppedAt       time.Time
	Containers          []PerfContainer
}

// PerfContainer is one container's figures: CPU in units, memory in MiB.
// Used figures are zero when the agent reported no per-container figures.
type PerfContainer struct {
	Name, Image, KnownStatus string
	CPUUsed, CPUReserved     float64
	MemUsed, MemReserved     float64
}

// perfTask pairs a task's sample with its record's facts.
func perfTask(s TaskSample, rec *model.TaskRecord, r Rate) PerfTask {
	t := &rec.Task
	p := PerfTask{TaskSample: s, Revision: strconv.Itoa(int(rec.Definition.Revision)),
		KnownStatus: shape.ToString(t.LastStatus), LaunchType: string(t.LaunchType), AvailabilityZone: shape.ToString(t.AvailabilityZone),
		CreatedAt: t.CreatedAt.Time, StartedAt: t.StartedAt.Time, PullStartedAt: t.PullStartedAt.Time, PullStoppedAt: t.PullStoppedAt.Time}
	if a, ok := model.ParseARN(shape.ToString(t.ContainerInstanceArn)); ok {
		p.ContainerInstanceID = a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	}
	if p.LaunchType == "" {
		p.LaunchType = "EC2"
	}
	defs := map[string]int{}
	for i, d := range rec.Definition.ContainerDefinitions {
		defs[shape.ToString(d.Name)] = i
	}
	for _, c := range t.Containers {
		name := shape.ToString(c.Name)
		pc := PerfContainer{Name: name, Image: shape.ToString(c.Image), KnownStatus: shape.ToString(c.LastStatus)}
		if i, ok := defs[name]; ok {
			d := rec.Definition.ContainerDefinitions[i]
			pc.CPUReserved = float64(d.Cpu)
			switch {
			case d.Memory != nil:
				pc.MemReserved = float64(*d.Memory)
			case d.MemoryReservation != nil:
				pc.MemReserved = float64(*d.MemoryReservation)
			}
		}
		if cr, ok := r.Containers[name]; ok {
			pc.CPUUsed, pc.MemUsed = cr.CPUUnits, cr.MemMiB
		}
		p.Containers = append(p.Containers, pc)
	}
	return p
}

// containerRates is each container's rate between two reports, for the
// containers present in both with a counter that did not go back.
func containerRates(prev, cur []agentproto.ContainerUsage, dt time.Duration) map[string]ContainerRate {
	if len(cur) == 0 || dt <= 0 {
		return nil
	}
	before := make(map[string]uint64, len(prev))
	for _, c := range prev {
		before[c.Name] = c.CPUNanos
	}
	out := make(map[string]ContainerRate, len(cur))
	for _, c := range cur {
		p, ok := before[c.Name]
		if !ok || c.CPUNanos < p {
			continue
		}
		out[c.Name] = ContainerRate{CPUUnits: float64(c.CPUNanos-p) / float64(dt.Nanoseconds()) * 1024, MemMiB: float64(c.MemoryBytes) / (1 << 20)}
	}
	return out
}

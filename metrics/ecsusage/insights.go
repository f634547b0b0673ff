package ecsusage

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Container Insights: for a cluster whose containerInsights setting is
// enabled (or enhanced), ECS/ContainerInsights gets each minute
//
//	per ClusterName:             TaskCount, ServiceCount, CpuUtilized,
//	                             CpuReserved, MemoryUtilized, MemoryReserved
//	per ClusterName+ServiceName: RunningTaskCount, PendingTaskCount,
//	                             DesiredTaskCount, CpuUtilized, CpuReserved,
//	                             MemoryUtilized, MemoryReserved
//	per ClusterName+TaskDefinitionFamily+TaskId: CpuUtilized, CpuReserved,
//	                             MemoryUtilized, MemoryReserved (the
//	                             per-task figures of enhanced observability)
//
// CPU in units (1024 a vCPU), memory in MiB, as Container Insights reports.

const insightsNS = "ECS/ContainerInsights"

// insightsOn reads whether a cluster has Container Insights on.
func insightsOn(tx store.ReadTx, sc model.Scope, cluster string) (bool, error) {
	c, ok, err := store.Get[ecstypes.Cluster](tx, state.ClusterKey(sc, cluster))
	if err != nil || !ok {
		return false, err
	}
	for _, s := range c.Settings {
		if s.Name == ecstypes.ClusterSettingNameContainerInsights {
			v := shape.ToString(s.Value)
			return v == "enabled" || v == "enhanced", nil
		}
	}
	return false, nil
}

// ServiceCounts is one service's task counts.
type ServiceCounts struct {
	Service                   string
	Running, Pending, Desired float64
	Deployments, TaskSets     float64
}

// ClusterInsights is what Container Insights publishes for one cluster.
type ClusterInsights struct {
	Account, Region, Cluster string
	Tasks                    float64 // running tasks
	Services                 []ServiceCounts
}

// readInsights reads the counts of a cluster with Container Insights on.
func readInsights(tx store.ReadTx, sc model.Scope, cluster string) (ClusterInsights, error) {
	ci := ClusterInsights{Account: sc.Account, Region: sc.Region, Cluster: cluster}
	counts, err := state.ClusterTaskCounts(tx, sc, cluster)
	if err != nil {
		return ci, err
	}
	ci.Tasks = float64(state.Total(counts.Running))
	svcs, err := store.List[model.ServiceRecord](tx, state.ServicesPrefix(sc, cluster))
	if err != nil {
		return ci, err
	}
	for _, s := range svcs {
		if shape.ToString(s.Service.Status) != "ACTIVE" {
			continue
		}
		ci.Services = append(ci.Services, ServiceCounts{Service: shape.ToString(s.Service.ServiceName),
			Running: float64(s.Service.RunningCount), Pending: float64(s.Service.PendingCount), Desired: float64(s.Service.DesiredCount),
			Deployments: float64(len(s.Service.Deployments)), TaskSets: float64(len(s.Service.TaskSets))})
	}
	return ci, nil
}

// InsightsDatums is one minute of ECS/ContainerInsights at t for the
// clusters in ci, from the task samples of those clusters.
func InsightsDatums(ci []ClusterInsights, samples []TaskSample, t time.Time) []metrics.Datum {
	var out []metrics.Datum
	put := func(acct, region, name, unit string, v float64, dims ...metrics.Dim) {
		out = append(out, metrics.Datum{ID: metrics.ID{Account: acct, Region: region, Namespace: insightsNS, Name: name, Dims: dims},
			Unit: unit, Time: t, Value: &v})
	}
	on := map[[3]string]bool{}
	for _, c := range ci {
		on[[3]string{c.Account, c.Region, c.Cluster}] = true
		cd := metrics.Dim{Name: "ClusterName", Value: c.Cluster}
		put(c.Account, c.Region, "TaskCount", "Count", c.Tasks, cd)
		put(c.Account, c.Region, "ServiceCount", "Count", float64(len(c.Services)), cd)
		for _, s := range c.Services {
			sd := metrics.Dim{Name: "ServiceName", Value: s.Service}
			put(c.Account, c.Region, "RunningTaskCount", "Count", s.Running, cd, sd)
			put(c.Account, c.Region, "PendingTaskCount", "Count", s.Pending, cd, sd)
			put(c.Account, c.Region, "DesiredTaskCount", "Count", s.Desired, cd, sd)
		}
	}
	type key struct {
		acct, region string
		dims         string
	}
	type usage struct {
		dims                 []metrics.Dim
		cpu, cpuRes, mem, mr float64
	}
	sums := map[key]*usage{}
	add := func(s TaskSample, dims ...metrics.Dim) {
		var b strings.Builder
		for _, d := range dims {
			b.WriteString(d.Name + "=" + d.Value + "\x00")
		}
		k := key{s.Account, s.Region, b.String()}
		u := sums[k]
		if u == nil {
			u = &usage{dims: dims}
			sums[k] = u
		}
		u.cpu += s.CPUUsed
		u.cpuRes += s.CPUReserved
		u.mem += s.MemUsed
		u.mr += s.MemReserved
	}
	for _, s := range samples {
		if !on[[3]string{s.Account, s.Region, s.Cluster}] {
			continue
		}
		cd := metrics.Dim{Name: "ClusterName", Value: s.Cluster}
		add(s, cd)
		if s.Service != "" {
			add(s, cd, metrics.Dim{Name: "ServiceName", Value: s.Service})
		}
		if s.TaskID != "" {
			add(s, cd, metrics.Dim{Name: "TaskDefinitionFamily", Value: s.Family}, metrics.Dim{Name: "TaskId", Value: s.TaskID})
		}
	}
	for k, u := range sums {
		put(k.acct, k.region, "CpuUtilized", "None", u.cpu, u.dims...)
		put(k.acct, k.region, "CpuReserved", "None", u.cpuRes, u.dims...)
		put(k.acct, k.region, "MemoryUtilized", "Megabytes", u.mem, u.dims...)
		put(k.acct, k.region, "MemoryReserved", "Megabytes", u.mr, u.dims...)
	}
	return out
}

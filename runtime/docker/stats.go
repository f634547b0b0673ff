package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Stats is a one-shot sample of a container's resource usage.
type Stats struct {
	Read           time.Time
	CPUUsage       uint64 // total CPU time used by the container, ns
	SystemCPUUsage uint64 // host's total CPU time, ns
	OnlineCPUs     uint32
	MemoryUsage    uint64 // bytes
	MemoryLimit    uint64 // bytes
	// Raw is the engine's stats document, in the format the ECS task
	// metadata endpoint serves.
	Raw json.RawMessage
}

// Stats samples the container's resource usage once, without waiting for a
// second sample (so Docker's "precpu" figures are empty in Raw).
func (r *Runtime) Stats(ctx context.Context, id string) (Stats, error) {
	resp, err := r.cli.ContainerStatsOneShot(ctx, id)
	if err != nil {
		return Stats{}, fmt.Errorf("docker: stats %s: %w", id, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Stats{}, fmt.Errorf("docker: stats %s: %w", id, err)
	}
	var s container.StatsResponse
	if err := json.Unmarshal(raw, &s); err != nil {
		return Stats{}, fmt.Errorf("docker: stats %s: %w", id, err)
	}
	cpus := s.CPUStats.OnlineCPUs
	if cpus == 0 {
		cpus = uint32(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	return Stats{
		Read:           s.Read,
		CPUUsage:       s.CPUStats.CPUUsage.TotalUsage,
		SystemCPUUsage: s.CPUStats.SystemUsage,
		OnlineCPUs:     cpus,
		MemoryUsage:    s.MemoryStats.Usage,
		MemoryLimit:    s.MemoryStats.Limit,
		Raw:            raw,
	}, nil
}

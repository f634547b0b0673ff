package scheduler

import (
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// Requirements derives what one task of td reserves on a container instance,
// the way ECS accounts for it, with the run's overrides applied (ov may be
// nil):
//
//   - CPU: the task-level cpu (override first) when set, else the sum of the
//     containers' cpu (container overrides first).
//   - Memory: the task-level memory (override first) when set, else the sum
//     over containers of memoryReservation if set, else memory.
//   - Ports, by network mode: bridge (the default) reserves each non-zero
//     hostPort; host reserves each containerPort; awsvpc and none reserve
//     no host port (wharf publishes awsvpc ports on ephemeral loopback
//     ports). Port ranges (containerPortRange) map to dynamic host ports and
//     reserve nothing.
//
// Sizes are read as stored after registration ("1024"); the registration
// forms "1 vCPU" and "2 GB" are accepted too. An unreadable size counts as 0:
// RegisterTaskDefinition has validated it already.
func Requirements(td ecstypes.TaskDefinition, ov *ecstypes.TaskOverride) Resources {
	var r Resources
	taskCPU, taskMem := shape.Deref(td.Cpu), shape.Deref(td.Memory)
	var overrides []ecstypes.ContainerOverride
	if ov != nil {
		if s := shape.Deref(ov.Cpu); s != "" {
			taskCPU = s
		}
		if s := shape.Deref(ov.Memory); s != "" {
			taskMem = s
		}
		overrides = ov.ContainerOverrides
	}
	var sumCPU, sumMem int
	for _, c := range td.ContainerDefinitions {
		cpu, memory, reservation := int(c.Cpu), c.Memory, c.MemoryReservation
		if co := containerOverride(overrides, shape.Deref(c.Name)); co != nil {
			if co.Cpu != nil {
				cpu = int(*co.Cpu)
			}
			if co.Memory != nil {
				memory = co.Memory
			}
			if co.MemoryReservation != nil {
				reservation = co.MemoryReservation
			}
		}
		sumCPU += cpu
		switch {
		case reservation != nil:
			sumMem += int(*reservation)
		case memory != nil:
			sumMem += int(*memory)
		}
		r.Ports = appendHostPorts(r.Ports, td.NetworkMode, c.PortMappings)
	}
	r.CPU = sumCPU
	if strings.TrimSpace(taskCPU) != "" {
		r.CPU = parseSize(taskCPU, "vcpu")
	}
	r.Memory = sumMem
	if strings.TrimSpace(taskMem) != "" {
		r.Memory = parseSize(taskMem, "gb")
	}
	return r
}

func containerOverride(ovs []ecstypes.ContainerOverride, name string) *ecstypes.ContainerOverride {
	for i := range ovs {
		if shape.Deref(ovs[i].Name) == name {
			return &ovs[i]
		}
	}
	return nil
}

// appendHostPorts adds the fixed host ports that mappings reserve in mode,
// each port+protocol once.
func appendHostPorts(ports []Port, mode ecstypes.NetworkMode, mappings []ecstypes.PortMapping) []Port {
	for _, pm := range mappings {
		var port int32
		switch mode {
		case ecstypes.NetworkModeHost:
			port = shape.Deref(pm.ContainerPort)
			if port == 0 {
				port = shape.Deref(pm.HostPort)
			}
		case ecstypes.NetworkModeAwsvpc, ecstypes.NetworkModeNone:
			continue
		default: // bridge, and "" which is bridge on Linux
			port = shape.Deref(pm.HostPort)
		}
		if port <= 0 {
			continue // dynamic
		}
		proto := strings.ToLower(string(pm.Protocol))
		if proto == "" {
			proto = "tcp"
		}
		p := Port{Port: int(port), Protocol: proto}
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports
}

// parseSize reads "1024" or, with the given unit suffix ("vcpu" or "gb"),
// "1 vCPU" / "2 GB", as units or MiB (1024 per vCPU or GB).
func parseSize(s, unit string) int {
	t := strings.ToLower(strings.TrimSpace(s))
	if v, ok := strings.CutSuffix(t, unit); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 {
			return 0
		}
		return int(f * 1024)
	}
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, "mib"), "mb"))
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

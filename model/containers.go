package model

import (
	"slices"
	"strconv"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// MinContainerMemory is the least hard memory limit (MiB) Docker accepts.
const MinContainerMemory = 6

// normalizeContainers checks each container definition and fills in what
// ECS reports back by default.
func normalizeContainers(in *ecstypes.RegisterTaskDefinitionRequest, ec2, taskMemory bool) ([]ecstypes.ContainerDefinition, error) {
	defs := in.ContainerDefinitions
	if len(defs) == 0 {
		return nil, violation("Container list cannot be empty.")
	}
	if len(defs) > MaxContainers {
		return nil, violation("A task definition can have at most %d containers, got %d.", MaxContainers, len(defs))
	}
	names := make([]string, 0, len(defs))
	for _, c := range defs {
		name := shape.Deref(c.Name)
		if name == "" {
			return nil, violation("Container.name should not be null or empty.")
		}
		if !ValidName(name) {
			return nil, violation("Invalid container name %q: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.", name)
		}
		if slices.Contains(names, name) {
			return nil, violation("Duplicate container name %q: container names must be unique within a task definition.", name)
		}
		names = append(names, name)
	}
	volumes := make([]string, 0, len(in.Volumes))
	for _, v := range in.Volumes {
		volumes = append(volumes, shape.Deref(v.Name))
	}
	out := make([]ecstypes.ContainerDefinition, len(defs))
	hostPorts := map[string]string{} // "port/proto" → container
	essential := false
	for i, c := range defs {
		name := shape.Deref(c.Name)
		if shape.Deref(c.Image) == "" {
			return nil, violation("Container.image should not be null or empty.")
		}
		if err := checkMemory(c, ec2, taskMemory); err != nil {
			return nil, err
		}
		if c.Essential == nil {
			c.Essential = new(true)
		}
		essential = essential || *c.Essential
		pms, err := normalizePorts(c, in.NetworkMode, hostPorts)
		if err != nil {
			return nil, err
		}
		c.PortMappings = pms
		if err := checkLinks(c, in.NetworkMode, names); err != nil {
			return nil, err
		}
		if err := checkMounts(c, volumes, names); err != nil {
			return nil, err
		}
		if c.HealthCheck != nil {
			hc, err := normalizeHealthCheck(name, *c.HealthCheck)
			if err != nil {
				return nil, err
			}
			c.HealthCheck = &hc
		}
		c.Environment = shape.OrEmpty(c.Environment)
		c.MountPoints = shape.OrEmpty(c.MountPoints)
		c.VolumesFrom = shape.OrEmpty(c.VolumesFrom)
		c.SystemControls = shape.OrEmpty(c.SystemControls)
		out[i] = c
	}
	if !essential {
		return nil, violation("At least one essential container is required: mark a container with \"essential\": true.")
	}
	if err := checkDependsOn(out); err != nil {
		return nil, err
	}
	return out, nil
}

func checkMemory(c ecstypes.ContainerDefinition, ec2, taskMemory bool) error {
	name := shape.Deref(c.Name)
	if ec2 && !taskMemory && c.Memory == nil && c.MemoryReservation == nil {
		return violation("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", name)
	}
	if c.Memory != nil && *c.Memory < MinContainerMemory {
		return violation("Invalid 'memory' setting for container '%s'. The minimum is %d MiB.", name, MinContainerMemory)
	}
	if c.MemoryReservation != nil && *c.MemoryReservation < MinContainerMemory {
		return violation("Invalid 'memoryReservation' setting for container '%s'. The minimum is %d MiB.", name, MinContainerMemory)
	}
	if c.Memory != nil && c.MemoryReservation != nil && *c.Memory < *c.MemoryReservation {
		return violation("Invalid setting for container '%s'. 'memory' must be greater than or equal to 'memoryReservation'.", name)
	}
	if c.Cpu < 0 || c.Cpu > 10240*1024 {
		return violation("Invalid 'cpu' setting for container '%s': %d.", name, c.Cpu)
	}
	return nil
}

// normalizePorts fills protocol and, where the network mode fixes it, the
// host port; and refuses mappings ECS refuses.
func normalizePorts(c ecstypes.ContainerDefinition, mode ecstypes.NetworkMode, hostPorts map[string]string) ([]ecstypes.PortMapping, error) {
	name := shape.Deref(c.Name)
	if mode == ecstypes.NetworkModeNone && len(c.PortMappings) > 0 {
		return nil, violation("Port mappings are not allowed when networkMode=none (container '%s').", name)
	}
	out := make([]ecstypes.PortMapping, 0, len(c.PortMappings))
	for _, pm := range c.PortMappings {
		if pm.ContainerPort == nil && pm.ContainerPortRange == nil {
			return nil, violation("Invalid port mapping for container '%s': containerPort is required.", name)
		}
		if pm.ContainerPort != nil && (*pm.ContainerPort < 1 || *pm.ContainerPort > 65535) {
			return nil, violation("Invalid port mapping for container '%s': containerPort %d must be between 1 and 65535.", name, *pm.ContainerPort)
		}
		if pm.HostPort != nil && (*pm.HostPort < 0 || *pm.HostPort > 65535) {
			return nil, violation("Invalid port mapping for container '%s': hostPort %d must be between 0 and 65535.", name, *pm.HostPort)
		}
		if pm.Protocol == "" {
			pm.Protocol = ecstypes.TransportProtocolTcp
		}
		if mode == ecstypes.NetworkModeAwsvpc || mode == ecstypes.NetworkModeHost {
			if pm.HostPort != nil && pm.ContainerPort != nil && *pm.HostPort != 0 && *pm.HostPort != *pm.ContainerPort {
				return nil, violation("When networkMode=%s, the host ports and container ports in port mappings must match (container '%s': %d != %d).", mode, name, *pm.HostPort, *pm.ContainerPort)
			}
			if pm.ContainerPort != nil {
				pm.HostPort = new(*pm.ContainerPort)
			}
		}
		if pm.HostPort != nil && *pm.HostPort != 0 {
			key := strconv.Itoa(int(*pm.HostPort)) + "/" + string(pm.Protocol)
			if other, dup := hostPorts[key]; dup {
				return nil, violation("Duplicate host port %s in containers '%s' and '%s': a host port can be used once per task.", key, other, name)
			}
			hostPorts[key] = name
		}
		out = append(out, pm)
	}
	return out, nil
}

func checkLinks(c ecstypes.ContainerDefinition, mode ecstypes.NetworkMode, names []string) error {
	name := shape.Deref(c.Name)
	if len(c.Links) > 0 && mode != "" && mode != ecstypes.NetworkModeBridge {
		return violation("Links are not supported when networkMode=%s (container '%s'); use localhost or service discovery.", mode, name)
	}
	for _, l := range c.Links {
		target, _ := splitLink(l)
		if target == name || !slices.Contains(names, target) {
			return violation("Invalid link %q in container '%s': it must name another container of this task definition.", l, name)
		}
	}
	return nil
}

func checkMounts(c ecstypes.ContainerDefinition, volumes, containers []string) error {
	name := shape.Deref(c.Name)
	for _, mp := range c.MountPoints {
		if !slices.Contains(volumes, shape.Deref(mp.SourceVolume)) {
			return violation("Invalid 'mountPoints' in container '%s': sourceVolume %q is not a volume of the task definition.", name, shape.Deref(mp.SourceVolume))
		}
		if shape.Deref(mp.ContainerPath) == "" {
			return violation("Invalid 'mountPoints' in container '%s': containerPath is required.", name)
		}
	}
	for _, vf := range c.VolumesFrom {
		src := shape.Deref(vf.SourceContainer)
		if src == name || !slices.Contains(containers, src) {
			return violation("Invalid 'volumesFrom' in container '%s': sourceContainer %q must be another container of this task definition.", name, src)
		}
	}
	return nil
}

func normalizeHealthCheck(container string, hc ecstypes.HealthCheck) (ecstypes.HealthCheck, error) {
	if len(hc.Command) == 0 || !slices.Contains([]string{"CMD", "CMD-SHELL", "NONE"}, hc.Command[0]) {
		return hc, violation("Invalid healthCheck for container '%s': command must start with \"CMD\" or \"CMD-SHELL\".", container)
	}
	if hc.Command[0] != "NONE" && len(hc.Command) < 2 {
		return hc, violation("Invalid healthCheck for container '%s': command needs something to run after %q.", container, hc.Command[0])
	}
	fill := func(p **int32, def, lo, hi int32, field string) error {
		if *p == nil {
			*p = new(def)
		}
		if **p < lo || **p > hi {
			return violation("Invalid healthCheck for container '%s': %s must be between %d and %d, got %d.", container, field, lo, hi, **p)
		}
		return nil
	}
	if err := fill(&hc.Interval, HealthCheckInterval, 5, 300, "interval"); err != nil {
		return hc, err
	}
	if err := fill(&hc.Timeout, HealthCheckTimeout, 2, 60, "timeout"); err != nil {
		return hc, err
	}
	if err := fill(&hc.Retries, HealthCheckRetries, 1, 10, "retries"); err != nil {
		return hc, err
	}
	if hc.StartPeriod != nil && (*hc.StartPeriod < 0 || *hc.StartPeriod > 300) {
		return hc, violation("Invalid healthCheck for container '%s': startPeriod must be between 0 and 300, got %d.", container, *hc.StartPeriod)
	}
	return hc, nil
}

// checkDependsOn requires dependencies to name other containers of the
// task, HEALTHY dependencies to have a health check, and no cycles.
func checkDependsOn(cs []ecstypes.ContainerDefinition) error {
	byName := map[string]ecstypes.ContainerDefinition{}
	for _, c := range cs {
		byName[shape.Deref(c.Name)] = c
	}
	for _, c := range cs {
		name := shape.Deref(c.Name)
		for _, d := range c.DependsOn {
			target, ok := byName[shape.Deref(d.ContainerName)]
			if !ok || shape.Deref(d.ContainerName) == name {
				return violation("Invalid 'dependsOn' in container '%s': %q must be another container of this task definition.", name, shape.Deref(d.ContainerName))
			}
			if d.Condition == ecstypes.ContainerConditionHealthy && target.HealthCheck == nil {
				return violation("Invalid 'dependsOn' in container '%s': condition HEALTHY needs a healthCheck on container '%s'.", name, shape.Deref(d.ContainerName))
			}
		}
	}
	if cycle := DependencyCycle(cs); cycle != nil {
		return violation("Invalid 'dependsOn': the containers %v depend on each other in a cycle.", cycle)
	}
	return nil
}

// DependencyCycle returns the containers of one dependsOn cycle, or nil.
func DependencyCycle(cs []ecstypes.ContainerDefinition) []string {
	deps := map[string][]string{}
	for _, c := range cs {
		for _, d := range c.DependsOn {
			deps[shape.Deref(c.Name)] = append(deps[shape.Deref(c.Name)], shape.Deref(d.ContainerName))
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(n string) []string
	visit = func(n string) []string {
		switch state[n] {
		case onPath:
			i := slices.Index(path, n)
			return append(slices.Clone(path[i:]), n)
		case done:
			return nil
		}
		state[n] = onPath
		path = append(path, n)
		for _, d := range deps[n] {
			if cyc := visit(d); cyc != nil {
				return cyc
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	for _, c := range cs {
		if cyc := visit(shape.Deref(c.Name)); cyc != nil {
			return cyc
		}
	}
	return nil
}

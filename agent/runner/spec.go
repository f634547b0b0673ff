package runner

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/runtime/docker"
)

// pauseStopTimeout bounds the pause container's stop; it exits on SIGTERM.
const pauseStopTimeout = 5 * time.Second

// specInput is what a container's spec needs besides its definition.
type specInput struct {
	names   map[string]string // container name → Docker container name
	pauseID string            // awsvpc: the namespace to join
	bindIP  string            // host IP that published ports bind to
}

// volumeNeed is a Docker volume that must exist before a container that
// mounts it is created.
type volumeNeed struct {
	spec      docker.VolumeSpec
	mustExist bool // shared without autoprovision: never created by the runner
}

// spec is the engine's view of container c: the definition with overrides,
// the ECS labels, limits, network and mounts. The environment is completed
// by the create operation (metadata URI, Config.ExtraEnv).
func (t *task) spec(c *containerDef, dockerName string, in specInput) (docker.ContainerSpec, []volumeNeed, error) {
	s := docker.ContainerSpec{
		Name:           dockerName,
		Image:          shape.Deref(c.Image),
		Entrypoint:     nilIfEmpty(c.EntryPoint),
		Command:        nilIfEmpty(c.Command),
		Env:            t.baseEnv(c),
		WorkingDir:     shape.Deref(c.WorkingDirectory),
		User:           shape.Deref(c.User),
		Labels:         map[string]string{},
		CPUShares:      max(int64(c.Cpu), minCPUShares),
		ReadonlyRootfs: shape.Deref(c.ReadonlyRootFilesystem),
		Privileged:     shape.Deref(c.Privileged),
		Healthcheck:    healthcheck(c.HealthCheck),
		StopTimeout:    c.stopTimeout,
	}
	maps.Copy(s.Labels, c.DockerLabels)
	maps.Copy(s.Labels, t.labels(c.name)) // the user cannot disguise a container
	switch {
	case c.Memory != nil:
		s.Memory = mib(int(*c.Memory))
	case t.memory > 0:
		s.Memory = mib(t.memory)
	}
	if c.MemoryReservation != nil {
		s.MemoryReservation = mib(int(*c.MemoryReservation))
	}
	if lp := c.LinuxParameters; lp != nil {
		s.Init = shape.Deref(lp.InitProcessEnabled)
	}
	for _, u := range c.Ulimits {
		s.Ulimits = append(s.Ulimits, docker.Ulimit{Name: string(u.Name), Soft: int64(u.SoftLimit), Hard: int64(u.HardLimit)})
	}

	switch t.mode {
	case ecstypes.NetworkModeAwsvpc:
		// The pause container owns the namespace: its ports, DNS and hosts.
		s.NetworkMode = "container:" + in.pauseID
	case ecstypes.NetworkModeHost, ecstypes.NetworkModeNone:
		s.NetworkMode = string(t.mode)
	default:
		s.NetworkMode = "bridge"
		for _, pm := range c.PortMappings {
			if pm.ContainerPort == nil {
				continue // port ranges are not supported
			}
			s.Ports = append(s.Ports, docker.PortBinding{
				ContainerPort: int(*pm.ContainerPort), Protocol: protocolOf(pm),
				HostIP: in.bindIP, HostPort: hostPortOf(pm),
			})
		}
		for _, l := range c.Links {
			target, alias, ok := strings.Cut(l, ":")
			if !ok {
				alias = target
			}
			s.Links = append(s.Links, in.names[target]+":"+alias)
		}
	}
	if t.mode == ecstypes.NetworkModeBridge || t.mode == ecstypes.NetworkModeNone {
		s.Hostname = shape.Deref(c.Hostname)
	}
	if !t.awsvpc() {
		s.ExtraHosts = extraHosts(c.ExtraHosts)
		s.DNS = nilIfEmpty(c.DnsServers)
		s.DNSSearch = nilIfEmpty(c.DnsSearchDomains)
	}

	var needs []volumeNeed
	for _, mp := range c.MountPoints {
		m, need, err := t.mount(mp)
		if err != nil {
			return s, nil, err
		}
		s.Mounts = append(s.Mounts, m)
		if need != nil {
			needs = append(needs, *need)
		}
	}
	for _, vf := range c.VolumesFrom {
		from := in.names[shape.Deref(vf.SourceContainer)]
		if shape.Deref(vf.ReadOnly) {
			from += ":ro"
		}
		s.VolumesFrom = append(s.VolumesFrom, from)
	}
	return s, needs, nil
}

// mount resolves a mount point to a bind mount or a Docker volume:
//   - host.sourcePath: a bind mount of that host path;
//   - dockerVolumeConfiguration scope shared: the Docker volume of the
//     volume's name, created when autoprovision is set, kept after the task;
//   - scope task, or neither host path nor configuration (ECS's
//     "Docker-managed" volume): a volume of this task, removed by Cleanup.
func (t *task) mount(mp ecstypes.MountPoint) (docker.Mount, *volumeNeed, error) {
	name := shape.Deref(mp.SourceVolume)
	m := docker.Mount{Target: shape.Deref(mp.ContainerPath), ReadOnly: shape.Deref(mp.ReadOnly)}
	v, ok := t.volumes[name]
	switch {
	case !ok:
		return m, nil, fmt.Errorf("mount point %s: no volume %q in the task definition", m.Target, name)
	case v.EfsVolumeConfiguration != nil || v.FsxWindowsFileServerVolumeConfiguration != nil:
		return m, nil, fmt.Errorf("volume %q: EFS and FSx volumes are not supported by wharf", name)
	case v.Host != nil && shape.Deref(v.Host.SourcePath) != "":
		m.Source = shape.Deref(v.Host.SourcePath)
		return m, nil, nil
	}
	need := &volumeNeed{spec: docker.VolumeSpec{Name: t.taskVolumeName(name), Labels: map[string]string{}}}
	dv := v.DockerVolumeConfiguration
	if dv != nil {
		need.spec.Driver, need.spec.DriverOpts = shape.Deref(dv.Driver), dv.DriverOpts
		maps.Copy(need.spec.Labels, dv.Labels)
	}
	if dv != nil && dv.Scope == ecstypes.ScopeShared {
		need.spec.Name = name
		need.mustExist = !shape.Deref(dv.Autoprovision)
	} else { // the task's own: labelled so that Cleanup finds it
		maps.Copy(need.spec.Labels, t.labels(""))
		delete(need.spec.Labels, LabelContainerName)
	}
	m.Source = need.spec.Name
	return m, need, nil
}

// pauseSpec is the awsvpc task's pause container: on Docker's default
// bridge (so the task reaches the host and beyond), publishing every port
// mapping of the task on bindIP with ephemeral host ports, and carrying the
// task's DNS settings and extra hosts, which joined containers cannot set.
func (t *task) pauseSpec(dockerName, image, bindIP string) docker.ContainerSpec {
	s := docker.ContainerSpec{
		Name:        dockerName,
		Image:       image,
		Labels:      t.labels(PauseContainerName),
		NetworkMode: "bridge",
		StopTimeout: pauseStopTimeout,
		CPUShares:   minCPUShares,
	}
	seen := map[string]bool{}
	for _, c := range t.containers {
		for _, pm := range c.PortMappings {
			if pm.ContainerPort == nil {
				continue
			}
			key := fmt.Sprint(*pm.ContainerPort, "/", protocolOf(pm))
			if !seen[key] {
				seen[key] = true
				s.Ports = append(s.Ports, docker.PortBinding{ContainerPort: int(*pm.ContainerPort), Protocol: protocolOf(pm), HostIP: bindIP})
			}
		}
		s.ExtraHosts = appendNew(s.ExtraHosts, extraHosts(c.ExtraHosts)...)
		s.DNS = appendNew(s.DNS, c.DnsServers...)
		s.DNSSearch = appendNew(s.DNSSearch, c.DnsSearchDomains...)
	}
	return s
}

// healthcheck converts an ECS health check ("CMD", args… / "CMD-SHELL",
// command / "NONE") with its timings in seconds.
func healthcheck(h *ecstypes.HealthCheck) *docker.Healthcheck {
	if h == nil || len(h.Command) == 0 {
		return nil
	}
	secs := func(p *int32, def time.Duration) time.Duration {
		if p == nil {
			return def
		}
		return time.Duration(*p) * time.Second
	}
	retries := defaultHealthRetries
	if h.Retries != nil {
		retries = int(*h.Retries)
	}
	return &docker.Healthcheck{
		Test:        h.Command,
		Interval:    secs(h.Interval, defaultHealthInterval),
		Timeout:     secs(h.Timeout, defaultHealthTimeout),
		Retries:     retries,
		StartPeriod: secs(h.StartPeriod, 0),
	}
}

func extraHosts(hs []ecstypes.HostEntry) []string {
	var out []string
	for _, h := range hs {
		out = append(out, shape.Deref(h.Hostname)+":"+shape.Deref(h.IpAddress))
	}
	return out
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func mib(n int) int64 { return int64(n) << 20 }

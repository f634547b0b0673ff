package docker

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
)

// ContainerSpec is what wharf asks the engine to create. Zero values mean
// "engine or image default".
type ContainerSpec struct {
	Name       string
	Image      string
	Entrypoint []string // nil: the image's
	Command    []string // nil: the image's
	Env        map[string]string
	WorkingDir string
	User       string // "uid", "uid:gid" or a name
	Labels     map[string]string
	Hostname   string

	CPUShares         int64 // relative weight (ECS cpu units)
	Memory            int64 // hard limit, bytes
	MemoryReservation int64 // soft limit, bytes
	Ulimits           []Ulimit
	ReadonlyRootfs    bool
	Privileged        bool
	Init              bool // run an init process (docker-init) as PID 1

	// NetworkMode is "bridge" (also ""), "host", "none",
	// "container:<id>" or the name of a user-defined network.
	NetworkMode string
	Ports       []PortBinding
	Links       []string // "container:alias" (default bridge only)
	ExtraHosts  []string // "hostname:ip"
	DNS         []string // DNS server addresses
	DNSSearch   []string // DNS search domains

	Mounts      []Mount
	VolumesFrom []string // "container" or "container:ro"

	Healthcheck *Healthcheck
	StopSignal  string        // e.g. "SIGINT"; "" = image's or SIGTERM
	StopTimeout time.Duration // default for StopContainer by docker CLI; 0 = engine default
}

// Ulimit is one resource limit, e.g. {"nofile", 1024, 2048}.
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// PortBinding publishes ContainerPort/Protocol on HostIP:HostPort.
type PortBinding struct {
	ContainerPort int
	Protocol      string // "tcp" (also "") or "udp"
	HostIP        string // "" = all interfaces
	HostPort      int    // 0 = ephemeral
}

// Mount is a bind mount (Source is an absolute host path), a named volume
// (Source is the volume's name) or an anonymous volume (Source is "").
type Mount struct {
	Source   string
	Target   string
	ReadOnly bool
}

// Healthcheck is Docker's health check, as in an ECS container definition.
type Healthcheck struct {
	Test        []string // {"CMD", args...} or {"CMD-SHELL", "command"}
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int
	StartPeriod time.Duration
}

// toDocker converts a spec to the engine's container and host configs.
func toDocker(s ContainerSpec) (*container.Config, *container.HostConfig, error) {
	cfg := &container.Config{
		Image:      s.Image,
		Entrypoint: s.Entrypoint,
		Cmd:        s.Command,
		Env:        envList(s.Env),
		WorkingDir: s.WorkingDir,
		User:       s.User,
		Labels:     s.Labels,
		Hostname:   s.Hostname,
		StopSignal: s.StopSignal,
	}
	hc := &container.HostConfig{
		NetworkMode:    container.NetworkMode(s.NetworkMode),
		Links:          s.Links,
		ExtraHosts:     s.ExtraHosts,
		DNS:            s.DNS,
		DNSSearch:      s.DNSSearch,
		VolumesFrom:    s.VolumesFrom,
		ReadonlyRootfs: s.ReadonlyRootfs,
		Privileged:     s.Privileged,
	}
	hc.CPUShares = s.CPUShares
	hc.Memory = s.Memory
	hc.MemoryReservation = s.MemoryReservation
	if s.Init {
		hc.Init = &s.Init
	}
	if s.StopTimeout > 0 {
		secs := int(math.Ceil(s.StopTimeout.Seconds()))
		cfg.StopTimeout = &secs
	}
	for _, u := range s.Ulimits {
		hc.Ulimits = append(hc.Ulimits, &units.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, m := range s.Mounts {
		switch {
		case m.Source == "":
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			cfg.Volumes[m.Target] = struct{}{}
		case m.ReadOnly:
			hc.Binds = append(hc.Binds, m.Source+":"+m.Target+":ro")
		default:
			hc.Binds = append(hc.Binds, m.Source+":"+m.Target)
		}
	}
	if h := s.Healthcheck; h != nil {
		cfg.Healthcheck = &container.HealthConfig{
			Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			Retries: h.Retries, StartPeriod: h.StartPeriod,
		}
	}
	if len(s.Ports) > 0 {
		cfg.ExposedPorts = nat.PortSet{}
		hc.PortBindings = nat.PortMap{}
	}
	for _, p := range s.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if (proto != "tcp" && proto != "udp" && proto != "sctp") || p.ContainerPort < 1 || p.ContainerPort > 65535 {
			return nil, nil, fmt.Errorf("invalid port mapping %d/%s", p.ContainerPort, proto)
		}
		port := nat.Port(strconv.Itoa(p.ContainerPort) + "/" + proto)
		hostPort := ""
		if p.HostPort != 0 {
			hostPort = strconv.Itoa(p.HostPort)
		}
		cfg.ExposedPorts[port] = struct{}{}
		hc.PortBindings[port] = append(hc.PortBindings[port], nat.PortBinding{HostIP: p.HostIP, HostPort: hostPort})
	}
	return cfg, hc, nil
}

// envList turns a map into sorted "KEY=VALUE" entries.
func envList(env map[string]string) []string {
	if len(env) == 0 {
		return nil
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

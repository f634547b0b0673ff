package docker

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// CreateContainer creates (but does not start) a container and returns its ID.
func (r *Runtime) CreateContainer(ctx context.Context, spec ContainerSpec) (string, error) {
	cfg, hc, err := toDocker(spec)
	if err != nil {
		return "", fmt.Errorf("docker: create container %s: %w", spec.Name, err)
	}
	resp, err := r.cli.ContainerCreate(ctx, cfg, hc, nil, nil, spec.Name)
	if err != nil {
		return "", fmt.Errorf("docker: create container %s: %w", spec.Name, err)
	}
	return resp.ID, nil
}

// StartContainer starts a created (or stopped) container.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	if err := r.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("docker: start container %s: %w", id, err)
	}
	return nil
}

// StopContainer sends the container's stop signal (SIGTERM unless set) and,
// if it is still running after timeout (rounded up to whole seconds), SIGKILL.
// It returns once the container has stopped.
func (r *Runtime) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	secs := int(math.Ceil(timeout.Seconds()))
	if err := r.cli.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}); err != nil {
		return fmt.Errorf("docker: stop container %s: %w", id, err)
	}
	return nil
}

// KillContainer sends signal ("" = SIGKILL) to the container's main process.
func (r *Runtime) KillContainer(ctx context.Context, id, signal string) error {
	if signal == "" {
		signal = "SIGKILL"
	}
	if err := r.cli.ContainerKill(ctx, id, signal); err != nil {
		return fmt.Errorf("docker: kill container %s: %w", id, err)
	}
	return nil
}

// RemoveContainer removes a container, killing it first if it is running;
// removeVolumes also removes its anonymous volumes.
func (r *Runtime) RemoveContainer(ctx context.Context, id string, removeVolumes bool) error {
	opts := container.RemoveOptions{Force: true, RemoveVolumes: removeVolumes}
	if err := r.cli.ContainerRemove(ctx, id, opts); err != nil {
		return fmt.Errorf("docker: remove container %s: %w", id, err)
	}
	return nil
}

// ContainerState is what the engine knows about one container.
type ContainerState struct {
	ID       string
	Name     string // without Docker's leading "/"
	Image    string // as given at creation
	ImageID  string // "sha256:…"
	Labels   map[string]string
	Status   string // created, running, paused, restarting, removing, exited, dead
	Running  bool
	ExitCode int
	// OOMKilled is true when the kernel's OOM killer stopped the container.
	OOMKilled  bool
	Error      string // the engine's error, e.g. when the start failed
	CreatedAt  time.Time
	StartedAt  time.Time // zero if never started
	FinishedAt time.Time // zero if never stopped
	Health     string    // "" (no health check), starting, healthy or unhealthy
	Ports      []PublishedPort
	Networks   map[string]string // network name → IPv4 address
	MACs       map[string]string // network name → MAC address, where the engine reports one
}

// PublishedPort is one container port bound on the host.
type PublishedPort struct {
	ContainerPort int
	Protocol      string // tcp or udp
	HostIP        string
	HostPort      int
}

// InspectContainer returns the container's current state.
func (r *Runtime) InspectContainer(ctx context.Context, id string) (ContainerState, error) {
	c, err := r.cli.ContainerInspect(ctx, id)
	if err != nil {
		return ContainerState{}, fmt.Errorf("docker: inspect container %s: %w", id, err)
	}
	st := ContainerState{
		ID:        c.ID,
		Name:      strings.TrimPrefix(c.Name, "/"),
		ImageID:   c.Image,
		CreatedAt: parseTime(c.Created),
		Networks:  map[string]string{},
		MACs:      map[string]string{},
	}
	if c.Config != nil {
		st.Image, st.Labels = c.Config.Image, c.Config.Labels
	}
	if s := c.State; s != nil {
		st.Status, st.Running, st.ExitCode = string(s.Status), s.Running, s.ExitCode
		st.OOMKilled, st.Error = s.OOMKilled, s.Error
		st.StartedAt, st.FinishedAt = parseTime(s.StartedAt), parseTime(s.FinishedAt)
		if s.Health != nil {
			st.Health = string(s.Health.Status)
		}
	}
	if ns := c.NetworkSettings; ns != nil {
		for name, ep := range ns.Networks {
			if ep != nil {
				st.Networks[name] = ep.IPAddress
				if ep.MacAddress != "" {
					st.MACs[name] = ep.MacAddress
				}
			}
		}
		for port, bindings := range ns.Ports {
			for _, b := range bindings {
				hp, _ := strconv.Atoi(b.HostPort)
				st.Ports = append(st.Ports, PublishedPort{
					ContainerPort: port.Int(), Protocol: port.Proto(), HostIP: b.HostIP, HostPort: hp,
				})
			}
		}
		sort.Slice(st.Ports, func(i, j int) bool {
			a, b := st.Ports[i], st.Ports[j]
			if a.ContainerPort != b.ContainerPort {
				return a.ContainerPort < b.ContainerPort
			}
			if a.Protocol != b.Protocol {
				return a.Protocol < b.Protocol
			}
			return a.HostIP < b.HostIP
		})
	}
	return st, nil
}

// ContainerSummary is one entry of ListContainers.
type ContainerSummary struct {
	ID        string
	Name      string
	Image     string
	Labels    map[string]string
	Status    string // created, running, exited, …
	CreatedAt time.Time
}

// ListContainers lists the containers carrying all the labels in
// labelFilter (an empty value matches any value); all includes stopped ones.
func (r *Runtime) ListContainers(ctx context.Context, labelFilter map[string]string, all bool) ([]ContainerSummary, error) {
	list, err := r.cli.ContainerList(ctx, container.ListOptions{All: all, Filters: labelArgs(labelFilter)})
	if err != nil {
		return nil, fmt.Errorf("docker: list containers: %w", err)
	}
	out := make([]ContainerSummary, 0, len(list))
	for _, c := range list {
		s := ContainerSummary{
			ID: c.ID, Image: c.Image, Labels: c.Labels,
			Status: string(c.State), CreatedAt: time.Unix(c.Created, 0),
		}
		if len(c.Names) > 0 {
			s.Name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, s)
	}
	return out, nil
}

// labelArgs turns a label filter into engine filter arguments.
func labelArgs(labels map[string]string) filters.Args {
	args := filters.NewArgs()
	for k, v := range labels {
		if v == "" {
			args.Add("label", k)
		} else {
			args.Add("label", k+"="+v)
		}
	}
	return args
}

// parseTime parses the engine's RFC 3339 times; Docker's "0001-01-01…" and
// unparsable values give the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

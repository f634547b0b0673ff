package runner

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/wharfhq/wharf/runtime/docker"
)

// The real engine and the in-memory one both satisfy the runner's Runtime.
var (
	_ Runtime = (*docker.Runtime)(nil)
	_ Runtime = (*fakeRuntime)(nil)
)

// fakeRuntime is an engine in memory, for testing the runner's loop
// without Docker. Containers move between created, running and exited as
// the runner (create, start, stop) or the test (exit, health) makes them;
// each change is an event to the matching subscribers, as the engine's
// stream would carry it. Operations fail on demand, per image or per
// container name (the ECS name, from the runner's label).
//
// A container stopped with StopContainer exits 143 (SIGTERM), or 137 when
// its name is in ignoreTerm: the engine's SIGKILL after the timeout, which
// the fake does not wait for; the timeouts asked for are in stops.
type fakeRuntime struct {
	mu         sync.Mutex
	ctrs       map[string]*docker.ContainerState // by id
	images     map[string]map[string]string      // ref → labels, for ImageLabels
	volumes    map[string]map[string]string      // name → labels
	subs       []*fakeSub
	nextID     int
	log        []string                 // "create app", "start app", "stop app", "exit app 3", "health app healthy"
	stops      map[string]time.Duration // container name → the last stop timeout asked for
	pullErr    map[string]error         // by image
	createErr  map[string]error         // by container name
	startErr   map[string]error         // by container name
	ignoreTerm map[string]bool          // by container name
	lists      int                      // ListContainers calls
	inspects   map[string]int           // InspectContainer calls, by container name
	inspectErr map[string]int           // by container name: how many inspects fail from now
	exitAtOnce map[string]int           // by container name: it exits with this code as it starts
	// bareEvents makes events carry no attributes (no labels, no
	// exitCode), as the runner must survive; the engine sends them.
	bareEvents bool
}

type fakeSub struct {
	filter map[string]string
	ch     chan docker.ContainerEvent
}

func newFake() *fakeRuntime {
	return &fakeRuntime{
		ctrs: map[string]*docker.ContainerState{}, images: map[string]map[string]string{},
		volumes: map[string]map[string]string{}, stops: map[string]time.Duration{},
		pullErr: map[string]error{}, createErr: map[string]error{}, startErr: map[string]error{},
		ignoreTerm: map[string]bool{}, inspects: map[string]int{}, inspectErr: map[string]int{}, exitAtOnce: map[string]int{},
	}
}

func notFound(what, id string) error {
	return fmt.Errorf("fake: no such %s: %s: %w", what, id, cerrdefs.ErrNotFound)
}

func matches(labels, filter map[string]string) bool {
	for k, v := range filter {
		got, ok := labels[k]
		if !ok || v != "" && got != v {
			return false
		}
	}
	return true
}

// emit sends an event to the subscribers of the container; f.mu is held.
// Its attributes are the engine's (Docker 20.10): the container's labels,
// name and image, and exitCode on "die". The channels are buffered well
// beyond what a test produces: a full one is a test bug and panics rather
// than losing the event.
func (f *fakeRuntime) emit(c *docker.ContainerState, action, health string) {
	ev := docker.ContainerEvent{ID: c.ID, Name: c.Name, Action: action, Health: health, Time: time.Now()}
	if !f.bareEvents {
		ev.Attributes = maps.Clone(c.Labels)
		ev.Attributes["name"], ev.Attributes["image"] = c.Name, c.Image
		if action == "die" {
			ev.ExitCode, ev.Attributes["exitCode"] = c.ExitCode, fmt.Sprint(c.ExitCode)
		}
	}
	for _, s := range f.subs {
		if matches(c.Labels, s.filter) {
			select {
			case s.ch <- ev:
			default:
				panic("fake runtime: event channel full")
			}
		}
	}
}

// byName is the container whose runner label is name; f.mu is held.
func (f *fakeRuntime) byName(name string) *docker.ContainerState {
	for _, c := range f.ctrs {
		if c.Labels[LabelContainerName] == name {
			return c
		}
	}
	return nil
}

func (f *fakeRuntime) record(format string, args ...any) {
	f.log = append(f.log, fmt.Sprintf(format, args...))
}

// ops returns the log of what happened so far.
func (f *fakeRuntime) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// exit makes the running container name exit with code, as its process would.
func (f *fakeRuntime) exit(name string, code int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byName(name)
	if c == nil || !c.Running {
		return fmt.Errorf("fake: %s is not running", name)
	}
	f.stopped(c, code)
	return nil
}

// stopped records the exit of c; f.mu is held.
func (f *fakeRuntime) stopped(c *docker.ContainerState, code int) {
	c.Status, c.Running, c.ExitCode, c.FinishedAt, c.Health = "exited", false, code, time.Now(), ""
	f.record("exit %s %d", c.Labels[LabelContainerName], code)
	f.emit(c, "die", "")
}

// oomKill makes the kernel's OOM killer end the running container name:
// exit 137 with OOMKilled. The engine sends "oom" before "die"; with
// oomEvent false it sends none (the inspect alone tells), with dieFirst
// the "oom" comes after the "die".
func (f *fakeRuntime) oomKill(name string, oomEvent, dieFirst bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byName(name)
	if c == nil || !c.Running {
		return fmt.Errorf("fake: %s is not running", name)
	}
	c.OOMKilled = true
	if oomEvent && !dieFirst {
		f.emit(c, "oom", "")
	}
	f.stopped(c, 137)
	if oomEvent && dieFirst {
		f.emit(c, "oom", "")
	}
	return nil
}

// inspected is how many times the container name was inspected.
func (f *fakeRuntime) inspected(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inspects[name]
}

// health sets the health status of the running container name.
func (f *fakeRuntime) health(name, status string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byName(name)
	if c == nil || !c.Running {
		return fmt.Errorf("fake: %s is not running", name)
	}
	c.Health = status
	f.record("health %s %s", name, status)
	f.emit(c, "health_status", status)
	return nil
}

func (f *fakeRuntime) EnsureImage(ctx context.Context, ref string, pull bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.pullErr[ref]; err != nil {
		return &docker.PullError{Ref: ref, Err: err}
	}
	f.record("pull %s", ref)
	return nil
}

func (f *fakeRuntime) CreateContainer(ctx context.Context, spec docker.ContainerSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := spec.Labels[LabelContainerName]
	if err := f.createErr[name]; err != nil {
		return "", fmt.Errorf("docker: create container %s: %w", spec.Name, err)
	}
	for _, c := range f.ctrs {
		if c.Name == spec.Name {
			return "", fmt.Errorf("docker: create container %s: %w", spec.Name, cerrdefs.ErrConflict)
		}
	}
	f.nextID++
	id := fmt.Sprintf("%064x", f.nextID)
	st := &docker.ContainerState{
		ID: id, Name: spec.Name, Image: spec.Image, ImageID: "sha256:" + id, Labels: maps.Clone(spec.Labels),
		Status: "created", CreatedAt: time.Now(), Networks: map[string]string{}, MACs: map[string]string{},
	}
	if spec.Healthcheck != nil && len(spec.Healthcheck.Test) > 0 && spec.Healthcheck.Test[0] != "NONE" {
		st.Health = "starting"
	}
	f.ctrs[id] = st
	f.record("create %s", name)
	return id, nil
}

func (f *fakeRuntime) StartContainer(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.ctrs[id]
	if c == nil {
		return notFound("container", id)
	}
	name := c.Labels[LabelContainerName]
	if err := f.startErr[name]; err != nil {
		c.Error = err.Error() // the engine keeps it, the container stays created
		return fmt.Errorf("docker: start container %s: %w", id, err)
	}
	if c.Running {
		return nil
	}
	c.Status, c.Running, c.StartedAt, c.Error = "running", true, time.Now(), ""
	c.Networks["bridge"] = fmt.Sprintf("172.17.0.%d", 1+f.nextID%250)
	f.record("start %s", name)
	f.emit(c, "start", "")
	if code, ok := f.exitAtOnce[name]; ok {
		f.stopped(c, code)
	}
	return nil
}

func (f *fakeRuntime) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.ctrs[id]
	if c == nil {
		return notFound("container", id)
	}
	name := c.Labels[LabelContainerName]
	f.stops[name] = timeout
	f.record("stop %s", name)
	if !c.Running {
		return nil
	}
	code := 143
	if f.ignoreTerm[name] {
		code = 137
	}
	f.stopped(c, code)
	return nil
}

func (f *fakeRuntime) RemoveContainer(ctx context.Context, id string, removeVolumes bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.ctrs[id]
	if c == nil {
		return notFound("container", id)
	}
	if c.Running {
		f.stopped(c, 137)
	}
	delete(f.ctrs, id)
	f.record("remove %s", c.Labels[LabelContainerName])
	return nil
}

func (f *fakeRuntime) InspectContainer(ctx context.Context, id string) (docker.ContainerState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.ctrs[id]
	if c == nil {
		return docker.ContainerState{}, notFound("container", id)
	}
	name := c.Labels[LabelContainerName]
	f.inspects[name]++
	if f.inspectErr[name] > 0 {
		f.inspectErr[name]--
		return docker.ContainerState{}, fmt.Errorf("docker: inspect container %s: engine hiccup", id)
	}
	st := *c
	st.Labels, st.Networks, st.MACs = maps.Clone(c.Labels), maps.Clone(c.Networks), maps.Clone(c.MACs)
	return st, nil
}

func (f *fakeRuntime) ListContainers(ctx context.Context, labelFilter map[string]string, all bool) ([]docker.ContainerSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	var out []docker.ContainerSummary
	for _, c := range f.ctrs {
		if matches(c.Labels, labelFilter) && (all || c.Running) {
			out = append(out, docker.ContainerSummary{
				ID: c.ID, Name: c.Name, Image: c.Image, Labels: maps.Clone(c.Labels), Status: c.Status, CreatedAt: c.CreatedAt,
			})
		}
	}
	slices.SortFunc(out, func(a, b docker.ContainerSummary) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Events subscribes to the events of the containers matching labelFilter
// until ctx ends.
func (f *fakeRuntime) Events(ctx context.Context, labelFilter map[string]string) (<-chan docker.ContainerEvent, <-chan error) {
	s := &fakeSub{filter: maps.Clone(labelFilter), ch: make(chan docker.ContainerEvent, 1024)}
	f.mu.Lock()
	f.subs = append(f.subs, s)
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.subs = slices.DeleteFunc(f.subs, func(x *fakeSub) bool { return x == s })
		close(s.ch)
	}()
	return s.ch, make(chan error, 1)
}

func (f *fakeRuntime) CreateVolume(ctx context.Context, spec docker.VolumeSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.volumes[spec.Name]; !ok {
		f.volumes[spec.Name] = maps.Clone(spec.Labels)
	}
	return nil
}

func (f *fakeRuntime) RemoveVolume(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.volumes[name]; !ok {
		return notFound("volume", name)
	}
	delete(f.volumes, name)
	return nil
}

func (f *fakeRuntime) VolumeExists(ctx context.Context, name string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.volumes[name]
	return ok, nil
}

func (f *fakeRuntime) ListVolumes(ctx context.Context, labelFilter map[string]string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for name, labels := range f.volumes {
		if matches(labels, labelFilter) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (f *fakeRuntime) ImageLabels(ctx context.Context, ref string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	labels, ok := f.images[ref]
	if !ok {
		return nil, notFound("image", ref)
	}
	return maps.Clone(labels), nil
}

func (f *fakeRuntime) ImportImage(ctx context.Context, ref string, rootfs io.Reader, changes []string) error {
	if _, err := io.Copy(io.Discard, rootfs); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images[ref] = map[string]string{}
	f.record("import %s", ref)
	return nil
}

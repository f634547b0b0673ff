package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/runtime/docker"
)

// Runtime is the part of *docker.Runtime the runner uses.
type Runtime interface {
	EnsureImage(ctx context.Context, ref string, pull bool) error
	CreateContainer(ctx context.Context, spec docker.ContainerSpec) (string, error)
	StartContainer(ctx context.Context, id string) error
	StopContainer(ctx context.Context, id string, timeout time.Duration) error
	RemoveContainer(ctx context.Context, id string, removeVolumes bool) error
	InspectContainer(ctx context.Context, id string) (docker.ContainerState, error)
	ListContainers(ctx context.Context, labelFilter map[string]string, all bool) ([]docker.ContainerSummary, error)
	Events(ctx context.Context, labelFilter map[string]string) (<-chan docker.ContainerEvent, <-chan error)
	CreateVolume(ctx context.Context, spec docker.VolumeSpec) error
	RemoveVolume(ctx context.Context, name string) error
	VolumeExists(ctx context.Context, name string) (bool, error)
	ListVolumes(ctx context.Context, labelFilter map[string]string) ([]string, error)
	// ImageLabels and ImportImage make the pause image (see pause.go).
	ImageLabels(ctx context.Context, ref string) (map[string]string, error)
	ImportImage(ctx context.Context, ref string, rootfs io.Reader, changes []string) error
}

// Config is how the agent sets up every runner.
type Config struct {
	BindIP string // host IP published ports bind to, e.g. "127.0.0.1"
	// MetadataURI returns the value of ECS_CONTAINER_METADATA_URI_V4 (and
	// _URI) for a container; "" leaves them unset. It may be called from
	// any goroutine.
	MetadataURI func(taskARN, container string) string
	// ExtraEnv returns environment variables the agent adds to a container
	// (credentials URI, resolved secrets); may be nil. It may be called
	// from any goroutine; an error stops the container from being created
	// (reason ResourceInitializationError).
	ExtraEnv    func(ctx context.Context, a agentproto.Assignment, container string) (map[string]string, error)
	StopTimeout time.Duration // default for containers without stopTimeout (ECS: 30s)
	Log         *slog.Logger
	Now         func() time.Time
	// PullImage, when set, pulls the images it recognises itself (ECR
	// images, from wharf's registry with the task's execution role) and
	// reports handled; others are left to EnsureImage. Its error is the
	// CannotPullContainerError detail. It may be called from any goroutine.
	PullImage func(ctx context.Context, a agentproto.Assignment, image string) (handled bool, err error)
	// Labels are added to every container and task volume the runner
	// creates (the ECS labels win), e.g. the agent's node id, so that an
	// agent sharing an engine with others can tell its own tasks apart.
	Labels map[string]string
	// New says no container of this task can exist yet: the agent listed
	// the engine's task containers when it started and has not run this
	// task since. Run then skips looking for the task's containers, a
	// label-filtered listing that costs the engine more the more
	// containers it holds, once per task of a burst.
	New bool
}

// maxSteps bounds the decisions taken between two observations; next
// settles in a few steps, so reaching it means a bug, which is logged.
const maxSteps = 64

// Runner runs one task. Run drives it; Update and Status may be called from
// any goroutine.
type Runner struct {
	rt     Runtime
	cfg    Config
	report func(agentproto.TaskStatus)
	log    *slog.Logger
	task   *task

	mu       sync.Mutex
	a        agentproto.Assignment // the latest
	last     agentproto.TaskStatus // the latest reported
	reported bool                  // once Run reported its first status
	poke     chan struct{}

	// Owned by the Run goroutine.
	status        string
	stopCode      ecstypes.TaskStopCode
	stoppedReason string
	times         times
	ctrs          []*ctr // in definition order
	pause         *ctr   // awsvpc only
	adopted       bool
	inflight      int
	done          chan result
	wg            sync.WaitGroup
	cancelPulls   context.CancelFunc
}

type times struct {
	pullStarted, pullStopped, started, stopping, executionStopped time.Time
}

// New makes a runner for assignment a; report receives every change of
// the task's status, from the Run goroutine.
func New(rt Runtime, cfg Config, a agentproto.Assignment, report func(agentproto.TaskStatus)) *Runner {
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if report == nil {
		report = func(agentproto.TaskStatus) {}
	}
	r := &Runner{
		rt: rt, cfg: cfg, report: report, a: a,
		log:    cfg.Log.With("task", a.TaskARN),
		task:   resolve(a, cfg.StopTimeout, cfg.Labels),
		poke:   make(chan struct{}, 1),
		status: model.TaskProvisioning,
		done:   make(chan result),
	}
	for _, d := range r.task.containers {
		r.ctrs = append(r.ctrs, &ctr{name: d.name, def: d, image: shape.Deref(d.Image), dockerName: r.task.dockerName(d.name, randomHex())})
	}
	if r.task.awsvpc() {
		r.pause = &ctr{name: PauseContainerName, dockerName: r.task.dockerName(PauseContainerName, randomHex())}
	}
	r.last = r.build()
	return r
}

// Update delivers a newer assignment, e.g. DesiredStatus STOPPED with the
// StopCode and StoppedReason. A task wanted STOPPED stays wanted STOPPED.
func (r *Runner) Update(a agentproto.Assignment) {
	r.mu.Lock()
	if a.Version >= r.a.Version && r.a.DesiredStatus != model.TaskStopped {
		r.a = a
	}
	r.mu.Unlock()
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// Status returns the latest status.
func (r *Runner) Status() agentproto.TaskStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func (r *Runner) assignment() agentproto.Assignment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.a
}

// Run drives the task until it is STOPPED (and returns nil) or until ctx
// ends (and returns ctx.Err(), leaving the containers as they are: wharf
// stopping never stops tasks). It first adopts the containers that already
// carry the task's ARN, as after a restart of wharf, and continues from
// their real state. Call it once.
func (r *Runner) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer r.wg.Wait() // after cancel: the operations end with ctx
	defer cancel()
	pullCtx, cancelPulls := context.WithCancel(ctx)
	defer cancelPulls()
	r.cancelPulls = cancelPulls

	filter := map[string]string{LabelTaskARN: r.task.arn}
	events, errs := r.rt.Events(ctx, filter) // before listing: nothing is missed
	for backoff := time.Second; !r.cfg.New; backoff = min(2*backoff, 30*time.Second) {
		err := r.refresh(ctx)
		if err == nil {
			break
		}
		r.log.Warn("runner: find the task's containers", "err", err)
		if !Sleep(ctx, backoff) {
			return ctx.Err()
		}
	}
	r.adopted = slices.ContainsFunc(r.ctrs, func(c *ctr) bool { return c.id != "" })

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wake := r.step(ctx, pullCtx)
		if r.status == model.TaskStopped && r.inflight == 0 {
			return nil
		}
		timer.Stop()
		var timeout <-chan time.Time
		if !wake.IsZero() {
			timer.Reset(max(wake.Sub(r.cfg.Now()), time.Millisecond))
			timeout = timer.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if ok {
				r.onEvent(ctx, ev)
				continue
			}
			// The stream broke: subscribe again, then look at everything.
			select {
			case err := <-errs:
				r.log.Warn("runner: engine events", "err", err)
			default:
			}
			if !Sleep(ctx, time.Second) {
				return ctx.Err()
			}
			events, errs = r.rt.Events(ctx, filter)
			if err := r.refresh(ctx); err != nil {
				r.log.Warn("runner: refresh", "err", err)
			}
		case res := <-r.done:
			r.onResult(ctx, res)
		case <-r.poke:
		case <-timeout:
		}
	}
}

// step decides and applies until nothing is left to decide, publishes the
// status if it changed, and returns when to decide again at the latest.
func (r *Runner) step(ctx, pullCtx context.Context) time.Time {
	defer r.publish()
	for range maxSteps {
		a := r.assignment()
		acts, wake := next(r.view(a))
		if len(acts) == 0 {
			return wake
		}
		for _, act := range acts {
			r.apply(ctx, pullCtx, a, act)
		}
	}
	r.log.Error("runner: decisions did not settle", "status", r.status)
	return r.cfg.Now().Add(time.Second)
}

func (r *Runner) view(a agentproto.Assignment) view {
	v := view{
		Now:           r.cfg.Now(),
		Desired:       model.TaskRunning,
		DesiredCode:   a.StopCode,
		DesiredReason: a.StoppedReason,
		Status:        r.status,
		Awsvpc:        r.task.awsvpc(),
	}
	if a.DesiredStatus == model.TaskStopped {
		v.Desired = model.TaskStopped
		if v.DesiredCode == "" {
			v.DesiredCode = ecstypes.TaskStopCodeUserInitiated
		}
	}
	if r.pause != nil {
		v.Pause = r.pause.cview()
	}
	for _, c := range r.ctrs {
		v.Containers = append(v.Containers, c.cview())
	}
	return v
}

func (r *Runner) apply(ctx, pullCtx context.Context, a agentproto.Assignment, act action) {
	c := r.byName(act.Container)
	switch act.Kind {
	case actStatus:
		r.setStatus(act)
	case actAbandon:
		c.phase, c.reason, c.exitCode = phaseStopped, act.Reason, act.ExitCode
		if act.Reason != "" {
			r.log.Info("runner: container will not run", "container", c.name, "reason", act.Reason)
		}
	case actPull:
		if r.times.pullStarted.IsZero() {
			r.times.pullStarted = r.cfg.Now()
		}
		image := c.image
		r.dispatch(ctx, pullCtx, c, opPull, func(ctx context.Context) result { return r.pullOp(ctx, a, image) })
	case actCreate:
		name := c.name
		spec, needs, err := r.task.spec(c.def, c.dockerName, r.specInput())
		r.dispatch(ctx, ctx, c, opCreate, func(ctx context.Context) result {
			return r.createOp(ctx, a, name, spec, needs, err)
		})
	case actStart:
		id := c.id
		r.dispatch(ctx, ctx, c, opStart, func(ctx context.Context) result { return r.startOp(ctx, id) })
	case actStop:
		id, timeout := c.id, pauseStopTimeout
		if c.def != nil {
			timeout = c.def.stopTimeout
		}
		c.stopSent = true
		r.log.Info("runner: stopping container", "container", c.name, "timeout", timeout)
		r.dispatch(ctx, ctx, c, opStop, func(ctx context.Context) result { return r.stopOp(ctx, id, timeout) })
	case actProvision:
		id := c.id
		spec := r.task.pauseSpec(c.dockerName, "", r.cfg.BindIP)
		r.dispatch(ctx, ctx, c, opProvision, func(ctx context.Context) result { return r.provisionOp(ctx, id, spec) })
	}
}

func (r *Runner) setStatus(act action) {
	now := r.cfg.Now()
	switch act.Status {
	case model.TaskRunning:
		r.times.started = now
		if r.adopted { // it has been running since its last essential container started
			var last time.Time
			for _, c := range r.ctrs {
				if c.def.essential && c.startedAt.After(last) {
					last = c.startedAt
				}
			}
			if !last.IsZero() && last.Before(now) {
				r.times.started = last
			}
		}
	case model.TaskStopping:
		r.stopCode, r.stoppedReason, r.times.stopping = act.StopCode, act.Reason, now
		r.cancelPulls() // images of containers that will not run
	case model.TaskDeprovisioning, model.TaskStopped:
		if r.times.executionStopped.IsZero() {
			r.times.executionStopped = now
		}
	}
	r.log.Info("runner: task status", "from", r.status, "to", act.Status, "stopCode", act.StopCode, "reason", act.Reason)
	r.status = act.Status
}

// dispatch runs op on its own goroutine; its result comes back to the Run
// loop through r.done.
func (r *Runner) dispatch(runCtx, opCtx context.Context, c *ctr, kind op, fn func(context.Context) result) {
	c.op = kind
	r.inflight++
	r.wg.Add(1)
	name := c.name
	go func() {
		defer r.wg.Done()
		res := fn(opCtx)
		res.name, res.op = name, kind
		select {
		case r.done <- res:
		case <-runCtx.Done():
		}
	}()
}

// onResult records the outcome of an operation, and takes an event that
// came meanwhile if the operation could not inspect the container.
func (r *Runner) onResult(ctx context.Context, res result) {
	r.inflight--
	c := r.byName(res.name)
	c.op = opNone
	missed := c.missed
	c.missed = nil
	if missed != nil && res.st == nil && !res.gone {
		defer r.onEvent(ctx, *missed)
	}
	if res.err != nil {
		r.log.Warn("runner: operation failed", "container", c.name, "op", res.op, "err", res.err)
	}
	if res.op == opPull {
		stopping := model.TaskStatusRank(r.status) >= model.TaskStatusRank(model.TaskStopping)
		for _, x := range r.ctrs {
			switch {
			case x.image != c.image || x.phase != phaseNone:
			case res.reason == "":
				x.imageReady = true
			case !stopping:
				x.phase, x.reason = phaseStopped, res.reason
			}
		}
		if !slices.ContainsFunc(r.ctrs, func(x *ctr) bool { return x.op == opPull || x.phase == phaseNone && !x.imageReady }) {
			r.times.pullStopped = r.cfg.Now()
		}
		return
	}
	if res.id != "" && c.id == "" {
		c.id = res.id
		if res.op == opCreate && c.phase < phaseCreated {
			c.phase = phaseCreated // its create returned the id; nothing else to learn yet
		}
	}
	if res.st != nil {
		c.observe(*res.st)
	}
	if res.mac != "" {
		c.mac = res.mac
	}
	if res.started && res.st == nil && c.phase < phaseRunning {
		// Started, though its inspect failed: running until an event or
		// a refresh says more.
		c.phase, c.started, c.startedAt = phaseRunning, true, r.cfg.Now()
	}
	switch {
	case res.gone:
		c.phase = phaseStopped
	case res.reason != "" && c.phase != phaseStopped:
		c.phase, c.reason = phaseStopped, res.reason
	case res.op == opStop && res.err != nil && c.phase == phaseRunning:
		c.stopSent = false // try again
	}
}

// onEvent takes what an engine event says of one of the task's
// containers. The event itself says most of it (the action; the exit code
// on "die"; the health on "health_status"), so the container is inspected
// only when something is missing: a start the runner did not make (its
// ports and addresses), a die without an exit code or of a container never
// seen started, and an exit by SIGKILL (137) before any "oom" event, which
// may still be the OOM killer's (Docker 20.10's "die" does not say; the
// inspect's OOMKilled does).
func (r *Runner) onEvent(ctx context.Context, ev docker.ContainerEvent) {
	c := r.byID(ev.ID)
	if c == nil {
		// Its create is still in flight (the result brings the id), or it
		// is a duplicate of the same name a crash left: nothing to take.
		return
	}
	if ev.Action == "oom" {
		c.oom = true
		return
	}
	if c.phase == phaseStopped {
		return // a stopped container's state no longer changes
	}
	if c.op != opNone {
		// The operation inspects the container when it ends, after this
		// event; should that inspect fail, onResult takes the event then.
		c.missed = &ev
		return
	}
	switch ev.Action {
	case "health_status":
		if c.phase == phaseRunning {
			c.health = ev.Health
		}
		return
	case "start":
		if c.phase == phaseRunning { // the start operation's inspect told
			return
		}
	case "die":
		if code, ok := exitCodeOf(ev); ok && c.started && (code != sigkillExitCode || c.oom) {
			c.exited(code)
			return
		}
	}
	st, err := r.rt.InspectContainer(ctx, ev.ID)
	if err != nil {
		if docker.IsNotFound(err) {
			c.phase = phaseStopped // removed behind our back
		} else {
			r.log.Warn("runner: inspect after event", "event", ev.Action, "err", err)
		}
		return
	}
	c.observe(st)
}

// sigkillExitCode is the exit code of a process killed by SIGKILL, as the
// OOM killer does.
const sigkillExitCode = 137

// exitCodeOf is the exit code a "die" event carries in its attributes.
func exitCodeOf(ev docker.ContainerEvent) (int, bool) {
	code, err := strconv.Atoi(ev.Attributes["exitCode"])
	return code, err == nil
}

// refresh finds the task's containers on the engine and inspects them:
// at the start of Run (adoption) and whenever the event stream broke.
func (r *Runner) refresh(ctx context.Context) error {
	list, err := r.rt.ListContainers(ctx, map[string]string{LabelTaskARN: r.task.arn}, true)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range r.all() {
		id := c.id
		if id == "" { // adopt: the running one, else the newest
			var best *docker.ContainerSummary
			for i, s := range list {
				if s.Labels[LabelContainerName] != c.name {
					continue
				}
				if best == nil || preferred(s, *best) {
					best = &list[i]
				}
			}
			if best == nil {
				continue
			}
			id, c.dockerName, c.imageReady = best.ID, best.Name, true
		}
		st, err := r.rt.InspectContainer(ctx, id)
		if docker.IsNotFound(err) {
			if c.id != "" && c.phase != phaseStopped {
				c.phase = phaseStopped
			}
			continue
		}
		if err != nil {
			return err
		}
		seen[c.name] = true
		c.id = st.ID
		c.observe(st)
		if c == r.pause && c.phase == phaseRunning && c.mac == "" {
			c.mac = macOf(st)
		}
	}
	if len(seen) > 0 {
		r.log.Info("runner: found the task's containers", "count", len(seen))
	}
	return nil
}

// preferred tells whether to adopt a rather than b, two containers of the
// same name (a crash between creating and recording can leave two).
func preferred(a, b docker.ContainerSummary) bool {
	if (a.Status == "running") != (b.Status == "running") {
		return a.Status == "running"
	}
	return a.CreatedAt.After(b.CreatedAt)
}

// publish reports the status if it changed (and always the first time).
func (r *Runner) publish() {
	st := r.build()
	r.mu.Lock()
	changed := !r.reported || !reflect.DeepEqual(st, r.last)
	if changed {
		r.last, r.reported = st, true
	}
	r.mu.Unlock()
	if changed {
		r.report(st)
	}
}

func (r *Runner) specInput() specInput {
	in := specInput{names: map[string]string{}, bindIP: r.cfg.BindIP}
	for _, c := range r.ctrs {
		in.names[c.name] = c.dockerName
	}
	if r.pause != nil {
		in.pauseID = r.pause.id
	}
	return in
}

// all is every container of the task, the pause container first.
func (r *Runner) all() []*ctr {
	if r.pause == nil {
		return r.ctrs
	}
	return append([]*ctr{r.pause}, r.ctrs...)
}

func (r *Runner) byName(name string) *ctr {
	for _, c := range r.all() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (r *Runner) byID(id string) *ctr {
	for _, c := range r.all() {
		if c.id != "" && c.id == id {
			return c
		}
	}
	return nil
}

// Sleep waits d or until ctx ends; it reports whether ctx is still alive.
// The agent's own retry loops use it too.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func randomHex() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

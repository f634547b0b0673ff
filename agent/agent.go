package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/agent/runner"
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/runtime/docker"
)

// Config is how the agent is set up.
type Config struct {
	// Server is the control plane's base URL.
	Server string
	// DataDir keeps the agent's identity across restarts.
	DataDir string
	Runtime *docker.Runtime
	// BindIP is the host address published ports bind to (127.0.0.1).
	BindIP string
	// AutoJoin registers the host in every ACTIVE cluster of every region,
	// as `wharf up` does; otherwise only in Clusters.
	AutoJoin bool
	Clusters []string
	// CleanupAfter is how long a stopped task's containers are kept (for
	// `docker logs` and inspection) before they are removed.
	CleanupAfter time.Duration
	Version      string
	Log          *slog.Logger
	// AccessKeyID and SecretAccessKey sign the agent's AWS calls to the
	// control plane (RegisterContainerInstance, SubmitTaskStateChange) and
	// its first registration, which issues the agent's own secret.
	AccessKeyID, SecretAccessKey string
	// TLSPin is the DER certificate of an https Server, accepted exactly
	// (the embedded agent's server may hold a certificate for other names).
	TLSPin []byte
}

// Agent runs the tasks the control plane assigns to this host.
type Agent struct {
	cfg   Config
	id    *identity
	cl    *client
	rep   *reporter
	reg   *registrar // joins the clusters beside the poll loop (register.go)
	meta  *metadataServer
	ready atomic.Bool
	hooks []containerHook
	// api proxies containers' AWS calls to the control plane (apiproxy.go).
	api   *apiProxy
	logs  *logShipper
	creds *credentialsAgent // task role credentials (credentials.go)
	eng   *engine           // what the runners use (engine.go)

	// Starting and staying healthy (start.go).
	probe    dockerProbe
	health   health
	sleep    func(ctx context.Context, d time.Duration) bool
	dockerAt time.Time // the last Docker check; only Run's goroutine uses these two
	dockerOK bool

	mu    sync.Mutex
	tasks map[string]*taskRun // by task ARN
	// listedStrays: the task containers on the engine at start were
	// listed, so a task not in tasks has none (see startRunner).
	listedStrays bool
	dnsIP        string // wharf's DNS server for containers; see dns.go
	dnsAt        time.Time
}

// taskRun is one task's runner and its lifecycle on this host.
type taskRun struct {
	r        *runner.Runner
	assigned agentproto.Assignment
	cancel   context.CancelFunc
	done     chan struct{}
	version  int64
	goneAt   time.Time // when the task left the assignments
	adoptees bool      // found on the engine, not (or no longer) assigned
}

// New prepares an agent; Run starts it.
func New(cfg Config) (*Agent, error) {
	if cfg.BindIP == "" {
		cfg.BindIP = "127.0.0.1"
	}
	if cfg.CleanupAfter == 0 {
		cfg.CleanupAfter = 10 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	id, err := loadIdentity(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cl := &client{base: cfg.Server, http: &http.Client{Timeout: 60 * time.Second, Transport: pinnedTransport(cfg.TLSPin)},
		key: agentproto.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey}, secret: id.secret}
	a := &Agent{cfg: cfg, id: id, cl: cl, tasks: map[string]*taskRun{}, probe: cfg.Runtime, sleep: runner.Sleep}
	a.eng = newEngine(cfg.Runtime, id.NodeID, cfg.Log)
	a.rep = newReporter(cl, cfg.Log)
	a.reg = newRegistrar(a)
	if a.creds, err = newCredentialsAgent(a); err != nil {
		return nil, err
	}
	// The API endpoint first: every later hook wins over it.
	a.api = newAPIProxy(a)
	a.hooks = append(a.hooks, a.api.hook)
	for _, mk := range hookMakers {
		a.hooks = append(a.hooks, mk(a))
	}
	a.meta = newMetadataServer(cfg.Runtime, id.NodeID, a.lookup, cfg.Log)
	a.meta.tokenKey = id.TokenKey
	a.logs = newLogShipper(a)
	return a, nil
}

// NodeID is the agent's stable identity.
func (a *Agent) NodeID() string { return a.id.NodeID }

// Ready reports whether the agent has polled and synced its tasks once;
// registration in the clusters goes on in the background (register.go).
func (a *Agent) Ready() bool { return a.ready.Load() }

// Run serves until ctx ends. Until it can start (Docker out of reach, …)
// it retries with backoff and Health names the cause. Task containers keep
// running after it returns: the next Run adopts them.
func (a *Agent) Run(ctx context.Context) error {
	gw, err := a.start(ctx)
	if err != nil {
		return nil // ctx ended before the agent could start
	}
	var wg sync.WaitGroup
	wg.Go(func() { a.eng.hub.run(ctx) })
	wg.Go(func() { a.meta.serve(ctx) })
	wg.Go(func() { a.rep.run(ctx) })
	wg.Go(func() { a.logs.run(ctx) })
	wg.Go(func() { a.creds.run(ctx, gw) })
	wg.Go(func() { a.api.run(ctx, gw) })
	wg.Go(func() { a.reg.run(ctx) })
	wg.Go(func() { a.reportStats(ctx) })
	defer func() {
		a.stopRunners()
		wg.Wait()
	}()

	if err := a.adoptStrays(ctx); err != nil {
		a.cfg.Log.Warn("agent: could not list existing task containers", "err", err)
	} else {
		a.mu.Lock()
		a.listedStrays = true
		a.mu.Unlock()
	}
	var rev int64
	var polledAt time.Time
	backoff := time.Second
	for ctx.Err() == nil {
		if wait := pollPause(polledAt, time.Now()); wait > 0 && !a.sleep(ctx, wait) {
			break
		}
		polledAt = time.Now()
		err := a.ensureSecret(ctx)
		var resp *agentproto.PollResponse
		if err == nil {
			resp, err = a.cl.poll(ctx, agentproto.PollRequest{NodeID: a.id.NodeID, AfterRevision: rev, WaitSeconds: 20})
			a.forgetSecretOn(err)
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			a.health.set(fmt.Errorf("agent: cannot sync with the control plane: %w", err))
			a.cfg.Log.Warn("agent: control plane call failed; retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
			rev = 0
			continue
		}
		a.sync(ctx, resp)
		backoff = time.Second
		rev = resp.Revision
		if a.checkDocker(ctx) {
			a.health.set(nil)
		}
		a.ready.Store(true)
		a.cleanup(ctx)
	}
	return nil
}

// minPollGap is the least time between the starts of two polls. Every
// write of one of the host's tasks (the agent's own reports included)
// wakes its long poll, which answers with all the host's assignments, task
// definitions and all: in a burst of fifty tasks, polling again at once
// would have the control plane read and send all fifty some hundred times
// over, for CPU the burst's containers need. Waiting lets the changes of
// those few milliseconds come in one answer. A new task is seen at most
// minPollGap later, and only right after another change: in a burst, its
// create would wait for the start bound (engine.go) anyway.
const minPollGap = 100 * time.Millisecond

// pollPause is how long to wait before a poll, the previous one having
// been sent at last (zero: none yet).
func pollPause(last, now time.Time) time.Duration {
	if last.IsZero() {
		return 0
	}
	return max(minPollGap-now.Sub(last), 0)
}

// sync hands the clusters to serve to the registrar, which joins them in
// the background, and brings the task runners in line with the
// assignments at once: tasks wait for no registration.
func (a *Agent) sync(ctx context.Context, resp *agentproto.PollResponse) {
	want := resp.Clusters
	if !a.cfg.AutoJoin {
		want = a.cfg.Clusters
	}
	a.reg.setWant(want)
	a.refreshDNS(ctx)
	a.syncTasks(ctx, resp.Tasks)
}

// registration is what this host registers as in a cluster of region (the
// cluster and instance ARN left for the caller to fill).
func (a *Agent) registration(region string, info docker.Info) ecstypes.RegisterContainerInstanceRequest {
	return ecstypes.RegisterContainerInstanceRequest{
		TotalResources: []ecstypes.Resource{
			{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: int32(info.NCPU * 1024)},
			{Name: new("MEMORY"), Type: new("INTEGER"), IntegerValue: int32(info.MemTotal >> 20)},
			{Name: new("PORTS"), Type: new("STRINGSET"), StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}},
			{Name: new("PORTS_UDP"), Type: new("STRINGSET"), StringSetValue: []string{}},
		},
		VersionInfo: &ecstypes.VersionInfo{AgentVersion: new(a.cfg.Version), DockerVersion: new("DockerVersion: " + info.ServerVersion)},
		Attributes:  a.attributes(region),
	}
}

// attributes are what this host offers, named as the ECS agent names them,
// so task definitions' requiresAttributes and placement constraints match.
func (a *Agent) attributes(region string) []ecstypes.Attribute {
	arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[goruntime.GOARCH]
	kv := [][2]string{
		{agentproto.NodeAttribute, a.id.NodeID},
		{"ecs.os-type", "linux"},
		{"ecs.os-family", "LINUX"},
		{"ecs.cpu-architecture", arch},
		{"ecs.instance-type", "wharf.local"},
		{"ecs.availability-zone", region + "a"},
		{"ecs.capability.task-eni", ""},
		{"ecs.capability.container-health-check", ""},
		{"ecs.capability.container-ordering", ""},
		{"ecs.capability.execution-role-awslogs", ""},
		{"ecs.capability.secrets.ssm.environment-variables", ""},
		{"ecs.capability.secrets.asm.environment-variables", ""},
		{"com.amazonaws.ecs.capability.task-iam-role", ""},
		{"com.amazonaws.ecs.capability.logging-driver.awslogs", ""},
		{"com.amazonaws.ecs.capability.logging-driver.json-file", ""},
		{"com.amazonaws.ecs.capability.logging-driver.none", ""},
	}
	for v := 17; v <= 41; v++ {
		kv = append(kv, [2]string{"com.amazonaws.ecs.capability.docker-remote-api.1." + strconv.Itoa(v), ""})
	}
	if a.cfg.AutoJoin {
		kv = append(kv, [2]string{"wharf.auto-join", "true"})
	}
	out := make([]ecstypes.Attribute, 0, len(kv))
	for _, p := range kv {
		at := ecstypes.Attribute{Name: new(p[0])}
		if p[1] != "" {
			at.Value = new(p[1])
		}
		out = append(out, at)
	}
	return out
}

// syncTasks starts a runner for each new assignment, passes changes to the
// existing ones, and notes the tasks that left.
func (a *Agent) syncTasks(ctx context.Context, assigned []agentproto.Assignment) {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	for _, as := range assigned {
		as = withDNS(as, a.dnsIP)
		seen[as.TaskARN] = true
		if tr := a.tasks[as.TaskARN]; tr != nil && !tr.adoptees {
			if as.Version > tr.version {
				tr.version = as.Version
				tr.assigned = as
				tr.r.Update(as)
			}
			continue
		}
		a.startRunner(ctx, as)
	}
	now := time.Now()
	for arn, tr := range a.tasks {
		if seen[arn] || !tr.goneAt.IsZero() {
			continue
		}
		tr.goneAt = now
		select {
		case <-tr.done:
		default:
			// The control plane no longer wants it here: stop it.
			st := tr.r.Status()
			tr.r.Update(agentproto.Assignment{TaskARN: arn, ClusterARN: st.ClusterARN, DesiredStatus: "STOPPED",
				StopCode: ecstypes.TaskStopCodeTaskFailedToStart, StoppedReason: "Task is no longer assigned to this host", Version: tr.version + 1})
		}
	}
}

// startRunner runs one task; the caller holds a.mu.
func (a *Agent) startRunner(ctx context.Context, as agentproto.Assignment) {
	// A task this agent has not seen, once the engine's task containers
	// were listed at start, has no container yet: its runner need not look.
	isNew := a.listedStrays && a.tasks[as.TaskARN] == nil
	if old := a.tasks[as.TaskARN]; old != nil {
		// Containers found at start-up now have their assignment: the
		// runner adopts them.
		delete(a.tasks, as.TaskARN)
	}
	trace(as.TaskARN, "seen")
	rctx, cancel := context.WithCancel(ctx)
	r := runner.New(a.eng, runner.Config{
		BindIP:      a.cfg.BindIP,
		MetadataURI: a.meta.uri,
		ExtraEnv:    a.extraEnv,
		PullImage:   a.pullECR,
		Log:         a.cfg.Log,
		Labels:      map[string]string{agentproto.NodeAttribute: a.id.NodeID},
		New:         isNew,
	}, as, func(st agentproto.TaskStatus) { a.logs.observe(as, st); a.rep.put(st) })
	tr := &taskRun{r: r, assigned: as, cancel: cancel, done: make(chan struct{}), version: as.Version}
	a.tasks[as.TaskARN] = tr
	go func() {
		defer close(tr.done)
		if err := r.Run(rctx); err != nil && !errors.Is(err, context.Canceled) {
			a.cfg.Log.Error("agent: task runner failed", "task", as.TaskARN, "err", err)
		}
	}()
}

// lookup is a task's latest status and assignment, for the metadata endpoint.
func (a *Agent) lookup(taskARN string) (agentproto.TaskStatus, agentproto.Assignment, bool) {
	a.mu.Lock()
	tr := a.tasks[taskARN]
	var r *runner.Runner
	var as agentproto.Assignment
	if tr != nil {
		r, as = tr.r, tr.assigned
	}
	a.mu.Unlock()
	if r == nil {
		return agentproto.TaskStatus{}, agentproto.Assignment{}, false
	}
	return r.Status(), as, true
}

// stopRunners ends every runner's Run (their containers keep running) and
// waits for them.
func (a *Agent) stopRunners() {
	a.mu.Lock()
	trs := make([]*taskRun, 0, len(a.tasks))
	for _, tr := range a.tasks {
		trs = append(trs, tr)
	}
	a.mu.Unlock()
	for _, tr := range trs {
		if tr.cancel != nil {
			tr.cancel()
			<-tr.done
		}
	}
}

// adoptStrays notes this node's task containers on the engine from before
// this start; those that get no assignment are cleaned up like stopped
// tasks. Containers of other nodes sharing the engine are not touched.
func (a *Agent) adoptStrays(ctx context.Context) error {
	cs, err := a.cfg.Runtime.ListContainers(ctx, map[string]string{runner.LabelTaskARN: "", agentproto.NodeAttribute: a.id.NodeID}, true)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range cs {
		arn := c.Labels[runner.LabelTaskARN]
		if arn == "" || a.tasks[arn] != nil {
			continue
		}
		done := make(chan struct{})
		close(done)
		a.tasks[arn] = &taskRun{done: done, adoptees: true}
	}
	return nil
}

// cleanup removes the containers of tasks that left the assignments more
// than CleanupAfter ago, once their runner is done.
func (a *Agent) cleanup(ctx context.Context) {
	a.mu.Lock()
	var due []string
	for arn, tr := range a.tasks {
		if tr.goneAt.IsZero() || time.Since(tr.goneAt) < a.cfg.CleanupAfter {
			continue
		}
		select {
		case <-tr.done:
			due = append(due, arn)
			delete(a.tasks, arn)
		default:
		}
	}
	a.mu.Unlock()
	for _, arn := range due {
		if err := runner.Cleanup(ctx, a.cfg.Runtime, arn); err != nil {
			a.cfg.Log.Warn("agent: cleanup failed", "task", arn, "err", err)
		}
	}
}

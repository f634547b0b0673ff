package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/runtime/docker"
)

// The awslogs log driver, done by wharf rather than by Docker: containers
// keep the engine's json-file driver, and the agent reads their output
// through the engine and ships it to CloudWatch Logs like any Logs client
// (CreateLogStream, PutLogEvents over HTTP to the control plane).
//
//	runner ──status (RuntimeId)──▶ observe ──▶ one shipper per container
//	                                             │ docker logs --follow --since checkpoint
//	                                             │ batch: 10,000 events / 1 MiB / 1 s
//	                                             ▼
//	                                       PutLogEvents ──▶ checkpoint (data dir)
//
// Before a container is created, a hook checks (and with
// awslogs-create-group, creates) the log group and creates the stream, so
// that a missing group fails the task as ECS does. Each container's
// checkpoint says what was shipped, so a restarted agent resumes where it
// stopped: nothing lost, nothing sent twice.

// Log driver options, as ECS names them.
const (
	optGroup        = "awslogs-group"
	optRegion       = "awslogs-region"
	optStreamPrefix = "awslogs-stream-prefix"
	optCreateGroup  = "awslogs-create-group"
)

// reasonNoLogGroup is what ECS (Fargate platform 1.4) reports, after
// "ResourceInitializationError: ", when a task's awslogs group is missing.
const reasonNoLogGroup = "failed to validate logger args: create stream has been retried 1 times: " +
	"failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"

// awslogsConfig is where one container's output goes.
type awslogsConfig struct {
	group, region, stream string
	createGroup           bool
}

// awslogsFor reads container's awslogs options from as. The stream is
// PREFIX/CONTAINER/TASK_ID as ECS names it, or the container id without a
// prefix (empty while the container does not exist yet).
func awslogsFor(as agentproto.Assignment, container, containerID string) (awslogsConfig, bool) {
	for _, c := range as.Definition.ContainerDefinitions {
		if c.Name == nil || *c.Name != container {
			continue
		}
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
			return awslogsConfig{}, false
		}
		cfg := awslogsConfig{group: lc.Options[optGroup], region: lc.Options[optRegion],
			createGroup: strings.EqualFold(lc.Options[optCreateGroup], "true"), stream: containerID}
		if cfg.region == "" {
			cfg.region = regionOf(as.TaskARN)
		}
		if p := lc.Options[optStreamPrefix]; p != "" {
			cfg.stream = p + "/" + container + "/" + taskID(as.TaskARN)
		}
		return cfg, true
	}
	return awslogsConfig{}, false
}

// taskID is the last part of a task ARN.
func taskID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func init() {
	hookMakers = append(hookMakers, func(a *Agent) containerHook { return a.awslogsHook })
}

// awslogsHook prepares an awslogs container's group and stream before it is
// created; it adds no environment.
func (a *Agent) awslogsHook(ctx context.Context, as agentproto.Assignment, container string) (map[string]string, error) {
	cfg, ok := awslogsFor(as, container, "")
	if !ok {
		return nil, nil
	}
	if cfg.group == "" {
		return nil, fmt.Errorf("failed to initialize logging driver: must specify a value for log opt '%s'", optGroup)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The execution role is what writes awslogs (the agent's own key when
	// the task has none, as an instance role would): a role without the
	// logs permissions fails the task here, as in ECS.
	cred, err := a.creds.executionCredentials(ctx, as)
	if err != nil {
		return nil, fmt.Errorf("failed to validate logger args: unable to retrieve execution role credentials: %w", err)
	}
	err = a.logsStreamAs(ctx, cred, cfg)
	if isCode(err, "ResourceNotFoundException") {
		return nil, errors.New(reasonNoLogGroup)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to validate logger args: create stream for log group %s: %w", cfg.group, err)
	}
	return nil, nil
}

// logsStream makes sure cfg's stream exists (and its group, with
// awslogs-create-group). Without a stream name (no prefix, container not
// created yet) it only checks the group.
func (a *Agent) logsStream(ctx context.Context, cfg awslogsConfig) error {
	return a.logsStreamAs(ctx, a.cl.key, cfg)
}

// logsStreamAs is logsStream signed with cred.
func (a *Agent) logsStreamAs(ctx context.Context, cred agentproto.Credentials, cfg awslogsConfig) error {
	call := func(op string, in any) error {
		return a.cl.callAs(ctx, cred, cfg.region, logstypes.SigningName, logstypes.ServiceTarget, op, in, nil)
	}
	if cfg.createGroup {
		err := call("CreateLogGroup", logstypes.CreateLogGroupRequest{LogGroupName: new(cfg.group)})
		if err != nil && !isCode(err, "ResourceAlreadyExistsException") {
			return err
		}
	}
	if cfg.stream == "" {
		return call("DescribeLogStreams", logstypes.DescribeLogStreamsRequest{LogGroupName: new(cfg.group), Limit: new(int32(1))})
	}
	err := call("CreateLogStream", logstypes.CreateLogStreamRequest{LogGroupName: new(cfg.group), LogStreamName: new(cfg.stream)})
	if isCode(err, "ResourceAlreadyExistsException") {
		return nil
	}
	return err
}

// logsCall calls a CloudWatch Logs operation in region.
func (a *Agent) logsCall(ctx context.Context, region, op string, in, out any) error {
	return a.cl.call(ctx, region, logstypes.SigningName, logstypes.ServiceTarget, op, in, out)
}

// isCode reports whether err is a control plane answer with AWS code.
func isCode(err error, code string) bool {
	var ce *CallError
	return errors.As(err, &ce) && ce.Code() == code
}

// logShipper runs one shipper per awslogs container, for the agent's Run.
type logShipper struct {
	a   *Agent
	dir string // checkpoints, one file per container

	mu      sync.Mutex
	seen    map[string]bool // containers with a shipper started (by engine id)
	pending []shipment
	wake    chan struct{}
}

// shipment is one container to ship.
type shipment struct {
	id   string // engine container id
	task string
	cfg  awslogsConfig
}

func newLogShipper(a *Agent) *logShipper {
	return &logShipper{a: a, dir: filepath.Join(a.cfg.DataDir, "logs"), seen: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// observe is told every status a runner reports; it starts shipping each
// awslogs container as soon as it exists. It never blocks.
func (l *logShipper) observe(as agentproto.Assignment, st agentproto.TaskStatus) {
	var add []shipment
	for _, c := range st.Containers {
		if c.Name == nil || c.RuntimeId == nil || *c.RuntimeId == "" {
			continue
		}
		cfg, ok := awslogsFor(as, *c.Name, *c.RuntimeId)
		if !ok || cfg.group == "" {
			continue
		}
		add = append(add, shipment{id: *c.RuntimeId, task: as.TaskARN, cfg: cfg})
	}
	if len(add) == 0 {
		return
	}
	l.mu.Lock()
	n := 0
	for _, s := range add {
		if !l.seen[s.id] {
			l.seen[s.id] = true
			l.pending = append(l.pending, s)
			n++
		}
	}
	l.mu.Unlock()
	if n > 0 {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// run starts shippers as containers are observed, until ctx ends, and
// waits for them. Every so often it forgets the checkpoints of containers
// the engine no longer has.
func (l *logShipper) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	active := map[string]bool{}
	var amu sync.Mutex
	gc := time.NewTicker(10 * time.Minute)
	defer gc.Stop()
	l.forgetGone(ctx, nil)
	for {
		select {
		case <-ctx.Done():
			return
		case <-gc.C:
			amu.Lock()
			busy := make(map[string]bool, len(active))
			for id := range active {
				busy[id] = true
			}
			amu.Unlock()
			l.forgetGone(ctx, busy)
		case <-l.wake:
		}
		l.mu.Lock()
		todo := l.pending
		l.pending = nil
		l.mu.Unlock()
		for _, s := range todo {
			amu.Lock()
			active[s.id] = true
			amu.Unlock()
			wg.Go(func() {
				defer func() {
					amu.Lock()
					delete(active, s.id)
					amu.Unlock()
				}()
				l.ship(ctx, s)
			})
		}
	}
}

// forgetGone removes the checkpoints (and the seen marks) of containers
// that no longer exist, except busy ones.
func (l *logShipper) forgetGone(ctx context.Context, busy map[string]bool) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return // none yet
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || busy[id] {
			continue
		}
		if _, err := l.a.cfg.Runtime.InspectContainer(ctx, id); !docker.IsNotFound(err) {
			continue
		}
		if err := os.Remove(filepath.Join(l.dir, e.Name())); err != nil {
			l.a.cfg.Log.Warn("agent: logs: remove checkpoint", "container", id, "err", err)
			continue
		}
		l.mu.Lock()
		delete(l.seen, id)
		l.mu.Unlock()
	}
}

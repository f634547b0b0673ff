package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/runtime/docker"
)

// ctr is the Run loop's record of one container (or the pause container,
// whose def is nil).
type ctr struct {
	def        *containerDef
	name       string
	image      string
	dockerName string
	id         string

	phase      phase
	op         op
	imageReady bool
	started    bool
	startedAt  time.Time
	exitCode   *int
	reason     string
	health     string
	stopSent   bool
	oom        bool // an "oom" event came
	// missed is the last event that came while an operation was in
	// flight; it counts only if the operation could not inspect.
	missed  *docker.ContainerEvent
	imageID string
	ports   []docker.PublishedPort
	ip, mac string // on Docker's default bridge (the pause container's)
}

// observe records what the engine says of the container. A container's
// phase only moves forward: a container seen STOPPED stays STOPPED.
func (c *ctr) observe(st docker.ContainerState) {
	if c.phase == phaseStopped {
		return
	}
	c.imageID = st.ImageID
	if !st.StartedAt.IsZero() {
		c.started, c.startedAt = true, st.StartedAt
	}
	switch st.Status {
	case "running", "paused", "restarting":
		c.phase, c.started = phaseRunning, true
		c.health, c.ports = st.Health, st.Ports
		if ip := st.Networks["bridge"]; ip != "" {
			c.ip = ip
		}
	case "created":
		if st.Error != "" { // a start that failed, seen by an adopting runner
			c.phase, c.reason = phaseStopped, reasonCannotStart+st.Error
		} else if c.phase < phaseCreated {
			c.phase = phaseCreated
		}
	default: // exited, dead, removing
		c.oom = c.oom || st.OOMKilled
		c.exited(st.ExitCode)
		if !c.started && st.Error != "" && !c.oom {
			c.reason = reasonCannotStart + st.Error
		}
	}
}

// exited records that the container stopped with code.
func (c *ctr) exited(code int) {
	c.phase, c.exitCode = phaseStopped, &code
	if c.oom {
		c.reason = reasonOOM
	}
}

func (c *ctr) cview() cview {
	v := cview{
		Name: c.name, Image: c.image, Phase: c.phase, Op: c.op, ImageReady: c.imageReady,
		Started: c.started, StartedAt: c.startedAt, ExitCode: c.exitCode,
		Health: c.health, StopSent: c.stopSent, Reason: c.reason,
	}
	if d := c.def; d != nil {
		v.Essential, v.DependsOn, v.StartTimeout = d.essential, d.deps, d.startTimeout
		v.HealthCheck = d.HealthCheck != nil && len(d.HealthCheck.Command) > 0 && d.HealthCheck.Command[0] != "NONE"
	}
	return v
}

// result is what an operation reports back to the Run loop.
type result struct {
	name   string
	op     op
	id     string                 // a container the operation created
	st     *docker.ContainerState // the container after the operation
	reason string                 // ECS's reason when it failed
	err    error                  // the failure, for the log
	gone   bool                   // the container no longer exists
	// started: the engine said the start worked (even if st is missing).
	started bool
	mac     string // the pause container's
}

func failed(reason string, err error) result {
	return result{reason: reason + engineMessage(err), err: err}
}

// engineMessage is the engine's own words: runtime/docker wraps them as
// "docker: <what>: <engine message>".
func engineMessage(err error) string {
	if inner := errors.Unwrap(err); inner != nil {
		return inner.Error()
	}
	return err.Error()
}

func (r *Runner) pullOp(ctx context.Context, a agentproto.Assignment, image string) result {
	if r.cfg.PullImage != nil {
		if handled, err := r.cfg.PullImage(ctx, a, image); handled {
			if err != nil {
				return result{reason: reasonCannotPull + err.Error(), err: err}
			}
			return result{}
		}
	}
	err := r.rt.EnsureImage(ctx, image, false)
	var pe *docker.PullError
	switch {
	case err == nil:
		return result{}
	case errors.As(err, &pe):
		return result{reason: pe.Error(), err: err}
	}
	return failed(reasonCannotPull, err)
}

// createOp completes the environment, makes the volumes the container
// mounts and creates it.
func (r *Runner) createOp(ctx context.Context, a agentproto.Assignment, name string, spec docker.ContainerSpec, needs []volumeNeed, specErr error) result {
	if specErr != nil {
		return result{reason: reasonCannotCreate + specErr.Error(), err: specErr}
	}
	if r.cfg.MetadataURI != nil {
		if uri := r.cfg.MetadataURI(a.TaskARN, name); uri != "" {
			spec.Env["ECS_CONTAINER_METADATA_URI_V4"] = uri
			spec.Env["ECS_CONTAINER_METADATA_URI"] = uri
		}
	}
	if r.cfg.ExtraEnv != nil {
		extra, err := r.cfg.ExtraEnv(ctx, a, name)
		if err != nil {
			return result{reason: reasonResourceInit + err.Error(), err: err}
		}
		maps.Copy(spec.Env, extra)
	}
	for _, v := range needs {
		if v.mustExist {
			ok, err := r.rt.VolumeExists(ctx, v.spec.Name)
			if err == nil && !ok {
				err = fmt.Errorf("docker: volume %s: %w", v.spec.Name, fmt.Errorf("no such volume: %s", v.spec.Name))
			}
			if err != nil {
				return failed(reasonCannotCreate, err)
			}
			continue
		}
		if err := r.rt.CreateVolume(ctx, v.spec); err != nil {
			return failed(reasonCannotCreate, err)
		}
	}
	id, err := r.rt.CreateContainer(ctx, spec)
	if err != nil {
		return failed(reasonCannotCreate, err)
	}
	return result{id: id} // created: the engine's answer says all there is to know
}

// startOp starts the container and inspects it once, for what only an
// inspect tells: its published ports, addresses, image and start time (or
// the engine's error, if the start failed).
//
// Should the inspect keep failing after a start that worked, the result
// still says the container started: it is never started twice (one that
// exited at once would run again), and its "die" event tells its exit.
func (r *Runner) startOp(ctx context.Context, id string) result {
	startErr := r.rt.StartContainer(ctx, id)
	res := result{started: startErr == nil}
	if startErr != nil {
		res = failed(reasonCannotStart, startErr)
	}
	for attempt := 1; ; attempt++ {
		st, err := r.rt.InspectContainer(ctx, id)
		switch {
		case err == nil:
			res.st = &st
			return res
		case docker.IsNotFound(err):
			res.gone = true
			return res
		}
		if attempt == 3 || !Sleep(ctx, 100*time.Millisecond) {
			if res.err == nil {
				res.err = err
			}
			return res
		}
	}
}

// stopOp stops the container (SIGTERM, SIGKILL after timeout), trying
// again a few times if the engine fails, and inspects it.
func (r *Runner) stopOp(ctx context.Context, id string, timeout time.Duration) result {
	var res result
	for attempt := 1; ; attempt++ {
		err := r.rt.StopContainer(ctx, id, timeout)
		if err == nil || docker.IsNotFound(err) {
			res.err = nil
			break
		}
		res.err = err
		if attempt == 3 || !Sleep(ctx, time.Second) {
			break
		}
	}
	st, err := r.rt.InspectContainer(ctx, id)
	switch {
	case err == nil:
		res.st = &st
	case docker.IsNotFound(err):
		res.gone = true
	}
	return res
}

// provisionOp sets up the awsvpc task's network: the pause container,
// created (unless adopted), started, and its bridge address learnt.
func (r *Runner) provisionOp(ctx context.Context, id string, spec docker.ContainerSpec) result {
	res := result{}
	if id == "" {
		ref, err := ensurePauseImage(ctx, r.rt)
		if err != nil {
			return failed(reasonResourceInit, err)
		}
		spec.Image = ref
		if id, err = r.rt.CreateContainer(ctx, spec); err != nil {
			return failed(reasonResourceInit, err)
		}
		res.id = id
	}
	if err := r.rt.StartContainer(ctx, id); err != nil {
		f := failed(reasonResourceInit, err)
		f.id = res.id
		return f
	}
	st, err := r.rt.InspectContainer(ctx, id)
	if err != nil {
		f := failed(reasonResourceInit, err)
		f.id = res.id
		return f
	}
	res.st = &st
	ip := st.Networks["bridge"]
	if ip == "" && st.Running {
		res.reason = reasonResourceInit + "the pause container has no address on Docker's default bridge"
		return res
	}
	res.mac = macOf(st)
	return res
}

// macOf is the container's MAC address on the default bridge as the
// engine reports it; failing that, the one Docker derives from the IP
// address (02:42 and the four bytes).
func macOf(st docker.ContainerState) string {
	if mac := st.MACs["bridge"]; mac != "" {
		return mac
	}
	if v4 := net.ParseIP(st.Networks["bridge"]).To4(); v4 != nil {
		return fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", v4[0], v4[1], v4[2], v4[3])
	}
	return ""
}

package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// Labels carried by every container (and task-scoped volume) the runner
// creates, as the ECS agent sets them. The agent finds a task's containers
// again by LabelTaskARN.
const (
	LabelTaskARN       = "com.amazonaws.ecs.task-arn"
	LabelCluster       = "com.amazonaws.ecs.cluster"
	LabelContainerName = "com.amazonaws.ecs.container-name"
	LabelFamily        = "com.amazonaws.ecs.task-definition-family"
	LabelVersion       = "com.amazonaws.ecs.task-definition-version"
)

// PauseContainerName is the container-name label of an awsvpc task's pause
// container, as the ECS agent names it.
const PauseContainerName = "~internal~ecs~pause"

// Health check timings ECS fills in when a definition leaves them out.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// minCPUShares is the least CPU weight the kernel accepts; ECS gives it to
// containers with cpu 0.
const minCPUShares = 2

// task is an assignment resolved once, when the runner is made: the
// definition with the overrides applied. It is never modified afterwards,
// so operations running on other goroutines may read it.
type task struct {
	arn, clusterARN, cluster string
	family                   string
	revision                 int32
	region                   string
	mode                     ecstypes.NetworkMode // bridge, host, none or awsvpc
	memory                   int                  // task-level MiB; 0 = none
	cpu                      int                  // task-level units; 0 = none
	subnet                   string
	containers               []*containerDef
	volumes                  map[string]ecstypes.Volume
	extraLabels              map[string]string // Config.Labels
}

// containerDef is one container definition with its overrides applied.
type containerDef struct {
	ecstypes.ContainerDefinition
	name         string
	essential    bool
	deps         []dependency // dependsOn, plus START for links and volumesFrom
	stopTimeout  time.Duration
	startTimeout time.Duration
}

// resolve builds the task from an assignment; defaultStop is the stop
// timeout of containers without their own, labels go on everything made.
func resolve(a agentproto.Assignment, defaultStop time.Duration, labels map[string]string) *task {
	d := a.Definition
	t := &task{
		arn:         a.TaskARN,
		clusterARN:  a.ClusterARN,
		cluster:     model.ClusterName(a.ClusterARN),
		family:      shape.Deref(d.Family),
		revision:    d.Revision,
		mode:        d.NetworkMode,
		subnet:      "subnet-wharf",
		volumes:     map[string]ecstypes.Volume{},
		extraLabels: maps.Clone(labels),
	}
	if t.family == "" { // family and revision from the definition's ARN
		if ref, ok := model.ParseTaskDefRef(shape.Deref(d.TaskDefinitionArn)); ok {
			t.family, t.revision = ref.Family, ref.Revision
		}
	}
	for _, ref := range []string{a.ClusterARN, a.TaskARN} {
		if arn, ok := model.ParseARN(ref); ok && t.region == "" {
			t.region = arn.Region
		}
	}
	if t.mode == "" {
		t.mode = ecstypes.NetworkModeBridge
	}
	if a.LaunchType == ecstypes.LaunchTypeFargate {
		t.mode = ecstypes.NetworkModeAwsvpc
	}
	if a.Network != nil && a.Network.AwsvpcConfiguration != nil && len(a.Network.AwsvpcConfiguration.Subnets) > 0 {
		t.subnet = a.Network.AwsvpcConfiguration.Subnets[0]
	}
	ov := a.Overrides
	if ov == nil {
		ov = &ecstypes.TaskOverride{}
	}
	t.memory = parseSize(ov.Memory, d.Memory, model.ParseTaskMemory)
	t.cpu = parseSize(ov.Cpu, d.Cpu, model.ParseTaskCPU)
	for _, v := range d.Volumes {
		t.volumes[shape.Deref(v.Name)] = v
	}
	for _, cd := range d.ContainerDefinitions {
		c := &containerDef{ContainerDefinition: cd, name: shape.Deref(cd.Name), essential: cd.Essential == nil || *cd.Essential}
		for _, co := range ov.ContainerOverrides {
			if shape.Deref(co.Name) == c.name {
				c.applyOverride(co)
			}
		}
		c.stopTimeout = defaultStop
		if cd.StopTimeout != nil {
			c.stopTimeout = time.Duration(*cd.StopTimeout) * time.Second
		}
		if cd.StartTimeout != nil {
			c.startTimeout = time.Duration(*cd.StartTimeout) * time.Second
		}
		for _, dep := range cd.DependsOn {
			c.deps = append(c.deps, dependency{Container: shape.Deref(dep.ContainerName), Condition: dep.Condition})
		}
		for _, l := range cd.Links {
			target, _, _ := strings.Cut(l, ":")
			c.deps = append(c.deps, dependency{Container: target, Condition: ecstypes.ContainerConditionStart})
		}
		for _, vf := range cd.VolumesFrom {
			c.deps = append(c.deps, dependency{Container: shape.Deref(vf.SourceContainer), Condition: ecstypes.ContainerConditionStart})
		}
		t.containers = append(t.containers, c)
	}
	return t
}

func parseSize(override, def *string, parse func(string) (int, error)) int {
	for _, s := range []*string{override, def} {
		if s != nil {
			if n, err := parse(*s); err == nil {
				return n
			}
		}
	}
	return 0
}

// applyOverride applies a RunTask container override: command replaces,
// environment entries are added or replace those of the same name.
func (c *containerDef) applyOverride(o ecstypes.ContainerOverride) {
	if o.Command != nil {
		c.Command = o.Command
	}
	if len(o.Environment) > 0 {
		env := append([]ecstypes.KeyValuePair(nil), c.Environment...)
		for _, kv := range o.Environment {
			replaced := false
			for i := range env {
				if shape.Deref(env[i].Name) == shape.Deref(kv.Name) {
					env[i], replaced = kv, true
				}
			}
			if !replaced {
				env = append(env, kv)
			}
		}
		c.Environment = env
	}
	if o.Cpu != nil {
		c.Cpu = *o.Cpu
	}
	if o.Memory != nil {
		c.Memory = o.Memory
	}
	if o.MemoryReservation != nil {
		c.MemoryReservation = o.MemoryReservation
	}
}

func (t *task) awsvpc() bool { return t.mode == ecstypes.NetworkModeAwsvpc }

func (t *task) container(name string) *containerDef {
	for _, c := range t.containers {
		if c.name == name {
			return c
		}
	}
	return nil
}

// labels are the ECS agent's labels for one of the task's containers.
func (t *task) labels(container string) map[string]string {
	l := maps.Clone(t.extraLabels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, map[string]string{
		LabelTaskARN:       t.arn,
		LabelCluster:       t.cluster,
		LabelContainerName: container,
		LabelFamily:        t.family,
		LabelVersion:       strconv.Itoa(int(t.revision)),
	})
	return l
}

// dockerName names a container as the ECS agent does:
// ecs-FAMILY-REV-CONTAINER-<20 hex digits>.
func (t *task) dockerName(container, suffix string) string {
	if container == PauseContainerName {
		container = "internalecspause"
	}
	return fmt.Sprintf("ecs-%s-%d-%s-%s", t.family, t.revision, container, suffix)
}

// taskVolumeName is the Docker volume of a task-scoped volume: the same
// for every runner of the task, so an adopting runner finds it again.
func (t *task) taskVolumeName(volume string) string {
	sum := sha256.Sum256([]byte(t.arn))
	return fmt.Sprintf("ecs-%s-%d-%s-%s", t.family, t.revision, volume, hex.EncodeToString(sum[:8]))
}

// baseEnv is the container's environment before the agent's additions:
// the definition's (with overrides) and the region ECS sets.
func (t *task) baseEnv(c *containerDef) map[string]string {
	env := map[string]string{}
	for _, kv := range c.Environment {
		env[shape.Deref(kv.Name)] = shape.Deref(kv.Value)
	}
	if t.region != "" {
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			if _, set := env[k]; !set {
				env[k] = t.region
			}
		}
	}
	return env
}

// hostPortsOf gives a port mapping's host port: ephemeral unless the
// definition fixes it (bridge mode only; awsvpc publishes through the pause
// container on ephemeral ports, host mode publishes nothing).
func hostPortOf(pm ecstypes.PortMapping) int {
	if pm.HostPort != nil {
		return int(*pm.HostPort)
	}
	return 0
}

func protocolOf(pm ecstypes.PortMapping) string {
	if pm.Protocol == "" {
		return "tcp"
	}
	return string(pm.Protocol)
}

// shortHash is a short, stable hex digest of s.
func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// Violation is a task definition that ECS would refuse, with ECS's message.
// The API layer reports it as a ClientException.
type Violation struct{ Message string }

func (v *Violation) Error() string { return v.Message }

func violation(format string, args ...any) error {
	return &Violation{Message: fmt.Sprintf(format, args...)}
}

// Health check defaults that ECS fills in and reports back.
const (
	HealthCheckInterval = 30
	HealthCheckTimeout  = 5
	HealthCheckRetries  = 3
)

// MaxContainers is ECS's limit of containers in one task definition.
const MaxContainers = 10

// NewTaskDefinition checks a RegisterTaskDefinition request against ECS's
// rules and returns the task definition as ECS stores and reports it:
// defaults filled in (essential, protocol, host ports where the network mode
// fixes them, health check timings), task cpu and memory in units and MiB,
// and the computed compatibilities and required attributes. The caller sets
// the ARN, revision, status and registration stamps.
func NewTaskDefinition(in *ecstypes.RegisterTaskDefinitionRequest) (ecstypes.TaskDefinition, error) {
	td := ecstypes.TaskDefinition{
		Family:                  in.Family,
		TaskRoleArn:             in.TaskRoleArn,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		NetworkMode:             in.NetworkMode,
		Volumes:                 shape.OrEmpty(in.Volumes),
		PlacementConstraints:    shape.OrEmpty(in.PlacementConstraints),
		RequiresCompatibilities: in.RequiresCompatibilities,
		PidMode:                 in.PidMode,
		IpcMode:                 in.IpcMode,
		ProxyConfiguration:      in.ProxyConfiguration,
		InferenceAccelerators:   in.InferenceAccelerators,
		EphemeralStorage:        in.EphemeralStorage,
		RuntimePlatform:         in.RuntimePlatform,
		EnableFaultInjection:    in.EnableFaultInjection,

		TrustedExecutionConfiguration: in.TrustedExecutionConfiguration,
	}
	family := shape.Deref(in.Family)
	if !ValidName(family) {
		return td, violation("Invalid family %q: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.", family)
	}
	fargate := slices.Contains(in.RequiresCompatibilities, ecstypes.CompatibilityFargate)
	ec2 := len(in.RequiresCompatibilities) == 0 || slices.Contains(in.RequiresCompatibilities, ecstypes.CompatibilityEc2) ||
		slices.Contains(in.RequiresCompatibilities, ecstypes.CompatibilityExternal)

	taskCPU, taskMem, err := taskSize(in, &td)
	if err != nil {
		return td, err
	}
	if fargate {
		if err := checkFargate(in, taskCPU, taskMem); err != nil {
			return td, err
		}
	}
	if err := checkVolumes(in.Volumes, fargate); err != nil {
		return td, err
	}
	if err := checkSecretsRole(in); err != nil {
		return td, err
	}
	containers, err := normalizeContainers(in, ec2, taskMem > 0)
	if err != nil {
		return td, err
	}
	td.ContainerDefinitions = containers
	if err := checkTaskTotals(containers, taskCPU, taskMem); err != nil {
		return td, err
	}
	td.Compatibilities = compatibilities(in, taskCPU, taskMem)
	td.RequiresAttributes = requiredAttributes(&td)
	return td, nil
}

// checkSecretsRole refuses secrets without an execution role: the
// execution role is what fetches them, on every launch type, and ECS
// refuses such a task definition at registration (ClientException) rather
// than failing its tasks later.
func checkSecretsRole(in *ecstypes.RegisterTaskDefinitionRequest) error {
	if shape.Deref(in.ExecutionRoleArn) != "" {
		return nil
	}
	for _, c := range in.ContainerDefinitions {
		if len(c.Secrets) > 0 {
			return violation("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.")
		}
	}
	return nil
}

// troubleshooting ends ECS's refusals of a task size.
const troubleshooting = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."

// taskSize parses the task-level cpu and memory and writes them back in
// ECS's canonical form ("1 vCPU" is stored as "1024").
func taskSize(in *ecstypes.RegisterTaskDefinitionRequest, td *ecstypes.TaskDefinition) (cpu, mem int, err error) {
	if in.Cpu != nil {
		if cpu, err = ParseTaskCPU(*in.Cpu); err != nil {
			return 0, 0, violation("Invalid 'cpu' setting for task. %s", troubleshooting)
		}
		td.Cpu = new(strconv.Itoa(cpu))
	}
	if in.Memory != nil {
		if mem, err = ParseTaskMemory(*in.Memory); err != nil {
			return 0, 0, violation("Invalid 'memory' setting for task. %s", troubleshooting)
		}
		td.Memory = new(strconv.Itoa(mem))
	}
	return cpu, mem, nil
}

func checkFargate(in *ecstypes.RegisterTaskDefinitionRequest, cpu, mem int) error {
	if in.NetworkMode != ecstypes.NetworkModeAwsvpc {
		return violation("Fargate only supports network mode 'awsvpc'.")
	}
	if cpu == 0 {
		return violation("Fargate requires that 'cpu' be defined at the task level.")
	}
	if mem == 0 {
		return violation("Fargate requires that 'memory' be defined at the task level.")
	}
	if !FargateSizeValid(cpu, mem) {
		return violation("No Fargate configuration exists for given values: %d CPU, %d memory. See the Amazon ECS documentation for the valid values.", cpu, mem)
	}
	// Fargate shares a PID namespace within the task only, and no IPC
	// namespace at all; ECS refuses both at registration.
	if in.PidMode != "" && in.PidMode != ecstypes.PidModeTask {
		return violation("Tasks using the Fargate launch type do not support pidMode '%s'. The supported value for pidMode is 'task'.", in.PidMode)
	}
	if in.IpcMode != "" {
		return violation("Tasks using the Fargate launch type do not support ipcMode.")
	}
	for _, c := range in.ContainerDefinitions {
		name := shape.Deref(c.Name)
		if shape.Deref(c.Privileged) {
			return violation("Invalid setting for container '%s'. Privileged mode is not supported on Fargate.", name)
		}
		if c.StopTimeout != nil && *c.StopTimeout > 120 {
			return violation("Invalid setting for container '%s'. 'stopTimeout' can be at most 120 seconds on Fargate.", name)
		}
		if c.LogConfiguration != nil && c.LogConfiguration.LogDriver == ecstypes.LogDriverAwslogs && shape.Deref(in.ExecutionRoleArn) == "" {
			return violation("Fargate requires task definition to have execution role ARN to support log driver awslogs.")
		}
	}
	return nil
}

func checkVolumes(volumes []ecstypes.Volume, fargate bool) error {
	seen := map[string]bool{}
	for _, v := range volumes {
		name := shape.Deref(v.Name)
		if !ValidName(name) {
			return violation("Invalid volume name %q: up to 255 letters, numbers, hyphens, and underscores are allowed.", name)
		}
		if seen[name] {
			return violation("Duplicate volume name %q: volume names must be unique within a task definition.", name)
		}
		seen[name] = true
		if fargate && v.Host != nil && v.Host.SourcePath != nil {
			return violation("Invalid volume %q: host.sourcePath is not supported on Fargate.", name)
		}
		if fargate && v.DockerVolumeConfiguration != nil {
			return violation("Invalid volume %q: dockerVolumeConfiguration is not supported on Fargate.", name)
		}
	}
	return nil
}

func checkTaskTotals(cs []ecstypes.ContainerDefinition, taskCPU, taskMem int) error {
	var cpu, mem int
	for _, c := range cs {
		if taskMem > 0 && c.Memory != nil && int(*c.Memory) > taskMem {
			return violation("The 'memory' setting for container '%s' is greater than for the task.", shape.Deref(c.Name))
		}
		cpu += int(c.Cpu)
		switch {
		case c.Memory != nil:
			mem += int(*c.Memory)
		case c.MemoryReservation != nil:
			mem += int(*c.MemoryReservation)
		}
	}
	if taskCPU > 0 && cpu > taskCPU {
		return violation("The sum of the containers' 'cpu' (%d) is more than the task's cpu (%d).", cpu, taskCPU)
	}
	if taskMem > 0 && mem > taskMem {
		return violation("The sum of the containers' memory (%d MiB) is more than the task's memory (%d MiB).", mem, taskMem)
	}
	return nil
}

// compatibilities are the launch types the task definition can run on.
func compatibilities(in *ecstypes.RegisterTaskDefinitionRequest, cpu, mem int) []ecstypes.Compatibility {
	out := []ecstypes.Compatibility{ecstypes.CompatibilityEc2}
	if in.NetworkMode != ecstypes.NetworkModeAwsvpc {
		out = append([]ecstypes.Compatibility{ecstypes.CompatibilityExternal}, out...)
	}
	fargateNamespaces := (in.PidMode == "" || in.PidMode == ecstypes.PidModeTask) && in.IpcMode == ""
	if in.NetworkMode == ecstypes.NetworkModeAwsvpc && FargateSizeValid(cpu, mem) && fargateNamespaces {
		out = append(out, ecstypes.CompatibilityFargate)
	}
	return out
}

// requiredAttributes are the container instance attributes a host needs to
// run the task, named as the ECS agent advertises them.
func requiredAttributes(td *ecstypes.TaskDefinition) []ecstypes.Attribute {
	var names []string
	add := func(n string) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	add("com.amazonaws.ecs.capability.docker-remote-api.1.18")
	if td.NetworkMode == ecstypes.NetworkModeAwsvpc {
		add("ecs.capability.task-eni")
	}
	if shape.Deref(td.TaskRoleArn) != "" {
		add("com.amazonaws.ecs.capability.task-iam-role")
	}
	if shape.Deref(td.ExecutionRoleArn) != "" {
		add("ecs.capability.execution-role-awslogs")
	}
	for _, c := range td.ContainerDefinitions {
		if c.HealthCheck != nil {
			add("ecs.capability.container-health-check")
		}
		if len(c.DependsOn) > 0 {
			add("ecs.capability.container-ordering")
		}
		if c.LogConfiguration != nil {
			add("com.amazonaws.ecs.capability.logging-driver." + string(c.LogConfiguration.LogDriver))
		}
		if len(c.Secrets) > 0 {
			add("ecs.capability.secrets.ssm.environment-variables")
		}
	}
	slices.Sort(names)
	out := make([]ecstypes.Attribute, 0, len(names))
	for _, n := range names {
		out = append(out, ecstypes.Attribute{Name: new(n)})
	}
	return out
}

// splitLink reads a link "name" or "name:alias".
func splitLink(l string) (name, alias string) {
	name, alias, _ = strings.Cut(l, ":")
	return name, alias
}

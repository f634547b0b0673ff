package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// A task record is stored in its own form, versioned and independent of
// the generated wire shapes, so that a generator change is never a storage
// migration and a large cluster's records stay small:
//
//   - "v" is the form's version (2); a record without it is the legacy form
//     ({"task": wire Task, "definition": wire TaskDefinition, …}), which
//     still decodes, so a store written by an older wharf opens.
//   - the task's ARNs are kept once: the cluster, container instance, task
//     definition and container ARNs are stored as what follows their
//     derivable prefix (see shortARN);
//   - timestamps are unix milliseconds, the precision ECS reports;
//   - the task definition keeps what the task runs from, in the shared
//     task definition document form (TaskDefDocument: AWS's
//     RegisterTaskDefinition document, not a Go type): its ARN, family and
//     revision come from the task's taskDefinitionArn, and the
//     registration stamps and status, which say nothing about the task,
//     are left out. It is a copy, so a later deregistration or a new
//     revision changes nothing for the task.
//
// Version 2 differs from 3 only in the definition: the wire
// TaskDefinition itself, with empty lists left out (they come back as []);
// it still decodes. Version 3 keeps the definition's lists as they were.
//
// Lists that ECS always reports (attachments, attributes, tags, a
// container's networkBindings and networkInterfaces, the overrides'
// inferenceAcceleratorOverrides) come back as [] when empty.
const taskRecordVersion = 3

// taskRecordV2 is the version whose definition is the wire shape.
const taskRecordV2 = 2

type storedTaskRecord struct {
	V           int             `json:"v"`
	Task        storedTask      `json:"task"`
	Def         json.RawMessage `json:"def,omitempty"`
	Node        string          `json:"node,omitempty"`
	Network     *storedNetwork  `json:"network,omitempty"`
	PendingStop *PendingStop    `json:"pendingStop,omitempty"`
	Protection  *TaskProtection `json:"protection,omitempty"`
}

type storedTask struct {
	ARN                *string             `json:"arn,omitempty"`
	Cluster            *string             `json:"cluster,omitempty"`
	Instance           *string             `json:"instance,omitempty"`
	Def                *string             `json:"def,omitempty"`
	Containers         []storedContainer   `json:"containers,omitempty"`
	Attachments        []storedAttachment  `json:"attachments,omitempty"`
	Attributes         []storedAttribute   `json:"attributes,omitempty"`
	AZ                 *string             `json:"az,omitempty"`
	CapacityProvider   *string             `json:"capacityProvider,omitempty"`
	Connectivity       string              `json:"connectivity,omitempty"`
	ConnectivityAt     int64               `json:"connectivityAt,omitempty"`
	CPU                *string             `json:"cpu,omitempty"`
	Memory             *string             `json:"memory,omitempty"`
	CreatedAt          int64               `json:"createdAt,omitempty"`
	Desired            *string             `json:"desired,omitempty"`
	Last               *string             `json:"last,omitempty"`
	Exec               bool                `json:"exec,omitempty"`
	ExecutionStoppedAt int64               `json:"executionStoppedAt,omitempty"`
	Group              *string             `json:"group,omitempty"`
	Health             string              `json:"health,omitempty"`
	Accelerators       []storedPair        `json:"accelerators,omitempty"`
	LaunchType         string              `json:"launchType,omitempty"`
	Overrides          *storedOverrides    `json:"overrides,omitempty"`
	PlatformVersion    *string             `json:"platformVersion,omitempty"`
	PlatformFamily     *string             `json:"platformFamily,omitempty"`
	PullStartedAt      int64               `json:"pullStartedAt,omitempty"`
	PullStoppedAt      int64               `json:"pullStoppedAt,omitempty"`
	StartedAt          int64               `json:"startedAt,omitempty"`
	StartedBy          *string             `json:"startedBy,omitempty"`
	StopCode           string              `json:"stopCode,omitempty"`
	StoppedAt          int64               `json:"stoppedAt,omitempty"`
	StoppedReason      *string             `json:"stoppedReason,omitempty"`
	StoppingAt         int64               `json:"stoppingAt,omitempty"`
	Tags               []storedPair        `json:"tags,omitempty"`
	Version            int64               `json:"version,omitempty"`
	EphemeralGiB       *int32              `json:"ephemeralGiB,omitempty"`
	FargateEphemeral   *storedFargateStore `json:"fargateEphemeral,omitempty"`
	TrustedExecution   *storedTrusted      `json:"trustedExecution,omitempty"`
}

type storedContainer struct {
	ARN               *string          `json:"arn,omitempty"`
	Task              *string          `json:"task,omitempty"`
	Name              *string          `json:"name,omitempty"`
	Image             *string          `json:"image,omitempty"`
	ImageDigest       *string          `json:"imageDigest,omitempty"`
	RuntimeID         *string          `json:"runtimeId,omitempty"`
	Last              *string          `json:"last,omitempty"`
	ExitCode          *int32           `json:"exitCode,omitempty"`
	Reason            *string          `json:"reason,omitempty"`
	Bindings          []storedBinding  `json:"bindings,omitempty"`
	Interfaces        []storedENI      `json:"interfaces,omitempty"`
	Health            string           `json:"health,omitempty"`
	ManagedAgents     []storedAgent    `json:"managedAgents,omitempty"`
	CPU               *string          `json:"cpu,omitempty"`
	Memory            *string          `json:"memory,omitempty"`
	MemoryReservation *string          `json:"memoryReservation,omitempty"`
	GPUs              []string         `json:"gpus,omitempty"`
	NeuronDevices     []string         `json:"neuronDevices,omitempty"`
	GPUSharing        *storedGPUShares `json:"gpuSharing,omitempty"`
}

type storedBinding struct {
	BindIP         *string `json:"ip,omitempty"`
	ContainerPort  *int32  `json:"port,omitempty"`
	HostPort       *int32  `json:"hostPort,omitempty"`
	Protocol       string  `json:"proto,omitempty"`
	ContainerRange *string `json:"portRange,omitempty"`
	HostRange      *string `json:"hostPortRange,omitempty"`
}

type storedENI struct {
	Attachment *string `json:"attachment,omitempty"`
	IPv4       *string `json:"ipv4,omitempty"`
	IPv6       *string `json:"ipv6,omitempty"`
}

type storedAgent struct {
	Name          string  `json:"name,omitempty"`
	Last          *string `json:"last,omitempty"`
	Reason        *string `json:"reason,omitempty"`
	LastStartedAt int64   `json:"lastStartedAt,omitempty"`
}

type storedGPUShares struct {
	Memory     *int32 `json:"memory,omitempty"`
	MaxPercent *int32 `json:"maxComputePercent,omitempty"`
	NvidiaMps  bool   `json:"nvidiaMps,omitempty"`
}

type storedAttachment struct {
	ID      *string      `json:"id,omitempty"`
	Type    *string      `json:"type,omitempty"`
	Status  *string      `json:"status,omitempty"`
	Details []storedPair `json:"details,omitempty"`
}

type storedAttribute struct {
	Name       *string `json:"name,omitempty"`
	Value      *string `json:"value,omitempty"`
	TargetType string  `json:"targetType,omitempty"`
	TargetID   *string `json:"targetId,omitempty"`
}

// storedPair is a name and a value: an environment variable, a tag, an
// attachment detail, an accelerator (device name and type).
type storedPair struct {
	K *string `json:"k,omitempty"`
	V *string `json:"v,omitempty"`
}

type storedOverrides struct {
	Containers       []storedContainerOverride `json:"containers,omitempty"`
	CPU              *string                   `json:"cpu,omitempty"`
	Memory           *string                   `json:"memory,omitempty"`
	Accelerators     []storedPair              `json:"accelerators,omitempty"`
	ExecutionRoleARN *string                   `json:"executionRole,omitempty"`
	TaskRoleARN      *string                   `json:"taskRole,omitempty"`
	EphemeralGiB     *int32                    `json:"ephemeralGiB,omitempty"`
}

type storedContainerOverride struct {
	Name              *string             `json:"name,omitempty"`
	Command           []string            `json:"command,omitempty"`
	Env               []storedPair        `json:"env,omitempty"`
	EnvFiles          []storedPair        `json:"envFiles,omitempty"` // value, type
	CPU               *int32              `json:"cpu,omitempty"`
	Memory            *int32              `json:"memory,omitempty"`
	MemoryReservation *int32              `json:"memoryReservation,omitempty"`
	Resources         []storedRequirement `json:"resources,omitempty"`
}

type storedRequirement struct {
	Type       string           `json:"type,omitempty"`
	Value      *string          `json:"value,omitempty"`
	GPUSharing *storedGPUShares `json:"gpuSharing,omitempty"`
}

type storedFargateStore struct {
	GiB      int32   `json:"gib,omitempty"`
	KMSKeyID *string `json:"kmsKeyId,omitempty"`
}

type storedTrusted struct {
	IsolationMode     string `json:"isolationMode,omitempty"`
	AttestationPolicy string `json:"attestationPolicyStatus,omitempty"`
}

type storedNetwork struct {
	Awsvpc *storedAwsvpc `json:"awsvpc,omitempty"`
}

type storedAwsvpc struct {
	Subnets        []string `json:"subnets,omitempty"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	PublicIP       string   `json:"publicIp,omitempty"`
}

// legacyTaskRecord is the form written before the version field: the wire
// shapes themselves. Its fields are TaskRecord's, so that the two convert;
// it has no methods, so it encodes as it always did.
type legacyTaskRecord struct {
	Task        ecstypes.Task                  `json:"task"`
	Definition  ecstypes.TaskDefinition        `json:"definition"`
	NodeID      string                         `json:"nodeId"`
	Network     *ecstypes.NetworkConfiguration `json:"network,omitempty"`
	PendingStop *PendingStop                   `json:"pendingStop,omitempty"`
	Protection  *TaskProtection                `json:"protection,omitempty"`
}

// MarshalJSON writes the record in the stored form (version 2).
func (r TaskRecord) MarshalJSON() ([]byte, error) {
	s := storedTaskRecord{V: taskRecordVersion, Task: storeTask(&r.Task), Node: r.NodeID,
		PendingStop: r.PendingStop, Protection: r.Protection}
	if n := r.Network; n != nil {
		s.Network = &storedNetwork{}
		if a := n.AwsvpcConfiguration; a != nil {
			s.Network.Awsvpc = &storedAwsvpc{Subnets: a.Subnets, SecurityGroups: a.SecurityGroups, PublicIP: string(a.AssignPublicIp)}
		}
	}
	if !isZeroDefinition(&r.Definition) {
		td := r.Definition
		td.RegisteredAt, td.RegisteredBy, td.DeregisteredAt, td.DeleteRequestedAt = shape.Timestamp{}, nil, shape.Timestamp{}, shape.Timestamp{}
		td.Status = ""
		def, err := json.Marshal(storeTaskDef(&td, defContext{own: r.Task.TaskDefinitionArn, prefix: prefixesOf(r.Task.TaskArn).def}, nil))
		if err != nil {
			return nil, fmt.Errorf("task record definition: %w", err)
		}
		s.Def = def
	}
	return json.Marshal(s)
}

// UnmarshalJSON reads either stored form.
func (r *TaskRecord) UnmarshalJSON(b []byte) error {
	v, err := recordVersion(b)
	if err != nil {
		return err
	}
	switch v {
	case 0:
		var l legacyTaskRecord
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		*r = TaskRecord(l)
		return nil
	case taskRecordVersion, taskRecordV2:
	default:
		return fmt.Errorf("task record version %d is newer than this wharf knows (%d)", v, taskRecordVersion)
	}
	var s storedTaskRecord
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*r = TaskRecord{Task: loadTask(&s.Task), NodeID: s.Node, PendingStop: s.PendingStop, Protection: s.Protection}
	if n := s.Network; n != nil {
		r.Network = &ecstypes.NetworkConfiguration{}
		if a := n.Awsvpc; a != nil {
			r.Network.AwsvpcConfiguration = &ecstypes.AwsVpcConfiguration{Subnets: a.Subnets, SecurityGroups: a.SecurityGroups,
				AssignPublicIp: ecstypes.AssignPublicIp(a.PublicIP)}
		}
	}
	if len(s.Def) == 0 {
		return nil
	}
	if v == taskRecordV2 {
		var td ecstypes.TaskDefinition
		if err := json.Unmarshal(s.Def, &td); err != nil {
			return fmt.Errorf("task record definition: %w", err)
		}
		r.Definition = loadDefinition(&td, r.Task.TaskDefinitionArn)
		return nil
	}
	var sd storedTaskDef
	if err := json.Unmarshal(s.Def, &sd); err != nil {
		return fmt.Errorf("task record definition: %w", err)
	}
	r.Definition, _ = loadTaskDef(&sd, defContext{own: r.Task.TaskDefinitionArn, prefix: prefixesOf(r.Task.TaskArn).def})
	return nil
}

func recordVersion(b []byte) (int, error) { return RecordVersion("task record", b) }

// RecordVersion reads the "v" that a stored form writes first; a record
// that does not start with it is the legacy form (version 0). kind names
// the record in errors.
func RecordVersion(kind string, b []byte) (int, error) {
	b = bytes.TrimLeft(b, " \t\r\n")
	const head = `{"v":`
	if !bytes.HasPrefix(b, []byte(head)) {
		return 0, nil
	}
	rest := b[len(head):]
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return 0, fmt.Errorf("%s: truncated version", kind)
	}
	v, err := strconv.Atoi(string(rest[:end]))
	if err != nil {
		return 0, fmt.Errorf("%s: bad version %q", kind, rest[:end])
	}
	return v, nil
}

// shortARN stores an ARN as what follows prefix, the part that a record
// cannot derive; any other value is stored whole behind a '!'.
func shortARN(full *string, prefix string) *string {
	if full == nil {
		return nil
	}
	if prefix != "" && strings.HasPrefix(*full, prefix) && !strings.HasPrefix((*full)[len(prefix):], "!") {
		return new((*full)[len(prefix):])
	}
	return new("!" + *full)
}

func longARN(short *string, prefix string) *string {
	if short == nil {
		return nil
	}
	if rest, ok := strings.CutPrefix(*short, "!"); ok {
		return new(rest)
	}
	return new(prefix + *short)
}

// arnPrefixes are the derivable beginnings of a task's ARNs, from the task
// ARN arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID; empty when it has another
// shape, and then every ARN is stored whole.
type arnPrefixes struct {
	cluster, instance, def, container, task string
}

func prefixesOf(taskARN *string) arnPrefixes {
	if taskARN == nil {
		return arnPrefixes{}
	}
	base, rest, ok := strings.Cut(*taskARN, ":task/")
	cluster, id, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || !strings.HasPrefix(base, "arn:") || id == "" || strings.Contains(id, "/") {
		return arnPrefixes{}
	}
	return arnPrefixes{cluster: base + ":cluster/", instance: base + ":container-instance/" + cluster + "/",
		def: base + ":task-definition/", container: base + ":container/" + cluster + "/" + id + "/", task: *taskARN}
}

func ms(t shape.Timestamp) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) shape.Timestamp {
	if v == 0 {
		return shape.Timestamp{}
	}
	return shape.TimeOf(time.UnixMilli(v))
}

// loadDefinition reads a version 2 record's definition: the wire shape
// without what the task ARN gives and with empty lists left out.
func loadDefinition(stored *ecstypes.TaskDefinition, taskDefARN *string) ecstypes.TaskDefinition {
	if stored == nil {
		return ecstypes.TaskDefinition{}
	}
	td := *stored
	if td.TaskDefinitionArn == nil && td.Family == nil && td.Revision == 0 && taskDefARN != nil {
		if fam, rev, ok := familyRevision(*taskDefARN); ok {
			td.TaskDefinitionArn, td.Family, td.Revision = new(*taskDefARN), new(fam), rev
		}
	}
	td.Volumes = shape.OrEmpty(td.Volumes)
	td.PlacementConstraints = shape.OrEmpty(td.PlacementConstraints)
	for i := range td.ContainerDefinitions {
		cd := &td.ContainerDefinitions[i]
		cd.Environment = shape.OrEmpty(cd.Environment)
		cd.MountPoints = shape.OrEmpty(cd.MountPoints)
		cd.VolumesFrom = shape.OrEmpty(cd.VolumesFrom)
		cd.SystemControls = shape.OrEmpty(cd.SystemControls)
	}
	return td
}

func isZeroDefinition(td *ecstypes.TaskDefinition) bool { return reflect.ValueOf(td).Elem().IsZero() }

// familyRevision splits …:task-definition/FAMILY:REV.
func familyRevision(arn string) (string, int32, bool) {
	_, rest, ok := strings.Cut(arn, ":task-definition/")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i <= 0 {
		return "", 0, false
	}
	rev, err := strconv.ParseInt(rest[i+1:], 10, 32)
	if err != nil || rev <= 0 || strconv.FormatInt(rev, 10) != rest[i+1:] {
		return "", 0, false
	}
	return rest[:i], int32(rev), true
}

package model

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// TaskDefDocument is the stored form of what a user specifies in a task
// definition: AWS's RegisterTaskDefinition request document, member for
// member and with AWS's member names, as the aws CLI's --cli-input-json
// takes it. Every stored task definition uses it: a registered revision
// (TaskDefRecord), the copy a task runs from (TaskRecord) and the copies a
// service's deployments run from (ServiceRecord.Definitions).
//
// Why AWS's document and not a form of our own: it is AWS's published,
// documented format, which AWS only ever extends, and it is what users
// write; the generated Go shapes (api/ecstypes) encode to exactly these
// member names, so a regeneration or a refactor of our Go types changes
// the Go side without changing the bytes. TestTaskDefDocumentGolden pins
// the bytes (testdata/taskdef-record.golden.json).
//
// Only what wharf owns (the ARN, revision, status, registration stamps,
// requiresAttributes, compatibilities) is kept beside the document under
// our own names (storedTaskDef); family is left out where the ARN gives it.
type TaskDefDocument struct {
	Family                        *string                                      `json:"family,omitzero"`
	TaskRoleArn                   *string                                      `json:"taskRoleArn,omitzero"`
	ExecutionRoleArn              *string                                      `json:"executionRoleArn,omitzero"`
	NetworkMode                   ecstypes.NetworkMode                         `json:"networkMode,omitzero"`
	ContainerDefinitions          []ecstypes.ContainerDefinition               `json:"containerDefinitions,omitzero"`
	Volumes                       []ecstypes.Volume                            `json:"volumes,omitzero"`
	PlacementConstraints          []ecstypes.TaskDefinitionPlacementConstraint `json:"placementConstraints,omitzero"`
	RequiresCompatibilities       []ecstypes.Compatibility                     `json:"requiresCompatibilities,omitzero"`
	Cpu                           *string                                      `json:"cpu,omitzero"`
	Memory                        *string                                      `json:"memory,omitzero"`
	Tags                          []ecstypes.Tag                               `json:"tags,omitzero"`
	PidMode                       ecstypes.PidMode                             `json:"pidMode,omitzero"`
	IpcMode                       ecstypes.IpcMode                             `json:"ipcMode,omitzero"`
	ProxyConfiguration            *ecstypes.ProxyConfiguration                 `json:"proxyConfiguration,omitzero"`
	InferenceAccelerators         []ecstypes.InferenceAccelerator              `json:"inferenceAccelerators,omitzero"`
	EphemeralStorage              *ecstypes.EphemeralStorage                   `json:"ephemeralStorage,omitzero"`
	RuntimePlatform               *ecstypes.RuntimePlatform                    `json:"runtimePlatform,omitzero"`
	EnableFaultInjection          *bool                                        `json:"enableFaultInjection,omitzero"`
	TrustedExecutionConfiguration *ecstypes.TrustedExecutionConfiguration      `json:"trustedExecutionConfiguration,omitzero"`
}

// storedTaskDef is a task definition stored: the document plus what wharf
// owns, under our names. Lists keep the difference between absent and
// empty (omitzero), so a definition reads back exactly as it was written
// and DescribeTaskDefinition answers the same bytes.
type storedTaskDef struct {
	// ARN is relative to the record's context (see defContext): absent when
	// it is the context's own ARN, NoARN when the definition has none.
	ARN   *string `json:"arn,omitzero"`
	NoARN bool    `json:"noArn,omitzero"`
	// Rev is set only when the ARN does not give family and revision;
	// then the document's family is the definition's.
	Rev               *int32                   `json:"rev,omitzero"`
	Status            string                   `json:"status,omitzero"`
	RequiresAttrs     []compactAttr            `json:"requiresAttrs,omitzero"`
	Compat            []ecstypes.Compatibility `json:"compat,omitzero"`
	RegisteredAt      int64                    `json:"registeredAt,omitzero"`
	RegisteredBy      *string                  `json:"registeredBy,omitzero"`
	DeregisteredAt    int64                    `json:"deregisteredAt,omitzero"`
	DeleteRequestedAt int64                    `json:"deleteRequestedAt,omitzero"`
	Doc               TaskDefDocument          `json:"doc"`
}

// defContext is what a record knows of a definition's ARN without storing
// it: own is an ARN the definition usually has (the task's
// taskDefinitionArn), prefix the derivable start of any of the record's
// definition ARNs (arn:aws:ecs:REGION:ACCOUNT:task-definition/).
type defContext struct {
	own    *string
	prefix string
}

func storeTaskDef(td *ecstypes.TaskDefinition, ctx defContext, tags []ecstypes.Tag) storedTaskDef {
	s := storedTaskDef{
		Status: string(td.Status), RequiresAttrs: mapSlice(td.RequiresAttributes, storeAttr), Compat: td.Compatibilities,
		RegisteredAt: ms(td.RegisteredAt), RegisteredBy: td.RegisteredBy, DeregisteredAt: ms(td.DeregisteredAt),
		DeleteRequestedAt: ms(td.DeleteRequestedAt),
		Doc: TaskDefDocument{
			Family: td.Family, TaskRoleArn: td.TaskRoleArn, ExecutionRoleArn: td.ExecutionRoleArn, NetworkMode: td.NetworkMode,
			ContainerDefinitions: td.ContainerDefinitions, Volumes: td.Volumes, PlacementConstraints: td.PlacementConstraints,
			RequiresCompatibilities: td.RequiresCompatibilities, Cpu: td.Cpu, Memory: td.Memory, Tags: tags, PidMode: td.PidMode,
			IpcMode: td.IpcMode, ProxyConfiguration: td.ProxyConfiguration, InferenceAccelerators: td.InferenceAccelerators,
			EphemeralStorage: td.EphemeralStorage, RuntimePlatform: td.RuntimePlatform, EnableFaultInjection: td.EnableFaultInjection,
			TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		},
	}
	switch {
	case td.TaskDefinitionArn == nil:
		s.NoARN = ctx.own != nil
	case ctx.own != nil && *td.TaskDefinitionArn == *ctx.own:
	default:
		s.ARN = shortOrWhole(td.TaskDefinitionArn, ctx.prefix)
	}
	if fam, rev, ok := familyRevision(shape.Deref(td.TaskDefinitionArn)); ok && td.Family != nil && *td.Family == fam && td.Revision == rev {
		s.Doc.Family = nil
	} else {
		s.Rev = new(td.Revision)
	}
	return s
}

func loadTaskDef(s *storedTaskDef, ctx defContext) (ecstypes.TaskDefinition, []ecstypes.Tag) {
	d := &s.Doc
	td := ecstypes.TaskDefinition{
		ContainerDefinitions: d.ContainerDefinitions, Family: d.Family, TaskRoleArn: d.TaskRoleArn, ExecutionRoleArn: d.ExecutionRoleArn,
		NetworkMode: d.NetworkMode, Volumes: d.Volumes, Status: ecstypes.TaskDefinitionStatus(s.Status),
		RequiresAttributes: mapSlice(s.RequiresAttrs, loadAttr), PlacementConstraints: d.PlacementConstraints,
		Compatibilities: s.Compat, RuntimePlatform: d.RuntimePlatform, RequiresCompatibilities: d.RequiresCompatibilities,
		Cpu: d.Cpu, Memory: d.Memory, InferenceAccelerators: d.InferenceAccelerators, PidMode: d.PidMode, IpcMode: d.IpcMode,
		ProxyConfiguration: d.ProxyConfiguration, RegisteredAt: fromMS(s.RegisteredAt), DeregisteredAt: fromMS(s.DeregisteredAt),
		RegisteredBy: s.RegisteredBy, EphemeralStorage: d.EphemeralStorage, EnableFaultInjection: d.EnableFaultInjection,
		DeleteRequestedAt: fromMS(s.DeleteRequestedAt), TrustedExecutionConfiguration: d.TrustedExecutionConfiguration,
	}
	switch {
	case s.NoARN:
	case s.ARN == nil:
		if ctx.own != nil {
			td.TaskDefinitionArn = new(*ctx.own)
		}
	default:
		td.TaskDefinitionArn = longOrWhole(s.ARN, ctx.prefix)
	}
	if s.Rev != nil {
		td.Revision = *s.Rev
	} else if fam, rev, ok := familyRevision(shape.Deref(td.TaskDefinitionArn)); ok {
		td.Family, td.Revision = new(fam), rev
	}
	return td, d.Tags
}

// shortOrWhole is shortARN where the record has a prefix to cut, the ARN
// whole where it has none.
func shortOrWhole(full *string, prefix string) *string {
	if prefix == "" {
		return full
	}
	return shortARN(full, prefix)
}

func longOrWhole(short *string, prefix string) *string {
	if prefix == "" {
		return short
	}
	return longARN(short, prefix)
}

// mapSlice converts each element, keeping nil nil and empty empty: the
// wire encodes an empty list as [] and an absent one not at all, and the
// stored forms keep that difference.
func mapSlice[S, D any](in []S, f func(*S) D) []D {
	if in == nil {
		return nil
	}
	out := make([]D, len(in))
	for i := range in {
		out[i] = f(&in[i])
	}
	return out
}

// compactAttr is an attribute stored: the common case, a name and maybe a
// value, as one string "NAME" (no value) or "NAME=VALUE", with the prefix
// that most of the ECS agent's capabilities share written as "~"; any
// other attribute (a target, a name that a string could not say back) as
// an object. Names are letters, digits, '.', '-', '_', '/' and '\' (as
// PutAttributes documents), so neither '=' nor a leading '~' is theirs.
type compactAttr struct {
	Name       *string `json:"n,omitzero"`
	Value      *string `json:"v,omitzero"`
	TargetType string  `json:"tt,omitzero"`
	TargetID   *string `json:"ti,omitzero"`
}

const capabilityPrefix = "com.amazonaws.ecs.capability."

func storeAttr(a *ecstypes.Attribute) compactAttr {
	return compactAttr{Name: a.Name, Value: a.Value, TargetType: string(a.TargetType), TargetID: a.TargetId}
}

func loadAttr(c *compactAttr) ecstypes.Attribute {
	return ecstypes.Attribute{Name: c.Name, Value: c.Value, TargetType: ecstypes.TargetType(c.TargetType), TargetId: c.TargetID}
}

func (c compactAttr) MarshalJSON() ([]byte, error) {
	if c.Name == nil || c.TargetType != "" || c.TargetID != nil || strings.ContainsRune(*c.Name, '=') || strings.HasPrefix(*c.Name, "~") {
		type plain compactAttr
		return json.Marshal(plain(c))
	}
	s := *c.Name
	if rest, ok := strings.CutPrefix(s, capabilityPrefix); ok {
		s = "~" + rest
	}
	if c.Value != nil {
		s += "=" + *c.Value
	}
	return json.Marshal(s)
}

func (c *compactAttr) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		type plain compactAttr
		return json.Unmarshal(b, (*plain)(c))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("attribute: %w", err)
	}
	*c = compactAttr{}
	name, value, hasValue := strings.Cut(s, "=")
	if rest, ok := strings.CutPrefix(name, "~"); ok {
		name = capabilityPrefix + rest
	}
	c.Name = &name
	if hasValue {
		c.Value = &value
	}
	return nil
}

// MarshalTaskDefRecord writes a registered task definition revision and
// its tags in the stored form (version 1): the task definition document
// (TaskDefDocument, the tags in it as RegisterTaskDefinition takes them)
// and, beside it, what wharf owns.
func MarshalTaskDefRecord(td *ecstypes.TaskDefinition, tags []ecstypes.Tag) ([]byte, error) {
	return json.Marshal(storedTaskDefRecord{V: taskDefRecordVersion, storedTaskDef: storeTaskDef(td, defContext{}, tags)})
}

// UnmarshalTaskDefRecord reads the stored form that MarshalTaskDefRecord
// writes; the legacy form is the caller's.
func UnmarshalTaskDefRecord(b []byte) (ecstypes.TaskDefinition, []ecstypes.Tag, error) {
	var r storedTaskDefRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return ecstypes.TaskDefinition{}, nil, err
	}
	if r.V != taskDefRecordVersion {
		return ecstypes.TaskDefinition{}, nil, fmt.Errorf("task definition record version %d is not %d", r.V, taskDefRecordVersion)
	}
	td, tags := loadTaskDef(&r.storedTaskDef, defContext{})
	return td, tags, nil
}

const taskDefRecordVersion = 1

type storedTaskDefRecord struct {
	V int `json:"v"`
	storedTaskDef
}

package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// A service record is stored in its own form, versioned and independent
// of the generated wire shapes (as the task record, taskrecord.go):
//
//   - "v" is the form's version (1); a record without it is the legacy
//     form ({"service": wire Service, "definitions": {id: wire
//     TaskDefinition}, …}), which still decodes;
//   - what wharf owns is under our own, short names: the ARNs (the
//     cluster's, the task definitions', the task sets', the service
//     deployment's and revisions' stored as what follows the prefix the
//     service ARN gives),
//     status, counts, deployments (ids, status, counts, rollout state),
//     events (id, time, message), the bookkeeping of the controllers;
//   - timestamps are unix milliseconds;
//   - what the user specified (load balancers, network configuration,
//     service registries, placement, deployment configuration, …) is kept
//     as AWS's CreateService document says it ("spec", AWS's member
//     names), and the deployments' task definitions in the shared task
//     definition document form (TaskDefDocument);
//   - lists keep the difference between absent and empty, so a record
//     reads back exactly as it was written.
//
// The service keeps "status" and "launchType" under those names at the
// top of "service": awsapi/ecs's cluster counts decode only them.
const serviceRecordVersion = 1

type storedServiceRecord struct {
	V           int                      `json:"v"`
	Service     storedService            `json:"service"`
	Definitions map[string]storedTaskDef `json:"defs,omitzero"`
	Stable      *string                  `json:"stable,omitzero"`
	Steady      bool                     `json:"steady,omitzero"`
	// BreakerResets are unix milliseconds, 0 for the zero time. Empty maps
	// are left out, as the legacy form did.
	BreakerResets map[string]int64 `json:"resets,omitempty"`
	Throttled     map[string]int64 `json:"throttled,omitempty"`
}

type storedService struct {
	Status             *string             `json:"status,omitzero"`
	LaunchType         ecstypes.LaunchType `json:"launchType,omitzero"`
	ARN                *string             `json:"arn,omitzero"`
	Name               *string             `json:"name,omitzero"`
	Cluster            *string             `json:"cluster,omitzero"`
	Desired            int32               `json:"desired,omitzero"`
	Running            int32               `json:"running,omitzero"`
	Pending            int32               `json:"pending,omitzero"`
	Def                *string             `json:"def,omitzero"`
	PlatformVersion    *string             `json:"platformVersion,omitzero"`
	PlatformFamily     *string             `json:"platformFamily,omitzero"`
	CreatedAt          int64               `json:"createdAt,omitzero"`
	CreatedBy          *string             `json:"createdBy,omitzero"`
	Deployments        []storedDeployment  `json:"deployments,omitzero"`
	Events             storedEvents        `json:"events,omitzero"`
	CurrentDeployment  *string             `json:"currentDeployment,omitzero"`
	CurrentRevisions   []storedRevision    `json:"currentRevisions,omitzero"`
	ResourceManagement string              `json:"resourceManagement,omitzero"`
	// TaskSets are the EXTERNAL deployment controller's.
	TaskSets []storedTaskSet `json:"taskSets,omitzero"`
	Spec     serviceSpec     `json:"spec,omitzero"`
}

// serviceSpec is what a user specifies for a service, in AWS's
// CreateService/UpdateService document form and member names (role is
// CreateService's name for the service's roleArn).
type serviceSpec struct {
	LoadBalancers                 []ecstypes.LoadBalancer                 `json:"loadBalancers,omitzero"`
	ServiceRegistries             []ecstypes.ServiceRegistry              `json:"serviceRegistries,omitzero"`
	CapacityProviderStrategy      []ecstypes.CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitzero"`
	DeploymentConfiguration       *ecstypes.DeploymentConfiguration       `json:"deploymentConfiguration,omitzero"`
	Role                          *string                                 `json:"role,omitzero"`
	PlacementConstraints          []ecstypes.PlacementConstraint          `json:"placementConstraints,omitzero"`
	PlacementStrategy             []ecstypes.PlacementStrategy            `json:"placementStrategy,omitzero"`
	NetworkConfiguration          *ecstypes.NetworkConfiguration          `json:"networkConfiguration,omitzero"`
	HealthCheckGracePeriodSeconds *int32                                  `json:"healthCheckGracePeriodSeconds,omitzero"`
	SchedulingStrategy            ecstypes.SchedulingStrategy             `json:"schedulingStrategy,omitzero"`
	DeploymentController          *ecstypes.DeploymentController          `json:"deploymentController,omitzero"`
	Tags                          []ecstypes.Tag                          `json:"tags,omitzero"`
	EnableECSManagedTags          bool                                    `json:"enableECSManagedTags,omitzero"`
	PropagateTags                 ecstypes.PropagateTags                  `json:"propagateTags,omitzero"`
	EnableExecuteCommand          bool                                    `json:"enableExecuteCommand,omitzero"`
	AvailabilityZoneRebalancing   ecstypes.AvailabilityZoneRebalancing    `json:"availabilityZoneRebalancing,omitzero"`
}

type storedDeployment struct {
	ID              *string                         `json:"id,omitzero"`
	Status          *string                         `json:"status,omitzero"`
	Def             *string                         `json:"def,omitzero"`
	Desired         int32                           `json:"desired,omitzero"`
	Pending         int32                           `json:"pending,omitzero"`
	Running         int32                           `json:"running,omitzero"`
	Failed          int32                           `json:"failed,omitzero"`
	CreatedAt       int64                           `json:"createdAt,omitzero"`
	UpdatedAt       int64                           `json:"updatedAt,omitzero"`
	LaunchType      ecstypes.LaunchType             `json:"launchType,omitzero"`
	PlatformVersion *string                         `json:"platformVersion,omitzero"`
	PlatformFamily  *string                         `json:"platformFamily,omitzero"`
	Rollout         ecstypes.DeploymentRolloutState `json:"rollout,omitzero"`
	RolloutReason   *string                         `json:"rolloutReason,omitzero"`
	// FargateKMSKey is fargateEphemeralStorage.kmsKeyId; HasFargate says
	// that fargateEphemeralStorage is there at all.
	HasFargate    bool    `json:"fargate,omitzero"`
	FargateKMSKey *string `json:"fargateKmsKey,omitzero"`
	// ServiceConnectResources are wharf's (discovery names and ARNs).
	ServiceConnectResources []ecstypes.ServiceConnectServiceResource `json:"serviceConnectResources,omitzero"`
	Spec                    deploymentSpec                           `json:"spec,omitzero"`
}

// deploymentSpec is the part of a deployment that the user specified, in
// AWS's document form and member names.
type deploymentSpec struct {
	CapacityProviderStrategy    []ecstypes.CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitzero"`
	NetworkConfiguration        *ecstypes.NetworkConfiguration          `json:"networkConfiguration,omitzero"`
	ServiceConnectConfiguration *ecstypes.ServiceConnectConfiguration   `json:"serviceConnectConfiguration,omitzero"`
	VolumeConfigurations        []ecstypes.ServiceVolumeConfiguration   `json:"volumeConfigurations,omitzero"`
	VpcLatticeConfigurations    []ecstypes.VpcLatticeConfiguration      `json:"vpcLatticeConfigurations,omitzero"`
}

// storedEvent is a service event stored as [id, t, message]: t is unix
// milliseconds less the previous (newer) event's, so mostly a few digits,
// and a message that begins with "(service NAME)", as ECS's do, begins
// with "~" instead (see eventMessage).
// storedTaskSet is a task set: wharf's fields under our names, what the
// user specified in CreateTaskSet's document form ("spec").
type storedTaskSet struct {
	ID         *string     `json:"id,omitzero"`
	ARN        *string     `json:"arn,omitzero"`
	Service    *string     `json:"service,omitzero"`
	Cluster    *string     `json:"cluster,omitzero"`
	StartedBy  *string     `json:"startedBy,omitzero"`
	Status     *string     `json:"status,omitzero"`
	Def        *string     `json:"def,omitzero"`
	Desired    int32       `json:"desired,omitzero"`
	Pending    int32       `json:"pending,omitzero"`
	Running    int32       `json:"running,omitzero"`
	CreatedAt  int64       `json:"createdAt,omitzero"`
	UpdatedAt  int64       `json:"updatedAt,omitzero"`
	Platform   *string     `json:"platformFamily,omitzero"`
	Stability  string      `json:"stability,omitzero"`
	StableAt   int64       `json:"stabilityAt,omitzero"`
	HasFargate bool        `json:"fargate,omitzero"`
	FargateKMS *string     `json:"fargateKmsKey,omitzero"`
	Spec       taskSetSpec `json:"spec,omitzero"`
}

// taskSetSpec is CreateTaskSet's document, AWS's member names.
type taskSetSpec struct {
	ExternalID               *string                                 `json:"externalId,omitzero"`
	LaunchType               ecstypes.LaunchType                     `json:"launchType,omitzero"`
	CapacityProviderStrategy []ecstypes.CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitzero"`
	PlatformVersion          *string                                 `json:"platformVersion,omitzero"`
	NetworkConfiguration     *ecstypes.NetworkConfiguration          `json:"networkConfiguration,omitzero"`
	LoadBalancers            []ecstypes.LoadBalancer                 `json:"loadBalancers,omitzero"`
	ServiceRegistries        []ecstypes.ServiceRegistry              `json:"serviceRegistries,omitzero"`
	Scale                    *ecstypes.Scale                         `json:"scale,omitzero"`
	Tags                     []ecstypes.Tag                          `json:"tags,omitzero"`
}

func storeTaskSet(t *ecstypes.TaskSet, p servicePrefixes) storedTaskSet {
	s := storedTaskSet{
		ID: t.Id, ARN: shortOrWhole(t.TaskSetArn, p.taskSet), Service: shortOrWhole(t.ServiceArn, p.service),
		Cluster: shortOrWhole(t.ClusterArn, p.cluster), StartedBy: t.StartedBy, Status: t.Status, Def: shortOrWhole(t.TaskDefinition, p.def),
		Desired: t.ComputedDesiredCount, Pending: t.PendingCount, Running: t.RunningCount, CreatedAt: ms(t.CreatedAt),
		UpdatedAt: ms(t.UpdatedAt), Platform: t.PlatformFamily, Stability: string(t.StabilityStatus), StableAt: ms(t.StabilityStatusAt),
		Spec: taskSetSpec{ExternalID: t.ExternalId, LaunchType: t.LaunchType, CapacityProviderStrategy: t.CapacityProviderStrategy,
			PlatformVersion: t.PlatformVersion, NetworkConfiguration: t.NetworkConfiguration, LoadBalancers: t.LoadBalancers,
			ServiceRegistries: t.ServiceRegistries, Scale: t.Scale, Tags: t.Tags},
	}
	if f := t.FargateEphemeralStorage; f != nil {
		s.HasFargate, s.FargateKMS = true, f.KmsKeyId
	}
	return s
}

func loadTaskSet(s *storedTaskSet, p servicePrefixes) ecstypes.TaskSet {
	sp := &s.Spec
	t := ecstypes.TaskSet{
		Id: s.ID, TaskSetArn: longOrWhole(s.ARN, p.taskSet), ServiceArn: longOrWhole(s.Service, p.service),
		ClusterArn: longOrWhole(s.Cluster, p.cluster), StartedBy: s.StartedBy, ExternalId: sp.ExternalID, Status: s.Status,
		TaskDefinition: longOrWhole(s.Def, p.def), ComputedDesiredCount: s.Desired, PendingCount: s.Pending, RunningCount: s.Running,
		CreatedAt: fromMS(s.CreatedAt), UpdatedAt: fromMS(s.UpdatedAt), LaunchType: sp.LaunchType,
		CapacityProviderStrategy: sp.CapacityProviderStrategy, PlatformVersion: sp.PlatformVersion, PlatformFamily: s.Platform,
		NetworkConfiguration: sp.NetworkConfiguration, LoadBalancers: sp.LoadBalancers, ServiceRegistries: sp.ServiceRegistries,
		Scale: sp.Scale, StabilityStatus: ecstypes.StabilityStatus(s.Stability), StabilityStatusAt: fromMS(s.StableAt), Tags: sp.Tags,
	}
	if s.HasFargate {
		t.FargateEphemeralStorage = &ecstypes.DeploymentEphemeralStorage{KmsKeyId: s.FargateKMS}
	}
	return t
}

type storedEvent struct {
	ID      *string
	At      int64 // ms since the previous event
	Message *string
}

// storedEvents encodes and decodes its events by hand: a service keeps
// 100, and a MarshalJSON per event would cost a reflective round per
// event (three times the legacy form's encode time).
type storedEvents []storedEvent

func (es storedEvents) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 128*len(es))
	b = append(b, '[')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, e.ID)
		b = append(b, ',')
		b = strconv.AppendInt(b, e.At, 10)
		b = append(b, ',')
		b = appendJSONString(b, e.Message)
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

func (es *storedEvents) UnmarshalJSON(b []byte) error {
	var raw [][]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("service events: %w", err)
	}
	if raw == nil {
		*es = nil
		return nil
	}
	out := make(storedEvents, len(raw))
	for i, r := range raw {
		if len(r) != 3 {
			return fmt.Errorf("service event %d: %d fields, want 3", i, len(r))
		}
		e := &out[i]
		var err error
		if e.ID, err = jsonString(r[0]); err != nil {
			return fmt.Errorf("service event %d id: %w", i, err)
		}
		if e.At, err = strconv.ParseInt(string(r[1]), 10, 64); err != nil {
			return fmt.Errorf("service event %d time: %w", i, err)
		}
		if e.Message, err = jsonString(r[2]); err != nil {
			return fmt.Errorf("service event %d message: %w", i, err)
		}
	}
	*es = out
	return nil
}

// appendJSONString appends s as a JSON string, null when nil. It escapes
// what JSON requires (quote, backslash, control characters); anything
// else, HTML characters included, reads back the same unescaped.
func appendJSONString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	for i := 0; i < len(*s); i++ {
		switch c := (*s)[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// jsonString reads a JSON string or null; a string without escapes is
// taken as it stands.
func jsonString(raw json.RawMessage) (*string, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && !bytes.ContainsRune(raw, '\\') {
		return new(string(raw[1 : len(raw)-1])), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func storeEvents(events []ecstypes.ServiceEvent, name *string) storedEvents {
	prev := int64(0)
	return mapSlice(events, func(e *ecstypes.ServiceEvent) storedEvent {
		t := ms(e.CreatedAt)
		s := storedEvent{ID: e.Id, At: t - prev, Message: shortMessage(e.Message, name)}
		prev = t
		return s
	})
}

func loadEvents(events storedEvents, name *string) []ecstypes.ServiceEvent {
	prev := int64(0)
	return mapSlice(events, func(s *storedEvent) ecstypes.ServiceEvent {
		prev += s.At
		return ecstypes.ServiceEvent{Id: s.ID, CreatedAt: fromMS(prev), Message: longMessage(s.Message, name)}
	})
}

// shortMessage writes an event's leading "(service NAME)" as "~"; a
// message that does not begin so but begins with "~" or "!" is kept
// behind a "!".
func shortMessage(m, name *string) *string {
	if m == nil {
		return nil
	}
	if name != nil {
		if rest, ok := strings.CutPrefix(*m, "(service "+*name+")"); ok {
			return new("~" + rest)
		}
	}
	if strings.HasPrefix(*m, "~") || strings.HasPrefix(*m, "!") {
		return new("!" + *m)
	}
	return m
}

func longMessage(m, name *string) *string {
	if m == nil {
		return nil
	}
	if rest, ok := strings.CutPrefix(*m, "~"); ok && name != nil {
		return new("(service " + *name + ")" + rest)
	}
	if rest, ok := strings.CutPrefix(*m, "!"); ok {
		return new(rest)
	}
	return m
}

type storedRevision struct {
	ARN       *string `json:"arn,omitzero"`
	Requested int32   `json:"requested,omitzero"`
	Running   int32   `json:"running,omitzero"`
	Pending   int32   `json:"pending,omitzero"`
}

// legacyServiceRecord is the form written before the version field: the
// wire shapes themselves. Its fields are ServiceRecord's, so that the two
// convert; it has no methods, so it encodes as it always did.
type legacyServiceRecord struct {
	Service              ecstypes.Service                   `json:"service"`
	Definitions          map[string]ecstypes.TaskDefinition `json:"definitions"`
	StableTaskDefinition string                             `json:"stableTaskDefinition,omitempty"`
	Steady               bool                               `json:"steady,omitempty"`
	BreakerResets        map[string]time.Time               `json:"breakerResets,omitempty"`
	Throttled            map[string]int64                   `json:"throttled,omitempty"`
}

// servicePrefixes are the derivable beginnings of a service's ARNs, from
// the service ARN arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME; empty
// when it has another shape, and then every ARN is stored whole.
type servicePrefixes struct {
	cluster, service, def, deployment, revision, taskSet string
}

func servicePrefixesOf(arn *string) servicePrefixes {
	if arn == nil {
		return servicePrefixes{}
	}
	base, rest, ok := strings.Cut(*arn, ":service/")
	cluster, name, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || !strings.HasPrefix(base, "arn:") || name == "" || strings.Contains(name, "/") {
		return servicePrefixes{}
	}
	return servicePrefixes{cluster: base + ":cluster/", service: base + ":service/", def: base + ":task-definition/",
		taskSet:    base + ":task-set/" + cluster + "/" + name + "/",
		deployment: base + ":service-deployment/" + cluster + "/" + name + "/",
		revision:   base + ":service-revision/" + cluster + "/" + name + "/"}
}

// MarshalJSON writes the record in the stored form (version 1).
func (r ServiceRecord) MarshalJSON() ([]byte, error) {
	svc := &r.Service
	p := servicePrefixesOf(svc.ServiceArn)
	s := storedServiceRecord{V: serviceRecordVersion, Service: storeService(svc, p), Steady: r.Steady, Throttled: r.Throttled}
	if r.Definitions != nil {
		s.Definitions = make(map[string]storedTaskDef, len(r.Definitions))
		for id, td := range r.Definitions {
			s.Definitions[id] = storeTaskDef(&td, defContext{prefix: p.def}, nil)
		}
	}
	if r.StableTaskDefinition != "" {
		s.Stable = shortOrWhole(&r.StableTaskDefinition, p.def)
	}
	if r.BreakerResets != nil {
		s.BreakerResets = make(map[string]int64, len(r.BreakerResets))
		for id, t := range r.BreakerResets {
			s.BreakerResets[id] = msTime(t)
		}
	}
	return json.Marshal(s)
}

// UnmarshalJSON reads either stored form.
func (r *ServiceRecord) UnmarshalJSON(b []byte) error {
	v, err := RecordVersion("service record", b)
	if err != nil {
		return err
	}
	switch v {
	case 0:
		var l legacyServiceRecord
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		*r = ServiceRecord(l)
		return nil
	case serviceRecordVersion:
	default:
		return fmt.Errorf("service record version %d is newer than this wharf knows (%d)", v, serviceRecordVersion)
	}
	var s storedServiceRecord
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p := servicePrefixesOf(s.Service.ARN)
	*r = ServiceRecord{Service: loadService(&s.Service, p), Steady: s.Steady, Throttled: s.Throttled}
	if s.Definitions != nil {
		r.Definitions = make(map[string]ecstypes.TaskDefinition, len(s.Definitions))
		for id, sd := range s.Definitions {
			r.Definitions[id], _ = loadTaskDef(&sd, defContext{prefix: p.def})
		}
	}
	if s.Stable != nil {
		r.StableTaskDefinition = shape.Deref(longOrWhole(s.Stable, p.def))
	}
	if s.BreakerResets != nil {
		r.BreakerResets = make(map[string]time.Time, len(s.BreakerResets))
		for id, t := range s.BreakerResets {
			r.BreakerResets[id] = timeMS(t)
		}
	}
	return nil
}

func msTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func storeService(svc *ecstypes.Service, p servicePrefixes) storedService {
	return storedService{
		Status: svc.Status, LaunchType: svc.LaunchType, ARN: svc.ServiceArn, Name: svc.ServiceName,
		Cluster: shortOrWhole(svc.ClusterArn, p.cluster), Desired: svc.DesiredCount, Running: svc.RunningCount,
		Pending: svc.PendingCount, Def: shortOrWhole(svc.TaskDefinition, p.def), PlatformVersion: svc.PlatformVersion,
		PlatformFamily: svc.PlatformFamily, CreatedAt: ms(svc.CreatedAt), CreatedBy: svc.CreatedBy,
		Deployments:       mapSlice(svc.Deployments, func(d *ecstypes.Deployment) storedDeployment { return storeDeployment(d, p) }),
		Events:            storeEvents(svc.Events, svc.ServiceName),
		CurrentDeployment: shortOrWhole(svc.CurrentServiceDeployment, p.deployment),
		CurrentRevisions: mapSlice(svc.CurrentServiceRevisions, func(c *ecstypes.ServiceCurrentRevisionSummary) storedRevision {
			return storedRevision{ARN: shortOrWhole(c.Arn, p.revision), Requested: c.RequestedTaskCount, Running: c.RunningTaskCount,
				Pending: c.PendingTaskCount}
		}),
		ResourceManagement: string(svc.ResourceManagementType),
		TaskSets:           mapSlice(svc.TaskSets, func(t *ecstypes.TaskSet) storedTaskSet { return storeTaskSet(t, p) }),
		Spec: serviceSpec{
			LoadBalancers: svc.LoadBalancers, ServiceRegistries: svc.ServiceRegistries, CapacityProviderStrategy: svc.CapacityProviderStrategy,
			DeploymentConfiguration: svc.DeploymentConfiguration, Role: svc.RoleArn, PlacementConstraints: svc.PlacementConstraints,
			PlacementStrategy: svc.PlacementStrategy, NetworkConfiguration: svc.NetworkConfiguration,
			HealthCheckGracePeriodSeconds: svc.HealthCheckGracePeriodSeconds, SchedulingStrategy: svc.SchedulingStrategy,
			DeploymentController: svc.DeploymentController, Tags: svc.Tags, EnableECSManagedTags: svc.EnableECSManagedTags,
			PropagateTags: svc.PropagateTags, EnableExecuteCommand: svc.EnableExecuteCommand,
			AvailabilityZoneRebalancing: svc.AvailabilityZoneRebalancing,
		},
	}
}

func loadService(s *storedService, p servicePrefixes) ecstypes.Service {
	sp := &s.Spec
	return ecstypes.Service{
		ServiceArn: s.ARN, ServiceName: s.Name, ClusterArn: longOrWhole(s.Cluster, p.cluster), LoadBalancers: sp.LoadBalancers,
		ServiceRegistries: sp.ServiceRegistries, Status: s.Status, DesiredCount: s.Desired, RunningCount: s.Running,
		PendingCount: s.Pending, LaunchType: s.LaunchType, CapacityProviderStrategy: sp.CapacityProviderStrategy,
		PlatformVersion: s.PlatformVersion, PlatformFamily: s.PlatformFamily, TaskDefinition: longOrWhole(s.Def, p.def),
		DeploymentConfiguration: sp.DeploymentConfiguration,
		TaskSets:                mapSlice(s.TaskSets, func(t *storedTaskSet) ecstypes.TaskSet { return loadTaskSet(t, p) }),
		Deployments:             mapSlice(s.Deployments, func(d *storedDeployment) ecstypes.Deployment { return loadDeployment(d, p) }),
		RoleArn:                 sp.Role,
		Events:                  loadEvents(s.Events, s.Name),
		CreatedAt:               fromMS(s.CreatedAt), PlacementConstraints: sp.PlacementConstraints, PlacementStrategy: sp.PlacementStrategy,
		NetworkConfiguration: sp.NetworkConfiguration, HealthCheckGracePeriodSeconds: sp.HealthCheckGracePeriodSeconds,
		SchedulingStrategy: sp.SchedulingStrategy, DeploymentController: sp.DeploymentController, Tags: sp.Tags,
		CreatedBy: s.CreatedBy, EnableECSManagedTags: sp.EnableECSManagedTags, PropagateTags: sp.PropagateTags,
		EnableExecuteCommand: sp.EnableExecuteCommand, AvailabilityZoneRebalancing: sp.AvailabilityZoneRebalancing,
		CurrentServiceDeployment: longOrWhole(s.CurrentDeployment, p.deployment),
		CurrentServiceRevisions: mapSlice(s.CurrentRevisions, func(c *storedRevision) ecstypes.ServiceCurrentRevisionSummary {
			return ecstypes.ServiceCurrentRevisionSummary{Arn: longOrWhole(c.ARN, p.revision), RequestedTaskCount: c.Requested,
				RunningTaskCount: c.Running, PendingTaskCount: c.Pending}
		}),
		ResourceManagementType: ecstypes.ResourceManagementType(s.ResourceManagement),
	}
}

func storeDeployment(d *ecstypes.Deployment, p servicePrefixes) storedDeployment {
	s := storedDeployment{
		ID: d.Id, Status: d.Status, Def: shortOrWhole(d.TaskDefinition, p.def), Desired: d.DesiredCount, Pending: d.PendingCount,
		Running: d.RunningCount, Failed: d.FailedTasks, CreatedAt: ms(d.CreatedAt), UpdatedAt: ms(d.UpdatedAt),
		LaunchType: d.LaunchType, PlatformVersion: d.PlatformVersion, PlatformFamily: d.PlatformFamily, Rollout: d.RolloutState,
		RolloutReason: d.RolloutStateReason, ServiceConnectResources: d.ServiceConnectResources,
		Spec: deploymentSpec{CapacityProviderStrategy: d.CapacityProviderStrategy, NetworkConfiguration: d.NetworkConfiguration,
			ServiceConnectConfiguration: d.ServiceConnectConfiguration, VolumeConfigurations: d.VolumeConfigurations,
			VpcLatticeConfigurations: d.VpcLatticeConfigurations},
	}
	if f := d.FargateEphemeralStorage; f != nil {
		s.HasFargate, s.FargateKMSKey = true, f.KmsKeyId
	}
	return s
}

func loadDeployment(s *storedDeployment, p servicePrefixes) ecstypes.Deployment {
	d := ecstypes.Deployment{
		Id: s.ID, Status: s.Status, TaskDefinition: longOrWhole(s.Def, p.def), DesiredCount: s.Desired, PendingCount: s.Pending,
		RunningCount: s.Running, FailedTasks: s.Failed, CreatedAt: fromMS(s.CreatedAt), UpdatedAt: fromMS(s.UpdatedAt),
		CapacityProviderStrategy: s.Spec.CapacityProviderStrategy, LaunchType: s.LaunchType, PlatformVersion: s.PlatformVersion,
		PlatformFamily: s.PlatformFamily, NetworkConfiguration: s.Spec.NetworkConfiguration, RolloutState: s.Rollout,
		RolloutStateReason: s.RolloutReason, ServiceConnectConfiguration: s.Spec.ServiceConnectConfiguration,
		ServiceConnectResources: s.ServiceConnectResources, VolumeConfigurations: s.Spec.VolumeConfigurations,
		VpcLatticeConfigurations: s.Spec.VpcLatticeConfigurations,
	}
	if s.HasFargate {
		d.FargateEphemeralStorage = &ecstypes.DeploymentEphemeralStorage{KmsKeyId: s.FargateKMSKey}
	}
	return d
}

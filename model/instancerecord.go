package model

import (
	"encoding/json"
	"fmt"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// A container instance record (state.InstanceRecord) is stored in its own
// form, versioned and independent of the generated wire shapes, as the
// task record (taskrecord.go):
//
//   - "v" is the form's version (1); a record without it is the legacy
//     form ({"instance": wire ContainerInstance, "nodeId": …}), which
//     state.InstanceRecord still decodes;
//   - our own short names for everything (the whole record is wharf's:
//     the agent reports it, the API and placement update it);
//   - resources compact ({"n":"CPU","t":"INTEGER","i":2048}), attributes
//     compact (compactAttr: "ecs.os-type=linux", "~task-iam-role"), times
//     in unix milliseconds;
//   - lists keep the difference between absent and empty.
//
// The instance keeps "status" under that name in "instance": awsapi/ecs's
// cluster counts decode only it.
const instanceRecordVersion = 1

type storedInstanceRecord struct {
	V        int            `json:"v"`
	Instance storedInstance `json:"instance"`
	Node     string         `json:"node,omitzero"`
}

type storedInstance struct {
	Status           *string            `json:"status,omitzero"`
	ARN              *string            `json:"arn,omitzero"`
	EC2              *string            `json:"ec2,omitzero"`
	CapacityProvider *string            `json:"capacityProvider,omitzero"`
	Version          int64              `json:"version,omitzero"`
	Agent            *storedVersionInfo `json:"agent,omitzero"`
	Remaining        []storedResource   `json:"remaining,omitzero"`
	Registered       []storedResource   `json:"registered,omitzero"`
	StatusReason     *string            `json:"statusReason,omitzero"`
	Connected        bool               `json:"connected,omitzero"`
	Running          int32              `json:"running,omitzero"`
	Pending          int32              `json:"pending,omitzero"`
	AgentUpdate      string             `json:"agentUpdate,omitzero"`
	Attributes       []compactAttr      `json:"attrs,omitzero"`
	RegisteredAt     int64              `json:"registeredAt,omitzero"`
	Attachments      []storedInstAttach `json:"attachments,omitzero"`
	Tags             []storedPair       `json:"tags,omitzero"`
	Health           *storedInstHealth  `json:"health,omitzero"`
	GPUs             []storedGPU        `json:"gpus,omitzero"`
}

type storedVersionInfo struct {
	Agent  *string `json:"agent,omitzero"`
	Hash   *string `json:"hash,omitzero"`
	Docker *string `json:"docker,omitzero"`
}

type storedResource struct {
	Name   *string  `json:"n,omitzero"`
	Type   *string  `json:"t,omitzero"`
	Double float64  `json:"d,omitzero"`
	Long   int64    `json:"l,omitzero"`
	Int    int32    `json:"i,omitzero"`
	Set    []string `json:"s,omitzero"`
}

type storedInstAttach struct {
	ID      *string      `json:"id,omitzero"`
	Type    *string      `json:"type,omitzero"`
	Status  *string      `json:"status,omitzero"`
	Details []storedPair `json:"details,omitzero"`
}

type storedInstHealth struct {
	Overall string            `json:"overall,omitzero"`
	Details []storedInstCheck `json:"details,omitzero"`
}

type storedInstCheck struct {
	Type             string  `json:"type,omitzero"`
	Status           string  `json:"status,omitzero"`
	LastUpdated      int64   `json:"lastUpdated,omitzero"`
	LastStatusChange int64   `json:"lastStatusChange,omitzero"`
	Reason           *string `json:"reason,omitzero"`
}

type storedGPU struct {
	ID         *string `json:"id,omitzero"`
	Sharing    string  `json:"sharing,omitzero"`
	TotalMiB   *int32  `json:"totalMiB,omitzero"`
	FreeMiB    *int32  `json:"freeMiB,omitzero"`
	Containers *int32  `json:"containers,omitzero"`
}

// MarshalInstanceRecord writes a container instance and the node that runs
// it in the stored form (version 1).
func MarshalInstanceRecord(ci *ecstypes.ContainerInstance, node string) ([]byte, error) {
	s := storedInstanceRecord{V: instanceRecordVersion, Node: node, Instance: storedInstance{
		Status: ci.Status, ARN: ci.ContainerInstanceArn, EC2: ci.Ec2InstanceId, CapacityProvider: ci.CapacityProviderName,
		Version: ci.Version, Remaining: mapSlice(ci.RemainingResources, storeResource), Registered: mapSlice(ci.RegisteredResources, storeResource),
		StatusReason: ci.StatusReason, Connected: ci.AgentConnected, Running: ci.RunningTasksCount, Pending: ci.PendingTasksCount,
		AgentUpdate: string(ci.AgentUpdateStatus), Attributes: mapSlice(ci.Attributes, storeAttr), RegisteredAt: ms(ci.RegisteredAt),
		Attachments: mapSlice(ci.Attachments, func(a *ecstypes.Attachment) storedInstAttach {
			return storedInstAttach{ID: a.Id, Type: a.Type, Status: a.Status, Details: mapSlice(a.Details, storeKV)}
		}),
		Tags: mapSlice(ci.Tags, storeTag),
		GPUs: mapSlice(ci.GpuDevices, func(g *ecstypes.GpuDevice) storedGPU {
			return storedGPU{ID: g.GpuId, Sharing: string(g.SharingMode), TotalMiB: g.TotalMemoryInMiB, FreeMiB: g.RemainingMemoryInMiB,
				Containers: g.ContainerCount}
		}),
	}}
	if v := ci.VersionInfo; v != nil {
		s.Instance.Agent = &storedVersionInfo{Agent: v.AgentVersion, Hash: v.AgentHash, Docker: v.DockerVersion}
	}
	if h := ci.HealthStatus; h != nil {
		s.Instance.Health = &storedInstHealth{Overall: string(h.OverallStatus), Details: mapSlice(h.Details,
			func(d *ecstypes.InstanceHealthCheckResult) storedInstCheck {
				return storedInstCheck{Type: string(d.Type), Status: string(d.Status), LastUpdated: ms(d.LastUpdated),
					LastStatusChange: ms(d.LastStatusChange), Reason: d.StatusReason}
			})}
	}
	return json.Marshal(s)
}

// UnmarshalInstanceRecord reads the stored form that MarshalInstanceRecord
// writes; the legacy form is the caller's (it has no version to read).
func UnmarshalInstanceRecord(b []byte) (ecstypes.ContainerInstance, string, error) {
	var r storedInstanceRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return ecstypes.ContainerInstance{}, "", err
	}
	if r.V != instanceRecordVersion {
		return ecstypes.ContainerInstance{}, "", fmt.Errorf("container instance record version %d is not %d", r.V, instanceRecordVersion)
	}
	s := &r.Instance
	ci := ecstypes.ContainerInstance{
		ContainerInstanceArn: s.ARN, Ec2InstanceId: s.EC2, CapacityProviderName: s.CapacityProvider, Version: s.Version,
		RemainingResources: mapSlice(s.Remaining, loadResource), RegisteredResources: mapSlice(s.Registered, loadResource),
		Status: s.Status, StatusReason: s.StatusReason, AgentConnected: s.Connected, RunningTasksCount: s.Running,
		PendingTasksCount: s.Pending, AgentUpdateStatus: ecstypes.AgentUpdateStatus(s.AgentUpdate),
		Attributes: mapSlice(s.Attributes, loadAttr), RegisteredAt: fromMS(s.RegisteredAt),
		Attachments: mapSlice(s.Attachments, func(a *storedInstAttach) ecstypes.Attachment {
			return ecstypes.Attachment{Id: a.ID, Type: a.Type, Status: a.Status, Details: mapSlice(a.Details, loadKV)}
		}),
		Tags: mapSlice(s.Tags, loadTag),
		GpuDevices: mapSlice(s.GPUs, func(g *storedGPU) ecstypes.GpuDevice {
			return ecstypes.GpuDevice{GpuId: g.ID, SharingMode: ecstypes.GpuSharingMode(g.Sharing), TotalMemoryInMiB: g.TotalMiB,
				RemainingMemoryInMiB: g.FreeMiB, ContainerCount: g.Containers}
		}),
	}
	if v := s.Agent; v != nil {
		ci.VersionInfo = &ecstypes.VersionInfo{AgentVersion: v.Agent, AgentHash: v.Hash, DockerVersion: v.Docker}
	}
	if h := s.Health; h != nil {
		ci.HealthStatus = &ecstypes.ContainerInstanceHealthStatus{OverallStatus: ecstypes.InstanceHealthCheckState(h.Overall),
			Details: mapSlice(h.Details, func(d *storedInstCheck) ecstypes.InstanceHealthCheckResult {
				return ecstypes.InstanceHealthCheckResult{Type: ecstypes.InstanceHealthCheckType(d.Type),
					Status: ecstypes.InstanceHealthCheckState(d.Status), LastUpdated: fromMS(d.LastUpdated),
					LastStatusChange: fromMS(d.LastStatusChange), StatusReason: d.Reason}
			})}
	}
	return ci, r.Node, nil
}

func storeResource(r *ecstypes.Resource) storedResource {
	return storedResource{Name: r.Name, Type: r.Type, Double: r.DoubleValue, Long: r.LongValue, Int: r.IntegerValue, Set: r.StringSetValue}
}

func loadResource(s *storedResource) ecstypes.Resource {
	return ecstypes.Resource{Name: s.Name, Type: s.Type, DoubleValue: s.Double, LongValue: s.Long, IntegerValue: s.Int, StringSetValue: s.Set}
}

func storeKV(p *ecstypes.KeyValuePair) storedPair { return storedPair{K: p.Name, V: p.Value} }
func loadKV(p *storedPair) ecstypes.KeyValuePair  { return ecstypes.KeyValuePair{Name: p.K, Value: p.V} }
func storeTag(t *ecstypes.Tag) storedPair         { return storedPair{K: t.Key, V: t.Value} }
func loadTag(p *storedPair) ecstypes.Tag          { return ecstypes.Tag{Key: p.K, Value: p.V} }

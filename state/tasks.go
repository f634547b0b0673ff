package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Desired status values.
const (
	DesiredRunning = "RUNNING"
	DesiredStopped = "STOPPED"
)

// Launch is one request to start tasks of a task definition, resolved:
// from RunTask, StartTask or the service scheduler.
type Launch struct {
	Scope      model.Scope
	Cluster    string
	Definition ecstypes.TaskDefinition
	LaunchType ecstypes.LaunchType
	// Provider is the capacity provider a strategy chose ("" for none).
	Provider             string
	Count                int
	Group, StartedBy     string
	Overrides            *ecstypes.TaskOverride
	Network              *ecstypes.NetworkConfiguration
	Tags                 []ecstypes.Tag
	EnableExecuteCommand bool
	Constraints          []ecstypes.PlacementConstraint
	Strategies           []ecstypes.PlacementStrategy
}

// Target is where one task goes.
type Target struct {
	Node     string
	Instance string // container instance ARN; "" for FARGATE
	AZ       string
}

// NewID returns 32 hex digits, the shape of ECS task and container
// instance ids: 12 of milliseconds since the epoch, then 20 random.
// Ids, and so the keys of task records and their index entries, sort by
// the time they were made, so the new tasks of a commit land on the same
// few B-tree leaves at the end of their ranges rather than on one random
// leaf each; that halved the pages a RunTask writes and more than doubled
// placements per second with the commit (BenchmarkPlaceCommit).
func NewID() string { return newIDAt(time.Now()) }

func newIDAt(t time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	return hex.EncodeToString(b[:])
}

// CreateTask writes a new task record, PROVISIONING with desired RUNNING,
// assigned to the target's node.
func CreateTask(tx store.Tx, l *Launch, t Target, now time.Time) (ecstypes.Task, error) {
	p, err := PrepareTask(l, t, now)
	if err != nil {
		return ecstypes.Task{}, err
	}
	return p.Record.Task, PutNewTask(tx, l.Scope, l.Cluster, p)
}

// PreparedTask is a new task's record, built and encoded before the write
// transaction: a caller that plans on a snapshot (RunTask) does that work
// outside the store's write lock, where concurrent callers run it in
// parallel, and the commit only writes the bytes and the indexes.
type PreparedTask struct {
	Record  model.TaskRecord
	Encoded []byte
}

// PrepareTask builds the record of a new task for target t, PROVISIONING
// with desired RUNNING, and encodes it.
func PrepareTask(l *Launch, t Target, now time.Time) (PreparedTask, error) {
	rec := newTaskRecord(l, t, now)
	b, err := rec.MarshalJSON()
	if err != nil {
		return PreparedTask{}, fmt.Errorf("state: encode task %s: %w", shape.Deref(rec.Task.TaskArn), err)
	}
	return PreparedTask{Record: rec, Encoded: b}, nil
}

// PutNewTask writes a prepared task and its index entries. Its id is new,
// so there is no stored version to move the indexes from.
func PutNewTask(tx store.Tx, sc model.Scope, cluster string, p PreparedTask) error {
	arn := shape.Deref(p.Record.Task.TaskArn)
	id := LastSegment(arn)
	key := TaskKey(sc, cluster, id)
	if err := tx.Put(key, p.Encoded); err != nil {
		return err
	}
	if err := indexTask(tx, sc, cluster, id, nil, &p.Record); err != nil {
		return err
	}
	if p.Record.NodeID == "" {
		return nil
	}
	return tx.Put(NodeTaskKey(p.Record.NodeID, arn), []byte(key))
}

// newTaskRecord is a new task's record.
func newTaskRecord(l *Launch, t Target, now time.Time) model.TaskRecord {
	id := NewID()
	sc := l.Scope
	arn := sc.TaskARN(l.Cluster, id)
	td := l.Definition
	ts := shape.TimeOf(now)
	group := l.Group
	if group == "" {
		group = "family:" + shape.Deref(td.Family)
	}
	task := ecstypes.Task{
		TaskArn:              new(arn),
		ClusterArn:           new(sc.ClusterARN(l.Cluster)),
		TaskDefinitionArn:    td.TaskDefinitionArn,
		LastStatus:           new(model.TaskProvisioning),
		DesiredStatus:        new(DesiredRunning),
		LaunchType:           l.LaunchType,
		CreatedAt:            ts,
		Group:                new(group),
		Version:              1,
		Tags:                 shape.OrEmpty(l.Tags),
		Attributes:           []ecstypes.Attribute{},
		Attachments:          []ecstypes.Attachment{},
		EnableExecuteCommand: l.EnableExecuteCommand,
		Overrides:            OverridesOf(l.Overrides, td),
		HealthStatus:         ecstypes.HealthStatusUnknown,
		AvailabilityZone:     new(t.AZ),
		Cpu:                  td.Cpu,
		Memory:               td.Memory,
	}
	if l.StartedBy != "" {
		task.StartedBy = new(l.StartedBy)
	}
	if t.Instance != "" {
		task.ContainerInstanceArn = new(t.Instance)
	}
	if l.Provider != "" {
		task.CapacityProviderName = new(l.Provider)
	}
	if l.LaunchType == ecstypes.LaunchTypeFargate {
		task.PlatformVersion = new("1.4.0")
		task.PlatformFamily = new("Linux")
		task.Connectivity = ecstypes.ConnectivityConnected
		task.ConnectivityAt = ts
		task.EphemeralStorage = &ecstypes.EphemeralStorage{SizeInGiB: 20}
	}
	if ov := l.Overrides; ov != nil {
		if ov.Cpu != nil {
			task.Cpu = ov.Cpu
		}
		if ov.Memory != nil {
			task.Memory = ov.Memory
		}
	}
	for _, cd := range td.ContainerDefinitions {
		c := ecstypes.Container{
			ContainerArn:      new(sc.ARN("container/" + l.Cluster + "/" + id + "/" + NewID())),
			TaskArn:           new(arn),
			Name:              cd.Name,
			Image:             cd.Image,
			LastStatus:        new("PENDING"),
			NetworkBindings:   []ecstypes.NetworkBinding{},
			NetworkInterfaces: []ecstypes.NetworkInterface{},
			HealthStatus:      ecstypes.HealthStatusUnknown,
			Cpu:               new(strconv.Itoa(int(cd.Cpu))),
		}
		if cd.Memory != nil {
			c.Memory = new(strconv.Itoa(int(*cd.Memory)))
		}
		if cd.MemoryReservation != nil {
			c.MemoryReservation = new(strconv.Itoa(int(*cd.MemoryReservation)))
		}
		task.Containers = append(task.Containers, c)
	}
	return model.TaskRecord{Task: task, Definition: td, NodeID: t.Node, Network: l.Network}
}

// OverridesOf is a task's overrides as ECS reports them: one entry per
// container, named, even where nothing was overridden.
func OverridesOf(in *ecstypes.TaskOverride, td ecstypes.TaskDefinition) *ecstypes.TaskOverride {
	out := &ecstypes.TaskOverride{InferenceAcceleratorOverrides: []ecstypes.InferenceAcceleratorOverride{}}
	if in != nil {
		cp := *in
		out = &cp
		out.InferenceAcceleratorOverrides = shape.OrEmpty(out.InferenceAcceleratorOverrides)
		out.ContainerOverrides = slices.Clone(in.ContainerOverrides)
	}
	for _, cd := range td.ContainerDefinitions {
		if !slices.ContainsFunc(out.ContainerOverrides, func(co ecstypes.ContainerOverride) bool { return shape.Deref(co.Name) == shape.Deref(cd.Name) }) {
			out.ContainerOverrides = append(out.ContainerOverrides, ecstypes.ContainerOverride{Name: cd.Name})
		}
	}
	return out
}

// FindTask resolves a task reference (ARN or id) in a cluster.
func FindTask(tx store.ReadTx, sc model.Scope, cluster, ref string) (model.TaskRecord, bool, error) {
	return store.Get[model.TaskRecord](tx, TaskKey(sc, cluster, LastSegment(ref)))
}

// InstanceStatuses reads the status (ACTIVE, DRAINING, …) of each named
// container instance of the cluster by its key: a service pass asks about
// the instances its own tasks are on, so it costs the service, not the
// cluster. Records are decoded through placement's cache, which keeps an
// unchanged record from being decoded again. An instance that is gone is
// left out.
func InstanceStatuses(tx store.ReadTx, sc model.Scope, cluster string, arns []string) (map[string]string, error) {
	out := make(map[string]string, len(arns))
	for _, arn := range arns {
		if _, done := out[arn]; done || arn == "" {
			continue
		}
		kv, ok, err := tx.Get(InstanceKey(sc, cluster, LastSegment(arn)))
		if err != nil {
			return nil, fmt.Errorf("state: read container instance %s: %w", arn, err)
		}
		if !ok {
			continue
		}
		ci, err := placeableInstances.get(kv)
		if err != nil {
			return nil, err
		}
		out[arn] = ci.status
	}
	return out, nil
}

// RequestStop sets a task's desired status to STOPPED with a code and
// reason, once: a second stop keeps the first reason, as ECS does. A task
// no agent holds is stopped at once.
func RequestStop(tx store.Tx, sc model.Scope, cluster string, rec *model.TaskRecord, code ecstypes.TaskStopCode, reason string, now time.Time) error {
	t := &rec.Task
	if shape.Deref(t.DesiredStatus) == DesiredStopped {
		return nil
	}
	t.DesiredStatus = new(DesiredStopped)
	t.StopCode = code
	t.StoppedReason = new(reason)
	t.StoppingAt = shape.TimeOf(now)
	t.Version++
	if rec.NodeID == "" {
		MarkStopped(rec, now)
	}
	return PutTask(tx, sc, cluster, rec)
}

// MarkStopped records a task as STOPPED with what it has.
func MarkStopped(rec *model.TaskRecord, now time.Time) {
	t := &rec.Task
	t.LastStatus = new(model.TaskStopped)
	t.DesiredStatus = new(DesiredStopped)
	t.StoppedAt = shape.TimeOf(now)
	if t.ExecutionStoppedAt.IsZero() {
		t.ExecutionStoppedAt = t.StoppedAt
	}
	for i := range t.Containers {
		if shape.Deref(t.Containers[i].LastStatus) != "STOPPED" {
			t.Containers[i].LastStatus = new("STOPPED")
		}
	}
}

// PutTask writes a task record and keeps the indexes in step (see
// index.go), in the same transaction: every task write goes through here.
// A task leaves its node's assignments once it is STOPPED, and every other
// write rewrites the node index entry, which wakes the node's long poll.
func PutTask(tx store.Tx, sc model.Scope, cluster string, rec *model.TaskRecord) error {
	arn := shape.Deref(rec.Task.TaskArn)
	id := LastSegment(arn)
	key := TaskKey(sc, cluster, id)
	// The indexes move from what the stored version contributed to what
	// this one does.
	old, had, err := store.Get[model.TaskRecord](tx, key)
	if err != nil {
		return err
	}
	prev := &old
	if !had {
		prev = nil
	}
	if err := store.Put(tx, key, rec); err != nil {
		return err
	}
	if err := indexTask(tx, sc, cluster, id, prev, rec); err != nil {
		return err
	}
	if rec.NodeID == "" {
		return nil
	}
	if shape.Deref(rec.Task.LastStatus) == model.TaskStopped {
		return tx.Delete(NodeTaskKey(rec.NodeID, arn))
	}
	return tx.Put(NodeTaskKey(rec.NodeID, arn), []byte(key))
}

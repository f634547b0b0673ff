package logs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Container Insights performance log events, as ECS writes them when a
// cluster's containerInsights setting is on: one JSON event per task,
// container, service and cluster each minute, in the cluster's performance
// group, one stream per container instance. Whoever measures the tasks
// (the stats collector) builds the events with these types and appends
// them with PutPerformanceEvents; Logs Insights queries and metric filters
// then see them as on AWS.

// PerformanceGroup is the cluster's performance log group.
func PerformanceGroup(cluster string) string {
	return "/aws/ecs/containerinsights/" + cluster + "/performance"
}

// PerformanceStream is the stream of a container instance's events
// (AgentTelemetry-ID on the EC2 launch type; FARGATE tasks use
// FargateTelemetry-ID).
func PerformanceStream(containerInstanceID string) string {
	return "AgentTelemetry-" + containerInstanceID
}

// performanceRetentionDays is how long ECS keeps performance events.
const performanceRetentionDays = 1

// TaskPerformance is a "Type": "Task" event. CPU is in CPU units, memory
// in MiB, byte counts cumulative.
type TaskPerformance struct {
	Version string `json:"Version"`
	Type    string `json:"Type"`
	TaskOf
	AccountID        string `json:"AccountID"`
	Region           string `json:"Region"`
	AvailabilityZone string `json:"AvailabilityZone,omitempty"`
	KnownStatus      string `json:"KnownStatus"`
	LaunchType       string `json:"LaunchType"`
	PullStartedAt    int64  `json:"PullStartedAt,omitempty"`
	PullStoppedAt    int64  `json:"PullStoppedAt,omitempty"`
	CreatedAt        int64  `json:"CreatedAt,omitempty"`
	StartedAt        int64  `json:"StartedAt,omitempty"`
	Timestamp        int64  `json:"Timestamp"`
	Usage
	CloudWatchMetrics []metricDirect `json:"CloudWatchMetrics"`
}

// ContainerPerformance is a "Type": "Container" event.
type ContainerPerformance struct {
	Version       string `json:"Version"`
	Type          string `json:"Type"`
	ContainerName string `json:"ContainerName"`
	TaskOf
	Image                string `json:"Image"`
	ContainerKnownStatus string `json:"ContainerKnownStatus"`
	Timestamp            int64  `json:"Timestamp"`
	Usage
}

// TaskOf names the task a Task or Container event is about; its fields
// are the events' own in JSON.
type TaskOf struct {
	TaskID                 string `json:"TaskId"`
	TaskDefinitionFamily   string `json:"TaskDefinitionFamily"`
	TaskDefinitionRevision string `json:"TaskDefinitionRevision"`
	ContainerInstanceID    string `json:"ContainerInstanceId,omitempty"`
	EC2InstanceID          string `json:"EC2InstanceId,omitempty"`
	ServiceName            string `json:"ServiceName,omitempty"`
	ClusterName            string `json:"ClusterName"`
}

// Usage is what the Task and Container events measure, in ECS's units
// (CPU units, MiB, bytes per second); its fields are the events' own in
// JSON.
type Usage struct {
	CPUUtilized       float64 `json:"CpuUtilized"`
	CPUReserved       float64 `json:"CpuReserved"`
	MemoryUtilized    int64   `json:"MemoryUtilized"`
	MemoryReserved    int64   `json:"MemoryReserved"`
	StorageReadBytes  int64   `json:"StorageReadBytes"`
	StorageWriteBytes int64   `json:"StorageWriteBytes"`
	NetworkRxBytes    int64   `json:"NetworkRxBytes"`
	NetworkRxDropped  int64   `json:"NetworkRxDropped"`
	NetworkRxErrors   int64   `json:"NetworkRxErrors"`
	NetworkRxPackets  int64   `json:"NetworkRxPackets"`
	NetworkTxBytes    int64   `json:"NetworkTxBytes"`
	NetworkTxDropped  int64   `json:"NetworkTxDropped"`
	NetworkTxErrors   int64   `json:"NetworkTxErrors"`
	NetworkTxPackets  int64   `json:"NetworkTxPackets"`
}

// ServicePerformance is a "Type": "Service" event.
type ServicePerformance struct {
	Version           string         `json:"Version"`
	Type              string         `json:"Type"`
	ServiceName       string         `json:"ServiceName"`
	ClusterName       string         `json:"ClusterName"`
	Timestamp         int64          `json:"Timestamp"`
	DesiredTaskCount  int64          `json:"DesiredTaskCount"`
	RunningTaskCount  int64          `json:"RunningTaskCount"`
	PendingTaskCount  int64          `json:"PendingTaskCount"`
	DeploymentCount   int64          `json:"DeploymentCount"`
	TaskSetCount      int64          `json:"TaskSetCount"`
	CloudWatchMetrics []metricDirect `json:"CloudWatchMetrics"`
}

// ClusterPerformance is a "Type": "Cluster" event.
type ClusterPerformance struct {
	Version                string         `json:"Version"`
	Type                   string         `json:"Type"`
	ClusterName            string         `json:"ClusterName"`
	Timestamp              int64          `json:"Timestamp"`
	TaskCount              int64          `json:"TaskCount"`
	ContainerInstanceCount int64          `json:"ContainerInstanceCount"`
	ServiceCount           int64          `json:"ServiceCount"`
	CloudWatchMetrics      []metricDirect `json:"CloudWatchMetrics"`
}

// metricDirect is the embedded metric directive ECS's events carry: which
// of their fields are ECS/ContainerInsights metrics, by which dimensions.
type metricDirect struct {
	Namespace  string       `json:"Namespace"`
	Metrics    []metricName `json:"Metrics"`
	Dimensions [][]string   `json:"Dimensions"`
}

type metricName struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

const insightsNamespace = "ECS/ContainerInsights"

func directive(dims [][]string, metrics ...string) []metricDirect {
	d := metricDirect{Namespace: insightsNamespace, Dimensions: dims}
	for i := 0; i < len(metrics); i += 2 {
		d.Metrics = append(d.Metrics, metricName{metrics[i], metrics[i+1]})
	}
	return []metricDirect{d}
}

// Complete fills the constant parts of the events (Version, Type and the
// metric directives), as ECS writes them.
func (e *TaskPerformance) Complete() {
	e.Version, e.Type = "0", "Task"
	e.CloudWatchMetrics = directive([][]string{{"ClusterName"}, {"ClusterName", "TaskDefinitionFamily"}},
		"CpuUtilized", "None", "CpuReserved", "None", "MemoryUtilized", "Megabytes", "MemoryReserved", "Megabytes",
		"StorageReadBytes", "Bytes/Second", "StorageWriteBytes", "Bytes/Second",
		"NetworkRxBytes", "Bytes/Second", "NetworkTxBytes", "Bytes/Second")
}

func (e *ContainerPerformance) Complete() { e.Version, e.Type = "0", "Container" }

func (e *ServicePerformance) Complete() {
	e.Version, e.Type = "0", "Service"
	e.CloudWatchMetrics = directive([][]string{{"ServiceName", "ClusterName"}},
		"DesiredTaskCount", "Count", "RunningTaskCount", "Count", "PendingTaskCount", "Count",
		"DeploymentCount", "Count", "TaskSetCount", "Count")
}

func (e *ClusterPerformance) Complete() {
	e.Version, e.Type = "0", "Cluster"
	e.CloudWatchMetrics = directive([][]string{{"ClusterName"}},
		"TaskCount", "Count", "ContainerInstanceCount", "Count", "ServiceCount", "Count")
}

// PutPerformanceEvents appends performance events (the types above, or
// any JSON document) at time at to the cluster's performance group of
// account and region, in stream, creating the group (kept one day, as
// ECS's) and the stream when they are missing. The events take
// PutLogEvents' path, so the group's metric filters apply.
func (a *API) PutPerformanceEvents(ctx context.Context, account, region, cluster, stream string, at time.Time, events ...any) error {
	if len(events) == 0 {
		return nil
	}
	ctx = awsapi.WithRequest(ctx, &awsapi.Request{Account: account, Region: region})
	sc := scopeOf(ctx)
	group := PerformanceGroup(cluster)
	in := &logstypes.PutLogEventsRequest{LogGroupName: new(group), LogStreamName: new(stream)}
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("performance event of %s: %w", cluster, err)
		}
		in.LogEvents = append(in.LogEvents, logstypes.InputLogEvent{Timestamp: new(at.UnixMilli()), Message: new(string(b))})
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, err := getGroup(tx, sc, group)
		if awsapi.IsCode(err, codeResourceNotFound) {
			id, err := nextID(tx)
			if err != nil {
				return err
			}
			g = groupRec{ID: id, Name: group, CreationTime: a.nowMillis(), Class: string(logstypes.LogGroupClassStandard),
				RetentionInDays: performanceRetentionDays}
			if err := store.Put(tx, groupKey(sc.Account, sc.Region, group), g); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		key := streamKey(g.ID, stream)
		if _, ok, err := tx.Get(key); err != nil || ok {
			return err
		}
		id, err := nextID(tx)
		if err != nil {
			return err
		}
		return store.Put(tx, key, streamRec{ID: id, Name: stream, CreationTime: a.nowMillis()})
	})
	if err != nil {
		return fmt.Errorf("performance log group of %s: %w", cluster, err)
	}
	if _, err := a.PutLogEvents(ctx, in); err != nil {
		return fmt.Errorf("performance events of %s: %w", cluster, err)
	}
	return nil
}

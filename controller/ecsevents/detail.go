package ecsevents

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
)

// The pure part: from a record's previous and current values, the events
// ECS would send, with their detail in ECS's shape.

// Event is one event for the default bus.
type Event struct {
	DetailType string
	Resources  []string
	Detail     []byte
}

// Detail types ECS sends.
const (
	TaskStateChange     = "ECS Task State Change"
	InstanceStateChange = "ECS Container Instance State Change"
	ServiceAction       = "ECS Service Action"
	DeploymentChange    = "ECS Deployment State Change"
)

// taskSig is what, changed, makes ECS send a task state change: the
// task's or a container's status.
func taskSig(t *ecstypes.Task) string {
	var b strings.Builder
	b.WriteString(shape.ToString(t.LastStatus) + "|" + shape.ToString(t.DesiredStatus) + "|" + string(t.StopCode))
	for _, c := range t.Containers {
		b.WriteString("|" + shape.ToString(c.LastStatus))
		if c.ExitCode != nil {
			b.WriteString(":" + strconv.Itoa(int(*c.ExitCode)))
		}
	}
	return b.String()
}

// TaskEvents is the task state change for a task whose status moved
// (prev nil: a new task).
func TaskEvents(prev, cur *model.TaskRecord, now time.Time) []Event {
	if prev != nil && taskSig(&prev.Task) == taskSig(&cur.Task) {
		return nil
	}
	return []Event{{DetailType: TaskStateChange, Resources: []string{shape.ToString(cur.Task.TaskArn)}, Detail: detailOf(cur.Task, now)}}
}

func instanceSig(i *ecstypes.ContainerInstance) string {
	return shape.ToString(i.Status) + "|" + strconv.FormatBool(i.AgentConnected) + "|" + strconv.Itoa(int(i.RunningTasksCount)) + "|" + strconv.Itoa(int(i.PendingTasksCount))
}

// InstanceEvents is the container instance state change for an instance
// whose status, agent connection or task counts (its resources) moved.
func InstanceEvents(prev, cur *state.InstanceRecord, now time.Time) []Event {
	if prev != nil && instanceSig(&prev.Instance) == instanceSig(&cur.Instance) {
		return nil
	}
	return []Event{{DetailType: InstanceStateChange, Resources: []string{shape.ToString(cur.Instance.ContainerInstanceArn)}, Detail: detailOf(cur.Instance, now)}}
}

// ServiceEvents are the service action and deployment state change events
// of a service's change: a deployment that began, completed or failed, and
// a service that reached a steady state.
func ServiceEvents(prev, cur *model.ServiceRecord, now time.Time) []Event {
	var out []Event
	svc := &cur.Service
	arn := shape.ToString(svc.ServiceArn)
	was := map[string]ecstypes.DeploymentRolloutState{}
	if prev != nil {
		for _, d := range prev.Service.Deployments {
			was[shape.ToString(d.Id)] = d.RolloutState
		}
	}
	for _, d := range svc.Deployments {
		id := shape.ToString(d.Id)
		if old, ok := was[id]; ok && old == d.RolloutState || d.RolloutState == "" {
			continue
		}
		typ, name, reason := "INFO", "", ""
		switch d.RolloutState {
		case ecstypes.DeploymentRolloutStateInProgress:
			name, reason = "SERVICE_DEPLOYMENT_IN_PROGRESS", "ECS deployment "+id+" in progress."
		case ecstypes.DeploymentRolloutStateCompleted:
			name, reason = "SERVICE_DEPLOYMENT_COMPLETED", "ECS deployment "+id+" completed."
		case ecstypes.DeploymentRolloutStateFailed:
			typ, name, reason = "ERROR", "SERVICE_DEPLOYMENT_FAILED", shape.ToString(d.RolloutStateReason)
			if reason == "" {
				reason = "ECS deployment " + id + " failed."
			}
		default:
			continue
		}
		out = append(out, Event{DetailType: DeploymentChange, Resources: []string{arn}, Detail: marshal(map[string]any{
			"eventType": typ, "eventName": name, "deploymentId": id, "updatedAt": iso(now), "reason": reason})})
	}
	fresh := newServiceEvents(prev, cur)
	out = append(out, stopEvents(arn, shape.ToString(svc.ClusterArn), fresh, now)...)
	for _, msg := range fresh {
		if !strings.Contains(msg, "was unable to place a task") {
			continue
		}
		out = append(out, Event{DetailType: ServiceAction, Resources: []string{arn}, Detail: marshal(map[string]any{
			"eventType": "WARN", "eventName": "SERVICE_TASK_PLACEMENT_FAILURE", "clusterArn": shape.ToString(svc.ClusterArn),
			"reason": placementReason(msg), "createdAt": iso(now)})})
	}
	if cur.Steady && (prev == nil || !prev.Steady) {
		out = append(out, Event{DetailType: ServiceAction, Resources: []string{arn}, Detail: marshal(map[string]any{
			"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE", "clusterArn": shape.ToString(svc.ClusterArn), "createdAt": iso(now)})})
	}
	return out
}

// keptServiceEvents is how many of a service's newest events the
// controller remembers to tell new ones apart.
const keptServiceEvents = 10

// newServiceEvents are the messages of the service events cur has and
// prev had not (newest first, as ECS lists them).
func newServiceEvents(prev, cur *model.ServiceRecord) []string {
	seen := map[string]bool{}
	if prev != nil {
		for _, e := range prev.Service.Events {
			seen[shape.ToString(e.Id)] = true
		}
	}
	var out []string
	for i, e := range cur.Service.Events {
		if seen[shape.ToString(e.Id)] || i >= keptServiceEvents {
			break
		}
		out = append(out, shape.ToString(e.Message))
	}
	return out
}

// placementReason is the reason of a placement failure event, from the
// service event's wording.
func placementReason(msg string) string {
	switch {
	case strings.Contains(msg, "insufficient memory"):
		return "RESOURCE:MEMORY"
	case strings.Contains(msg, "insufficient CPU"):
		return "RESOURCE:CPU"
	case strings.Contains(msg, "port required"):
		return "RESOURCE:PORTS"
	case strings.Contains(msg, "attribute"):
		return "ATTRIBUTE"
	}
	return "RESOURCE"
}

// detailOf is a resource as ECS puts it in an event: its API shape with
// ISO 8601 timestamps (the API's are epoch seconds) and updatedAt.
func detailOf(v any, now time.Time) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("{}")
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if dec.Decode(&m) != nil {
		return []byte("{}")
	}
	isoTimes(m)
	m["updatedAt"] = iso(now)
	return marshal(m)
}

// isoTimes rewrites the members named …At (createdAt, startedAt, …) from
// epoch seconds to ISO 8601, at any depth.
func isoTimes(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := e.(json.Number); ok && strings.HasSuffix(k, "At") {
				if f, err := n.Float64(); err == nil {
					sec, frac := math.Modf(f)
					x[k] = iso(time.Unix(int64(sec), int64(frac*1e9)))
				}
				continue
			}
			isoTimes(e)
		}
	case []any:
		for _, e := range x {
			isoTimes(e)
		}
	}
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("{}")
	}
	return b
}

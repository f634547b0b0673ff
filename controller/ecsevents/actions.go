package ecsevents

import (
	"regexp"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/state"
)

// Two more ECS Service Action events (INFO), as the ECS developer guide
// lists them:
//
//   - TASKS_STOPPED: "The service has stopped the running task." Sent with
//     the service scheduler's "(service S) has stopped N running tasks:
//     (task A) (task B)." service event; the detail names the tasks.
//   - SERVICE_DESIRED_COUNT_UPDATED: "When the service scheduler updates
//     the computed desired count for a service or task set. This event is
//     not sent when the desired count is manually updated by a user." In
//     wharf the scheduler computes a desired count for task sets (their
//     scale of the service's desired count); a service's own desiredCount
//     is only written by UpdateService or Application Auto Scaling.
//
// The detail carries the fields common to service action events
// (eventType, eventName, clusterArn, createdAt) and, as ECS adds for
// these, the tasks stopped (taskArns) or the new desired count with the
// task set it applies to.
const (
	tasksStopped        = "TASKS_STOPPED"
	desiredCountUpdated = "SERVICE_DESIRED_COUNT_UPDATED"
)

// stoppedMessage matches the scheduler's service event of a stop and
// captures the task ids; who is "(service S)" or "(service S, taskSet T)".
var stoppedMessage = regexp.MustCompile(`^\(service [^)]*\) has stopped \d+ running tasks: ((?:\(task [^)]+\) ?)+)\.$`)
var taskRef = regexp.MustCompile(`\(task ([^)]+)\)`)

// stoppedTasks is the task ids a service event message says were stopped,
// or nil when it is not a stop.
func stoppedTasks(msg string) []string {
	m := stoppedMessage.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	var ids []string
	for _, r := range taskRef.FindAllStringSubmatch(m[1], -1) {
		ids = append(ids, r[1])
	}
	return ids
}

// taskARNs turns task ids of a cluster into task ARNs.
func taskARNs(clusterARN string, ids []string) []string {
	// arn:aws:ecs:REGION:ACCOUNT:cluster/NAME → …:task/NAME/ID
	prefix, name, ok := strings.Cut(clusterARN, ":cluster/")
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !ok {
			out = append(out, id)
			continue
		}
		out = append(out, prefix+":task/"+name+"/"+id)
	}
	return out
}

// stopEvents are the TASKS_STOPPED events of a service's new service
// events.
func stopEvents(svcARN, clusterARN string, msgs []string, now time.Time) []Event {
	var out []Event
	for _, msg := range msgs {
		ids := stoppedTasks(msg)
		if ids == nil {
			continue
		}
		out = append(out, Event{DetailType: ServiceAction, Resources: []string{svcARN}, Detail: marshal(map[string]any{
			"eventType": "INFO", "eventName": tasksStopped, "clusterArn": clusterARN, "createdAt": iso(now),
			"reason": msg, "taskArns": taskARNs(clusterARN, ids)})})
	}
	return out
}

// TaskSetEvents is the SERVICE_DESIRED_COUNT_UPDATED event of a task set
// whose computed desired count the scheduler changed (prev nil: a new
// task set, whose first count is its creation, not an update).
func TaskSetEvents(prev, cur *state.TaskSetRecord, now time.Time) []Event {
	if prev == nil || prev.TaskSet.ComputedDesiredCount == cur.TaskSet.ComputedDesiredCount {
		return nil
	}
	ts := &cur.TaskSet
	return []Event{{DetailType: ServiceAction, Resources: []string{shape.ToString(ts.ServiceArn)}, Detail: marshal(map[string]any{
		"eventType": "INFO", "eventName": desiredCountUpdated, "clusterArn": shape.ToString(ts.ClusterArn), "createdAt": iso(now),
		"taskSetArn": shape.ToString(ts.TaskSetArn), "desiredCount": ts.ComputedDesiredCount})}}
}

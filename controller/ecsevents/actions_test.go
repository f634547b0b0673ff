package ecsevents

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
)

func withEvents(msgs ...string) *model.ServiceRecord {
	r := service(false)
	for i, m := range msgs {
		r.Service.Events = append(r.Service.Events, ecstypes.ServiceEvent{Id: new(string(rune('a' + i))), Message: new(m)})
	}
	return r
}

func TestTasksStopped(t *testing.T) {
	stop2 := "(service web) has stopped 2 running tasks: (task 1a) (task 2b)."
	cases := []struct {
		name      string
		prev, cur *model.ServiceRecord
		want      []string // taskArns of the TASKS_STOPPED event, nil: none
	}{
		{"scale-in stops two", withEvents(), withEvents(stop2),
			[]string{"arn:aws:ecs:us-east-1:000000000000:task/c/1a", "arn:aws:ecs:us-east-1:000000000000:task/c/2b"}},
		{"task set stop", withEvents(), withEvents("(service web, taskSet ecs-svc/1) has stopped 1 running tasks: (task 3c)."),
			[]string{"arn:aws:ecs:us-east-1:000000000000:task/c/3c"}},
		{"already said", withEvents(stop2), withEvents(stop2), nil},
		{"a start is not a stop", withEvents(), withEvents("(service web) has started 1 tasks: (task 4d)."), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, e := range ServiceEvents(c.prev, c.cur, now) {
				var d map[string]any
				if err := json.Unmarshal(e.Detail, &d); err != nil {
					t.Fatal(err)
				}
				if d["eventName"] != "TASKS_STOPPED" {
					continue
				}
				if e.DetailType != "ECS Service Action" || d["eventType"] != "INFO" || d["clusterArn"] != "arn:aws:ecs:us-east-1:000000000000:cluster/c" ||
					d["createdAt"] != "2026-01-02T03:04:05.000Z" || e.Resources[0] != "arn:aws:ecs:us-east-1:000000000000:service/c/web" {
					t.Fatalf("event: %s %v %s", e.DetailType, e.Resources, e.Detail)
				}
				for _, a := range d["taskArns"].([]any) {
					got = append(got, a.(string))
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("stopped %v, want %v", got, c.want)
			}
		})
	}
}

func taskSet(computed int32) *state.TaskSetRecord {
	return &state.TaskSetRecord{TaskSet: ecstypes.TaskSet{TaskSetArn: new("arn:aws:ecs:us-east-1:000000000000:task-set/c/web/ecs-svc/1"),
		ServiceArn: new("arn:aws:ecs:us-east-1:000000000000:service/c/web"), ClusterArn: new("arn:aws:ecs:us-east-1:000000000000:cluster/c"),
		ComputedDesiredCount: computed}}
}

func TestTaskSetDesiredCountUpdated(t *testing.T) {
	cases := []struct {
		name      string
		prev, cur *state.TaskSetRecord
		want      float64 // the event's desiredCount; -1: no event
	}{
		{"new task set", nil, taskSet(2), -1},
		{"scaled from 2 to 4", taskSet(2), taskSet(4), 4},
		{"unchanged (slimmed previous)", slim(taskSet(4)).(*state.TaskSetRecord), taskSet(4), -1},
		{"to zero", slim(taskSet(4)).(*state.TaskSetRecord), taskSet(0), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := TaskSetEvents(c.prev, c.cur, now)
			if c.want < 0 {
				if len(evs) != 0 {
					t.Fatalf("events: %v", evs)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("%d events", len(evs))
			}
			var d map[string]any
			if err := json.Unmarshal(evs[0].Detail, &d); err != nil {
				t.Fatal(err)
			}
			if d["eventName"] != "SERVICE_DESIRED_COUNT_UPDATED" || d["eventType"] != "INFO" || d["desiredCount"] != c.want ||
				d["taskSetArn"] != *c.cur.TaskSet.TaskSetArn || evs[0].Resources[0] != *c.cur.TaskSet.ServiceArn || evs[0].DetailType != "ECS Service Action" {
				t.Fatalf("event: %v %s", evs[0].Resources, evs[0].Detail)
			}
		})
	}
}

func TestKindOfTaskSets(t *testing.T) {
	if k := kindOf("ecs/000000000000/us-east-1/tasksets/c/web/ecs-svc-1"); k != "tasksets" {
		t.Fatalf("kind %q", k)
	}
}

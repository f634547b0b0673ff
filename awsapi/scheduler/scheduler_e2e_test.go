package scheduler_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// The Scheduler SDK module is not among the modules this build may use, so
// these tests speak restJson1 as the SDKs do: method, path labels, query
// parameters and a JSON body; errors in X-Amzn-ErrorType.

type client struct {
	t   *testing.T
	url string
}

func (c client) call(method, path string, body any) (int, string, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), out
}

func (c client) ok(method, path string, body any) map[string]any {
	c.t.Helper()
	status, code, out := c.call(method, path, body)
	if status != http.StatusOK {
		c.t.Fatalf("%s %s: %d %s %v", method, path, status, code, out)
	}
	return out
}

func ecsTarget() map[string]any {
	return map[string]any{"Arn": "arn:aws:ecs:us-east-1:000000000000:cluster/batch", "RoleArn": "arn:aws:iam::000000000000:role/sched",
		"EcsParameters": map[string]any{"TaskDefinitionArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/job:1", "TaskCount": 1,
			"Tags": []map[string]string{{"team": "data"}}}}
}

func TestSchedules(t *testing.T) {
	w := wharftest.Start(t)
	c := client{t, w.URL()}

	out := c.ok("POST", "/schedules/nightly", map[string]any{"ScheduleExpression": "cron(0 3 * * ? *)", "ScheduleExpressionTimezone": "Europe/Paris",
		"FlexibleTimeWindow": map[string]any{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}, "Target": ecsTarget(), "Description": "batch"})
	if out["ScheduleArn"] != "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly" {
		t.Fatalf("CreateSchedule: %v", out)
	}
	got := c.ok("GET", "/schedules/nightly", nil)
	if got["ScheduleExpressionTimezone"] != "Europe/Paris" || got["State"] != "ENABLED" || got["GroupName"] != "default" ||
		got["FlexibleTimeWindow"].(map[string]any)["MaximumWindowInMinutes"] != 15.0 || got["Description"] != "batch" ||
		got["Target"].(map[string]any)["EcsParameters"].(map[string]any)["TaskCount"] != 1.0 {
		t.Fatalf("GetSchedule: %v", got)
	}

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"exists", "POST", "/schedules/nightly", map[string]any{"ScheduleExpression": "rate(5 minutes)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()}, 409, "ConflictException"},
		{"bad expression", "POST", "/schedules/x", map[string]any{"ScheduleExpression": "rate(5 minute)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()}, 400, "ValidationException"},
		{"bad zone", "POST", "/schedules/x", map[string]any{"ScheduleExpression": "cron(0 3 * * ? *)", "ScheduleExpressionTimezone": "Mars/Olympus", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()}, 400, "ValidationException"},
		{"flexible without window", "POST", "/schedules/x", map[string]any{"ScheduleExpression": "rate(5 minutes)", "FlexibleTimeWindow": map[string]any{"Mode": "FLEXIBLE"}, "Target": ecsTarget()}, 400, "ValidationException"},
		{"no target", "POST", "/schedules/x", map[string]any{"ScheduleExpression": "rate(5 minutes)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}}, 400, "ValidationException"},
		{"missing group", "POST", "/schedules/x", map[string]any{"GroupName": "nope", "ScheduleExpression": "rate(5 minutes)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()}, 404, "ResourceNotFoundException"},
		{"missing schedule", "GET", "/schedules/ghost", nil, 404, "ResourceNotFoundException"},
		{"update missing", "PUT", "/schedules/ghost", map[string]any{"ScheduleExpression": "rate(5 minutes)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()}, 404, "ResourceNotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, out := c.call(tc.method, tc.path, tc.body)
			if status != tc.status || code != tc.code || out["Message"] == "" {
				t.Fatalf("%d %s %v, want %d %s", status, code, out, tc.status, tc.code)
			}
		})
	}

	// Groups, tags, listing by group and prefix, paging.
	if g := c.ok("POST", "/schedule-groups/jobs", map[string]any{"Tags": []map[string]string{{"Key": "team", "Value": "data"}}}); g["ScheduleGroupArn"] != "arn:aws:scheduler:us-east-1:000000000000:schedule-group/jobs" {
		t.Fatalf("CreateScheduleGroup: %v", g)
	}
	for _, n := range []string{"a-1", "a-2", "b-1"} {
		c.ok("POST", "/schedules/"+n, map[string]any{"GroupName": "jobs", "ScheduleExpression": "at(2030-01-01T00:00:00)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()})
	}
	var names []string
	token := ""
	for i := 0; i < 5; i++ {
		q := url.Values{"ScheduleGroup": {"jobs"}, "NamePrefix": {"a-"}, "MaxResults": {"1"}}
		if token != "" {
			q.Set("NextToken", token)
		}
		page := c.ok("GET", "/schedules?"+q.Encode(), nil)
		for _, s := range page["Schedules"].([]any) {
			names = append(names, s.(map[string]any)["Name"].(string))
		}
		next, _ := page["NextToken"].(string)
		if token = next; token == "" {
			break
		}
	}
	if len(names) != 2 || names[0] != "a-1" || names[1] != "a-2" {
		t.Fatalf("ListSchedules: %v", names)
	}
	if all := c.ok("GET", "/schedules", nil)["Schedules"].([]any); len(all) != 4 {
		t.Fatalf("ListSchedules of every group: %v", all)
	}
	groups := c.ok("GET", "/schedule-groups", nil)["ScheduleGroups"].([]any)
	if len(groups) != 2 || groups[0].(map[string]any)["Name"] != "default" || groups[1].(map[string]any)["State"] != "ACTIVE" {
		t.Fatalf("ListScheduleGroups: %v", groups)
	}
	groupARN := url.PathEscape("arn:aws:scheduler:us-east-1:000000000000:schedule-group/jobs")
	c.ok("POST", "/tags/"+groupARN, map[string]any{"Tags": []map[string]string{{"Key": "env", "Value": "prod"}}})
	c.ok("DELETE", "/tags/"+groupARN+"?TagKeys=team", nil)
	if tags := c.ok("GET", "/tags/"+groupARN, nil)["Tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["Key"] != "env" {
		t.Fatalf("tags: %v", tags)
	}

	// Update replaces the definition; delete removes it.
	c.ok("PUT", "/schedules/nightly", map[string]any{"ScheduleExpression": "rate(1 hour)", "State": "DISABLED", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()})
	if got := c.ok("GET", "/schedules/nightly", nil); got["ScheduleExpression"] != "rate(1 hour)" || got["State"] != "DISABLED" || got["Description"] != nil {
		t.Fatalf("after UpdateSchedule: %v", got)
	}
	c.ok("DELETE", "/schedules/nightly", nil)
	if status, _, _ := c.call("GET", "/schedules/nightly", nil); status != 404 {
		t.Fatalf("deleted schedule answers %d", status)
	}
	c.ok("DELETE", "/schedule-groups/jobs", nil)
	if all := c.ok("GET", "/schedules", nil)["Schedules"].([]any); len(all) != 0 {
		t.Fatalf("schedules of a deleted group remain: %v", all)
	}
}

// TestDeleteLargeGroup deletes a group holding more schedules than one
// store transaction may delete (tests bound it at etcd's 128 keys): the
// group and every schedule in it go.
func TestDeleteLargeGroup(t *testing.T) {
	w := wharftest.Start(t)
	c := client{t, w.URL()}
	c.ok("POST", "/schedule-groups/big", map[string]any{})
	const n = 150
	for i := range n {
		c.ok("POST", fmt.Sprintf("/schedules/s-%03d", i), map[string]any{"GroupName": "big", "ScheduleExpression": "at(2030-01-01T00:00:00)",
			"FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()})
	}
	c.ok("POST", "/schedules/keep", map[string]any{"ScheduleExpression": "at(2030-01-01T00:00:00)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "Target": ecsTarget()})
	c.ok("DELETE", "/schedule-groups/big", nil)
	if status, code, _ := c.call("GET", "/schedule-groups/big", nil); status != http.StatusNotFound || code != "ResourceNotFoundException" {
		t.Fatalf("GetScheduleGroup after the delete: %d %s", status, code)
	}
	all := c.ok("GET", "/schedules", nil)["Schedules"].([]any)
	if len(all) != 1 || all[0].(map[string]any)["Name"] != "keep" {
		t.Fatalf("schedules left: %d, want only the default group's one", len(all))
	}
}

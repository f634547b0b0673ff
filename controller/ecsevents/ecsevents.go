// Package ecsevents sends ECS's events to EventBridge's default bus, as
// ECS does: "ECS Task State Change", "ECS Container Instance State
// Change", "ECS Service Action" (steady state, placement failure,
// TASKS_STOPPED, SERVICE_DESIRED_COUNT_UPDATED for task sets) and "ECS
// Deployment State Change", each with its detail in ECS's shape.
//
// It leaves the ECS code paths alone: it watches the store's task,
// service and container instance records and compares each write with the
// record as it last saw it (a small signature per record, in memory), so
// that only a change of status sends an event. Events of changes made
// while wharf was down are not sent; a watch that falls behind lists again
// and sends what changed meanwhile.
//
// It declares what it needs of EventBridge (Bus) and never imports
// awsapi; the server wires it.
package ecsevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/controller/ctrl"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Bus puts an AWS service's event on an account's default bus.
type Bus interface {
	PutEvent(ctx context.Context, account, region, source, detailType string, resources []string, detail []byte, at time.Time) error
}

// Controller watches the ECS records.
type Controller struct {
	DB    store.Backend
	Bus   Bus
	Log   *slog.Logger
	Clock ctrl.Clock

	// last holds each watched record's previous value, decoded.
	last map[string]any
}

// New returns the controller.
func New(db store.Backend, bus Bus, log *slog.Logger) *Controller {
	return &Controller{DB: db, Bus: bus, Log: log, Clock: ctrl.RealClock{}}
}

// ecsRoot is the prefix of every ECS record (state.Root's first segment).
const ecsRoot = "ecs/"

// Run sends events until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	backoff := ctrl.Backoff{Base: 100 * time.Millisecond, Max: 10 * time.Second}
	for failures := 0; ; failures++ {
		err := c.listAndWatch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, store.ErrClosed) {
			return err
		}
		c.Log.Warn("ecs events: watch failed; listing again", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-c.Clock.Until(c.Clock.Now().Add(backoff.Delay(failures))):
		}
	}
}

// listAndWatch seeds (or refreshes) the previous values from a snapshot,
// sending the events of records that changed since the last look, then
// follows the watch from that snapshot.
func (c *Controller) listAndWatch(ctx context.Context) error {
	first := c.last == nil
	if first {
		c.last = map[string]any{}
	}
	var rev int64
	var kvs []store.KV
	err := c.DB.View(ctx, func(tx store.ReadTx) (err error) {
		rev = tx.Rev()
		kvs, err = tx.List(ecsRoot, "", 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("list ECS records: %w", err)
	}
	seen := map[string]bool{}
	for _, kv := range kvs {
		if kindOf(kv.Key) == "" {
			continue
		}
		seen[kv.Key] = true
		c.observe(ctx, kv, !first)
	}
	for k := range c.last {
		if !seen[k] {
			delete(c.last, k)
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := c.DB.Watch(wctx, ecsRoot, rev)
	if err != nil {
		return fmt.Errorf("watch ECS records: %w", err)
	}
	for ev := range w.C {
		if kindOf(ev.KV.Key) == "" {
			continue
		}
		if ev.Type == store.EventDelete {
			delete(c.last, ev.KV.Key)
			continue
		}
		c.observe(ctx, ev.KV, true)
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := w.Err(); err != nil {
		return err
	}
	return errors.New("watch closed")
}

// kindOf is "tasks", "services", "instances" or "tasksets" for the keys
// ecs/ACCOUNT/REGION/KIND/CLUSTER/ID (task sets: …/CLUSTER/SERVICE/ID),
// and "" for any other.
func kindOf(key string) string {
	parts := strings.SplitN(key, "/", 6)
	if len(parts) != 6 || parts[0] != "ecs" {
		return ""
	}
	switch parts[3] {
	case "tasks", "services", "instances", "tasksets":
		return parts[3]
	}
	return ""
}

// observe decodes a record, sends the events of its change (when send)
// and remembers it.
func (c *Controller) observe(ctx context.Context, kv store.KV, send bool) {
	parts := strings.SplitN(kv.Key, "/", 6)
	account, region := parts[1], parts[2]
	now := c.Clock.Now()
	var events []Event
	var cur any
	switch parts[3] {
	case "tasks":
		var r model.TaskRecord
		if json.Unmarshal(kv.Value, &r) != nil {
			return
		}
		prev, _ := c.last[kv.Key].(*model.TaskRecord)
		events, cur = TaskEvents(prev, &r, now), &r
	case "services":
		var r model.ServiceRecord
		if json.Unmarshal(kv.Value, &r) != nil {
			return
		}
		prev, _ := c.last[kv.Key].(*model.ServiceRecord)
		events, cur = ServiceEvents(prev, &r, now), &r
	case "instances":
		var r state.InstanceRecord
		if json.Unmarshal(kv.Value, &r) != nil {
			return
		}
		prev, _ := c.last[kv.Key].(*state.InstanceRecord)
		events, cur = InstanceEvents(prev, &r, now), &r
	case "tasksets":
		var r state.TaskSetRecord
		if json.Unmarshal(kv.Value, &r) != nil {
			return
		}
		prev, _ := c.last[kv.Key].(*state.TaskSetRecord)
		events, cur = TaskSetEvents(prev, &r, now), &r
	}
	c.last[kv.Key] = slim(cur)
	if !send {
		return
	}
	for _, e := range events {
		if err := c.Bus.PutEvent(ctx, account, region, "aws.ecs", e.DetailType, e.Resources, e.Detail, now); err != nil && ctx.Err() == nil {
			c.Log.Warn("ecs events: put event", "detailType", e.DetailType, "resource", e.Resources, "err", err)
		}
	}
}

// slim keeps of a record only what the comparisons read, so that the
// memory held per record stays small.
func slim(v any) any {
	switch r := v.(type) {
	case *model.TaskRecord:
		t := r.Task
		s := &model.TaskRecord{}
		s.Task.LastStatus, s.Task.DesiredStatus, s.Task.StopCode = t.LastStatus, t.DesiredStatus, t.StopCode
		for _, ct := range t.Containers {
			s.Task.Containers = append(s.Task.Containers, ecstypes.Container{LastStatus: ct.LastStatus, ExitCode: ct.ExitCode})
		}
		return s
	case *model.ServiceRecord:
		s := &model.ServiceRecord{Steady: r.Steady}
		for i, e := range r.Service.Events {
			if i >= keptServiceEvents {
				break
			}
			s.Service.Events = append(s.Service.Events, ecstypes.ServiceEvent{Id: e.Id})
		}
		for _, d := range r.Service.Deployments {
			s.Service.Deployments = append(s.Service.Deployments, ecstypes.Deployment{Id: d.Id, RolloutState: d.RolloutState})
		}
		return s
	case *state.InstanceRecord:
		i := r.Instance
		s := &state.InstanceRecord{}
		s.Instance.Status, s.Instance.AgentConnected = i.Status, i.AgentConnected
		s.Instance.RunningTasksCount, s.Instance.PendingTasksCount = i.RunningTasksCount, i.PendingTasksCount
		return s
	case *state.TaskSetRecord:
		s := &state.TaskSetRecord{}
		s.TaskSet.ComputedDesiredCount = r.TaskSet.ComputedDesiredCount
		return s
	}
	return v
}

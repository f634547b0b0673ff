package docker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/events"
)

// ContainerEvent is a container's start, die, oom or health_status event.
type ContainerEvent struct {
	ID       string
	Name     string
	Action   string // "start", "die", "oom" or "health_status"
	ExitCode int    // for "die"
	Health   string // for "health_status": starting, healthy or unhealthy
	Time     time.Time
	// Attributes are the engine's attributes of the event: the
	// container's labels, its name and image, exitCode for "die".
	Attributes map[string]string
}

// Events streams start, die, oom and health_status events of the containers
// carrying all the labels in labelFilter (an empty value matches any value).
// The event channel is closed when the stream ends: when ctx ends, or
// after the stream's error has been sent on the (buffered) error channel.
func (r *Runtime) Events(ctx context.Context, labelFilter map[string]string) (<-chan ContainerEvent, <-chan error) {
	args := labelArgs(labelFilter)
	args.Add("type", string(events.ContainerEventType))
	for _, a := range []string{"start", "die", "oom", "health_status"} {
		args.Add("event", a)
	}
	// The engine answers before it subscribes; "since now" makes it replay
	// what happened in between from its buffer of recent events.
	now := time.Now()
	since := fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond())
	msgs, errs := r.cli.Events(ctx, events.ListOptions{Filters: args, Since: since})
	out := make(chan ContainerEvent)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-msgs:
				select {
				case out <- toEvent(m):
				case <-ctx.Done():
					return
				}
			case err := <-errs:
				if ctx.Err() == nil {
					errc <- fmt.Errorf("docker: events: %w", err)
				}
				return
			}
		}
	}()
	return out, errc
}

func toEvent(m events.Message) ContainerEvent {
	ev := ContainerEvent{
		ID:     m.Actor.ID,
		Name:   m.Actor.Attributes["name"],
		Action: string(m.Action),
		Time:   time.Unix(0, m.TimeNano),

		Attributes: m.Actor.Attributes,
	}
	// Health events come as "health_status: healthy". An "oom" event may
	// come without InspectContainer reporting OOMKilled: engines miss the
	// flag when the kill races the container's exit.
	if a, status, ok := strings.Cut(ev.Action, ":"); ok {
		ev.Action, ev.Health = a, strings.TrimSpace(status)
	}
	if code, err := strconv.Atoi(m.Actor.Attributes["exitCode"]); err == nil {
		ev.ExitCode = code
	}
	return ev
}

package state

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// AddServiceEvent prepends a service event, keeping the newest
// model.MaxServiceEvents, as DescribeServices shows them.
func AddServiceEvent(svc *ecstypes.Service, msg string, now time.Time) {
	e := ecstypes.ServiceEvent{Id: new(NewID()), CreatedAt: shape.TimeOf(now), Message: new(msg)}
	svc.Events = append([]ecstypes.ServiceEvent{e}, svc.Events...)
	if len(svc.Events) > model.MaxServiceEvents {
		svc.Events = svc.Events[:model.MaxServiceEvents]
	}
}

// EventDue reports whether a repeated condition of this kind may be said
// again (at most once a minute), and if so notes that it is said now.
func EventDue(rec *model.ServiceRecord, kind string, now time.Time) bool {
	if rec.Throttled == nil {
		rec.Throttled = map[string]int64{}
	}
	if last := rec.Throttled[kind]; now.Unix()-last < 60 {
		return false
	}
	rec.Throttled[kind] = now.Unix()
	return true
}

// TaskList is tasks as service events name them: "(task ID) (task ID)".
func TaskList(arns []string) string {
	parts := make([]string, len(arns))
	for i, a := range arns {
		parts[i] = "(task " + LastSegment(a) + ")"
	}
	return strings.Join(parts, " ")
}

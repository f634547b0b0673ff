package state

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// Task scale-in protection, as UpdateTaskProtection documents it: the
// protection lasts expiresInMinutes (2 hours unless given, 1 minute to 48
// hours), and once it expires ECS treats the task as unprotected.
const (
	DefaultProtectionMinutes = 120
	MaxProtectionMinutes     = 2880
)

// TaskProtected reports whether rec's scale-in protection holds at now. The
// service scheduler asks it before choosing a task to stop on scale-in or
// to replace in a deployment: a protected task is left running (and the
// deployment waits) until its protection is removed or expires. An expired
// protection is no protection, so nothing has to clear it on time.
func TaskProtected(rec model.TaskRecord, now time.Time) bool {
	p := rec.Protection
	return p != nil && p.Enabled && now.Before(p.ExpiresAt)
}

// SetTaskProtection turns rec's protection on for minutes from now, or off.
// Every call with enabled restarts the clock, so a task extends its
// protection by asking again.
func SetTaskProtection(rec *model.TaskRecord, enabled bool, minutes int, now time.Time) {
	if !enabled {
		rec.Protection = nil
		return
	}
	rec.Protection = &model.TaskProtection{Enabled: true, ExpiresAt: now.Add(time.Duration(minutes) * time.Minute)}
}

// TaskService is the name of the service that started rec, if one did: the
// service scheduler puts its tasks in the group "service:NAME".
func TaskService(rec model.TaskRecord) (string, bool) {
	return strings.CutPrefix(shape.Deref(rec.Task.Group), "service:")
}

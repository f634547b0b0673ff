package scheduler

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/model"
)

// Stored records, under scheduler/ACCOUNT/REGION/. The default group has
// no record: it always exists.
//
//	groups/NAME               groupRecord
//	schedules/GROUP/NAME      scheduleRecord
//
// An enabled schedule with a tick to come also has a tick record at
// scheduler-ticks/ACCOUNT/REGION/GROUP/NAME, apart so that FireDue lists
// only what can fire.

const defaultGroup = "default"

const maxTags = 200

type groupRecord struct {
	Name     string               `json:"name"`
	Tags     []schedulertypes.Tag `json:"tags,omitempty"`
	Created  time.Time            `json:"created"`
	Modified time.Time            `json:"modified"`
	// Deleting is set by DeleteScheduleGroup while it deletes the group's
	// schedules (state DELETING); a call that stopped half way is resumed
	// by the next DeleteScheduleGroup.
	Deleting bool `json:"deleting,omitempty"`
}

type scheduleRecord struct {
	Name            string                               `json:"name"`
	Group           string                               `json:"group"`
	Expression      string                               `json:"expression"`
	Timezone        string                               `json:"timezone,omitempty"`
	StartDate       time.Time                            `json:"startDate,omitzero"`
	EndDate         time.Time                            `json:"endDate,omitzero"`
	Description     string                               `json:"description,omitempty"`
	State           schedulertypes.ScheduleState         `json:"state"`
	KmsKeyArn       string                               `json:"kmsKeyArn,omitempty"`
	Target          schedulertypes.Target                `json:"target"`
	Window          schedulertypes.FlexibleTimeWindow    `json:"window"`
	AfterCompletion schedulertypes.ActionAfterCompletion `json:"afterCompletion,omitempty"`
	Created         time.Time                            `json:"created"`
	Modified        time.Time                            `json:"modified"`
}

// tickRecord is a schedule's coming invocation: the tick it is for
// (Nominal) and when, within the flexible window, it runs (Next).
type tickRecord struct {
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Group   string    `json:"group"`
	Name    string    `json:"name"`
	Nominal time.Time `json:"nominal"`
	Next    time.Time `json:"next"`
	Last    time.Time `json:"last,omitzero"`
}

func root(sc model.Scope) string { return "scheduler/" + sc.Account + "/" + sc.Region + "/" }

func groupsPrefix(sc model.Scope) string          { return root(sc) + "groups/" }
func groupKey(sc model.Scope, name string) string { return groupsPrefix(sc) + name }
func schedulesPrefix(sc model.Scope) string       { return root(sc) + "schedules/" }
func scheduleKey(sc model.Scope, group, name string) string {
	return schedulesPrefix(sc) + group + "/" + name
}

const ticksRoot = "scheduler-ticks/"

func tickKey(sc model.Scope, group, name string) string {
	return ticksRoot + sc.Account + "/" + sc.Region + "/" + group + "/" + name
}

func arn(sc model.Scope, resource string) string {
	return "arn:aws:scheduler:" + sc.Region + ":" + sc.Account + ":" + resource
}

func scheduleARN(sc model.Scope, group, name string) string {
	return arn(sc, "schedule/"+group+"/"+name)
}

func groupARN(sc model.Scope, name string) string { return arn(sc, "schedule-group/"+name) }

func groupOf(p *string) string {
	if p == nil || *p == "" {
		return defaultGroup
	}
	return *p
}

// groupOfARN reads a schedule group ARN of the caller's scope.
func groupOfARN(sc model.Scope, s string) (string, bool) {
	name, ok := strings.CutPrefix(s, arn(sc, "schedule-group/"))
	return name, ok && name != "" && !strings.Contains(name, "/")
}

package eventbridge

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/model"
)

// Stored records, under events/ACCOUNT/REGION/. The default bus has no
// record: it always exists.
//
//	buses/NAME           busRecord
//	rules/BUS/NAME       ruleRecord (with its targets)
//
// Schedule rules also have a tick record at events-ticks/ACCOUNT/REGION/
// BUS/NAME, apart so that FireDue lists only what can fire.

const defaultBus = "default"

// Limits EventBridge documents.
const (
	maxTargets = 5
	maxTags    = 50
)

type busRecord struct {
	Name        string                 `json:"name"`
	Description string                 `json:"description,omitempty"`
	Tags        []eventbridgetypes.Tag `json:"tags,omitempty"`
	Created     time.Time              `json:"created"`
	Modified    time.Time              `json:"modified"`
}

type ruleRecord struct {
	Name               string                     `json:"name"`
	Bus                string                     `json:"bus"`
	EventPattern       string                     `json:"eventPattern,omitempty"`
	ScheduleExpression string                     `json:"scheduleExpression,omitempty"`
	State              eventbridgetypes.RuleState `json:"state"`
	Description        string                     `json:"description,omitempty"`
	RoleArn            string                     `json:"roleArn,omitempty"`
	Tags               []eventbridgetypes.Tag     `json:"tags,omitempty"`
	Targets            []eventbridgetypes.Target  `json:"targets,omitempty"`
	Created            time.Time                  `json:"created"`
}

// tickRecord is when a schedule rule fires next, and when it last fired.
type tickRecord struct {
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Bus     string    `json:"bus"`
	Rule    string    `json:"rule"`
	Next    time.Time `json:"next"`
	Last    time.Time `json:"last,omitzero"`
}

func root(sc model.Scope) string { return "events/" + sc.Account + "/" + sc.Region + "/" }

func busesPrefix(sc model.Scope) string             { return root(sc) + "buses/" }
func busKey(sc model.Scope, name string) string     { return busesPrefix(sc) + name }
func rulesPrefix(sc model.Scope, bus string) string { return root(sc) + "rules/" + bus + "/" }
func ruleKey(sc model.Scope, bus, name string) string {
	return rulesPrefix(sc, bus) + name
}

const ticksRoot = "events-ticks/"

func tickKey(sc model.Scope, bus, name string) string {
	return ticksRoot + sc.Account + "/" + sc.Region + "/" + bus + "/" + name
}

func arn(sc model.Scope, resource string) string {
	return "arn:aws:events:" + sc.Region + ":" + sc.Account + ":" + resource
}

func busARN(sc model.Scope, name string) string { return arn(sc, "event-bus/"+name) }

// ruleARN is rule/NAME on the default bus and rule/BUS/NAME elsewhere.
func ruleARN(sc model.Scope, bus, name string) string {
	if bus == defaultBus {
		return arn(sc, "rule/"+name)
	}
	return arn(sc, "rule/"+bus+"/"+name)
}

// busName reads an EventBusName member: a name or a bus ARN; "" is the
// default bus.
func busName(p *string) string {
	if p == nil || *p == "" {
		return defaultBus
	}
	s := *p
	if i := strings.LastIndex(s, ":event-bus/"); i >= 0 && strings.HasPrefix(s, "arn:") {
		return s[i+len(":event-bus/"):]
	}
	return s
}

// parseResourceARN reads a rule or bus ARN of the caller's scope for the
// tag operations: kind is "rule" or "event-bus".
func parseResourceARN(sc model.Scope, s string) (kind, bus, name string, ok bool) {
	prefix := arn(sc, "")
	rest, found := strings.CutPrefix(s, prefix)
	if !found {
		return "", "", "", false
	}
	if n, isBus := strings.CutPrefix(rest, "event-bus/"); isBus && n != "" {
		return "event-bus", n, n, true
	}
	if r, isRule := strings.CutPrefix(rest, "rule/"); isRule && r != "" {
		if b, n, nested := strings.Cut(r, "/"); nested {
			return "rule", b, n, true
		}
		return "rule", defaultBus, r, true
	}
	return "", "", "", false
}

// Package eventbridge serves Amazon EventBridge (JSON 1.1, target prefix
// AWSEvents, signing name events): event buses, rules with event patterns
// or schedule expressions, their targets, PutEvents and TestEventPattern.
//
// Events that match a rule are delivered to its targets in the
// background: ECS clusters run tasks through wharf's own RunTask (startedBy
// events-rule/RULE), CloudWatch Logs log groups get the event as a log
// event. Schedule rules fire from FireDue, which the schedules controller
// calls; each tick is recorded in the store before its targets run, so a
// restart never fires one tick twice.
package eventbridge

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// TaskRunner starts ECS tasks (wharf's ECS RunTask, in-process).
type TaskRunner interface {
	RunTask(ctx context.Context, in *ecstypes.RunTaskRequest) (*ecstypes.RunTaskResponse, error)
}

// LogWriter writes one log event to a CloudWatch Logs group, creating the
// stream when it is missing (wharf's logs service, in-process).
type LogWriter interface {
	WriteEvent(ctx context.Context, sc model.Scope, group, stream string, at time.Time, message string) error
}

// API implements EventBridge.
type API struct {
	awsapi.Base
	tasks TaskRunner // nil: ECS targets fail
	logs  LogWriter  // nil: log group targets fail
	// Minute is how long a schedule's minute lasts (time.Minute but in
	// tests that shorten the clock): rate() periods are scaled by it.
	Minute   time.Duration
	q        deliveryQueue
	nudge    chan struct{}
	patterns patternCache
}

// New returns the EventBridge API over db.
func New(db store.Backend, tasks TaskRunner, logs LogWriter, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), tasks: tasks, logs: logs, Minute: time.Minute,
		nudge: make(chan struct{}, 1)}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName:    eventbridgetypes.SigningName,
		TargetPrefix:   eventbridgetypes.ServiceTarget,
		Errors:         eventbridgetypes.Errors,
		ValidationCode: codeValidation,
		Known:          awsapi.KnownOperations(eventbridgetypes.Operations),
		Ops: map[string]awsapi.Handler{
			"PutRule":               awsapi.JSON(a.PutRule),
			"DescribeRule":          awsapi.JSON(a.DescribeRule),
			"ListRules":             awsapi.JSON(a.ListRules),
			"DeleteRule":            awsapi.JSON(a.DeleteRule),
			"EnableRule":            awsapi.JSON(a.EnableRule),
			"DisableRule":           awsapi.JSON(a.DisableRule),
			"PutTargets":            awsapi.JSON(a.PutTargets),
			"RemoveTargets":         awsapi.JSON(a.RemoveTargets),
			"ListTargetsByRule":     awsapi.JSON(a.ListTargetsByRule),
			"ListRuleNamesByTarget": awsapi.JSON(a.ListRuleNamesByTarget),
			"PutEvents":             awsapi.JSON(a.PutEvents),
			"TestEventPattern":      awsapi.JSON(a.TestEventPattern),
			"CreateEventBus":        awsapi.JSON(a.CreateEventBus),
			"DescribeEventBus":      awsapi.JSON(a.DescribeEventBus),
			"ListEventBuses":        awsapi.JSON(a.ListEventBuses),
			"DeleteEventBus":        awsapi.JSON(a.DeleteEventBus),
			"TagResource":           awsapi.JSON(a.TagResource),
			"UntagResource":         awsapi.JSON(a.UntagResource),
			"ListTagsForResource":   awsapi.JSON(a.ListTagsForResource),
		},
	}
}

// EventBridge's error codes, as in its model.
const (
	codeValidation       = awsapi.CodeValidationException
	codeNotFound         = eventbridgetypes.ErrResourceNotFoundException
	codeAlreadyExists    = eventbridgetypes.ErrResourceAlreadyExistsException
	codeInvalidPattern   = eventbridgetypes.ErrInvalidEventPatternException
	codeLimitExceeded    = eventbridgetypes.ErrLimitExceededException
	codeConcurrentModify = eventbridgetypes.ErrConcurrentModificationException
)

func errValidation(format string, args ...any) error {
	return awsapi.Errorf(codeValidation, format, args...)
}

func ruleNotFound(name, bus string) error {
	return awsapi.Errorf(codeNotFound, "Rule %s does not exist on EventBus %s.", name, bus)
}

func busNotFound(name string) error {
	return awsapi.Errorf(codeNotFound, "Event bus %s does not exist.", name)
}

func wrap(op string, err error) error { return awsapi.Wrap("events "+op, err) }

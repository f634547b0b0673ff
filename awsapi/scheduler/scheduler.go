// Package scheduler serves Amazon EventBridge Scheduler (restJson1,
// signing name scheduler): schedules with at(), rate() and cron()
// expressions in a time zone, flexible time windows, start and end dates,
// schedule groups and tags. ECS targets run tasks through wharf's own
// RunTask (startedBy chronos-schedule/NAME, as Scheduler's tasks show).
//
// FireDue, which the schedules controller calls, claims each due tick in
// the store (the schedule's tick record moves on) before its target runs,
// so a restart never fires one tick twice.
package scheduler

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
	_ "time/tzdata" // ScheduleExpressionTimezone names any IANA zone, whatever the host has

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// TaskRunner starts ECS tasks (wharf's ECS RunTask, in-process).
type TaskRunner interface {
	RunTask(ctx context.Context, in *ecstypes.RunTaskRequest) (*ecstypes.RunTaskResponse, error)
}

// API implements EventBridge Scheduler.
type API struct {
	awsapi.Base
	tasks TaskRunner
	// Minute is how long a schedule's minute lasts (time.Minute but in
	// tests that shorten the clock): rate() periods and flexible windows
	// scale with it.
	Minute time.Duration
	// jitter picks the offset of a flexible window's invocation in
	// [0, max).
	jitter func(max time.Duration) time.Duration
	nudge  chan struct{}
}

// New returns the Scheduler API over db.
func New(db store.Backend, tasks TaskRunner, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), tasks: tasks, Minute: time.Minute, nudge: make(chan struct{}, 1),
		jitter: func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		}}
}

// Error codes and their HTTP statuses, as in Scheduler's model.
const (
	codeValidation = schedulertypes.ErrValidationException
	codeNotFound   = schedulertypes.ErrResourceNotFoundException
	codeConflict   = schedulertypes.ErrConflictException
	codeQuota      = schedulertypes.ErrServiceQuotaExceededException
)

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.RESTService {
	return &awsapi.RESTService{
		SigningName:    schedulertypes.SigningName,
		ValidationCode: codeValidation,
		Errors:         schedulertypes.Errors,
		Routes: map[string]awsapi.RESTHandler{
			"POST /schedules/{Name}":         awsapi.REST(bindCreate, a.CreateSchedule),
			"GET /schedules/{Name}":          awsapi.REST(bindGet, a.GetSchedule),
			"PUT /schedules/{Name}":          awsapi.REST(bindUpdate, a.UpdateSchedule),
			"DELETE /schedules/{Name}":       awsapi.REST(bindDelete, a.DeleteSchedule),
			"GET /schedules":                 awsapi.REST(bindList, a.ListSchedules),
			"POST /schedule-groups/{Name}":   awsapi.REST(bindCreateGroup, a.CreateScheduleGroup),
			"GET /schedule-groups/{Name}":    awsapi.REST(bindGetGroup, a.GetScheduleGroup),
			"DELETE /schedule-groups/{Name}": awsapi.REST(bindDeleteGroup, a.DeleteScheduleGroup),
			"GET /schedule-groups":           awsapi.REST(bindListGroups, a.ListScheduleGroups),
			"POST /tags/{ResourceArn...}":    awsapi.REST(bindTag, a.TagResource),
			"DELETE /tags/{ResourceArn...}":  awsapi.REST(bindUntag, a.UntagResource),
			"GET /tags/{ResourceArn...}":     awsapi.REST(bindListTags, a.ListTagsForResource),
		},
	}
}

// The HTTP bindings of the model: path labels and query parameters.

func label(r *http.Request, name string) *string {
	v := r.PathValue(name)
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	return &v
}

func query(r *http.Request, name string) *string {
	if !r.URL.Query().Has(name) {
		return nil
	}
	v := r.URL.Query().Get(name)
	return &v
}

func queryInt(r *http.Request, name string) (*int32, error) {
	s := query(r, name)
	if s == nil {
		return nil, nil
	}
	n, err := strconv.ParseInt(*s, 10, 32)
	if err != nil {
		return nil, errValidation("%s must be a number, got %q.", name, *s)
	}
	v := int32(n)
	return &v, nil
}

func bindCreate(r *http.Request, in *schedulertypes.CreateScheduleInput) error {
	in.Name = label(r, "Name")
	return nil
}

func bindUpdate(r *http.Request, in *schedulertypes.UpdateScheduleInput) error {
	in.Name = label(r, "Name")
	return nil
}

func bindGet(r *http.Request, in *schedulertypes.GetScheduleInput) error {
	in.Name, in.GroupName = label(r, "Name"), query(r, "groupName")
	return nil
}

func bindDelete(r *http.Request, in *schedulertypes.DeleteScheduleInput) error {
	in.Name, in.GroupName, in.ClientToken = label(r, "Name"), query(r, "groupName"), query(r, "clientToken")
	return nil
}

func bindList(r *http.Request, in *schedulertypes.ListSchedulesInput) (err error) {
	in.GroupName, in.NamePrefix, in.NextToken = query(r, "ScheduleGroup"), query(r, "NamePrefix"), query(r, "NextToken")
	if s := query(r, "State"); s != nil {
		in.State = schedulertypes.ScheduleState(*s)
	}
	in.MaxResults, err = queryInt(r, "MaxResults")
	return err
}

func bindCreateGroup(r *http.Request, in *schedulertypes.CreateScheduleGroupInput) error {
	in.Name = label(r, "Name")
	return nil
}

func bindGetGroup(r *http.Request, in *schedulertypes.GetScheduleGroupInput) error {
	in.Name = label(r, "Name")
	return nil
}

func bindDeleteGroup(r *http.Request, in *schedulertypes.DeleteScheduleGroupInput) error {
	in.Name, in.ClientToken = label(r, "Name"), query(r, "clientToken")
	return nil
}

func bindListGroups(r *http.Request, in *schedulertypes.ListScheduleGroupsInput) (err error) {
	in.NamePrefix, in.NextToken = query(r, "NamePrefix"), query(r, "NextToken")
	in.MaxResults, err = queryInt(r, "MaxResults")
	return err
}

func bindTag(r *http.Request, in *schedulertypes.TagResourceInput) error {
	in.ResourceArn = label(r, "ResourceArn")
	return nil
}

func bindUntag(r *http.Request, in *schedulertypes.UntagResourceInput) error {
	in.ResourceArn, in.TagKeys = label(r, "ResourceArn"), r.URL.Query()["TagKeys"]
	return nil
}

func bindListTags(r *http.Request, in *schedulertypes.ListTagsForResourceInput) error {
	in.ResourceArn = label(r, "ResourceArn")
	return nil
}

func errValidation(format string, args ...any) error {
	return awsapi.Errorf(codeValidation, format, args...)
}

func wrap(op string, err error) error { return awsapi.Wrap("scheduler "+op, err) }

// poke wakes the schedules controller after a tick changed (after the
// commit: woken earlier, it would read the old tick and sleep on).
func (a *API) poke() {
	select {
	case a.nudge <- struct{}{}:
	default:
	}
}

// Nudges receives when a schedule changed.
func (a *API) Nudges() <-chan struct{} { return a.nudge }

// runAs runs req with wharf's ECS in scope sc.
func (a *API) runAs(ctx context.Context, sc model.Scope, req *ecstypes.RunTaskRequest) (*ecstypes.RunTaskResponse, error) {
	ctx = awsapi.WithRequest(ctx, &awsapi.Request{ID: awsapi.NewRequestID(), Account: sc.Account, Region: sc.Region, Operation: "RunTask"})
	return a.tasks.RunTask(ctx, req)
}

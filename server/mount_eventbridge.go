package server

import (
	"context"
	"os"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/ecs"
	"github.com/wharfhq/wharf/awsapi/eventbridge"
	"github.com/wharfhq/wharf/awsapi/logs"
	"github.com/wharfhq/wharf/model"
)

// scheduleMinuteEnv shortens a schedule's minute for tests
// (WHARF_SCHEDULE_MINUTE=1s: rate(1 minute) fires every second); rate()
// periods scale with it, cron() and at() keep the wall clock. Never set in
// production.
const scheduleMinuteEnv = "WHARF_SCHEDULE_MINUTE"

func scheduleMinute(m *mounter) time.Duration {
	s := os.Getenv(scheduleMinuteEnv)
	if s == "" {
		return time.Minute
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		m.Log.Warn("ignoring "+scheduleMinuteEnv, "value", s)
		return time.Minute
	}
	m.Log.Warn("schedules run on a shortened clock", "minute", d)
	return d
}

// EventBridge over JSON 1.1. Its targets run tasks through wharf's own
// RunTask and write to CloudWatch Logs in-process (logsAPI nil: log group
// targets fail). Its delivery worker and the schedules and ECS events
// controllers are listed in newControlPlane.
func mountEventBridge(m *mounter, logsAPI *logs.API) *eventbridge.API {
	var lw eventbridge.LogWriter
	if logsAPI != nil {
		lw = logWriter{logsAPI}
	}
	api := eventbridge.New(m.DB, ecs.New(m.DB, m.Log.With("service", "ecs")), lw, m.Log.With("service", "events"))
	api.Minute = scheduleMinute(m)
	m.API.RegisterJSON(api.Service())
	return api
}

// logWriter writes an event to a log group through CloudWatch Logs' API,
// creating the stream when it is missing.
type logWriter struct{ api *logs.API }

func (w logWriter) WriteEvent(ctx context.Context, sc model.Scope, group, stream string, at time.Time, message string) error {
	ctx = awsapi.WithRequest(ctx, &awsapi.Request{ID: awsapi.NewRequestID(), Account: sc.Account, Region: sc.Region})
	_, err := w.api.CreateLogStream(ctx, &logstypes.CreateLogStreamRequest{LogGroupName: &group, LogStreamName: &stream})
	if err != nil && !awsapi.IsCode(err, "ResourceAlreadyExistsException") {
		return err
	}
	ts := at.UnixMilli()
	_, err = w.api.PutLogEvents(ctx, &logstypes.PutLogEventsRequest{LogGroupName: &group, LogStreamName: &stream,
		LogEvents: []logstypes.InputLogEvent{{Timestamp: &ts, Message: &message}}})
	return err
}

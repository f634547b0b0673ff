package server

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/awsapi/applicationautoscaling"
	"github.com/wharfhq/wharf/awsapi/cloudwatch"
	"github.com/wharfhq/wharf/controller/alarms"
	"github.com/wharfhq/wharf/metrics"
)

// TestHookApplicationAutoScaling, when set (by tests only, before a
// server starts), receives the Application Auto Scaling API each control
// plane mounts: the end-to-end tests invoke its alarm handler as
// CloudWatch will.
var TestHookApplicationAutoScaling func(*applicationautoscaling.API)

// Application Auto Scaling over JSON 1.1 for ECS services. Its target
// tracking alarms and alarm actions join CloudWatch when that is mounted
// (API.Alarms, API.HandleAlarm); its scheduled actions run on the
// scheduled scaling controller.
func mountApplicationAutoScaling(m *mounter) *applicationautoscaling.API {
	api := applicationautoscaling.New(m.DB, m.Log.With("service", "application-autoscaling"))
	// Cooldowns run on CloudWatch's clock, which tests may speed up.
	if c := metrics.ClockFromEnv(); c.Scale > 1 {
		api.Second = c.Real(time.Second)
	}
	m.API.RegisterJSON(api.Service())
	return api
}

// joinCloudWatch makes Application Auto Scaling write its target tracking
// alarms through CloudWatch; the test hook runs last, so that it may
// replace what was wired.
func joinCloudWatch(api *applicationautoscaling.API, cw *cloudwatch.API) {
	api.Alarms = cw.Alarms()
	if TestHookApplicationAutoScaling != nil {
		TestHookApplicationAutoScaling(api)
	}
}

// scalingAction runs the Auto Scaling policy an alarm action names, with
// the alarm's newest datapoint and threshold (target tracking scales by
// the one, step scaling by their difference).
func scalingAction(api *applicationautoscaling.API) alarms.ActionHandler {
	return func(ctx context.Context, arn string, ch alarms.AlarmChange) error {
		if ch.Value == nil {
			return nil // no datapoint to scale by
		}
		return api.HandleAlarm(ctx, arn, ch.Alarm.Name, ch.NewState, *ch.Value, ch.Alarm.Threshold)
	}
}

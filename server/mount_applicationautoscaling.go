package server

import "github.com/wharfhq/wharf/awsapi/applicationautoscaling"

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
	m.API.RegisterJSON(api.Service())
	if TestHookApplicationAutoScaling != nil {
		TestHookApplicationAutoScaling(api)
	}
	return api
}

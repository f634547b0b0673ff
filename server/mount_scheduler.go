package server

import (
	"github.com/wharfhq/wharf/awsapi/ecs"
	"github.com/wharfhq/wharf/awsapi/scheduler"
)

// EventBridge Scheduler over REST JSON, on wharf's mux. Its ECS targets
// run tasks through wharf's own RunTask; its schedules fire from the
// schedules controller listed in newControlPlane.
func mountScheduler(m *mounter) *scheduler.API {
	api := scheduler.New(m.DB, ecs.New(m.DB, m.Log.With("service", "ecs")), m.Log.With("service", "scheduler"))
	api.Minute = scheduleMinute(m)
	m.API.RegisterREST(api.Service())
	return api
}

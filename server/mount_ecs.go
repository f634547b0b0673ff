package server

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi/ecs"
	"github.com/wharfhq/wharf/controller/service"
	"github.com/wharfhq/wharf/controller/taskset"
)

func init() {
	mounts = append(mounts, func(m *Mounter) {
		e := ecs.New(m.DB, m.Log)
		m.API.RegisterJSON(e.Service())
		m.API.Handle("POST "+agentproto.PollPath, e.PollHandler())
		m.Go("stopped-task reaper", func(ctx context.Context) { e.RunReaper(ctx, time.Minute) })
		sched := service.New(m.DB, m.Log.With("component", "service-scheduler"))
		m.Go("service scheduler", func(ctx context.Context) { _ = sched.Run(ctx) })
		sets := taskset.New(m.DB, m.Log.With("component", "task-set-controller"))
		m.Go("task-set controller", func(ctx context.Context) { _ = sets.Run(ctx) })
	})
}

package server

import (
	"context"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi/ecs"
)

func init() {
	mounts = append(mounts, func(m *Mounter) {
		e := ecs.New(m.DB, m.Log)
		m.API.RegisterJSON(e.Service())
		m.API.Handle("POST "+agentproto.PollPath, e.PollHandler())
		m.Go("stopped-task reaper", func(ctx context.Context) { e.RunReaper(ctx, time.Minute) })
	})
}

package server

import (
	"context"

	"github.com/wharfhq/wharf/awsapi/elbv2"
	"github.com/wharfhq/wharf/dataplane/lb"
)

// ELBv2 over the Query protocol, and the load balancer data plane that
// serves its listeners on the bind address (BindIP, 127.0.0.1 by default).
func init() {
	mounts = append(mounts, func(m *Mounter) {
		log := m.Log.With("component", "lb")
		plane := lb.New(lb.Config{DB: m.DB, HostIP: m.Cfg.BindIP, Log: log})
		api := elbv2.New(m.DB, elbv2.Config{Addr: m.Cfg.BindIP, Ports: plane, Log: m.Log})
		m.API.RegisterQuery(api.Service())
		m.Go("load balancer data plane", func(ctx context.Context) {
			if err := plane.Run(ctx); err != nil {
				log.Error("load balancer data plane stopped", "err", err)
			}
		})
	})
}

package server

import (
	"github.com/wharfhq/wharf/awsapi/elbv2"
	"github.com/wharfhq/wharf/dataplane/lb"
)

// ELBv2 over the Query protocol, and the load balancer data plane that
// serves its listeners on the bind address (BindIP, 127.0.0.1 by default).
func mountELBv2(m *mounter) *lb.Plane {
	plane := lb.New(lb.Config{DB: m.DB, HostIP: m.Cfg.BindIP, Log: m.Log.With("component", "lb")})
	api := elbv2.New(m.DB, elbv2.Config{Addr: m.Cfg.BindIP, Ports: plane, Log: m.Log})
	m.API.RegisterQuery(api.Service())
	return plane
}

package server

import (
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi/credentials"
	"github.com/wharfhq/wharf/awsapi/ecs"
)

// ECS over JSON 1.1, and the endpoint agents poll for their assignments.
// Its controllers (service scheduler, task sets, reaper) are listed in
// newControlPlane.
func mountECS(m *mounter) *ecs.API {
	e := ecs.New(m.DB, m.Log)
	m.API.RegisterJSON(e.Service())
	m.API.SetResourceTags("ecs", e.ResourceTags)
	// Only the agent holding a node's secret polls or registers as it.
	agents := credentials.NewAgents(m.DB, m.API, m.Log)
	m.API.Handle("POST "+agentproto.PollPath, agents.Require(e.PollHandler()))
	m.API.Handle("POST "+agentproto.RegisterPath, agents.Require(e.RegisterHandler()))
	return e
}

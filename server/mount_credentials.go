package server

import (
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi/credentials"
)

// Task-role credentials: the endpoint agents fetch them from, and the
// principal resolver that recognises the keys it mints. Without a keyring
// there is neither (nil).
func mountCredentials(m *mounter) *credentials.Service {
	agents := credentials.NewAgents(m.DB, m.API, m.Log)
	m.API.Handle("POST "+agentproto.SecretPath, agents.IssueHandler())
	if m.KeyringErr != nil {
		m.Log.Error("keyring unavailable: tasks get no role credentials, and minted keys are not recognised", "err", m.KeyringErr)
		return nil
	}
	cs := credentials.New(m.DB, m.Keyring, m.Log)
	// Minting needs the node's secret, so the node id in the request is
	// the caller's own: Mint gives keys only for tasks assigned to it.
	m.API.Handle("POST "+agentproto.CredentialsPath, agents.Require(cs.Handler()))
	m.API.AddKeyResolver(cs.Resolve)
	return cs
}

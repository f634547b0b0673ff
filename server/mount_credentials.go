package server

import (
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi/credentials"
)

// Task-role credentials: the endpoint agents fetch them from, and the
// principal resolver that recognises the keys it mints. Without a keyring
// there is neither (nil).
func mountCredentials(m *mounter) *credentials.Service {
	if m.KeyringErr != nil {
		m.Log.Error("keyring unavailable: tasks get no role credentials, and minted keys are not recognised", "err", m.KeyringErr)
		return nil
	}
	cs := credentials.New(m.DB, m.Keyring, m.Log)
	m.API.Handle("POST "+agentproto.CredentialsPath, cs.Handler())
	m.API.AddKeyResolver(cs.Resolve)
	return cs
}

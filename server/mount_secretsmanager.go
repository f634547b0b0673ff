package server

import "github.com/wharfhq/wharf/awsapi/secretsmanager"

// Secrets Manager over JSON 1.1. Without a keyring every call is refused
// and there is nothing to purge (nil).
func mountSecretsManager(m *mounter) *secretsmanager.API {
	sm := secretsmanager.New(m.DB, m.Keyring, m.Log)
	svc := sm.Service()
	if m.KeyringErr != nil {
		refuseAll(svc, m.KeyringErr, m)
		m.API.RegisterJSON(svc)
		return nil
	}
	m.API.RegisterJSON(svc)
	m.API.SetResourceTags("secretsmanager", sm.ResourceTags)
	return sm
}

package server

import "github.com/wharfhq/wharf/awsapi/ssm"

// SSM Parameter Store over JSON 1.1; without a keyring every call is
// refused.
func mountSSM(m *mounter) {
	svc := ssm.New(m.DB, m.Keyring, m.Log).Service()
	if m.KeyringErr != nil {
		refuseAll(svc, m.KeyringErr, m)
	}
	m.API.RegisterJSON(svc)
}

package server

import (
	"github.com/wharfhq/wharf/awsapi/iam"
	"github.com/wharfhq/wharf/keyring"
)

// IAM over the Query protocol; it is also the authorizer of every call
// (mountSTS adds session policies to it) and resolves its users' access
// keys. Roles that IAM does not know keep wharf's behaviour before IAM
// (allowed) unless authentication is on (--auth, or a listen address off
// loopback): then they are refused.
func mountIAM(m *mounter) *iam.API {
	var kr *keyring.Keyring
	if m.KeyringErr == nil {
		kr = m.Keyring
	}
	api := iam.New(m.DB, iam.Config{Keyring: kr, Log: m.Log.With("service", "iam"), Strict: m.Cfg.Auth || !IsLoopback(m.Cfg.Listen)})
	m.API.RegisterQuery(api.Service())
	m.API.AddKeyResolver(api.ResolveKey)
	m.API.SetAuthorizer(api.Authorize)
	return api
}

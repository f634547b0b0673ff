package server

import (
	"context"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/iam"
	"github.com/wharfhq/wharf/awsapi/sts"
	"github.com/wharfhq/wharf/keyring"
)

// STS over the Query protocol, reading roles and users from IAM, and
// resolving the session keys it issues. Authorization is IAM's, then the
// session policy of an AssumeRole session.
func mountSTS(m *mounter, dir *iam.API) *sts.API {
	var kr *keyring.Keyring
	if m.KeyringErr == nil {
		kr = m.Keyring
	}
	api := sts.New(m.DB, sts.Config{Dir: stsDirectory{dir}, Keyring: kr, Log: m.Log.With("service", "sts")})
	m.API.RegisterQuery(api.Service())
	m.API.AddKeyResolver(api.ResolveKey)
	m.API.SetAuthorizer(func(ctx context.Context, req *awsapi.Request, action string, resources []string) error {
		if err := dir.Authorize(ctx, req, action, resources); err != nil {
			return err
		}
		return api.CheckSessionPolicy(ctx, req, action, resources)
	})
	return api
}

// stsDirectory is STS's view of IAM, over package iam.
type stsDirectory struct{ iam *iam.API }

func (d stsDirectory) Role(ctx context.Context, arn string) (sts.Role, bool, error) {
	r, ok, err := d.iam.RoleByARN(ctx, arn)
	return sts.Role{ARN: r.ARN, Name: r.Name, ID: r.ID, Trust: r.Trust, MaxSession: r.MaxSession}, ok, err
}

func (d stsDirectory) UserID(ctx context.Context, account, name string) (string, error) {
	return d.iam.UserID(ctx, account, name)
}

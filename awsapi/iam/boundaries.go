package iam

import (
	"context"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/iampolicy"
	"github.com/wharfhq/wharf/store"
)

// Permissions boundaries: a managed policy (customer or AWS managed) set
// on a user or a role that caps what its identity-based policies can
// grant. The authorizer evaluates both and allows only what both allow
// (iampolicy.EvaluateBounded); a role's boundary also bounds its sessions.

// boundaryOut is the PermissionsBoundary member of a User or Role.
func boundaryOut(arn string) *iamtypes.AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &iamtypes.AttachedPermissionsBoundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: arn}
}

// checkTagsBoundary checks a new user's or role's tags, then its
// permissions boundary, in the caller's account, which it returns.
func (a *API) checkTagsBoundary(ctx context.Context, tags []iamtypes.Tag, boundary string) (acct string, err error) {
	if err := checkTags(tags); err != nil {
		return "", err
	}
	acct = account(ctx)
	return acct, a.checkBoundary(ctx, acct, boundary)
}

// checkBoundary refuses a boundary ARN that names no managed policy
// (IAM answers NoSuchEntity, as when attaching it). "" is no boundary.
func (a *API) checkBoundary(ctx context.Context, acct, arn string) error {
	if arn == "" {
		return nil
	}
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	return a.read(ctx, func(tx store.ReadTx) error {
		_, _, err := findPolicy(tx, acct, arn)
		return err
	})
}

// putBoundary is PutUserPermissionsBoundary / PutRolePermissionsBoundary.
func (a *API) putBoundary(kind string) func(context.Context, *iamtypes.PermissionsBoundaryRequest) (*iamtypes.Empty, error) {
	return func(ctx context.Context, r *iamtypes.PermissionsBoundaryRequest) (*iamtypes.Empty, error) {
		if r.PermissionsBoundary == "" {
			return nil, validation("permissionsBoundary", "null", "Member must not be null")
		}
		if err := checkPolicyARN(r.PermissionsBoundary); err != nil {
			return nil, err
		}
		return &iamtypes.Empty{}, a.setBoundary(ctx, kind, nameOf(kind, r), r.PermissionsBoundary)
	}
}

// deleteBoundary is DeleteUserPermissionsBoundary / DeleteRolePermissionsBoundary.
func (a *API) deleteBoundary(kind string) func(context.Context, *iamtypes.PermissionsBoundaryRequest) (*iamtypes.Empty, error) {
	return func(ctx context.Context, r *iamtypes.PermissionsBoundaryRequest) (*iamtypes.Empty, error) {
		return &iamtypes.Empty{}, a.setBoundary(ctx, kind, nameOf(kind, r), "")
	}
}

func nameOf(kind string, r *iamtypes.PermissionsBoundaryRequest) string {
	if kind == kindUser {
		return r.UserName
	}
	return r.RoleName
}

// setBoundary sets (or with "" removes) the boundary of a user or role.
func (a *API) setBoundary(ctx context.Context, kind, name, arn string) error {
	member := "userName"
	if kind == kindRole {
		member = "roleName"
	}
	if err := checkName(member, name, 64); err != nil {
		return err
	}
	return a.changeEntity(ctx, kind, name, "set the permissions boundary of "+kind+" "+name, func(tx store.Tx, acct string, e *entity) error {
		if arn != "" {
			if _, _, err := findPolicy(tx, acct, arn); err != nil {
				return err
			}
		}
		e.Boundary = arn
		return nil
	})
}

// noBoundary is what a boundary whose policy is gone allows: nothing.
var noBoundary = &iampolicy.Policy{Version: iampolicy.Version2012}

// boundaryOf reads an entity's permissions boundary (nil: none).
func (a *API) boundaryOf(tx store.ReadTx, acct string, e *entity) (*iampolicy.Policy, error) {
	if e.Boundary == "" {
		return nil, nil
	}
	ap, mp, err := findPolicy(tx, acct, e.Boundary)
	if awsapi.IsCode(err, CodeNoSuchEntity) {
		return noBoundary, nil
	}
	if err != nil {
		return nil, err
	}
	if ap != nil {
		return ap.parsed, nil
	}
	if p := a.cache.parse(mp.defaultDoc()); p != nil {
		return p, nil
	}
	return noBoundary, nil
}

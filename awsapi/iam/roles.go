package iam

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/iampolicy"
	"github.com/wharfhq/wharf/store"
)

// defaultMaxSession is a role's MaxSessionDuration unless set (seconds).
const defaultMaxSession = 3600

func roleOut(e *entity) iamtypes.Role {
	return iamtypes.Role{Path: e.Path, RoleName: e.Name, RoleId: e.ID, Arn: e.ARN, CreateDate: iamTime(e.Created),
		AssumeRolePolicyDocument: encodeDoc(e.Trust), Description: e.Description, MaxSessionDuration: e.MaxSession,
		Tags: tagsOut(e.Tags), RoleLastUsed: &iamtypes.RoleLastUsed{}, PermissionsBoundary: boundaryOut(e.Boundary)}
}

func checkMaxSession(v *int32) (int32, error) {
	if v == nil {
		return defaultMaxSession, nil
	}
	if *v < 3600 || *v > 43200 {
		return 0, validation("maxSessionDuration", itoa(*v), "Member must have value between 3600 and 43200")
	}
	return *v, nil
}

// CreateRole makes a role with its trust policy.
func (a *API) CreateRole(ctx context.Context, r *iamtypes.CreateRoleRequest) (*iamtypes.RoleResult, error) {
	path, err := checkNamePath("roleName", r.RoleName, 64, r.Path)
	if err != nil {
		return nil, err
	}
	if err := checkDoc("assumeRolePolicyDocument", r.AssumeRolePolicyDocument, iampolicy.Trust); err != nil {
		return nil, err
	}
	maxSession, err := checkMaxSession(r.MaxSessionDuration)
	if err != nil {
		return nil, err
	}
	acct, err := a.checkTagsBoundary(ctx, r.Tags, r.PermissionsBoundary)
	if err != nil {
		return nil, err
	}
	e := entity{Kind: kindRole, Name: r.RoleName, Path: path, ID: newID("AROA", 17), ARN: arnOf(acct, kindRole, path, r.RoleName),
		Created: a.Now().UTC(), Tags: tagsIn(r.Tags), Trust: r.AssumeRolePolicyDocument, Description: r.Description, MaxSession: maxSession,
		Boundary: r.PermissionsBoundary}
	if err := a.createEntity(ctx, acct, e, "Role with name %s already exists."); err != nil {
		return nil, err
	}
	return &iamtypes.RoleResult{Role: roleOut(&e)}, nil
}

func (a *API) createEntity(ctx context.Context, acct string, e entity, exists string) error {
	err := a.write(ctx, func(tx store.Tx) error { return putNew(tx, key(acct, e.Kind, e.Name), e, exists, e.Name) })
	return awsapi.Wrap("create "+e.Kind, err)
}

// putNew stores v at k unless a record is there already: that is an
// EntityAlreadyExists error, exists its message (a format naming name).
func putNew[T any](tx store.Tx, k string, v T, exists, name string) error {
	if _, ok, err := store.Get[T](tx, k); err != nil || ok {
		if ok {
			return alreadyExists(exists, name)
		}
		return err
	}
	return store.Put(tx, k, v)
}

// serviceLinkedTrust is the trust policy of a service-linked role.
const serviceLinkedTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},"Action":"sts:AssumeRole"}]}`

// CreateServiceLinkedRole makes the role a service uses on the account's
// behalf (AWSServiceRoleForECS for ecs.amazonaws.com), as Terraform and
// the console create before a first cluster.
func (a *API) CreateServiceLinkedRole(ctx context.Context, r *iamtypes.CreateServiceLinkedRoleRequest) (*iamtypes.RoleResult, error) {
	svc := r.AWSServiceName
	if svc == "" || !strings.HasSuffix(svc, ".amazonaws.com") {
		return nil, invalidInput("Service name %s is not a valid service principal.", svc)
	}
	short := strings.TrimSuffix(svc, ".amazonaws.com")
	name := "AWSServiceRoleFor" + serviceTitle(short)
	if r.CustomSuffix != "" {
		name += "_" + r.CustomSuffix
	}
	path := "/aws-service-role/" + svc + "/"
	acct := account(ctx)
	e := entity{Kind: kindRole, Name: name, Path: path, ID: newID("AROA", 17), ARN: arnOf(acct, kindRole, path, name), Created: a.Now().UTC(),
		Trust: strings.Replace(serviceLinkedTrust, "%s", svc, 1), Description: r.Description, MaxSession: defaultMaxSession}
	if err := a.createEntity(ctx, acct, e, "Service role name %s has been taken in this account, please try a different suffix."); err != nil {
		if awsapi.IsCode(err, CodeEntityAlreadyExists) {
			return nil, invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		return nil, err
	}
	return &iamtypes.RoleResult{Role: roleOut(&e)}, nil
}

// serviceTitle names a service in its service-linked role's name (ecs →
// ECS, as AWSServiceRoleForECS; others capitalised).
func serviceTitle(s string) string {
	switch s {
	case "ecs":
		return "ECS"
	case "elasticloadbalancing":
		return "ElasticLoadBalancing"
	case "ecs.application-autoscaling":
		return "ApplicationAutoScaling_ECSService"
	case "":
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// GetRole answers a role.
func (a *API) GetRole(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("roleName", r.RoleName, 64); err != nil {
		return nil, err
	}
	e, err := a.entity(ctx, kindRole, r.RoleName)
	if err != nil {
		return nil, err
	}
	return &iamtypes.RoleResult{Role: roleOut(&e)}, nil
}

// ListRoles lists roles (IAM leaves their tags out of the listing).
func (a *API) ListRoles(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	es, marker, more, err := a.listKind(ctx, kindRole, r)
	if err != nil {
		return nil, err
	}
	out := &iamtypes.RolesResult{Roles: []iamtypes.Role{}, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}
	for i := range es {
		ro := roleOut(&es[i])
		ro.Tags, ro.RoleLastUsed = nil, nil
		out.Roles = append(out.Roles, ro)
	}
	return out, nil
}

// UpdateRole changes a role's description or maximum session duration.
func (a *API) UpdateRole(ctx context.Context, r *iamtypes.UpdateRoleRequest) (*iamtypes.Empty, error) {
	if err := checkName("roleName", r.RoleName, 64); err != nil {
		return nil, err
	}
	return nil, a.updateRole(ctx, r.RoleName, func(e *entity) error {
		if r.Description != nil {
			e.Description = *r.Description
		}
		if r.MaxSessionDuration != nil {
			v, err := checkMaxSession(r.MaxSessionDuration)
			if err != nil {
				return err
			}
			e.MaxSession = v
		}
		return nil
	})
}

// UpdateRoleDescription is UpdateRole's older form; it answers the role.
func (a *API) UpdateRoleDescription(ctx context.Context, r *iamtypes.UpdateRoleRequest) (*iamtypes.RoleResult, error) {
	if _, err := a.UpdateRole(ctx, &iamtypes.UpdateRoleRequest{RoleName: r.RoleName, Description: r.Description}); err != nil {
		return nil, err
	}
	e, err := a.entity(ctx, kindRole, r.RoleName)
	if err != nil {
		return nil, err
	}
	return &iamtypes.RoleResult{Role: roleOut(&e)}, nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (a *API) UpdateAssumeRolePolicy(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("roleName", r.RoleName, 64); err != nil {
		return nil, err
	}
	if err := checkDoc("policyDocument", r.PolicyDocument, iampolicy.Trust); err != nil {
		return nil, err
	}
	return &iamtypes.Empty{}, a.updateRole(ctx, r.RoleName, func(e *entity) error {
		e.Trust = r.PolicyDocument
		return nil
	})
}

func (a *API) updateRole(ctx context.Context, name string, fn func(*entity) error) error {
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		e, err := getEntity(tx, acct, kindRole, name)
		if err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
		return store.Put(tx, key(acct, kindRole, e.Name), e)
	})
	return awsapi.Wrap("update role", err)
}

// DeleteRole deletes a role with no policies and in no instance profile.
func (a *API) DeleteRole(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("roleName", r.RoleName, 64); err != nil {
		return nil, err
	}
	return a.deleteEntity(ctx, kindRole, r.RoleName, func(tx store.Tx, acct string, e entity) error {
		profiles, err := store.List[profile](tx, kindPrefix(acct, kindProfile))
		if err != nil {
			return err
		}
		for _, p := range profiles {
			if slices.ContainsFunc(p.Roles, func(n string) bool { return strings.EqualFold(n, e.Name) }) {
				return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
			}
		}
		return policyConflict(e)
	})
}

func itoa(v int32) string { return strconv.Itoa(int(v)) }

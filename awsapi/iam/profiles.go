package iam

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// stableID is an IAM-style id derived from a name, for the AWS managed
// policies, which have the same id in every wharf.
func stableID(prefix, name string) string {
	sum := sha256.Sum256([]byte(name))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// profileOut answers a profile with its roles read from tx.
func profileOut(tx store.ReadTx, acct string, p *profile) (iamtypes.InstanceProfile, error) {
	out := iamtypes.InstanceProfile{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID, Arn: p.ARN,
		CreateDate: iamTime(p.Created), Roles: []iamtypes.Role{}, Tags: tagsOut(p.Tags)}
	for _, n := range p.Roles {
		e, ok, err := store.Get[entity](tx, key(acct, kindRole, n))
		if err != nil {
			return out, err
		}
		if ok {
			ro := roleOut(&e)
			ro.Tags, ro.RoleLastUsed = nil, nil
			out.Roles = append(out.Roles, ro)
		}
	}
	return out, nil
}

func getProfile(tx store.ReadTx, acct, name string) (profile, error) {
	return awsapi.Find[profile](tx, key(acct, kindProfile, name), func() error {
		return noSuchEntity("Instance Profile %s cannot be found.", name)
	})
}

// CreateInstanceProfile makes an instance profile (Terraform's
// aws_iam_instance_profile, for container instances' roles).
func (a *API) CreateInstanceProfile(ctx context.Context, r *iamtypes.CreateInstanceProfileRequest) (*iamtypes.InstanceProfileResult, error) {
	path, err := checkNamePath("instanceProfileName", r.InstanceProfileName, 128, r.Path)
	if err != nil {
		return nil, err
	}
	if err := checkTags(r.Tags); err != nil {
		return nil, err
	}
	acct := account(ctx)
	p := profile{Name: r.InstanceProfileName, Path: path, ID: newID("AIPA", 17), ARN: arnOf(acct, kindProfile, path, r.InstanceProfileName),
		Created: a.Now().UTC(), Tags: tagsIn(r.Tags)}
	var out iamtypes.InstanceProfile
	err = a.write(ctx, func(tx store.Tx) error {
		if out, err = profileOut(tx, acct, &p); err != nil {
			return err
		}
		return putNew(tx, key(acct, kindProfile, p.Name), p, "Instance Profile %s already exists.", p.Name)
	})
	if err != nil {
		return nil, awsapi.Wrap("create instance profile", err)
	}
	return &iamtypes.InstanceProfileResult{InstanceProfile: out}, nil
}

// GetInstanceProfile answers a profile with its role.
func (a *API) GetInstanceProfile(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("instanceProfileName", r.InstanceProfileName, 128); err != nil {
		return nil, err
	}
	acct := account(ctx)
	var out iamtypes.InstanceProfile
	err := a.read(ctx, func(tx store.ReadTx) error {
		p, err := getProfile(tx, acct, r.InstanceProfileName)
		if err != nil {
			return err
		}
		out, err = profileOut(tx, acct, &p)
		return err
	})
	if err != nil {
		return nil, awsapi.Wrap("get instance profile", err)
	}
	return &iamtypes.InstanceProfileResult{InstanceProfile: out}, nil
}

// listProfiles lists profiles, those holding role only when role != "".
func (a *API) listProfiles(ctx context.Context, r *iamtypes.NameRequest, role string) (any, error) {
	acct := account(ctx)
	var all []iamtypes.InstanceProfile
	err := a.read(ctx, func(tx store.ReadTx) error {
		if role != "" {
			if _, err := getEntity(tx, acct, kindRole, role); err != nil {
				return err
			}
		}
		ps, err := store.List[profile](tx, kindPrefix(acct, kindProfile))
		if err != nil {
			return err
		}
		for i := range ps {
			if role != "" && !slices.ContainsFunc(ps[i].Roles, func(n string) bool { return strings.EqualFold(n, role) }) {
				continue
			}
			if r.PathPrefix != "" && !strings.HasPrefix(ps[i].Path, r.PathPrefix) {
				continue
			}
			o, err := profileOut(tx, acct, &ps[i])
			if err != nil {
				return err
			}
			all = append(all, o)
		}
		return nil
	})
	if err != nil {
		return nil, awsapi.Wrap("list instance profiles", err)
	}
	p, marker, more := page(all, func(p iamtypes.InstanceProfile) string { return p.InstanceProfileName }, r.Marker, r.MaxItems)
	if p == nil {
		p = []iamtypes.InstanceProfile{}
	}
	return &iamtypes.InstanceProfilesResult{InstanceProfiles: p, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}, nil
}

// ListInstanceProfiles lists instance profiles.
func (a *API) ListInstanceProfiles(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	return a.listProfiles(ctx, r, "")
}

// ListInstanceProfilesForRole lists the profiles that hold a role.
func (a *API) ListInstanceProfilesForRole(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("roleName", r.RoleName, 64); err != nil {
		return nil, err
	}
	return a.listProfiles(ctx, r, r.RoleName)
}

// DeleteInstanceProfile deletes a profile that holds no role.
func (a *API) DeleteInstanceProfile(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	return &iamtypes.Empty{}, a.updateProfile(ctx, r.InstanceProfileName, func(tx store.Tx, acct string, p *profile) error {
		if len(p.Roles) > 0 {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.Delete(key(acct, kindProfile, p.Name))
	})
}

// AddRoleToInstanceProfile puts a role in a profile (one role each).
func (a *API) AddRoleToInstanceProfile(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("roleName", r.RoleName, 64); err != nil {
		return nil, err
	}
	return &iamtypes.Empty{}, a.updateProfile(ctx, r.InstanceProfileName, func(tx store.Tx, acct string, p *profile) error {
		role, err := getEntity(tx, acct, kindRole, r.RoleName)
		if err != nil {
			return err
		}
		if len(p.Roles) > 0 {
			return limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		p.Roles = []string{role.Name}
		return store.Put(tx, key(acct, kindProfile, p.Name), p)
	})
}

// RemoveRoleFromInstanceProfile takes a role out of a profile.
func (a *API) RemoveRoleFromInstanceProfile(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	return &iamtypes.Empty{}, a.updateProfile(ctx, r.InstanceProfileName, func(tx store.Tx, acct string, p *profile) error {
		if !slices.ContainsFunc(p.Roles, func(n string) bool { return strings.EqualFold(n, r.RoleName) }) {
			return noSuchEntity("The role with name %s cannot be found.", r.RoleName)
		}
		p.Roles = slices.DeleteFunc(p.Roles, func(n string) bool { return strings.EqualFold(n, r.RoleName) })
		return store.Put(tx, key(acct, kindProfile, p.Name), p)
	})
}

// TagInstanceProfile adds tags to a profile.
func (a *API) TagInstanceProfile(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.Empty, error) {
	return nil, a.updateProfile(ctx, r.InstanceProfileName, func(tx store.Tx, acct string, p *profile) (err error) {
		if p.Tags, err = mergeTags(p.Tags, r.Tags); err != nil {
			return err
		}
		return store.Put(tx, key(acct, kindProfile, p.Name), p)
	})
}

// UntagInstanceProfile removes tags from a profile.
func (a *API) UntagInstanceProfile(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.Empty, error) {
	return nil, a.updateProfile(ctx, r.InstanceProfileName, func(tx store.Tx, acct string, p *profile) error {
		p.Tags = removeTags(p.Tags, r.TagKeys)
		return store.Put(tx, key(acct, kindProfile, p.Name), p)
	})
}

// ListInstanceProfileTags lists a profile's tags.
func (a *API) ListInstanceProfileTags(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.TagsResult, error) {
	if err := checkName("instanceProfileName", r.InstanceProfileName, 128); err != nil {
		return nil, err
	}
	acct := account(ctx)
	p, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (profile, error) { return getProfile(tx, acct, r.InstanceProfileName) })
	if err != nil {
		return nil, err
	}
	return &iamtypes.TagsResult{Tags: awsapi.OrEmpty(tagsOut(p.Tags))}, nil
}

func (a *API) updateProfile(ctx context.Context, name string, fn func(store.Tx, string, *profile) error) error {
	if err := checkName("instanceProfileName", name, 128); err != nil {
		return err
	}
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		p, err := getProfile(tx, acct, name)
		if err != nil {
			return err
		}
		return fn(tx, acct, &p)
	})
	return awsapi.Wrap("update instance profile", err)
}

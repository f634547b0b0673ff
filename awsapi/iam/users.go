package iam

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

func userOut(e *entity) iamtypes.User {
	return iamtypes.User{Path: e.Path, UserName: e.Name, UserId: e.ID, Arn: e.ARN, CreateDate: iamTime(e.Created), Tags: tagsOut(e.Tags),
		PermissionsBoundary: boundaryOut(e.Boundary)}
}

func groupOut(e *entity) iamtypes.Group {
	return iamtypes.Group{Path: e.Path, GroupName: e.Name, GroupId: e.ID, Arn: e.ARN, CreateDate: iamTime(e.Created)}
}

// CreateUser makes an IAM user.
func (a *API) CreateUser(ctx context.Context, r *iamtypes.CreateUserRequest) (*iamtypes.UserResult, error) {
	path, err := checkNamePath("userName", r.UserName, 64, r.Path)
	if err != nil {
		return nil, err
	}
	acct, err := a.checkTagsBoundary(ctx, r.Tags, r.PermissionsBoundary)
	if err != nil {
		return nil, err
	}
	e := entity{Kind: kindUser, Name: r.UserName, Path: path, ID: newID("AIDA", 17), ARN: arnOf(acct, kindUser, path, r.UserName),
		Created: a.Now().UTC(), Tags: tagsIn(r.Tags), Boundary: r.PermissionsBoundary}
	if err := a.createEntity(ctx, acct, e, "User with name %s already exists."); err != nil {
		return nil, err
	}
	return &iamtypes.UserResult{User: userOut(&e)}, nil
}

// GetUser answers a user; without a name, the caller's own user.
func (a *API) GetUser(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	name := r.UserName
	if name == "" {
		p := awsapi.RequestFrom(ctx).Principal
		if p == nil || p.UserName == "" {
			if p != nil && p.Type == "Root" || p == nil {
				// The root user: IAM answers it without a user name.
				acct := account(ctx)
				return &iamtypes.UserResult{User: iamtypes.User{Path: "/", UserId: acct, Arn: "arn:aws:iam::" + acct + ":root", CreateDate: iamTime(a.Now())}}, nil
			}
			return nil, nonUserCaller()
		}
		name = p.UserName
	}
	e, err := a.entity(ctx, kindUser, name)
	if err != nil {
		return nil, err
	}
	return &iamtypes.UserResult{User: userOut(&e)}, nil
}

func (a *API) entity(ctx context.Context, kind, name string) (entity, error) {
	acct := account(ctx)
	return awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (entity, error) { return getEntity(tx, acct, kind, name) })
}

// ListUsers lists users whose path starts with PathPrefix.
func (a *API) ListUsers(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	es, marker, more, err := a.listKind(ctx, kindUser, r)
	if err != nil {
		return nil, err
	}
	out := &iamtypes.UsersResult{Users: []iamtypes.User{}, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}
	for i := range es {
		out.Users = append(out.Users, userOut(&es[i]))
	}
	return out, nil
}

// listKind lists the entities of kind under r's PathPrefix, one page.
func (a *API) listKind(ctx context.Context, kind string, r *iamtypes.NameRequest) ([]entity, string, bool, error) {
	acct := account(ctx)
	es, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]entity, error) { return listEntities(tx, acct, kind) })
	if err != nil {
		return nil, "", false, awsapi.Wrap("list "+kind+"s", err)
	}
	if r.PathPrefix != "" {
		es = slices.DeleteFunc(es, func(e entity) bool { return !strings.HasPrefix(e.Path, r.PathPrefix) })
	}
	p, marker, more := page(es, func(e entity) string { return e.Name }, r.Marker, r.MaxItems)
	return p, marker, more, nil
}

// UpdateUser renames a user or moves it to another path.
func (a *API) UpdateUser(ctx context.Context, r *iamtypes.UpdateUserRequest) (*iamtypes.Empty, error) {
	if err := checkName("userName", r.UserName, 64); err != nil {
		return nil, err
	}
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		e, err := getEntity(tx, acct, kindUser, r.UserName)
		if err != nil {
			return err
		}
		if r.NewPath != "" {
			if e.Path, err = checkPath(r.NewPath); err != nil {
				return err
			}
		}
		if r.NewUserName != "" && r.NewUserName != e.Name {
			if err := checkName("newUserName", r.NewUserName, 64); err != nil {
				return err
			}
			if !strings.EqualFold(r.NewUserName, e.Name) {
				if _, ok, err := store.Get[entity](tx, key(acct, kindUser, r.NewUserName)); err != nil || ok {
					if ok {
						return alreadyExists("User with name %s already exists.", r.NewUserName)
					}
					return err
				}
			}
			if err := tx.Delete(key(acct, kindUser, e.Name)); err != nil {
				return err
			}
			if err := a.renameKeys(tx, acct, e.Name, r.NewUserName); err != nil {
				return err
			}
			e.Name = r.NewUserName
		}
		e.ARN = arnOf(acct, kindUser, e.Path, e.Name)
		return store.Put(tx, key(acct, kindUser, e.Name), e)
	})
	return nil, awsapi.Wrap("update user", err)
}

// DeleteUser deletes a user that has no access keys, policies or groups
// left, as IAM requires.
func (a *API) DeleteUser(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("userName", r.UserName, 64); err != nil {
		return nil, err
	}
	return a.deleteEntity(ctx, kindUser, r.UserName, func(tx store.Tx, acct string, e entity) error {
		keys, err := a.keysOf(tx, acct, e.Name)
		switch {
		case err != nil:
			return err
		case len(keys) > 0:
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		}
		if err := policyConflict(e); err != nil {
			return err
		}
		if len(e.Groups) > 0 {
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		}
		return nil
	})
}

// deleteEntity deletes a user, group or role once conflict (the kind's
// own DeleteConflict checks, in IAM's order) finds nothing in the way.
func (a *API) deleteEntity(ctx context.Context, kind, name string, conflict func(tx store.Tx, acct string, e entity) error) (any, error) {
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		e, err := getEntity(tx, acct, kind, name)
		if err != nil {
			return err
		}
		if err := conflict(tx, acct, e); err != nil {
			return err
		}
		return tx.Delete(key(acct, kind, e.Name))
	})
	return &iamtypes.Empty{}, awsapi.Wrap("delete "+kind, err)
}

// policyConflict refuses to delete an entity that still has policies.
func policyConflict(e entity) error {
	switch {
	case len(e.Inline) > 0:
		return deleteConflict("Cannot delete entity, must delete policies first.")
	case len(e.Managed) > 0:
		return deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	return nil
}

// Users' and roles' tag operations are one each over the entity kind
// (registered as TagUser, TagRole and so on); the request names the entity
// in its kind's member.
func (a *API) tagEntity(kind string) func(context.Context, *iamtypes.TagRequest) (*iamtypes.Empty, error) {
	return func(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.Empty, error) {
		return nil, a.retag(ctx, kind, taggedName(kind, r), r.Tags, nil)
	}
}

func (a *API) untagEntity(kind string) func(context.Context, *iamtypes.TagRequest) (*iamtypes.Empty, error) {
	return func(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.Empty, error) {
		return nil, a.retag(ctx, kind, taggedName(kind, r), nil, r.TagKeys)
	}
}

func (a *API) listEntityTags(kind string) func(context.Context, *iamtypes.TagRequest) (*iamtypes.TagsResult, error) {
	return func(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.TagsResult, error) {
		return a.listTags(ctx, kind, taggedName(kind, r))
	}
}

// taggedName is the user or role a tag request names.
func taggedName(kind string, r *iamtypes.TagRequest) string {
	if kind == kindRole {
		return r.RoleName
	}
	return r.UserName
}

// retag adds and removes tags of a user or role.
func (a *API) retag(ctx context.Context, kind, name string, add []iamtypes.Tag, remove []string) error {
	if err := checkName(kind+"Name", name, 64); err != nil {
		return err
	}
	return a.changeEntity(ctx, kind, name, "tag "+kind, func(_ store.Tx, _ string, e *entity) (err error) {
		e.Tags, err = mergeTags(removeTags(e.Tags, remove), add)
		return err
	})
}

func (a *API) listTags(ctx context.Context, kind, name string) (*iamtypes.TagsResult, error) {
	if err := checkName(kind+"Name", name, 64); err != nil {
		return nil, err
	}
	e, err := a.entity(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	return &iamtypes.TagsResult{Tags: awsapi.OrEmpty(tagsOut(e.Tags))}, nil
}

// CreateGroup makes a group.
func (a *API) CreateGroup(ctx context.Context, r *iamtypes.CreateGroupRequest) (*iamtypes.GroupResult, error) {
	path, err := checkNamePath("groupName", r.GroupName, 128, r.Path)
	if err != nil {
		return nil, err
	}
	acct := account(ctx)
	e := entity{Kind: kindGroup, Name: r.GroupName, Path: path, ID: newID("AGPA", 17), ARN: arnOf(acct, kindGroup, path, r.GroupName), Created: a.Now().UTC()}
	if err := a.createEntity(ctx, acct, e, "Group with name %s already exists."); err != nil {
		return nil, err
	}
	return &iamtypes.GroupResult{Group: groupOut(&e)}, nil
}

// GetGroup answers a group and its users.
func (a *API) GetGroup(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("groupName", r.GroupName, 128); err != nil {
		return nil, err
	}
	acct := account(ctx)
	var out iamtypes.GetGroupResult
	err := a.read(ctx, func(tx store.ReadTx) error {
		g, err := getEntity(tx, acct, kindGroup, r.GroupName)
		if err != nil {
			return err
		}
		users, err := listEntities(tx, acct, kindUser)
		if err != nil {
			return err
		}
		out.Group, out.Users = groupOut(&g), []iamtypes.User{}
		for i := range users {
			if slices.ContainsFunc(users[i].Groups, func(n string) bool { return strings.EqualFold(n, g.Name) }) {
				out.Users = append(out.Users, userOut(&users[i]))
			}
		}
		return nil
	})
	if err != nil {
		return nil, awsapi.Wrap("get group", err)
	}
	return &out, nil
}

// ListGroups lists groups.
func (a *API) ListGroups(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	es, marker, more, err := a.listKind(ctx, kindGroup, r)
	if err != nil {
		return nil, err
	}
	out := &iamtypes.GroupsResult{Groups: []iamtypes.Group{}, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}
	for i := range es {
		out.Groups = append(out.Groups, groupOut(&es[i]))
	}
	return out, nil
}

// DeleteGroup deletes a group without members or policies.
func (a *API) DeleteGroup(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("groupName", r.GroupName, 128); err != nil {
		return nil, err
	}
	return a.deleteEntity(ctx, kindGroup, r.GroupName, func(tx store.Tx, acct string, g entity) error {
		users, err := listEntities(tx, acct, kindUser)
		if err != nil {
			return err
		}
		for _, u := range users {
			if slices.ContainsFunc(u.Groups, func(n string) bool { return strings.EqualFold(n, g.Name) }) {
				return deleteConflict("Cannot delete entity, must remove users from group first.")
			}
		}
		return policyConflict(g)
	})
}

// AddUserToGroup makes a user a member of a group.
func (a *API) AddUserToGroup(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	return &iamtypes.Empty{}, a.membership(ctx, r, true)
}

// RemoveUserFromGroup ends a user's membership of a group.
func (a *API) RemoveUserFromGroup(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	return &iamtypes.Empty{}, a.membership(ctx, r, false)
}

func (a *API) membership(ctx context.Context, r *iamtypes.NameRequest, add bool) error {
	if err := checkName("groupName", r.GroupName, 128); err != nil {
		return err
	}
	if err := checkName("userName", r.UserName, 64); err != nil {
		return err
	}
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		g, err := getEntity(tx, acct, kindGroup, r.GroupName)
		if err != nil {
			return err
		}
		u, err := getEntity(tx, acct, kindUser, r.UserName)
		if err != nil {
			return err
		}
		in := slices.ContainsFunc(u.Groups, func(n string) bool { return strings.EqualFold(n, g.Name) })
		switch {
		case add && !in:
			if len(u.Groups) >= 10 {
				return limitExceeded("Cannot exceed quota for GroupsPerUser: 10")
			}
			u.Groups = append(u.Groups, g.Name)
		case !add && in:
			u.Groups = slices.DeleteFunc(u.Groups, func(n string) bool { return strings.EqualFold(n, g.Name) })
		case !add:
			return noSuchEntity("The user with name %s cannot be found in group %s.", u.Name, g.Name)
		}
		return store.Put(tx, key(acct, kindUser, u.Name), u)
	})
	return awsapi.Wrap("group membership", err)
}

// ListGroupsForUser lists the groups a user belongs to.
func (a *API) ListGroupsForUser(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkName("userName", r.UserName, 64); err != nil {
		return nil, err
	}
	acct := account(ctx)
	var groups []entity
	err := a.read(ctx, func(tx store.ReadTx) error {
		u, err := getEntity(tx, acct, kindUser, r.UserName)
		if err != nil {
			return err
		}
		for _, n := range u.Groups {
			g, ok, err := store.Get[entity](tx, key(acct, kindGroup, n))
			if err != nil {
				return err
			}
			if ok {
				groups = append(groups, g)
			}
		}
		return nil
	})
	if err != nil {
		return nil, awsapi.Wrap("list groups for user", err)
	}
	p, marker, more := page(groups, func(e entity) string { return e.Name }, r.Marker, r.MaxItems)
	out := &iamtypes.GroupsResult{Groups: []iamtypes.Group{}, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}
	for i := range p {
		out.Groups = append(out.Groups, groupOut(&p[i]))
	}
	return out, nil
}

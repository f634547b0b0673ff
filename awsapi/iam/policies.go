package iam

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/iampolicy"
	"github.com/wharfhq/wharf/store"
)

// IAM's quotas that wharf keeps.
const (
	maxManagedPerEntity = 20 // managed policies attached to one user, group or role
	maxVersions         = 5  // versions of one managed policy
)

// ownerMember is the request member naming an entity of kind.
func ownerMember(kind string) string { return kind + "Name" }

func ownerName(kind string, r *iamtypes.NameRequest) string {
	switch kind {
	case kindUser:
		return r.UserName
	case kindGroup:
		return r.GroupName
	}
	return r.RoleName
}

// errUnchanged tells changeEntity that the entity is as asked already.
var errUnchanged = errors.New("unchanged")

// changeEntity applies change to the user, group or role name in one
// write transaction and stores it (unless change answers errUnchanged); op
// names the call in an unexpected error.
func (a *API) changeEntity(ctx context.Context, kind, name, op string, change func(tx store.Tx, acct string, e *entity) error) error {
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		e, err := getEntity(tx, acct, kind, name)
		if err != nil {
			return err
		}
		if err := change(tx, acct, &e); err != nil {
			if errors.Is(err, errUnchanged) {
				return nil
			}
			return err
		}
		return store.Put(tx, key(acct, kind, e.Name), e)
	})
	return awsapi.Wrap(op, err)
}

// byOwner is a handler of a {User,Group,Role} policy request: fn runs
// with the name of the user, group or role, checked first.
func byOwner(kind string, fn func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error)) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return func(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
		owner, err := checkedOwner(kind, r)
		if err != nil {
			return nil, err
		}
		return fn(ctx, r, owner)
	}
}

// checkedOwner is the name of the user, group or role a policy request
// names, checked.
func checkedOwner(kind string, r *iamtypes.NameRequest) (string, error) {
	owner := ownerName(kind, r)
	return owner, checkName(ownerMember(kind), owner, maxNameLen(kind))
}

func maxNameLen(kind string) int {
	if kind == kindGroup {
		return 128
	}
	return 64
}

// putInline serves Put{User,Group,Role}Policy: add or replace an inline
// policy.
func (a *API) putInline(kind string) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return byOwner(kind, func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error) {
		if err := checkName("policyName", r.PolicyName, 128); err != nil {
			return nil, err
		}
		if err := checkDoc("policyDocument", r.PolicyDocument, iampolicy.Identity); err != nil {
			return nil, err
		}
		return &iamtypes.Empty{}, a.changeEntity(ctx, kind, owner, "put "+kind+" policy", func(tx store.Tx, acct string, e *entity) error {
			if e.Inline == nil {
				e.Inline = map[string]string{}
			}
			e.Inline[r.PolicyName] = r.PolicyDocument
			return nil
		})
	})
}

// getInline serves Get{User,Group,Role}Policy.
func (a *API) getInline(kind string) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return byOwner(kind, func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error) {
		if err := checkName("policyName", r.PolicyName, 128); err != nil {
			return nil, err
		}
		e, err := a.entity(ctx, kind, owner)
		if err != nil {
			return nil, err
		}
		doc, ok := e.Inline[r.PolicyName]
		if !ok {
			return nil, noSuchEntity("The %s policy with name %s cannot be found.", kind, r.PolicyName)
		}
		out := &iamtypes.InlinePolicyResult{PolicyName: r.PolicyName, PolicyDocument: encodeDoc(doc)}
		switch kind {
		case kindUser:
			out.UserName = e.Name
		case kindGroup:
			out.GroupName = e.Name
		default:
			out.RoleName = e.Name
		}
		return out, nil
	})
}

// deleteInline serves Delete{User,Group,Role}Policy.
func (a *API) deleteInline(kind string) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return byOwner(kind, func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error) {
		return &iamtypes.Empty{}, a.changeEntity(ctx, kind, owner, "delete "+kind+" policy", func(tx store.Tx, acct string, e *entity) error {
			if _, ok := e.Inline[r.PolicyName]; !ok {
				return noSuchEntity("The %s policy with name %s cannot be found.", kind, r.PolicyName)
			}
			delete(e.Inline, r.PolicyName)
			return nil
		})
	})
}

// listInline serves List{User,Group,Role}Policies: the inline policies'
// names.
func (a *API) listInline(kind string) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return byOwner(kind, func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error) {
		e, err := a.entity(ctx, kind, owner)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(e.Inline))
		for n := range e.Inline {
			names = append(names, n)
		}
		p, marker, more := page(names, func(s string) string { return s }, r.Marker, r.MaxItems)
		return &iamtypes.PolicyNamesResult{PolicyNames: p, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}, nil
	})
}

// policyKeyOf is the store key of the customer managed policy arn names
// in acct, or "" when arn is no such policy's ARN.
func policyKeyOf(acct, arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::"+acct+":policy/")
	if !ok || rest == "" {
		return ""
	}
	return key(acct, kindPolicy, rest[strings.LastIndexByte(rest, '/')+1:])
}

// findPolicy reads the managed policy arn names: an AWS managed one, or
// one of acct's own (nil, p).
func findPolicy(tx store.ReadTx, acct, arn string) (*awsPolicy, *managedPolicy, error) {
	if p := awsByARN[arn]; p != nil {
		return p, nil, nil
	}
	notFound := noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	k := policyKeyOf(acct, arn)
	if k == "" {
		return nil, nil, notFound
	}
	p, ok, err := store.Get[managedPolicy](tx, k)
	if err != nil {
		return nil, nil, err
	}
	if !ok || p.ARN != arn {
		return nil, nil, notFound
	}
	return nil, &p, nil
}

func checkPolicyARN(arn string) error {
	if len(arn) < 20 || !strings.HasPrefix(arn, "arn:") {
		return invalidInput("ARN %s is not valid.", arn)
	}
	return nil
}

// attach serves Attach{User,Group,Role}Policy.
func (a *API) attach(kind string) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return byOwner(kind, func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error) {
		if err := checkPolicyARN(r.PolicyArn); err != nil {
			return nil, err
		}
		return &iamtypes.Empty{}, a.changeEntity(ctx, kind, owner, "attach "+kind+" policy", func(tx store.Tx, acct string, e *entity) error {
			if _, _, err := findPolicy(tx, acct, r.PolicyArn); err != nil {
				return err
			}
			if slices.Contains(e.Managed, r.PolicyArn) {
				return errUnchanged
			}
			if len(e.Managed) >= maxManagedPerEntity {
				return limitExceeded("Cannot exceed quota for PoliciesPerRole: %d", maxManagedPerEntity)
			}
			e.Managed = append(e.Managed, r.PolicyArn)
			return nil
		})
	})
}

// detach serves Detach{User,Group,Role}Policy.
func (a *API) detach(kind string) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return byOwner(kind, func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error) {
		return &iamtypes.Empty{}, a.changeEntity(ctx, kind, owner, "detach "+kind+" policy", func(tx store.Tx, acct string, e *entity) error {
			if !slices.Contains(e.Managed, r.PolicyArn) {
				return noSuchEntity("Policy %s was not found.", r.PolicyArn)
			}
			e.Managed = slices.DeleteFunc(e.Managed, func(s string) bool { return s == r.PolicyArn })
			return nil
		})
	})
}

// policyName is the name at the end of a managed policy's ARN.
func policyName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// listAttached serves ListAttached{User,Group,Role}Policies.
func (a *API) listAttached(kind string) func(context.Context, *iamtypes.NameRequest) (any, error) {
	return byOwner(kind, func(ctx context.Context, r *iamtypes.NameRequest, owner string) (any, error) {
		e, err := a.entity(ctx, kind, owner)
		if err != nil {
			return nil, err
		}
		var all []iamtypes.AttachedPolicy
		for _, arn := range e.Managed {
			all = append(all, iamtypes.AttachedPolicy{PolicyName: policyName(arn), PolicyArn: arn})
		}
		p, marker, more := page(all, func(ap iamtypes.AttachedPolicy) string { return ap.PolicyName }, r.Marker, r.MaxItems)
		if p == nil {
			p = []iamtypes.AttachedPolicy{}
		}
		return &iamtypes.AttachedPoliciesResult{AttachedPolicies: p, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}, nil
	})
}

// attachments counts the entities a managed policy is attached to.
func attachments(tx store.ReadTx, acct, arn string) (users, groups, roles []entity, err error) {
	for _, kind := range []string{kindUser, kindGroup, kindRole} {
		es, err := listEntities(tx, acct, kind)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, e := range es {
			if !slices.Contains(e.Managed, arn) {
				continue
			}
			switch kind {
			case kindUser:
				users = append(users, e)
			case kindGroup:
				groups = append(groups, e)
			default:
				roles = append(roles, e)
			}
		}
	}
	return users, groups, roles, nil
}

func managedOut(p *managedPolicy, count int) iamtypes.Policy {
	return iamtypes.Policy{PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionId: p.Default,
		AttachmentCount: int32(count), IsAttachable: true, Description: p.Description, CreateDate: iamTime(p.Created),
		UpdateDate: iamTime(p.Updated), Tags: tagsOut(p.Tags)}
}

func awsOut(arn string, p *awsPolicy, count int) iamtypes.Policy {
	return iamtypes.Policy{PolicyName: p.Name, PolicyId: stableID("ANPA", arn),
		Arn: arn, Path: p.Path, DefaultVersionId: p.Version, AttachmentCount: int32(count), IsAttachable: true,
		Description: p.Description, CreateDate: "2015-02-06T18:39:46Z", UpdateDate: "2015-02-06T18:39:46Z"}
}

// CreatePolicy makes a customer managed policy (its version v1).
func (a *API) CreatePolicy(ctx context.Context, r *iamtypes.CreatePolicyRequest) (*iamtypes.PolicyResult, error) {
	path, err := checkNamePath("policyName", r.PolicyName, 128, r.Path)
	if err != nil {
		return nil, err
	}
	if err := checkDoc("policyDocument", r.PolicyDocument, iampolicy.Identity); err != nil {
		return nil, err
	}
	if err := checkTags(r.Tags); err != nil {
		return nil, err
	}
	acct := account(ctx)
	now := a.Now().UTC()
	p := managedPolicy{Name: r.PolicyName, Path: path, ID: newID("ANPA", 17), ARN: arnOf(acct, kindPolicy, path, r.PolicyName),
		Description: r.Description, Created: now, Updated: now, Default: "v1", NextVersion: 2,
		Versions: []policyVersion{{ID: "v1", Doc: r.PolicyDocument, Created: now}}, Tags: tagsIn(r.Tags)}
	err = a.write(ctx, func(tx store.Tx) error {
		return putNew(tx, key(acct, kindPolicy, r.PolicyName), p, "A policy called %s already exists. Duplicate names are not allowed.", r.PolicyName)
	})
	if err != nil {
		return nil, awsapi.Wrap("create policy", err)
	}
	return &iamtypes.PolicyResult{Policy: managedOut(&p, 0)}, nil
}

// GetPolicy answers a managed policy (customer or AWS managed).
func (a *API) GetPolicy(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkPolicyARN(r.PolicyArn); err != nil {
		return nil, err
	}
	acct := account(ctx)
	var out iamtypes.Policy
	err := a.read(ctx, func(tx store.ReadTx) error {
		ap, mp, err := findPolicy(tx, acct, r.PolicyArn)
		if err != nil {
			return err
		}
		u, g, ro, err := attachments(tx, acct, r.PolicyArn)
		if err != nil {
			return err
		}
		if ap != nil {
			out = awsOut(r.PolicyArn, ap, len(u)+len(g)+len(ro))
		} else {
			out = managedOut(mp, len(u)+len(g)+len(ro))
		}
		return nil
	})
	if err != nil {
		return nil, awsapi.Wrap("get policy", err)
	}
	return &iamtypes.PolicyResult{Policy: out}, nil
}

// ListPolicies lists managed policies: Scope All (default), AWS or Local.
func (a *API) ListPolicies(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	acct := account(ctx)
	var all []iamtypes.Policy
	err := a.read(ctx, func(tx store.ReadTx) error {
		count := func(arn string) (int, error) {
			u, g, ro, err := attachments(tx, acct, arn)
			return len(u) + len(g) + len(ro), err
		}
		if r.Scope == "" || r.Scope == "All" || r.Scope == "AWS" {
			for arn, p := range awsByARN {
				n, err := count(arn)
				if err != nil {
					return err
				}
				all = append(all, awsOut(arn, p, n))
			}
		}
		if r.Scope == "" || r.Scope == "All" || r.Scope == "Local" {
			ps, err := store.List[managedPolicy](tx, kindPrefix(acct, kindPolicy))
			if err != nil {
				return err
			}
			for i := range ps {
				n, err := count(ps[i].ARN)
				if err != nil {
					return err
				}
				all = append(all, managedOut(&ps[i], n))
			}
		}
		return nil
	})
	if err != nil {
		return nil, awsapi.Wrap("list policies", err)
	}
	all = slices.DeleteFunc(all, func(p iamtypes.Policy) bool {
		return (r.OnlyAttached && p.AttachmentCount == 0) || (r.PathPrefix != "" && !strings.HasPrefix(p.Path, r.PathPrefix))
	})
	for i := range all {
		all[i].Tags = nil
	}
	p, marker, more := page(all, func(p iamtypes.Policy) string { return p.PolicyName }, r.Marker, r.MaxItems)
	if p == nil {
		p = []iamtypes.Policy{}
	}
	return &iamtypes.PoliciesResult{Policies: p, Page: iamtypes.Page{IsTruncated: more, Marker: marker}}, nil
}

// DeletePolicy deletes a customer managed policy that is attached
// nowhere and has only its default version left.
func (a *API) DeletePolicy(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkPolicyARN(r.PolicyArn); err != nil {
		return nil, err
	}
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		ap, mp, err := findPolicy(tx, acct, r.PolicyArn)
		if err != nil {
			return err
		}
		if ap != nil {
			return apiErr(CodeUnmodifiable, 400, "Cannot delete an AWS managed policy.")
		}
		u, g, ro, err := attachments(tx, acct, r.PolicyArn)
		if err != nil {
			return err
		}
		if len(u)+len(g)+len(ro) > 0 {
			return deleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(mp.Versions) > 1 {
			return deleteConflict("Cannot delete a policy with non-default versions. Delete all non-default versions first.")
		}
		return tx.Delete(key(acct, kindPolicy, mp.Name))
	})
	return &iamtypes.Empty{}, awsapi.Wrap("delete policy", err)
}

// updatePolicy changes a customer managed policy in a transaction.
func (a *API) updatePolicy(ctx context.Context, arn string, fn func(*managedPolicy) error) error {
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	acct := account(ctx)
	err := a.write(ctx, func(tx store.Tx) error {
		ap, mp, err := findPolicy(tx, acct, arn)
		if err != nil {
			return err
		}
		if ap != nil {
			return apiErr(CodeUnmodifiable, 400, "Cannot modify an AWS managed policy.")
		}
		if err := fn(mp); err != nil {
			return err
		}
		return store.Put(tx, key(acct, kindPolicy, mp.Name), mp)
	})
	return awsapi.Wrap("update policy", err)
}

// CreatePolicyVersion adds a version (at most five are kept).
func (a *API) CreatePolicyVersion(ctx context.Context, r *iamtypes.CreatePolicyVersionRequest) (*iamtypes.PolicyVersionResult, error) {
	if err := checkDoc("policyDocument", r.PolicyDocument, iampolicy.Identity); err != nil {
		return nil, err
	}
	var v policyVersion
	var isDefault bool
	err := a.updatePolicy(ctx, r.PolicyArn, func(p *managedPolicy) error {
		if len(p.Versions) >= maxVersions {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersions)
		}
		now := a.Now().UTC()
		v = policyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Doc: r.PolicyDocument, Created: now}
		p.NextVersion++
		p.Versions = append(p.Versions, v)
		if r.SetAsDefault {
			p.Default, isDefault = v.ID, true
		}
		p.Updated = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamtypes.PolicyVersionResult{PolicyVersion: iamtypes.PolicyVersion{VersionId: v.ID, IsDefaultVersion: isDefault, CreateDate: iamTime(v.Created)}}, nil
}

// GetPolicyVersion answers one version with its (URL-encoded) document.
func (a *API) GetPolicyVersion(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	vs, err := a.versions(ctx, r.PolicyArn)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.VersionId == r.VersionId {
			return &iamtypes.PolicyVersionResult{PolicyVersion: v}, nil
		}
	}
	return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", r.PolicyArn, r.VersionId)
}

// versions lists a policy's versions, documents included.
func (a *API) versions(ctx context.Context, arn string) ([]iamtypes.PolicyVersion, error) {
	if err := checkPolicyARN(arn); err != nil {
		return nil, err
	}
	acct := account(ctx)
	var out []iamtypes.PolicyVersion
	err := a.read(ctx, func(tx store.ReadTx) error {
		ap, mp, err := findPolicy(tx, acct, arn)
		if err != nil {
			return err
		}
		if ap != nil {
			out = []iamtypes.PolicyVersion{{Document: encodeDoc(ap.Doc), VersionId: ap.Version, IsDefaultVersion: true, CreateDate: "2015-02-06T18:39:46Z"}}
			return nil
		}
		for _, v := range mp.Versions {
			out = append(out, iamtypes.PolicyVersion{Document: encodeDoc(v.Doc), VersionId: v.ID, IsDefaultVersion: v.ID == mp.Default, CreateDate: iamTime(v.Created)})
		}
		return nil
	})
	return out, awsapi.Wrap("read policy versions", err)
}

// ListPolicyVersions lists a policy's versions (without documents),
// newest first.
func (a *API) ListPolicyVersions(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	vs, err := a.versions(ctx, r.PolicyArn)
	if err != nil {
		return nil, err
	}
	for i := range vs {
		vs[i].Document = ""
	}
	slices.Reverse(vs)
	return &iamtypes.PolicyVersionsResult{Versions: vs}, nil
}

// DeletePolicyVersion deletes a version other than the default.
func (a *API) DeletePolicyVersion(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	return &iamtypes.Empty{}, a.updatePolicy(ctx, r.PolicyArn, func(p *managedPolicy) error {
		if r.VersionId == p.Default {
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		i := slices.IndexFunc(p.Versions, func(v policyVersion) bool { return v.ID == r.VersionId })
		if i < 0 {
			return noSuchEntity("Policy %s version %s does not exist or is not attachable.", r.PolicyArn, r.VersionId)
		}
		p.Versions = slices.Delete(p.Versions, i, i+1)
		return nil
	})
}

// SetDefaultPolicyVersion makes a version the one that takes effect.
func (a *API) SetDefaultPolicyVersion(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	return &iamtypes.Empty{}, a.updatePolicy(ctx, r.PolicyArn, func(p *managedPolicy) error {
		if !slices.ContainsFunc(p.Versions, func(v policyVersion) bool { return v.ID == r.VersionId }) {
			return noSuchEntity("Policy %s version %s does not exist or is not attachable.", r.PolicyArn, r.VersionId)
		}
		p.Default, p.Updated = r.VersionId, a.Now().UTC()
		return nil
	})
}

// ListEntitiesForPolicy lists the users, groups and roles a managed
// policy is attached to.
func (a *API) ListEntitiesForPolicy(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	if err := checkPolicyARN(r.PolicyArn); err != nil {
		return nil, err
	}
	acct := account(ctx)
	out := &iamtypes.EntitiesForPolicyResult{PolicyGroups: []iamtypes.PolicyGroup{}, PolicyUsers: []iamtypes.PolicyUser{}, PolicyRoles: []iamtypes.PolicyRole{}}
	err := a.read(ctx, func(tx store.ReadTx) error {
		if _, _, err := findPolicy(tx, acct, r.PolicyArn); err != nil {
			return err
		}
		u, g, ro, err := attachments(tx, acct, r.PolicyArn)
		if err != nil {
			return err
		}
		for _, e := range u {
			out.PolicyUsers = append(out.PolicyUsers, iamtypes.PolicyUser{UserName: e.Name, UserId: e.ID})
		}
		for _, e := range g {
			out.PolicyGroups = append(out.PolicyGroups, iamtypes.PolicyGroup{GroupName: e.Name, GroupId: e.ID})
		}
		for _, e := range ro {
			out.PolicyRoles = append(out.PolicyRoles, iamtypes.PolicyRole{RoleName: e.Name, RoleId: e.ID})
		}
		return nil
	})
	return out, awsapi.Wrap("list entities for policy", err)
}

// TagPolicy adds tags to a customer managed policy.
func (a *API) TagPolicy(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.Empty, error) {
	return nil, a.updatePolicy(ctx, r.PolicyArn, func(p *managedPolicy) (err error) {
		p.Tags, err = mergeTags(p.Tags, r.Tags)
		return err
	})
}

// UntagPolicy removes tags from a customer managed policy.
func (a *API) UntagPolicy(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.Empty, error) {
	return nil, a.updatePolicy(ctx, r.PolicyArn, func(p *managedPolicy) error {
		p.Tags = removeTags(p.Tags, r.TagKeys)
		return nil
	})
}

// ListPolicyTags lists a managed policy's tags.
func (a *API) ListPolicyTags(ctx context.Context, r *iamtypes.TagRequest) (*iamtypes.TagsResult, error) {
	if err := checkPolicyARN(r.PolicyArn); err != nil {
		return nil, err
	}
	acct := account(ctx)
	var tags []tag
	err := a.read(ctx, func(tx store.ReadTx) error {
		_, mp, err := findPolicy(tx, acct, r.PolicyArn)
		if mp != nil {
			tags = mp.Tags
		}
		return err
	})
	if err != nil {
		return nil, awsapi.Wrap("list policy tags", err)
	}
	ts := tagsOut(tags)
	if ts == nil {
		ts = []iamtypes.Tag{}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Key < ts[j].Key })
	return &iamtypes.TagsResult{Tags: ts}, nil
}

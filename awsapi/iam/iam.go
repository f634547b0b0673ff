package iam

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/iampolicy"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/store"
)

// Config is what the API needs besides the store.
type Config struct {
	// Keyring seals access keys' secrets; without one, CreateAccessKey
	// fails and users' keys are not recognised.
	Keyring *keyring.Keyring
	// Strict refuses calls of a role wharf minted credentials for but
	// which IAM does not know (auth on). When false, such a role keeps
	// wharf's behaviour before IAM: every call is allowed.
	Strict bool
	Log    *slog.Logger
}

// API implements the IAM operations, the authorizer and the access key
// resolver.
type API struct {
	awsapi.Base
	kr     *keyring.Keyring
	strict bool
	cache  *policyCache
}

// New returns the IAM API over db.
func New(db store.Backend, cfg Config) *API {
	return &API{Base: awsapi.NewBase(db, cfg.Log), kr: cfg.Keyring, strict: cfg.Strict, cache: newPolicyCache()}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.QueryService {
	known := map[string]bool{}
	for _, op := range iamtypes.Operations {
		known[op] = true
	}
	q := func(fn func(context.Context, *iamtypes.NameRequest) (any, error)) awsapi.QueryHandler {
		return awsapi.Query(func(ctx context.Context, r *iamtypes.NameRequest) (*any, error) {
			v, err := fn(ctx, r)
			if err != nil {
				return nil, err
			}
			return &v, nil
		})
	}
	return &awsapi.QueryService{
		SigningName:    iamtypes.SigningName,
		Version:        iamtypes.APIVersion,
		XMLNamespace:   iamtypes.XMLNamespace,
		ValidationCode: awsapi.CodeValidationError,
		Known:          known,
		Ops: map[string]awsapi.QueryHandler{
			"CreateUser":                    awsapi.Query(a.CreateUser),
			"GetUser":                       q(a.GetUser),
			"ListUsers":                     q(a.ListUsers),
			"UpdateUser":                    awsapi.Query(a.UpdateUser),
			"DeleteUser":                    q(a.DeleteUser),
			"TagUser":                       awsapi.Query(a.tagEntity(kindUser)),
			"UntagUser":                     awsapi.Query(a.untagEntity(kindUser)),
			"ListUserTags":                  awsapi.Query(a.listEntityTags(kindUser)),
			"CreateAccessKey":               q(a.CreateAccessKey),
			"ListAccessKeys":                q(a.ListAccessKeys),
			"UpdateAccessKey":               q(a.UpdateAccessKey),
			"DeleteAccessKey":               q(a.DeleteAccessKey),
			"GetAccessKeyLastUsed":          q(a.GetAccessKeyLastUsed),
			"CreateGroup":                   awsapi.Query(a.CreateGroup),
			"GetGroup":                      q(a.GetGroup),
			"ListGroups":                    q(a.ListGroups),
			"DeleteGroup":                   q(a.DeleteGroup),
			"AddUserToGroup":                q(a.AddUserToGroup),
			"RemoveUserFromGroup":           q(a.RemoveUserFromGroup),
			"ListGroupsForUser":             q(a.ListGroupsForUser),
			"CreateRole":                    awsapi.Query(a.CreateRole),
			"CreateServiceLinkedRole":       awsapi.Query(a.CreateServiceLinkedRole),
			"GetRole":                       q(a.GetRole),
			"ListRoles":                     q(a.ListRoles),
			"UpdateRole":                    awsapi.Query(a.UpdateRole),
			"UpdateRoleDescription":         awsapi.Query(a.UpdateRoleDescription),
			"UpdateAssumeRolePolicy":        q(a.UpdateAssumeRolePolicy),
			"DeleteRole":                    q(a.DeleteRole),
			"TagRole":                       awsapi.Query(a.tagEntity(kindRole)),
			"UntagRole":                     awsapi.Query(a.untagEntity(kindRole)),
			"ListRoleTags":                  awsapi.Query(a.listEntityTags(kindRole)),
			"PutUserPolicy":                 q(a.putInline(kindUser)),
			"PutGroupPolicy":                q(a.putInline(kindGroup)),
			"PutRolePolicy":                 q(a.putInline(kindRole)),
			"GetUserPolicy":                 q(a.getInline(kindUser)),
			"GetGroupPolicy":                q(a.getInline(kindGroup)),
			"GetRolePolicy":                 q(a.getInline(kindRole)),
			"DeleteUserPolicy":              q(a.deleteInline(kindUser)),
			"DeleteGroupPolicy":             q(a.deleteInline(kindGroup)),
			"DeleteRolePolicy":              q(a.deleteInline(kindRole)),
			"ListUserPolicies":              q(a.listInline(kindUser)),
			"ListGroupPolicies":             q(a.listInline(kindGroup)),
			"ListRolePolicies":              q(a.listInline(kindRole)),
			"AttachUserPolicy":              q(a.attach(kindUser)),
			"AttachGroupPolicy":             q(a.attach(kindGroup)),
			"AttachRolePolicy":              q(a.attach(kindRole)),
			"DetachUserPolicy":              q(a.detach(kindUser)),
			"DetachGroupPolicy":             q(a.detach(kindGroup)),
			"DetachRolePolicy":              q(a.detach(kindRole)),
			"ListAttachedUserPolicies":      q(a.listAttached(kindUser)),
			"ListAttachedGroupPolicies":     q(a.listAttached(kindGroup)),
			"ListAttachedRolePolicies":      q(a.listAttached(kindRole)),
			"CreatePolicy":                  awsapi.Query(a.CreatePolicy),
			"GetPolicy":                     q(a.GetPolicy),
			"ListPolicies":                  q(a.ListPolicies),
			"DeletePolicy":                  q(a.DeletePolicy),
			"CreatePolicyVersion":           awsapi.Query(a.CreatePolicyVersion),
			"GetPolicyVersion":              q(a.GetPolicyVersion),
			"ListPolicyVersions":            q(a.ListPolicyVersions),
			"DeletePolicyVersion":           q(a.DeletePolicyVersion),
			"SetDefaultPolicyVersion":       q(a.SetDefaultPolicyVersion),
			"ListEntitiesForPolicy":         q(a.ListEntitiesForPolicy),
			"TagPolicy":                     awsapi.Query(a.TagPolicy),
			"UntagPolicy":                   awsapi.Query(a.UntagPolicy),
			"ListPolicyTags":                awsapi.Query(a.ListPolicyTags),
			"CreateInstanceProfile":         awsapi.Query(a.CreateInstanceProfile),
			"GetInstanceProfile":            q(a.GetInstanceProfile),
			"ListInstanceProfiles":          q(a.ListInstanceProfiles),
			"ListInstanceProfilesForRole":   q(a.ListInstanceProfilesForRole),
			"DeleteInstanceProfile":         q(a.DeleteInstanceProfile),
			"AddRoleToInstanceProfile":      q(a.AddRoleToInstanceProfile),
			"RemoveRoleFromInstanceProfile": q(a.RemoveRoleFromInstanceProfile),
			"TagInstanceProfile":            awsapi.Query(a.TagInstanceProfile),
			"UntagInstanceProfile":          awsapi.Query(a.UntagInstanceProfile),
			"ListInstanceProfileTags":       awsapi.Query(a.ListInstanceProfileTags),
			"PutUserPermissionsBoundary":    awsapi.Query(a.putBoundary(kindUser)),
			"PutRolePermissionsBoundary":    awsapi.Query(a.putBoundary(kindRole)),
			"DeleteUserPermissionsBoundary": awsapi.Query(a.deleteBoundary(kindUser)),
			"DeleteRolePermissionsBoundary": awsapi.Query(a.deleteBoundary(kindRole)),

			// Service-linked role deletion tasks (slrdelete.go).
			"DeleteServiceLinkedRole":            awsapi.Query(a.DeleteServiceLinkedRole),
			"GetServiceLinkedRoleDeletionStatus": awsapi.Query(a.GetServiceLinkedRoleDeletionStatus),
		},
	}
}

// IAM's error codes, with the HTTP statuses IAM answers them with.
const (
	CodeNoSuchEntity        = "NoSuchEntity"
	CodeEntityAlreadyExists = "EntityAlreadyExists"
	CodeDeleteConflict      = "DeleteConflict"
	CodeLimitExceeded       = "LimitExceeded"
	CodeMalformedPolicy     = "MalformedPolicyDocument"
	CodeInvalidInput        = "InvalidInput"
	CodeUnmodifiable        = "UnmodifiableEntity"
)

func apiErr(code string, status int, format string, args ...any) error {
	return &awsapi.Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

func noSuchEntity(format string, args ...any) error {
	return apiErr(CodeNoSuchEntity, 404, format, args...)
}

func alreadyExists(format string, args ...any) error {
	return apiErr(CodeEntityAlreadyExists, 409, format, args...)
}

func deleteConflict(format string, args ...any) error {
	return apiErr(CodeDeleteConflict, 409, format, args...)
}

func limitExceeded(format string, args ...any) error {
	return apiErr(CodeLimitExceeded, 409, format, args...)
}

func invalidInput(format string, args ...any) error {
	return apiErr(CodeInvalidInput, 400, format, args...)
}

// validation is IAM's ValidationError, in AWS's model-validation wording.
func validation(member, value, constraint string) error {
	if value == "" {
		return awsapi.Errorf(awsapi.CodeValidationError, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	}
	return awsapi.Errorf(awsapi.CodeValidationError, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

var namePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)

// checkName checks an IAM entity name: required, 1 to max characters of
// [\w+=,.@-].
func checkName(member, v string, max int) error {
	if v == "" {
		return validation(member, v, "")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return validation(member, v, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	if !namePattern.MatchString(v) {
		return validation(member, v, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

var pathPattern = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)

// checkPath defaults an empty path to "/" and checks the rest.
// checkNamePath checks a new resource's name (member names it in the
// request, up to max characters) and then its path, which it returns
// cleaned ("/" when none).
func checkNamePath(member, name string, max int, path string) (string, error) {
	if err := checkName(member, name, max); err != nil {
		return "", err
	}
	return checkPath(path)
}

func checkPath(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if len(p) > 512 || !pathPattern.MatchString(p) {
		return "", validation("path", p, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return p, nil
}

// checkDoc parses a policy document of kind, answering IAM's
// MalformedPolicyDocument for one it refuses.
func checkDoc(member, doc string, kind iampolicy.Kind) error {
	if doc == "" {
		return validation(member, "", "")
	}
	if len(doc) > 131072 {
		return validation(member, "…", "Member must have length less than or equal to 131072")
	}
	if _, err := iampolicy.Parse(doc, kind); err != nil {
		return apiErr(CodeMalformedPolicy, 400, "%s", err.Error())
	}
	return nil
}

// newID makes an IAM unique id: a four-letter prefix telling the kind
// (AIDA user, AROA role, AGPA group, ANPA policy, AIPA instance profile,
// AKIA access key) and random characters from IAM's alphabet.
func newID(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

// iamTime is IAM's timestamp form.
func iamTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// encodeDoc URL-encodes a policy document, as IAM returns documents
// (clients decode them: Terraform, the aws CLI).
func encodeDoc(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func account(ctx context.Context) string { return awsapi.ScopeOf(ctx).Account }

func arnOf(account, kind, path, name string) string {
	return "arn:aws:iam::" + account + ":" + kind + path + name
}

func tagsIn(ts []iamtypes.Tag) []tag {
	out := make([]tag, 0, len(ts))
	for _, t := range ts {
		out = append(out, tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func tagsOut(ts []tag) []iamtypes.Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]iamtypes.Tag, 0, len(ts))
	for _, t := range ts {
		out = append(out, iamtypes.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// tagRules are IAM's: 50 tags, InvalidInput for a bad one.
var tagRules = func() awsapi.TagRules {
	r := awsapi.TagRulesIn(50, func(f string, args ...any) error { return invalidInput(f, args...) },
		func(f string, args ...any) error { return limitExceeded(f, args...) })
	r.Duplicate = func(k string) error {
		return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	}
	return r
}()

func checkTags(ts []iamtypes.Tag) error {
	return awsapi.CheckTags(tagRules, ts, func(t iamtypes.Tag) (string, string) { return t.Key, t.Value })
}

// mergeTags adds or replaces tags, checking the total.
func mergeTags(cur []tag, add []iamtypes.Tag) ([]tag, error) {
	if err := checkTags(add); err != nil {
		return nil, err
	}
	out := awsapi.MergeTags(cur, tagsIn(add), func(t tag) string { return t.Key })
	if err := tagRules.Count(len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

func removeTags(cur []tag, keys []string) []tag {
	return awsapi.RemoveTags(cur, keys, func(t tag) string { return t.Key })
}

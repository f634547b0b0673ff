// Package iamtypes holds the request and response shapes of the IAM
// operations wharf serves (Query protocol, Version 2010-05-08). There is
// no IAM model in shared/aws-models, so unlike the other api/<svc>types
// packages these shapes are written by hand, in this one file, with the
// member names of AWS's IAM API reference (proven by round trips through
// aws-sdk-go-v2's iam client in awsapi/iam's tests). Validation is the
// service's (awsapi/iam), not the shapes'.
package iamtypes

// Service metadata.
const (
	APIVersion   = "2010-05-08"
	SigningName  = "iam"
	XMLNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// Operations are every operation name of IAM's API that wharf knows, so
// that one it does not serve is told apart from a typo.
var Operations = []string{
	"AddClientIDToOpenIDConnectProvider", "AddRoleToInstanceProfile", "AddUserToGroup", "AttachGroupPolicy",
	"AttachRolePolicy", "AttachUserPolicy", "ChangePassword", "CreateAccessKey", "CreateAccountAlias",
	"CreateGroup", "CreateInstanceProfile", "CreateLoginProfile", "CreateOpenIDConnectProvider", "CreatePolicy",
	"CreatePolicyVersion", "CreateRole", "CreateSAMLProvider", "CreateServiceLinkedRole", "CreateUser",
	"DeleteAccessKey", "DeleteAccountAlias", "DeleteGroup", "DeleteGroupPolicy", "DeleteInstanceProfile",
	"DeleteLoginProfile", "DeletePolicy", "DeletePolicyVersion", "DeleteRole", "DeleteRolePermissionsBoundary",
	"DeleteRolePolicy", "DeleteServiceLinkedRole", "DeleteUser", "DeleteUserPermissionsBoundary",
	"DeleteUserPolicy", "DetachGroupPolicy", "DetachRolePolicy", "DetachUserPolicy", "GetAccessKeyLastUsed",
	"GetAccountAuthorizationDetails", "GetAccountSummary", "GetGroup", "GetGroupPolicy", "GetInstanceProfile",
	"GetLoginProfile", "GetPolicy", "GetPolicyVersion", "GetRole", "GetRolePolicy", "GetUser", "GetUserPolicy",
	"ListAccessKeys", "ListAccountAliases", "ListAttachedGroupPolicies", "ListAttachedRolePolicies",
	"ListAttachedUserPolicies", "ListEntitiesForPolicy", "ListGroupPolicies", "ListGroups", "ListGroupsForUser",
	"ListInstanceProfileTags", "ListInstanceProfiles", "ListInstanceProfilesForRole", "ListPolicies",
	"ListPolicyTags", "ListPolicyVersions", "ListRolePolicies", "ListRoleTags", "ListRoles", "ListUserPolicies",
	"ListUserTags", "ListUsers", "PutGroupPolicy", "PutRolePermissionsBoundary", "PutRolePolicy",
	"PutUserPermissionsBoundary", "PutUserPolicy", "RemoveRoleFromInstanceProfile", "RemoveUserFromGroup",
	"SetDefaultPolicyVersion", "SimulatePrincipalPolicy", "TagInstanceProfile", "TagPolicy", "TagRole", "TagUser",
	"UntagInstanceProfile", "UntagPolicy", "UntagRole", "UntagUser", "UpdateAccessKey", "UpdateAssumeRolePolicy",
	"UpdateGroup", "UpdateRole", "UpdateRoleDescription", "UpdateUser",
}

// Tag is a key/value tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Page is what every list result ends with.
type Page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// User is an IAM user.
type User struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	UserId     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
	// PermissionsBoundary is set when the user has one.
	PermissionsBoundary *AttachedPermissionsBoundary `xml:"PermissionsBoundary,omitempty"`
	Tags                []Tag                        `xml:"Tags>member,omitempty"`
}

// AttachedPermissionsBoundary names a user's or role's permissions
// boundary: PermissionsBoundaryType is always "Policy".
type AttachedPermissionsBoundary struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

// Group is an IAM group.
type Group struct {
	Path       string `xml:"Path"`
	GroupName  string `xml:"GroupName"`
	GroupId    string `xml:"GroupId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

// RoleLastUsed is always empty: wharf does not track it.
type RoleLastUsed struct{}

// Role is an IAM role; AssumeRolePolicyDocument is URL-encoded, as IAM
// returns it.
type Role struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleId                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int32  `xml:"MaxSessionDuration"`
	// PermissionsBoundary is set when the role has one.
	PermissionsBoundary *AttachedPermissionsBoundary `xml:"PermissionsBoundary,omitempty"`
	Tags                []Tag                        `xml:"Tags>member,omitempty"`
	RoleLastUsed        *RoleLastUsed                `xml:"RoleLastUsed,omitempty"`
}

// Policy is a managed policy.
type Policy struct {
	PolicyName                    string `xml:"PolicyName"`
	PolicyId                      string `xml:"PolicyId"`
	Arn                           string `xml:"Arn"`
	Path                          string `xml:"Path"`
	DefaultVersionId              string `xml:"DefaultVersionId"`
	AttachmentCount               int32  `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32  `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool   `xml:"IsAttachable"`
	Description                   string `xml:"Description,omitempty"`
	CreateDate                    string `xml:"CreateDate"`
	UpdateDate                    string `xml:"UpdateDate"`
	Tags                          []Tag  `xml:"Tags>member,omitempty"`
}

// PolicyVersion is one version of a managed policy; Document is
// URL-encoded.
type PolicyVersion struct {
	Document         string `xml:"Document,omitempty"`
	VersionId        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

// AttachedPolicy names a managed policy attached to an identity.
type AttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// InstanceProfile is an instance profile and its role.
type InstanceProfile struct {
	Path                string `xml:"Path"`
	InstanceProfileName string `xml:"InstanceProfileName"`
	InstanceProfileId   string `xml:"InstanceProfileId"`
	Arn                 string `xml:"Arn"`
	CreateDate          string `xml:"CreateDate"`
	Roles               []Role `xml:"Roles>member"`
	Tags                []Tag  `xml:"Tags>member,omitempty"`
}

// AccessKey is a new access key, with its secret (only CreateAccessKey
// returns it).
type AccessKey struct {
	UserName        string `xml:"UserName"`
	AccessKeyId     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	CreateDate      string `xml:"CreateDate"`
}

// AccessKeyMetadata is an access key without its secret.
type AccessKeyMetadata struct {
	UserName    string `xml:"UserName"`
	AccessKeyId string `xml:"AccessKeyId"`
	Status      string `xml:"Status"`
	CreateDate  string `xml:"CreateDate"`
}

// Requests. Members absent from a request decode as nil or "". Most
// calls that name one thing share NameRequest; Marker and MaxItems are
// the paging pair of IAM's list calls.

type NameRequest struct {
	UserName            string `xml:"UserName"`
	GroupName           string `xml:"GroupName"`
	RoleName            string `xml:"RoleName"`
	InstanceProfileName string `xml:"InstanceProfileName"`
	PolicyName          string `xml:"PolicyName"`
	PolicyArn           string `xml:"PolicyArn"`
	VersionId           string `xml:"VersionId"`
	AccessKeyId         string `xml:"AccessKeyId"`
	Status              string `xml:"Status"`
	PolicyDocument      string `xml:"PolicyDocument"`
	PathPrefix          string `xml:"PathPrefix"`
	Scope               string `xml:"Scope"`
	OnlyAttached        bool   `xml:"OnlyAttached"`
	Marker              string `xml:"Marker"`
	MaxItems            int32  `xml:"MaxItems"`
}

type CreateUserRequest struct {
	UserName            string `xml:"UserName"`
	Path                string `xml:"Path"`
	PermissionsBoundary string `xml:"PermissionsBoundary"`
	Tags                []Tag  `xml:"Tags>member"`
}

// PermissionsBoundaryRequest is Put/DeleteUserPermissionsBoundary's and
// Put/DeleteRolePermissionsBoundary's.
type PermissionsBoundaryRequest struct {
	UserName            string `xml:"UserName"`
	RoleName            string `xml:"RoleName"`
	PermissionsBoundary string `xml:"PermissionsBoundary"`
}

type UpdateUserRequest struct {
	UserName    string `xml:"UserName"`
	NewUserName string `xml:"NewUserName"`
	NewPath     string `xml:"NewPath"`
}

type CreateGroupRequest struct {
	GroupName string `xml:"GroupName"`
	Path      string `xml:"Path"`
}

type CreateRoleRequest struct {
	RoleName                 string `xml:"RoleName"`
	Path                     string `xml:"Path"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description"`
	MaxSessionDuration       *int32 `xml:"MaxSessionDuration"`
	PermissionsBoundary      string `xml:"PermissionsBoundary"`
	Tags                     []Tag  `xml:"Tags>member"`
}

type UpdateRoleRequest struct {
	RoleName           string  `xml:"RoleName"`
	Description        *string `xml:"Description"`
	MaxSessionDuration *int32  `xml:"MaxSessionDuration"`
}

type CreateServiceLinkedRoleRequest struct {
	AWSServiceName string `xml:"AWSServiceName"`
	Description    string `xml:"Description"`
	CustomSuffix   string `xml:"CustomSuffix"`
}

type CreatePolicyRequest struct {
	PolicyName     string `xml:"PolicyName"`
	Path           string `xml:"Path"`
	PolicyDocument string `xml:"PolicyDocument"`
	Description    string `xml:"Description"`
	Tags           []Tag  `xml:"Tags>member"`
}

type CreatePolicyVersionRequest struct {
	PolicyArn      string `xml:"PolicyArn"`
	PolicyDocument string `xml:"PolicyDocument"`
	SetAsDefault   bool   `xml:"SetAsDefault"`
}

type CreateInstanceProfileRequest struct {
	InstanceProfileName string `xml:"InstanceProfileName"`
	Path                string `xml:"Path"`
	Tags                []Tag  `xml:"Tags>member"`
}

type TagRequest struct {
	UserName            string   `xml:"UserName"`
	RoleName            string   `xml:"RoleName"`
	PolicyArn           string   `xml:"PolicyArn"`
	InstanceProfileName string   `xml:"InstanceProfileName"`
	Tags                []Tag    `xml:"Tags>member"`
	TagKeys             []string `xml:"TagKeys>member"`
	Marker              string   `xml:"Marker"`
	MaxItems            int32    `xml:"MaxItems"`
}

// Results.

type UserResult struct {
	User User `xml:"User"`
}

type UsersResult struct {
	Users []User `xml:"Users>member"`
	Page
}

type GroupResult struct {
	Group Group `xml:"Group"`
}

type GetGroupResult struct {
	Group Group  `xml:"Group"`
	Users []User `xml:"Users>member"`
	Page
}

type GroupsResult struct {
	Groups []Group `xml:"Groups>member"`
	Page
}

type RoleResult struct {
	Role Role `xml:"Role"`
}

type RolesResult struct {
	Roles []Role `xml:"Roles>member"`
	Page
}

type PolicyResult struct {
	Policy Policy `xml:"Policy"`
}

type PoliciesResult struct {
	Policies []Policy `xml:"Policies>member"`
	Page
}

type PolicyVersionResult struct {
	PolicyVersion PolicyVersion `xml:"PolicyVersion"`
}

type PolicyVersionsResult struct {
	Versions []PolicyVersion `xml:"Versions>member"`
	Page
}

type AttachedPoliciesResult struct {
	AttachedPolicies []AttachedPolicy `xml:"AttachedPolicies>member"`
	Page
}

type PolicyNamesResult struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	Page
}

// InlinePolicyResult answers Get{User,Group,Role}Policy: one of the
// owner names is set; PolicyDocument is URL-encoded.
type InlinePolicyResult struct {
	UserName       string `xml:"UserName,omitempty"`
	GroupName      string `xml:"GroupName,omitempty"`
	RoleName       string `xml:"RoleName,omitempty"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type InstanceProfileResult struct {
	InstanceProfile InstanceProfile `xml:"InstanceProfile"`
}

type InstanceProfilesResult struct {
	InstanceProfiles []InstanceProfile `xml:"InstanceProfiles>member"`
	Page
}

type AccessKeyResult struct {
	AccessKey AccessKey `xml:"AccessKey"`
}

type AccessKeysResult struct {
	UserName          string              `xml:"UserName,omitempty"`
	AccessKeyMetadata []AccessKeyMetadata `xml:"AccessKeyMetadata>member"`
	Page
}

type AccessKeyLastUsed struct {
	Region      string `xml:"Region"`
	ServiceName string `xml:"ServiceName"`
}

type AccessKeyLastUsedResult struct {
	UserName          string            `xml:"UserName"`
	AccessKeyLastUsed AccessKeyLastUsed `xml:"AccessKeyLastUsed"`
}

type TagsResult struct {
	Tags []Tag `xml:"Tags>member"`
	Page
}

type PolicyGroup struct {
	GroupName string `xml:"GroupName"`
	GroupId   string `xml:"GroupId"`
}

type PolicyUser struct {
	UserName string `xml:"UserName"`
	UserId   string `xml:"UserId"`
}

type PolicyRole struct {
	RoleName string `xml:"RoleName"`
	RoleId   string `xml:"RoleId"`
}

type EntitiesForPolicyResult struct {
	PolicyGroups []PolicyGroup `xml:"PolicyGroups>member"`
	PolicyUsers  []PolicyUser  `xml:"PolicyUsers>member"`
	PolicyRoles  []PolicyRole  `xml:"PolicyRoles>member"`
	Page
}

// Empty is the result of operations that return nothing.
type Empty struct{}

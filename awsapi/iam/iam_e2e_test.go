package iam_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

const ecsTasksTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const accountTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`

const readSecrets = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}]}`

func decode(t *testing.T, doc *string) string {
	t.Helper()
	s, err := url.QueryUnescape(aws.ToString(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoleLifecycle(t *testing.T) {
	w, c := apitest.Start(t, iamsdk.NewFromConfig)
	_ = w
	ctx := context.Background()

	out := apitest.Must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(ecsTasksTrust),
		Description: aws.String("task role"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}))(t)
	role := out.Role
	if aws.ToString(role.Arn) != "arn:aws:iam::000000000000:role/app" || !strings.HasPrefix(aws.ToString(role.RoleId), "AROA") ||
		aws.ToInt32(role.MaxSessionDuration) != 3600 || role.CreateDate == nil {
		t.Fatalf("role %+v", role)
	}
	if got := decode(t, role.AssumeRolePolicyDocument); got != ecsTasksTrust {
		t.Fatalf("trust %s", got)
	}
	_, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("APP"), AssumeRolePolicyDocument: aws.String(ecsTasksTrust)})
	apitest.WantCodeIn(t, err, "EntityAlreadyExists", "Role with name APP already exists.")
	_, err = c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(readSecrets)})
	apitest.WantCodeIn(t, err, "MalformedPolicyDocument", "Missing required field Principal")

	got := apitest.Must(c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("app")}))(t)
	if len(got.Role.Tags) != 1 || aws.ToString(got.Role.Description) != "task role" {
		t.Fatalf("get role %+v", got.Role)
	}
	_, err = c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("nope")})
	apitest.WantCodeIn(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	apitest.Must(c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("secrets"), PolicyDocument: aws.String(readSecrets)}))(t)
	_, err = c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(ecsTasksTrust)})
	apitest.WantCodeIn(t, err, "MalformedPolicyDocument", "should not specify a principal")
	rp := apitest.Must(c.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("secrets")}))(t)
	if decode(t, rp.PolicyDocument) != readSecrets || aws.ToString(rp.RoleName) != "app" {
		t.Fatalf("role policy %+v", rp)
	}
	names := apitest.Must(c.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("app")}))(t)
	if len(names.PolicyNames) != 1 || names.PolicyNames[0] != "secrets" {
		t.Fatalf("policy names %v", names.PolicyNames)
	}

	const execARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	apitest.Must(c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(execARN)}))(t)
	_, err = c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope")})
	apitest.WantCodeIn(t, err, "NoSuchEntity", "does not exist or is not attachable")
	att := apitest.Must(c.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("app")}))(t)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AmazonECSTaskExecutionRolePolicy" {
		t.Fatalf("attached %+v", att.AttachedPolicies)
	}
	ap := apitest.Must(c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(execARN)}))(t)
	if aws.ToInt32(ap.Policy.AttachmentCount) != 1 || aws.ToString(ap.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("aws policy %+v", ap.Policy)
	}
	v := apitest.Must(c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(execARN), VersionId: aws.String("v1")}))(t)
	if !strings.Contains(decode(t, v.PolicyVersion.Document), "logs:PutLogEvents") {
		t.Fatalf("document %s", decode(t, v.PolicyVersion.Document))
	}

	ip := apitest.Must(c.CreateInstanceProfile(ctx, &iamsdk.CreateInstanceProfileInput{InstanceProfileName: aws.String("ecs-host")}))(t)
	if aws.ToString(ip.InstanceProfile.Arn) != "arn:aws:iam::000000000000:instance-profile/ecs-host" {
		t.Fatalf("profile %+v", ip.InstanceProfile)
	}
	apitest.Must(c.AddRoleToInstanceProfile(ctx, &iamsdk.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ecs-host"), RoleName: aws.String("app")}))(t)
	gp := apitest.Must(c.GetInstanceProfile(ctx, &iamsdk.GetInstanceProfileInput{InstanceProfileName: aws.String("ecs-host")}))(t)
	if len(gp.InstanceProfile.Roles) != 1 || aws.ToString(gp.InstanceProfile.Roles[0].RoleName) != "app" {
		t.Fatalf("profile roles %+v", gp.InstanceProfile.Roles)
	}

	// Deleting follows Terraform's order: IAM refuses until each tie is cut.
	_, err = c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")})
	apitest.WantCodeIn(t, err, "DeleteConflict", "must remove roles from instance profile first")
	apitest.Must(c.RemoveRoleFromInstanceProfile(ctx, &iamsdk.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("ecs-host"), RoleName: aws.String("app")}))(t)
	_, err = c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")})
	apitest.WantCodeIn(t, err, "DeleteConflict", "must delete policies first")
	apitest.Must(c.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("secrets")}))(t)
	_, err = c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")})
	apitest.WantCodeIn(t, err, "DeleteConflict", "must detach all policies first")
	apitest.Must(c.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(execARN)}))(t)
	apitest.Must(c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("app")}))(t)
	apitest.Must(c.DeleteInstanceProfile(ctx, &iamsdk.DeleteInstanceProfileInput{InstanceProfileName: aws.String("ecs-host")}))(t)
	roles := apitest.Must(c.ListRoles(ctx, &iamsdk.ListRolesInput{}))(t)
	if len(roles.Roles) != 0 {
		t.Fatalf("roles left %+v", roles.Roles)
	}
}

func TestManagedPolicyVersions(t *testing.T) {
	_, c := apitest.Start(t, iamsdk.NewFromConfig)
	ctx := context.Background()
	p := apitest.Must(c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("read"), Path: aws.String("/team/"), PolicyDocument: aws.String(readSecrets)}))(t)
	arn := aws.ToString(p.Policy.Arn)
	if arn != "arn:aws:iam::000000000000:policy/team/read" || aws.ToString(p.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("policy %+v", p.Policy)
	}
	_, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("read"), PolicyDocument: aws.String(readSecrets)})
	apitest.WantCodeIn(t, err, "EntityAlreadyExists", "A policy called read already exists.")
	v2 := apitest.Must(c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(readSecrets), SetAsDefault: true}))(t)
	if aws.ToString(v2.PolicyVersion.VersionId) != "v2" || !v2.PolicyVersion.IsDefaultVersion {
		t.Fatalf("v2 %+v", v2.PolicyVersion)
	}
	vs := apitest.Must(c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: aws.String(arn)}))(t)
	if len(vs.Versions) != 2 {
		t.Fatalf("versions %+v", vs.Versions)
	}
	_, err = c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	apitest.WantCode(t, err, "DeleteConflict")
	_, err = c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)})
	apitest.WantCode(t, err, "DeleteConflict")
	apitest.Must(c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}))(t)
	local := apitest.Must(c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t)
	if len(local.Policies) != 1 {
		t.Fatalf("local policies %+v", local.Policies)
	}
	all := apitest.Must(c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{}))(t)
	if len(all.Policies) < 7 {
		t.Fatalf("%d policies: AWS managed ones missing", len(all.Policies))
	}
	apitest.Must(c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)}))(t)
}

func TestUsersGroupsAndKeys(t *testing.T) {
	_, c := apitest.Start(t, iamsdk.NewFromConfig)
	ctx := context.Background()
	u := apitest.Must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))(t)
	if aws.ToString(u.User.Arn) != "arn:aws:iam::000000000000:user/alice" || !strings.HasPrefix(aws.ToString(u.User.UserId), "AIDA") {
		t.Fatalf("user %+v", u.User)
	}
	k := apitest.Must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))(t)
	if id := aws.ToString(k.AccessKey.AccessKeyId); !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(aws.ToString(k.AccessKey.SecretAccessKey)) != 40 {
		t.Fatalf("key %+v", k.AccessKey)
	}
	apitest.Must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))(t)
	_, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})
	apitest.WantCodeIn(t, err, "LimitExceeded", "AccessKeysPerUser: 2")
	keys := apitest.Must(c.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("alice")}))(t)
	if len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("keys %+v", keys.AccessKeyMetadata)
	}

	apitest.Must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}))(t)
	apitest.Must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))(t)
	g := apitest.Must(c.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")}))(t)
	if len(g.Users) != 1 || aws.ToString(g.Users[0].UserName) != "alice" {
		t.Fatalf("group users %+v", g.Users)
	}
	_, err = c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})
	apitest.WantCodeIn(t, err, "DeleteConflict", "must delete access keys first")
	for _, md := range keys.AccessKeyMetadata {
		apitest.Must(c.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: md.AccessKeyId}))(t)
	}
	_, err = c.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")})
	apitest.WantCode(t, err, "DeleteConflict")
	apitest.Must(c.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))(t)
	apitest.Must(c.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")}))(t)
	apitest.Must(c.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}))(t)
	tags := apitest.Must(c.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("alice")}))(t)
	if len(tags.Tags) != 1 {
		t.Fatalf("tags %+v", tags.Tags)
	}
	apitest.Must(c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")}))(t)
}

// userClient makes a user with policy doc and an access key, and returns
// the key's config for w.
func userConfig(t *testing.T, w *wharftest.Wharf, c *iamsdk.Client, name, doc string) aws.Config {
	t.Helper()
	ctx := context.Background()
	apitest.Must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}))(t)
	if doc != "" {
		apitest.Must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))(t)
	}
	k := apitest.Must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)}))(t)
	cfg := w.Config(apitest.Region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	return cfg
}

func TestSTS(t *testing.T) {
	w, c := apitest.Start(t, iamsdk.NewFromConfig)
	s := apitest.Client(w, apitest.Region, stssdk.NewFromConfig)
	ctx := context.Background()

	id := apitest.Must(s.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(id.Account) != "000000000000" {
		t.Fatalf("anonymous caller %+v", id)
	}

	apitest.Must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(accountTrust)}))(t)
	apitest.Must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("task"), AssumeRolePolicyDocument: aws.String(ecsTasksTrust)}))(t)

	_, err := s.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/task"), RoleSessionName: aws.String("me")})
	apitest.WantCodeIn(t, err, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/task")
	_, err = s.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/deployer"), RoleSessionName: aws.String("me"), DurationSeconds: aws.Int32(7200)})
	apitest.WantCodeIn(t, err, "ValidationError", "MaxSessionDuration")

	ar := apitest.Must(s.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/deployer"), RoleSessionName: aws.String("ci")}))(t)
	if !strings.HasPrefix(aws.ToString(ar.Credentials.AccessKeyId), "ASIA") || aws.ToString(ar.Credentials.SessionToken) == "" ||
		aws.ToString(ar.AssumedRoleUser.Arn) != "arn:aws:sts::000000000000:assumed-role/deployer/ci" {
		t.Fatalf("assume role %+v %+v", ar.Credentials, ar.AssumedRoleUser)
	}
	cfg := w.Config(apitest.Region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	as := apitest.Must(stssdk.NewFromConfig(cfg).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}))(t)
	if aws.ToString(as.Arn) != "arn:aws:sts::000000000000:assumed-role/deployer/ci" || !strings.HasPrefix(aws.ToString(as.UserId), "AROA") {
		t.Fatalf("assumed caller %+v", as)
	}
	// The session has its role's permissions: none yet.
	_, err = ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{})
	apitest.WantCodeIn(t, err, "AccessDeniedException", "User: arn:aws:sts::000000000000:assumed-role/deployer/ci is not authorized to perform: ecs:ListClusters on resource: *")

	// A session policy narrows the role's permissions to their intersection.
	apitest.Must(c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("ecs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`)}))(t)
	narrow := apitest.Must(s.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/deployer"), RoleSessionName: aws.String("narrow"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}]}`)}))(t)
	ncfg := w.Config(apitest.Region)
	ncfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(narrow.Credentials.AccessKeyId), aws.ToString(narrow.Credentials.SecretAccessKey), aws.ToString(narrow.Credentials.SessionToken))
	nc := ecs.NewFromConfig(ncfg)
	apitest.Must(nc.ListClusters(ctx, &ecs.ListClustersInput{}))(t)
	_, err = nc.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("x")})
	apitest.WantCodeIn(t, err, "AccessDeniedException", "on resource: * because no session policy allows the ecs:CreateCluster action")
	apitest.Must(ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{}))(t)

	// A user may assume the role its account trusts once its policy allows.
	ucfg := userConfig(t, w, c, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::000000000000:role/deployer"}]}`)
	us := stssdk.NewFromConfig(ucfg)
	uid := apitest.Must(us.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}))(t)
	if aws.ToString(uid.Arn) != "arn:aws:iam::000000000000:user/bob" || !strings.HasPrefix(aws.ToString(uid.UserId), "AIDA") {
		t.Fatalf("user caller %+v", uid)
	}
	apitest.Must(us.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/deployer"), RoleSessionName: aws.String("bob")}))(t)
	_, err = us.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/task"), RoleSessionName: aws.String("bob")})
	apitest.WantCodeIn(t, err, "AccessDenied", "User: arn:aws:iam::000000000000:user/bob is not authorized to perform: sts:AssumeRole")

	st := apitest.Must(us.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{}))(t)
	scfg := w.Config(apitest.Region)
	scfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(st.Credentials.AccessKeyId), aws.ToString(st.Credentials.SecretAccessKey), aws.ToString(st.Credentials.SessionToken))
	sid := apitest.Must(stssdk.NewFromConfig(scfg).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}))(t)
	if aws.ToString(sid.Arn) != "arn:aws:iam::000000000000:user/bob" {
		t.Fatalf("session caller %+v", sid)
	}
	wrong := w.Config(apitest.Region)
	wrong.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(st.Credentials.AccessKeyId), "x", "not-the-token")
	_, err = stssdk.NewFromConfig(wrong).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	// STS speaks the Query protocol, whose code for a bad token is InvalidClientTokenId.
	apitest.WantCode(t, err, "InvalidClientTokenId")
}

// BenchmarkCallAuthorized prints the latency (p50, p99) of ECS
// ListClusters through the SDK signed with an IAM user's key (the
// principal resolved, its policies evaluated) beside the same call with
// an unknown key (no principal: nothing evaluated, as with auth off).
func BenchmarkCallAuthorized(b *testing.B) {
	w := wharftest.Start(b)
	c := iamsdk.NewFromConfig(w.Config(apitest.Region))
	ctx := context.Background()
	apitest.Must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bench")}))(b)
	apitest.Must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bench"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:List*","ecs:Describe*"],"Resource":"*"}]}`)}))(b)
	k := apitest.Must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bench")}))(b).AccessKey
	user := w.Config(apitest.Region)
	user.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	for _, side := range []struct {
		name string
		c    *ecs.Client
	}{{"anonymous", w.ECS()}, {"user", ecs.NewFromConfig(user)}} {
		b.Run(side.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := side.c.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// TestTagOnCreate: an ECS create call that sets tags also needs
// ecs:TagResource (with ecs:CreateAction), as ECS documents.
func TestTagOnCreate(t *testing.T) {
	w, c := apitest.Start(t, iamsdk.NewFromConfig)
	ctx := context.Background()
	e := ecs.NewFromConfig(userConfig(t, w, c, "creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:CreateCluster","Resource":"*"}]}`))
	apitest.Must(e.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("plain")}))(t)
	tags := []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	_, err := e.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("tagged"), Tags: tags})
	apitest.WantCodeIn(t, err, "AccessDeniedException", "ecs:TagResource on resource: arn:aws:ecs:us-east-1:000000000000:cluster/tagged")
	apitest.Must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("creator"), PolicyName: aws.String("tag"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:TagResource","Resource":"*","Condition":{"StringEquals":{"ecs:CreateAction":"CreateCluster"}}}]}`)}))(t)
	apitest.Must(e.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("tagged"), Tags: tags}))(t)
	_, err = e.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/plain"), Tags: tags})
	apitest.WantCode(t, err, "AccessDeniedException")
}

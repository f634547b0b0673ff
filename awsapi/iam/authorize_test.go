package iam

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/store/bolt"
)

func newTestAPI(t testing.TB, strict bool) *API {
	t.Helper()
	db := testdb.Bolt(t, bolt.Options{})
	a := New(db, Config{Keyring: keyring.Ephemeral(), Strict: strict})
	a.Now = func() time.Time { return time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) }
	return a
}

const taskTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// TestAuthorizeRoles: a task's credentials carry their role's policies
// when IAM knows the role; a role IAM does not know keeps wharf's old
// behaviour (allowed) unless Strict.
func TestAuthorizeRoles(t *testing.T) {
	ctx := context.Background()
	task := func(role string) *awsapi.Request {
		return &awsapi.Request{Account: "000000000000", Region: "us-east-1", Principal: &awsapi.Principal{
			ARN: "arn:aws:sts::000000000000:assumed-role/" + role + "/abc", RoleARN: "arn:aws:iam::000000000000:role/" + role, Account: "000000000000"}}
	}
	a := newTestAPI(t, false)
	if _, err := a.CreateRole(ctx, &iamtypes.CreateRoleRequest{RoleName: "app", AssumeRolePolicyDocument: taskTrust}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.putInline(kindRole)(ctx, &iamtypes.NameRequest{RoleName: "app", PolicyName: "p",
		PolicyDocument: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}}`}); err != nil {
		t.Fatal(err)
	}
	strict := newTestAPI(t, true)
	cases := []struct {
		name     string
		api      *API
		req      *awsapi.Request
		action   string
		resource string
		wantDeny string // "" allowed
	}{
		{"role's policy allows its secret", a, task("app"), "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf", ""},
		{"role's policy refuses another secret", a, task("app"), "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:other-AbCdEf",
			"User: arn:aws:sts::000000000000:assumed-role/app/abc is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:other-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action"},
		{"unknown role keeps today's behaviour", a, task("legacy"), "ecs:CreateCluster", "*", ""},
		{"unknown role is refused when strict", strict, task("legacy"), "ecs:CreateCluster", "*", "no identity-based policy allows the ecs:CreateCluster action"},
		{"root may do anything", strict, &awsapi.Request{Principal: &awsapi.Principal{Type: "Root", ARN: "arn:aws:iam::000000000000:root", Account: "000000000000"}}, "iam:DeleteRole", "*", ""},
		{"unsigned call with auth off", strict, &awsapi.Request{}, "ecs:CreateCluster", "*", ""},
		{"a user that is gone has no permission", a, &awsapi.Request{Principal: &awsapi.Principal{Type: "User", UserName: "ghost", ARN: "arn:aws:iam::000000000000:user/ghost", Account: "000000000000"}},
			"ecs:ListClusters", "*", "User: arn:aws:iam::000000000000:user/ghost is not authorized to perform: ecs:ListClusters on resource: *"},
		{"GetCallerIdentity needs no permission", strict, task("legacy"), "sts:GetCallerIdentity", "*", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.api.Authorize(ctx, tc.req, tc.action, []string{tc.resource})
			switch {
			case tc.wantDeny == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantDeny != "" && (!awsapi.IsCode(err, awsapi.CodeAccessDenied) || !strings.Contains(err.Error(), tc.wantDeny)):
				t.Fatalf("got %v, want AccessDeniedException %q", err, tc.wantDeny)
			}
		})
	}
}

// BenchmarkAuthorize is the cost policy evaluation adds to one call of a
// user with an inline policy, a group and an attached managed policy.
func BenchmarkAuthorize(b *testing.B) {
	ctx := context.Background()
	a := newTestAPI(b, true)
	_, _ = a.CreateUser(ctx, &iamtypes.CreateUserRequest{UserName: "u"})
	_, _ = a.putInline(kindUser)(ctx, &iamtypes.NameRequest{UserName: "u", PolicyName: "p",
		PolicyDocument: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ecs:List*","ecs:Describe*"],"Resource":"*"}}`})
	_, _ = a.CreateGroup(ctx, &iamtypes.CreateGroupRequest{GroupName: "g"})
	_, _ = a.AddUserToGroup(ctx, &iamtypes.NameRequest{UserName: "u", GroupName: "g"})
	_, _ = a.attach(kindGroup)(ctx, &iamtypes.NameRequest{GroupName: "g", PolicyArn: "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"})
	req := &awsapi.Request{Principal: &awsapi.Principal{Type: "User", UserName: "u", ARN: "arn:aws:iam::000000000000:user/u", Account: "000000000000"}}
	for b.Loop() {
		if err := a.Authorize(ctx, req, "ecs:DescribeTasks", []string{"arn:aws:ecs:us-east-1:000000000000:task/c/1"}); err != nil {
			b.Fatal(err)
		}
	}
}

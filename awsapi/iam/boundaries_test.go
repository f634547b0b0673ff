package iam

import (
	"context"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
)

// TestPermissionsBoundaries: a user's and a role's effective permissions
// are what both their identity policies and their boundary allow, as the
// IAM User Guide's "Permissions boundaries for IAM entities" says; the
// refusal names the boundary.
func TestPermissionsBoundaries(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t, true)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const ecsAll = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ecs:*","secretsmanager:*"],"Resource":"*"}}`
	pol := func(name, doc string) string {
		out, err := a.CreatePolicy(ctx, &iamtypes.CreatePolicyRequest{PolicyName: name, PolicyDocument: doc})
		if err != nil {
			t.Fatal(err)
		}
		return out.Policy.Arn
	}
	readOnly := pol("ecs-read", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ecs:List*","ecs:Describe*"],"Resource":"*"}}`)
	noDelete := pol("no-delete", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"ecs:DeleteCluster","Resource":"*"}]}`)

	// dev: created with a boundary; ops: boundary put later, then removed.
	must(a.CreateUser(ctx, &iamtypes.CreateUserRequest{UserName: "dev", PermissionsBoundary: readOnly}))
	must(a.putInline(kindUser)(ctx, &iamtypes.NameRequest{UserName: "dev", PolicyName: "p", PolicyDocument: ecsAll}))
	must(a.CreateUser(ctx, &iamtypes.CreateUserRequest{UserName: "ops"}))
	must(a.putInline(kindUser)(ctx, &iamtypes.NameRequest{UserName: "ops", PolicyName: "p", PolicyDocument: ecsAll}))
	must(a.putBoundary(kindUser)(ctx, &iamtypes.PermissionsBoundaryRequest{UserName: "ops", PermissionsBoundary: noDelete}))
	// A task role bounded to reading.
	must(a.CreateRole(ctx, &iamtypes.CreateRoleRequest{RoleName: "app", AssumeRolePolicyDocument: taskTrust, PermissionsBoundary: readOnly}))
	must(a.putInline(kindRole)(ctx, &iamtypes.NameRequest{RoleName: "app", PolicyName: "p", PolicyDocument: ecsAll}))

	user := func(name string) *awsapi.Request {
		return &awsapi.Request{Principal: &awsapi.Principal{Type: "User", UserName: name, ARN: "arn:aws:iam::000000000000:user/" + name, Account: "000000000000"}}
	}
	role := &awsapi.Request{Principal: &awsapi.Principal{Type: "AssumedRole", ARN: "arn:aws:sts::000000000000:assumed-role/app/t1",
		RoleARN: "arn:aws:iam::000000000000:role/app", Account: "000000000000"}}
	cluster := "arn:aws:ecs:us-east-1:000000000000:cluster/prod"
	cases := []struct {
		name     string
		req      *awsapi.Request
		action   string
		wantDeny string
	}{
		{"inside both", user("dev"), "ecs:DescribeClusters", ""},
		{"identity allows, boundary does not", user("dev"), "ecs:DeleteCluster",
			"User: arn:aws:iam::000000000000:user/dev is not authorized to perform: ecs:DeleteCluster on resource: " + cluster + " because no permissions boundary allows the ecs:DeleteCluster action"},
		{"boundary allows, identity does not", user("dev"), "ssm:DescribeParameters", "because no identity-based policy allows the ssm:DescribeParameters action"},
		{"explicit deny in the boundary", user("ops"), "ecs:DeleteCluster", "with an explicit deny in a permissions boundary"},
		{"boundary allowing all leaves identity's grant", user("ops"), "secretsmanager:GetSecretValue", ""},
		{"a role's boundary bounds its sessions", role, "ecs:UpdateCluster", "because no permissions boundary allows the ecs:UpdateCluster action"},
		{"a role session inside its boundary", role, "ecs:ListTasks", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Authorize(ctx, tc.req, tc.action, []string{cluster})
			switch {
			case tc.wantDeny == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantDeny != "" && (!awsapi.IsCode(err, awsapi.CodeAccessDenied) || !strings.Contains(err.Error(), tc.wantDeny)):
				t.Fatalf("got %v, want AccessDeniedException %q", err, tc.wantDeny)
			}
		})
	}

	t.Run("GetUser and GetRole report the boundary", func(t *testing.T) {
		u, err := a.GetUser(ctx, &iamtypes.NameRequest{UserName: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		if b := u.(*iamtypes.UserResult).User.PermissionsBoundary; b == nil || b.PermissionsBoundaryArn != readOnly || b.PermissionsBoundaryType != "Policy" {
			t.Fatalf("GetUser boundary = %+v", b)
		}
		r, err := a.GetRole(ctx, &iamtypes.NameRequest{RoleName: "app"})
		if err != nil {
			t.Fatal(err)
		}
		if b := r.(*iamtypes.RoleResult).Role.PermissionsBoundary; b == nil || b.PermissionsBoundaryArn != readOnly {
			t.Fatalf("GetRole boundary = %+v", b)
		}
	})
	t.Run("deleting the boundary restores the identity's grant", func(t *testing.T) {
		must(a.deleteBoundary(kindUser)(ctx, &iamtypes.PermissionsBoundaryRequest{UserName: "ops"}))
		if err := a.Authorize(ctx, user("ops"), "ecs:DeleteCluster", []string{cluster}); err != nil {
			t.Fatalf("refused after DeleteUserPermissionsBoundary: %v", err)
		}
	})
	t.Run("a boundary must name an existing policy", func(t *testing.T) {
		_, err := a.putBoundary(kindRole)(ctx, &iamtypes.PermissionsBoundaryRequest{RoleName: "app", PermissionsBoundary: "arn:aws:iam::000000000000:policy/missing"})
		if !awsapi.IsCode(err, CodeNoSuchEntity) {
			t.Fatalf("got %v, want NoSuchEntity", err)
		}
		_, err = a.CreateUser(ctx, &iamtypes.CreateUserRequest{UserName: "x", PermissionsBoundary: "arn:aws:iam::000000000000:policy/missing"})
		if !awsapi.IsCode(err, CodeNoSuchEntity) {
			t.Fatalf("CreateUser got %v, want NoSuchEntity", err)
		}
	})
}

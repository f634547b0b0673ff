package iam_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/wharfhq/wharf/internal/apitest"
)

// The AWS managed policies ECS users attach by ARN (Terraform's
// aws_iam_role_policy_attachment, the CLI's attach-role-policy) exist, with
// their documents.
func TestECSManagedPoliciesAttach(t *testing.T) {
	_, c := apitest.Start(t, iamsdk.NewFromConfig)
	ctx := context.Background()
	apitest.Must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ecsTasksTrust)}))(t)
	for _, tc := range []struct{ name, arn, action string }{
		{"task execution", "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", "logs:PutLogEvents"},
		{"container instance", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role", "ecs:RegisterContainerInstance"},
		{"events", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceEventsRole", "ecs:RunTask"},
		{"autoscale", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceAutoscaleRole", "ecs:UpdateService"},
		{"classic lb", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole", "elasticloadbalancing:RegisterTargets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apitest.Must(c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(tc.arn)}))(t)
			p := apitest.Must(c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(tc.arn)}))(t)
			if aws.ToString(p.Policy.Arn) != tc.arn || aws.ToString(p.Policy.Path) != "/service-role/" {
				t.Fatalf("policy %+v", p.Policy)
			}
			v := apitest.Must(c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(tc.arn), VersionId: p.Policy.DefaultVersionId}))(t)
			if doc := decode(t, v.PolicyVersion.Document); !strings.Contains(doc, tc.action) {
				t.Fatalf("document of %s lacks %s: %s", tc.arn, tc.action, doc)
			}
		})
	}
}

// Terraform's aws_iam_service_linked_role: create, then delete as a task
// whose status it polls until SUCCEEDED.
func TestServiceLinkedRoleDeletion(t *testing.T) {
	_, c := apitest.Start(t, iamsdk.NewFromConfig)
	ctx := context.Background()
	r := apitest.Must(c.CreateServiceLinkedRole(ctx, &iamsdk.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")}))(t).Role
	if aws.ToString(r.RoleName) != "AWSServiceRoleForECS" {
		t.Fatalf("role %+v", r)
	}
	apitest.Must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("plain"), AssumeRolePolicyDocument: aws.String(ecsTasksTrust)}))(t)
	_, err := c.DeleteServiceLinkedRole(ctx, &iamsdk.DeleteServiceLinkedRoleInput{RoleName: aws.String("plain")})
	apitest.WantCodeIn(t, err, "InvalidInput", "not a service-linked role")

	del := apitest.Must(c.DeleteServiceLinkedRole(ctx, &iamsdk.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForECS")}))(t)
	id := aws.ToString(del.DeletionTaskId)
	if !strings.HasPrefix(id, "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/") {
		t.Fatalf("deletion task id %q", id)
	}
	st := apitest.Must(c.GetServiceLinkedRoleDeletionStatus(ctx, &iamsdk.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(id)}))(t)
	if st.Status != "SUCCEEDED" {
		t.Fatalf("status %q", st.Status)
	}
	_, err = c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("AWSServiceRoleForECS")})
	apitest.WantCode(t, err, "NoSuchEntity")
	_, err = c.GetServiceLinkedRoleDeletionStatus(ctx, &iamsdk.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/nope")})
	apitest.WantCode(t, err, "NoSuchEntity")
	_, err = c.DeleteServiceLinkedRole(ctx, &iamsdk.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForECS")})
	apitest.WantCode(t, err, "NoSuchEntity")
}

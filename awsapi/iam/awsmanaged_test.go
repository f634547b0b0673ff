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

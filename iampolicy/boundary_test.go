package iampolicy

import (
	"strings"
	"testing"
)

// The boundary examples follow the IAM User Guide's "Permissions
// boundaries for IAM entities": a boundary allowing only Amazon S3,
// CloudWatch and EC2 actions, and a user whose identity policy allows
// IAM's CreateUser; the effective permissions are the intersection.

const s3CloudWatchEC2Boundary = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}]
}`

const createUserOnly = `{
  "Version": "2012-10-17",
  "Statement": {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}
}`

const ecsBoundaryDenyingDelete = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "ecs:DeleteCluster", "Resource": "*"}
  ]
}`

func TestEvaluateBounded(t *testing.T) {
	cases := []struct {
		name       string
		identity   []string
		boundary   string // "" for none
		req        *Request
		want       Decision
		wantSource Source
	}{
		{"no boundary: identity decides", []string{createUserOnly}, "", req("iam:CreateUser", "*"), Allow, ByIdentity},
		{"identity allows, boundary does not: denied by the boundary", []string{createUserOnly}, s3CloudWatchEC2Boundary, req("iam:CreateUser", "*"), ImplicitDeny, ByBoundary},
		{"boundary allows, identity does not: denied by identity", []string{createUserOnly}, s3CloudWatchEC2Boundary, req("s3:GetObject", "*"), ImplicitDeny, ByIdentity},
		{"both allow", []string{allowAll}, s3CloudWatchEC2Boundary, req("cloudwatch:PutMetricData", "*"), Allow, ByIdentity},
		{"boundary wildcard excludes other services", []string{allowAll}, s3CloudWatchEC2Boundary, req("ecs:ListClusters", "*"), ImplicitDeny, ByBoundary},
		{"explicit deny in the boundary", []string{allowAll}, ecsBoundaryDenyingDelete, req("ecs:DeleteCluster", "arn:aws:ecs:us-east-1:1:cluster/a"), ExplicitDeny, ByBoundary},
		{"explicit deny in identity wins over the boundary's allow", []string{allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"ecs:RunTask","Resource":"*"}}`}, ecsBoundaryDenyingDelete, req("ecs:RunTask", "*"), ExplicitDeny, ByIdentity},
		{"a boundary alone grants nothing", nil, ecsBoundaryDenyingDelete, req("ecs:ListClusters", "*"), ImplicitDeny, ByIdentity},
		{"boundary conditions are evaluated", []string{allowAll}, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}}`, req("ecs:ListClusters", "*", "aws:RequestedRegion", "us-east-1"), ImplicitDeny, ByBoundary},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps []*Policy
			for _, doc := range tc.identity {
				ps = append(ps, MustParse(doc, Identity))
			}
			var b *Policy
			if tc.boundary != "" {
				b = MustParse(tc.boundary, Identity)
			}
			d, src := EvaluateBounded(tc.req, b, ps...)
			if d != tc.want || (d != Allow && src != tc.wantSource) {
				t.Fatalf("EvaluateBounded = %v by %v, want %v by %v", d, src, tc.want, tc.wantSource)
			}
		})
	}
}

// Resource tags follow the User Guide's "Controlling access to AWS
// resources using tags" and the ECS and Secrets Manager guides' examples:
// a condition on aws:ResourceTag/KEY or the service's own
// <service>:ResourceTag/KEY, whose values are looked up only when a
// policy names them.
func TestResourceTagConditions(t *testing.T) {
	const ecsByTeam = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*",
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`
	const ecsDenyProd = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"},
		{"Effect":"Deny","Action":["ecs:StopTask","ecs:DeleteService"],"Resource":"*","Condition":{"StringEquals":{"ecs:ResourceTag/env":"prod"}}}]}`
	const secretsByTag = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*",
		"Condition":{"StringEquals":{"secretsmanager:ResourceTag/app":"web"}}}]}`
	const untaggedOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*",
		"Condition":{"Null":{"aws:ResourceTag/owner":"true"}}}]}`
	tags := func(kv map[string]string) func(string) ([]string, bool) {
		return func(key string) ([]string, bool) {
			for _, p := range []string{"aws:resourcetag/", "ecs:resourcetag/", "secretsmanager:resourcetag/"} {
				if strings.HasPrefix(key, p) {
					for k, v := range kv {
						if len(k) == len(key)-len(p) && strings.EqualFold(k, key[len(p):]) {
							return []string{v}, true
						}
					}
				}
			}
			return nil, false
		}
	}
	cases := []struct {
		name   string
		policy string
		tags   map[string]string
		req    *Request
		want   Decision
	}{
		{"resource tag equals the caller's tag", ecsByTeam, map[string]string{"team": "web"}, req("ecs:UpdateService", "arn:aws:ecs:us-east-1:1:service/c/s", "aws:PrincipalTag/team", "web"), Allow},
		{"resource tag differs from the caller's", ecsByTeam, map[string]string{"team": "db"}, req("ecs:UpdateService", "arn:aws:ecs:us-east-1:1:service/c/s", "aws:PrincipalTag/team", "web"), ImplicitDeny},
		{"untagged resource fails StringEquals", ecsByTeam, nil, req("ecs:UpdateService", "arn:aws:ecs:us-east-1:1:service/c/s", "aws:PrincipalTag/team", "web"), ImplicitDeny},
		{"ecs:ResourceTag deny on prod", ecsDenyProd, map[string]string{"env": "prod"}, req("ecs:StopTask", "arn:aws:ecs:us-east-1:1:task/c/1"), ExplicitDeny},
		{"ecs:ResourceTag deny spares dev", ecsDenyProd, map[string]string{"env": "dev"}, req("ecs:StopTask", "arn:aws:ecs:us-east-1:1:task/c/1"), Allow},
		{"secretsmanager:ResourceTag allows the tagged secret", secretsByTag, map[string]string{"app": "web"}, req("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf"), Allow},
		{"secretsmanager:ResourceTag refuses another", secretsByTag, map[string]string{"app": "batch"}, req("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf"), ImplicitDeny},
		{"Null: untagged resource", untaggedOnly, nil, req("ecs:DeleteCluster", "arn:aws:ecs:us-east-1:1:cluster/a"), Allow},
		{"Null: owned resource", untaggedOnly, map[string]string{"owner": "bob"}, req("ecs:DeleteCluster", "arn:aws:ecs:us-east-1:1:cluster/a"), ImplicitDeny},
		{"tag keys are case-insensitive", ecsDenyProd, map[string]string{"Env": "prod"}, req("ecs:DeleteService", "arn:aws:ecs:us-east-1:1:service/c/s"), ExplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asked := 0
			resolve := tags(tc.tags)
			tc.req.Resolve = func(k string) ([]string, bool) { asked++; return resolve(k) }
			if got := Evaluate(tc.req, MustParse(tc.policy, Identity)); got != tc.want {
				t.Fatalf("Evaluate = %v, want %v", got, tc.want)
			}
			if asked == 0 {
				t.Fatal("the resource's tags were never asked for")
			}
		})
	}
	t.Run("tags are not read when no policy names them", func(t *testing.T) {
		r := req("ecs:ListClusters", "*")
		r.Resolve = func(string) ([]string, bool) { t.Fatal("Resolve called"); return nil, false }
		if got := Evaluate(r, MustParse(ecsReadOnly, Identity)); got != Allow {
			t.Fatalf("Evaluate = %v", got)
		}
	})
}

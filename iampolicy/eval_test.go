package iampolicy

import (
	"testing"
)

// The documents below follow the examples of AWS's IAM User Guide
// (policy elements, condition operators, multivalued conditions, policy
// variables) and of the ECS developer guide.

const ecsReadOnly = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["ecs:List*", "ecs:Describe*"], "Resource": "*"}]
}`

const denyOutsideIPs = `{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {
      "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
      "Bool": {"aws:ViaAWSService": "false"}
    }
  }
}`

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

const ownAccessKeys = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["iam:*AccessKey*", "iam:GetUser"],
    "Resource": "arn:aws:iam::111122223333:user/${aws:username}"
  }]
}`

const principalTag = `{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:*AccessKey*",
    "Resource": "arn:aws:iam::111122223333:user/*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
  }
}`

const timeWindow = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "ec2:*",
    "Resource": "*",
    "Condition": {
      "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
      "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}
    }
  }]
}`

const notActionIAM = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]
}`

const notResourceDeny = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
    {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
     "NotResource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/*"}
  ]
}`

const clusterScoped = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["ecs:RunTask", "ecs:StopTask"],
    "Resource": "*",
    "Condition": {"ArnEquals": {"ecs:cluster": "arn:aws:ecs:us-east-1:111122223333:cluster/prod"}}
  }]
}`

const tagKeysAll = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "ecs:TagResource",
    "Resource": "*",
    "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
  }]
}`

const tagKeysAny = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Deny",
    "Action": "ecs:TagResource",
    "Resource": "*",
    "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}
  }]
}`

const secureOnly = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}`

const nullTag = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Deny",
    "Action": "ecs:CreateCluster",
    "Resource": "*",
    "Condition": {"Null": {"aws:RequestTag/team": "true"}}
  }, {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]
}`

const ifExists = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "ecs:*",
    "Resource": "*",
    "Condition": {"StringEqualsIfExists": {"ecs:ResourceTag/env": "dev"}}
  }]
}`

const numeric = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "ecs:UpdateService",
    "Resource": "*",
    "Condition": {"NumericLessThanEquals": {"ecs:desired-count": "10"}}
  }]
}`

const ecsTasksTrust = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
    "Action": "sts:AssumeRole"
  }]
}`

const userTrust = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam::111122223333:user/alice"]},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}}
  }]
}`

const accountTrust = `{
  "Version": "2012-10-17",
  "Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}
}`

func req(action, resource string, kv ...string) *Request {
	r := &Request{Action: action, Resource: resource}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Set(kv[i], kv[i+1])
	}
	return r
}

func TestEvaluate(t *testing.T) {
	cases := []struct {
		name     string
		policies []string
		req      *Request
		want     Decision
	}{
		{"list allowed by ecs:List*", []string{ecsReadOnly}, req("ecs:ListClusters", "*"), Allow},
		{"actions match case-insensitively", []string{ecsReadOnly}, req("ECS:describeclusters", "arn:aws:ecs:us-east-1:1:cluster/a"), Allow},
		{"create not allowed by List*/Describe*", []string{ecsReadOnly}, req("ecs:CreateCluster", "*"), ImplicitDeny},
		{"no policy is an implicit deny", nil, req("ecs:ListClusters", "*"), ImplicitDeny},
		{"explicit deny beats allow", []string{allowAll, denyOutsideIPs}, req("ecs:ListClusters", "*", "aws:SourceIp", "198.51.100.7", "aws:ViaAWSService", "false"), ExplicitDeny},
		{"deny outside IPs spares an inside address", []string{allowAll, denyOutsideIPs}, req("ecs:ListClusters", "*", "aws:SourceIp", "203.0.113.9", "aws:ViaAWSService", "false"), Allow},
		{"policy variable names the caller's own user", []string{ownAccessKeys}, req("iam:CreateAccessKey", "arn:aws:iam::111122223333:user/alice", "aws:username", "alice"), Allow},
		{"policy variable refuses another user", []string{ownAccessKeys}, req("iam:CreateAccessKey", "arn:aws:iam::111122223333:user/bob", "aws:username", "alice"), ImplicitDeny},
		{"missing policy variable matches nothing", []string{ownAccessKeys}, req("iam:GetUser", "arn:aws:iam::111122223333:user/alice"), ImplicitDeny},
		{"principal tag matches", []string{principalTag}, req("iam:ListAccessKeys", "arn:aws:iam::111122223333:user/bob", "aws:PrincipalTag/job-category", "iamuser-admin"), Allow},
		{"principal tag absent", []string{principalTag}, req("iam:ListAccessKeys", "arn:aws:iam::111122223333:user/bob"), ImplicitDeny},
		{"condition key names are case-insensitive", []string{principalTag}, req("iam:ListAccessKeys", "arn:aws:iam::111122223333:user/bob", "AWS:PRINCIPALTAG/JOB-CATEGORY", "iamuser-admin"), Allow},
		{"inside the date window", []string{timeWindow}, req("ec2:RunInstances", "*", "aws:CurrentTime", "2020-05-01T12:00:00Z"), Allow},
		{"after the date window", []string{timeWindow}, req("ec2:RunInstances", "*", "aws:CurrentTime", "2021-01-01T00:00:00Z"), ImplicitDeny},
		{"NotAction allows outside iam", []string{notActionIAM}, req("ecs:CreateCluster", "*"), Allow},
		{"NotAction leaves iam out", []string{notActionIAM}, req("iam:CreateUser", "*"), ImplicitDeny},
		{"NotResource deny spares the listed secrets", []string{notResourceDeny}, req("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf"), Allow},
		{"NotResource deny hits the others", []string{notResourceDeny}, req("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:111122223333:secret:other-AbCdEf"), ExplicitDeny},
		{"ecs:cluster matches", []string{clusterScoped}, req("ecs:RunTask", "*", "ecs:cluster", "arn:aws:ecs:us-east-1:111122223333:cluster/prod"), Allow},
		{"ecs:cluster differs", []string{clusterScoped}, req("ecs:RunTask", "*", "ecs:cluster", "arn:aws:ecs:us-east-1:111122223333:cluster/dev"), ImplicitDeny},
		{"ecs:cluster absent", []string{clusterScoped}, req("ecs:StopTask", "*"), ImplicitDeny},
		{"ForAllValues: every tag key allowed", []string{tagKeysAll}, &Request{Action: "ecs:TagResource", Resource: "*", Context: map[string][]string{"aws:tagkeys": {"environment", "cost-center"}}}, Allow},
		{"ForAllValues: one tag key outside", []string{tagKeysAll}, &Request{Action: "ecs:TagResource", Resource: "*", Context: map[string][]string{"aws:tagkeys": {"environment", "owner"}}}, ImplicitDeny},
		{"ForAllValues: no key at all is true", []string{tagKeysAll}, req("ecs:TagResource", "*"), Allow},
		{"ForAnyValue: one tag key matches", []string{allowAll, tagKeysAny}, &Request{Action: "ecs:TagResource", Resource: "*", Context: map[string][]string{"aws:tagkeys": {"env", "owner"}}}, ExplicitDeny},
		{"ForAnyValue: no key at all is false", []string{allowAll, tagKeysAny}, req("ecs:TagResource", "*"), Allow},
		{"SecureTransport false denied", []string{secureOnly}, req("ssm:GetParameters", "*", "aws:SecureTransport", "false"), ExplicitDeny},
		{"SecureTransport true allowed", []string{secureOnly}, req("ssm:GetParameter", "*", "aws:SecureTransport", "true"), Allow},
		{"Null true: untagged create denied", []string{nullTag}, req("ecs:CreateCluster", "*"), ExplicitDeny},
		{"Null true: tagged create allowed", []string{nullTag}, req("ecs:CreateCluster", "*", "aws:RequestTag/team", "web"), Allow},
		{"IfExists: absent key passes", []string{ifExists}, req("ecs:ListClusters", "*"), Allow},
		{"IfExists: present key is checked", []string{ifExists}, req("ecs:DeleteCluster", "*", "ecs:ResourceTag/env", "prod"), ImplicitDeny},
		{"numeric bound holds", []string{numeric}, req("ecs:UpdateService", "*", "ecs:desired-count", "4"), Allow},
		{"numeric bound exceeded", []string{numeric}, req("ecs:UpdateService", "*", "ecs:desired-count", "11"), ImplicitDeny},
		{"resource wildcard ?", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app?/*"}}`}, req("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/app1/db"), Allow},
		{"resources are case-sensitive", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/App/*"}}`}, req("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/app/db"), ImplicitDeny},
		{"version 2008 keeps variables literal", []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::1:user/${aws:username}"}}`}, req("iam:GetUser", "arn:aws:iam::1:user/${aws:username}", "aws:username", "x"), Allow},
		{"variable default value", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team, 'shared'}/*"}}`}, req("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/shared/x"), Allow},
		{"StringNotEquals with absent key is true", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"ops"}}}}`, allowAll}, req("ecs:ListClusters", "*"), ExplicitDeny},
		{"StringNotEquals multiple values are NOR", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":["ops","dev"]}}}}`, allowAll}, req("ecs:ListClusters", "*", "aws:PrincipalTag/team", "dev"), Allow},
		{"StringLike wildcard", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ci-*"}}}}`}, req("ecs:ListClusters", "*", "aws:PrincipalArn", "arn:aws:iam::1:role/ci-deploy"), Allow},
		{"StringEqualsIgnoreCase", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}}}`}, req("ecs:ListClusters", "*", "aws:username", "alice"), Allow},
		{"ArnLike on principal ARN", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::1:user/*"}}}}`}, req("ecs:ListClusters", "*", "aws:PrincipalArn", "arn:aws:iam::1:user/bob"), Allow},
		{"IPv6 in range", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["2001:DB8:1234:5678::/64"]}}}}`}, req("ecs:ListClusters", "*", "aws:SourceIp", "2001:db8:1234:5678::1"), Allow},
		{"trust: ECS tasks service", []string{ecsTasksTrust}, &Request{Action: "sts:AssumeRole", PrincipalService: "ecs-tasks.amazonaws.com"}, Allow},
		{"trust: another service refused", []string{ecsTasksTrust}, &Request{Action: "sts:AssumeRole", PrincipalService: "lambda.amazonaws.com"}, ImplicitDeny},
		{"trust: named user with external id", []string{userTrust}, &Request{Action: "sts:AssumeRole", PrincipalARNs: []string{"arn:aws:iam::111122223333:user/alice"}, Context: map[string][]string{"sts:externalid": {"Unique ID Assigned by Example Corp"}}}, Allow},
		{"trust: named user without external id", []string{userTrust}, &Request{Action: "sts:AssumeRole", PrincipalARNs: []string{"arn:aws:iam::111122223333:user/alice"}}, ImplicitDeny},
		{"trust: account id trusts its principals", []string{accountTrust}, &Request{Action: "sts:AssumeRole", PrincipalARNs: []string{"arn:aws:iam::111122223333:user/bob"}, PrincipalAccount: "111122223333"}, Allow},
		{"trust: other account refused", []string{accountTrust}, &Request{Action: "sts:AssumeRole", PrincipalARNs: []string{"arn:aws:iam::444455556666:user/bob"}, PrincipalAccount: "444455556666"}, ImplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps []*Policy
			for _, doc := range tc.policies {
				kind := Identity
				if tc.req.Resource == "" {
					kind = Trust
				}
				p, err := Parse(doc, kind)
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				ps = append(ps, p)
			}
			if got := Evaluate(tc.req, ps...); got != tc.want {
				t.Fatalf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNamesPrincipal(t *testing.T) {
	user := &Request{Action: "sts:AssumeRole", PrincipalARNs: []string{"arn:aws:iam::111122223333:user/alice"}, PrincipalAccount: "111122223333"}
	cases := []struct {
		name string
		doc  string
		want bool
	}{
		{"named user", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}}`, true},
		{"account only", accountTrust, false},
		{"anyone", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := MustParse(tc.doc, Trust).NamesPrincipal(user); got != tc.want {
				t.Fatalf("NamesPrincipal = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		kind Kind
		want string
	}{
		{"not JSON", `{"Version":`, Identity, "Syntax errors in policy."},
		{"no statement", `{"Version":"2012-10-17"}`, Identity, "Missing required field Statement"},
		{"bad effect", `{"Version":"2012-10-17","Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}`, Identity, "Invalid effect: Permit"},
		{"no action", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}`, Identity, "Policy statement must contain actions."},
		{"no resource", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecs:*"}}`, Identity, "Policy statement must contain resources."},
		{"principal in identity policy", ecsTasksTrust, Identity, "Policy document should not specify a principal."},
		{"trust without principal", ecsReadOnly, Trust, "Missing required field Principal"},
		{"bad operator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSorta":{"a:b":"c"}}}}`, Identity, "Invalid Condition type : StringSorta"},
		{"action without vendor", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ListClusters","Resource":"*"}}`, Identity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"bad version", `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity, "The policy failed legacy parsing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc, tc.kind)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Parse error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		name, pattern, s string
		want             bool
	}{
		{"star alone", "*", "anything", true},
		{"star empty", "a*", "a", true},
		{"question one", "a?c", "abc", true},
		{"question not empty", "a?c", "ac", false},
		{"stars backtrack", "*:cluster/*-prod", "arn:aws:ecs:r:1:cluster/web-prod", true},
		{"suffix mismatch", "*-prod", "web-dev", false},
		{"literal star", "a\x00b", "a*b", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Match(tc.pattern, tc.s); got != tc.want {
				t.Fatalf("Match(%q, %q) = %v", tc.pattern, tc.s, got)
			}
		})
	}
}

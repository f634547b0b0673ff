package actions

import (
	"net/url"
	"reflect"
	"testing"
)

func TestFor(t *testing.T) {
	const r, a = "us-east-1", "111122223333"
	cases := []struct {
		name, service, op string
		in                Input
		want              []string
		ctxKey, ctxVal    string
	}{
		{"ecs list clusters has no resource", "ecs", "ListClusters", JSONInput(nil), []string{"*"}, "", ""},
		{"ecs create cluster has no resource", "ecs", "CreateCluster", JSONInput([]byte(`{"clusterName":"a"}`)), []string{"*"}, "", ""},
		{"ecs describe clusters by name", "ecs", "DescribeClusters", JSONInput([]byte(`{"clusters":["a","arn:aws:ecs:us-east-1:111122223333:cluster/b"]}`)),
			[]string{"arn:aws:ecs:us-east-1:111122223333:cluster/a", "arn:aws:ecs:us-east-1:111122223333:cluster/b"}, "", ""},
		{"ecs stop task in the default cluster", "ecs", "StopTask", JSONInput([]byte(`{"task":"abc"}`)),
			[]string{"arn:aws:ecs:us-east-1:111122223333:task/default/abc"}, "ecs:cluster", "arn:aws:ecs:us-east-1:111122223333:cluster/default"},
		{"ecs create service", "ecs", "CreateService", JSONInput([]byte(`{"cluster":"prod","serviceName":"web"}`)),
			[]string{"arn:aws:ecs:us-east-1:111122223333:service/prod/web"}, "ecs:cluster", "arn:aws:ecs:us-east-1:111122223333:cluster/prod"},
		{"ecs run task names its definition", "ecs", "RunTask", JSONInput([]byte(`{"taskDefinition":"web:3"}`)),
			[]string{"arn:aws:ecs:us-east-1:111122223333:task-definition/web:3"}, "", ""},
		{"ecs tags give request tags", "ecs", "CreateCluster", JSONInput([]byte(`{"tags":[{"key":"team","value":"web"}]}`)),
			[]string{"*"}, "aws:RequestTag/team", "web"},
		{"secret by ARN", "secretsmanager", "GetSecretValue", JSONInput([]byte(`{"SecretId":"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}`)),
			[]string{"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}, "", ""},
		{"secret by name", "secretsmanager", "GetSecretValue", JSONInput([]byte(`{"SecretId":"db"}`)),
			[]string{"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-??????"}, "", ""},
		{"ssm parameters with and without slash", "ssm", "GetParameters", JSONInput([]byte(`{"Names":["/app/db","plain"]}`)),
			[]string{"arn:aws:ssm:us-east-1:111122223333:parameter/app/db", "arn:aws:ssm:us-east-1:111122223333:parameter/plain"}, "", ""},
		{"logs group action", "logs", "CreateLogGroup", JSONInput([]byte(`{"logGroupName":"/ecs/app"}`)),
			[]string{"arn:aws:logs:us-east-1:111122223333:log-group:/ecs/app:log-stream:"}, "", ""},
		{"logs stream action", "logs", "PutLogEvents", JSONInput([]byte(`{"logGroupName":"/ecs/app","logStreamName":"s"}`)),
			[]string{"arn:aws:logs:us-east-1:111122223333:log-group:/ecs/app:log-stream:s"}, "", ""},
		{"elbv2 delete by ARN", "elasticloadbalancing", "DeleteLoadBalancer", QueryInput(url.Values{"LoadBalancerArn": {"arn:lb"}}), []string{"arn:lb"}, "", ""},
		{"elbv2 describe has no resource", "elasticloadbalancing", "DescribeLoadBalancers", QueryInput(url.Values{"LoadBalancerArns.member.1": {"arn:lb"}}), []string{"*"}, "", ""},
		{"iam role", "iam", "PutRolePolicy", QueryInput(url.Values{"RoleName": {"app"}}), []string{"arn:aws:iam::111122223333:role/app"}, "", ""},
		{"iam attach names the role", "iam", "AttachRolePolicy", QueryInput(url.Values{"RoleName": {"app"}, "PolicyArn": {"arn:p"}}), []string{"arn:aws:iam::111122223333:role/app"}, "", ""},
		{"iam create policy", "iam", "CreatePolicy", QueryInput(url.Values{"PolicyName": {"p"}}), []string{"arn:aws:iam::111122223333:policy/p"}, "", ""},
		{"iam query tags", "iam", "CreateRole", QueryInput(url.Values{"RoleName": {"r"}, "Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"web"}}), []string{"arn:aws:iam::111122223333:role/r"}, "aws:TagKeys", "team"},
		{"sts assume role", "sts", "AssumeRole", QueryInput(url.Values{"RoleArn": {"arn:aws:iam::111122223333:role/r"}}), []string{"arn:aws:iam::111122223333:role/r"}, "", ""},
		{"cloudwatch prefix", "monitoring", "PutMetricData", QueryInput(url.Values{}), []string{"*"}, "", ""},
		{"cloudwatch alarm by name", "monitoring", "PutMetricAlarm", QueryInput(url.Values{"AlarmName": {"cpu-high"}}),
			[]string{"arn:aws:cloudwatch:us-east-1:111122223333:alarm:cpu-high"}, "", ""},
		{"cloudwatch alarms over rpcv2", "monitoring", "DeleteAlarms", JSONInput([]byte(`{"AlarmNames":["a","b"]}`)),
			[]string{"arn:aws:cloudwatch:us-east-1:111122223333:alarm:a", "arn:aws:cloudwatch:us-east-1:111122223333:alarm:b"}, "", ""},
		{"events rule of the default bus", "events", "PutRule", JSONInput([]byte(`{"Name":"nightly"}`)),
			[]string{"arn:aws:events:us-east-1:111122223333:rule/nightly"}, "", ""},
		{"events targets of a custom bus's rule", "events", "PutTargets", JSONInput([]byte(`{"Rule":"r","EventBusName":"orders"}`)),
			[]string{"arn:aws:events:us-east-1:111122223333:rule/orders/r"}, "", ""},
		{"events put events has no resource", "events", "PutEvents", JSONInput([]byte(`{"Entries":[]}`)), []string{"*"}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := For(tc.service, tc.op, r, a, tc.in)
			if !reflect.DeepEqual(c.Resources, tc.want) {
				t.Fatalf("resources = %q, want %q", c.Resources, tc.want)
			}
			if tc.ctxKey != "" && (len(c.Context[tc.ctxKey]) == 0 || c.Context[tc.ctxKey][0] != tc.ctxVal) {
				t.Fatalf("context %s = %q, want %q", tc.ctxKey, c.Context[tc.ctxKey], tc.ctxVal)
			}
		})
	}
	tagged := For("ecs", "CreateCluster", r, a, JSONInput([]byte(`{"clusterName":"c","tags":[{"key":"k","value":"v"}]}`)))
	if len(tagged.Also) != 1 || tagged.Also[0].Action != "ecs:TagResource" || tagged.Also[0].Context["ecs:CreateAction"][0] != "CreateCluster" ||
		tagged.Also[0].Resources[0] != "arn:aws:ecs:us-east-1:111122223333:cluster/c" {
		t.Fatalf("tag-on-create: %+v", tagged.Also)
	}
	if untagged := For("ecs", "CreateCluster", r, a, JSONInput([]byte(`{"clusterName":"c"}`))); len(untagged.Also) != 0 {
		t.Fatalf("untagged create needs %+v", untagged.Also)
	}
	if got := For("monitoring", "PutMetricData", r, a, QueryInput(nil)).Action; got != "cloudwatch:PutMetricData" {
		t.Fatalf("action = %q", got)
	}
}

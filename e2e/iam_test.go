package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// Until authentication lands, a call signed with an IAM user's access key
// is that user's (IAM's key resolver knows the key); calls with wharftest's
// dummy key are the account's, and allowed, as with auth off.

const ecsListDescribe = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:List*","ecs:Describe*"],"Resource":"*"}]}`

// iamUser makes user name with the inline policy doc (none when empty)
// and returns an AWS config signing with a new access key of it.
func iamUser(t *testing.T, w *wharftest.Wharf, name, doc string) aws.Config {
	t.Helper()
	ctx, c := context.Background(), iam.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	if doc != "" {
		apitest.Must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)}))(t)
	}
	k := apitest.Must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t).AccessKey
	cfg := w.Config("us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	return cfg
}

// wantDenied fails unless err is code with exactly message.
func wantDenied(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != message {
		t.Fatalf("want %s %q, got %v", code, message, err)
	}
}

// TestIAMUserLimitedToListDescribe: a user whose policy allows only
// ecs:List* and ecs:Describe* sees a running task but can neither create
// a cluster nor stop the task (AccessDeniedException in AWS's wording,
// naming the action and the resource), and a group's explicit deny on
// one cluster beats the user's allow.
func TestIAMUserLimitedToListDescribe(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	ctx, admin := context.Background(), w.ECS()
	apitest.Must(admin.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("iam")}))(t)
	waitInstance(t, admin, "iam")
	apitest.Must(admin.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("iam-app"), NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
			Command: []string{"-listen", ":8080"}}}}))(t)
	run := apitest.Must(admin.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("iam"), TaskDefinition: aws.String("iam-app")}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %+v", run.Failures)
	}
	taskARN := aws.ToString(run.Tasks[0].TaskArn)
	waitTask(t, admin, "iam", taskARN, time.Minute, "RUNNING", running)

	viewer := ecs.NewFromConfig(iamUser(t, w, "viewer", ecsListDescribe))
	clusters := apitest.Must(viewer.ListClusters(ctx, &ecs.ListClustersInput{}))(t)
	if len(clusters.ClusterArns) != 1 || !strings.HasSuffix(clusters.ClusterArns[0], ":cluster/iam") {
		t.Fatalf("ListClusters as viewer: %v", clusters.ClusterArns)
	}
	tasks := apitest.Must(viewer.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("iam"), Tasks: []string{taskARN}}))(t)
	if len(tasks.Tasks) != 1 || !running(tasks.Tasks[0]) {
		t.Fatalf("DescribeTasks as viewer: %+v", tasks)
	}

	_, err := viewer.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("mine")})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/viewer is not authorized to perform: ecs:CreateCluster on resource: * because no identity-based policy allows the ecs:CreateCluster action")
	_, err = viewer.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("iam"), Task: aws.String(taskARN)})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/viewer is not authorized to perform: ecs:StopTask on resource: "+taskARN+" because no identity-based policy allows the ecs:StopTask action")
	if got := apitest.Must(admin.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("iam"), Tasks: []string{taskARN}}))(t); !running(got.Tasks[0]) || aws.ToString(got.Tasks[0].DesiredStatus) != "RUNNING" {
		t.Fatalf("the refused StopTask stopped the task: %s", describe(got.Tasks[0]))
	}
	if out := apitest.Must(admin.ListClusters(ctx, &ecs.ListClustersInput{}))(t); len(out.ClusterArns) != 1 {
		t.Fatalf("the refused CreateCluster created a cluster: %v", out.ClusterArns)
	}

	// A group's explicit deny on this cluster wins over the user's allow.
	ic := iam.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("no-iam-cluster")}))(t)
	apitest.Must(ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("no-iam-cluster"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecs:Describe*","Resource":"*",
			"Condition":{"ArnEquals":{"ecs:cluster":"arn:aws:ecs:us-east-1:000000000000:cluster/iam"}}}]}`)}))(t)
	apitest.Must(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("no-iam-cluster"), UserName: aws.String("viewer")}))(t)
	_, err = viewer.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("iam"), Tasks: []string{taskARN}})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/viewer is not authorized to perform: ecs:DescribeTasks on resource: "+taskARN+" with an explicit deny in an identity-based policy")
	apitest.Must(viewer.ListClusters(ctx, &ecs.ListClustersInput{}))(t)

	apitest.Must(admin.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("iam"), Task: aws.String(taskARN)}))(t)
	waitTask(t, admin, "iam", taskARN, time.Minute, "STOPPED", stopped)
}

// TestIAMPoliciesAcrossServices: managed policies through a group, resource
// ARNs with wildcards (Secrets Manager, SSM), a Query service's refusal
// (AccessDenied), and aws:SourceIp.
func TestIAMPoliciesAcrossServices(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	admin := w.Config("us-east-1")
	ic := iam.NewFromConfig(admin)
	smAdmin, ssmAdmin := sm.NewFromConfig(admin), ssm.NewFromConfig(admin)
	appDB := aws.ToString(apitest.Must(smAdmin.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("s1")}))(t).ARN)
	other := aws.ToString(apitest.Must(smAdmin.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("other/db"), SecretString: aws.String("s2")}))(t).ARN)
	apitest.Must(ssmAdmin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("http://x"), Type: "String"}))(t)

	cfg := iamUser(t, w, "reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}`)
	apitest.Must(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}))(t)
	apitest.Must(ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess")}))(t)
	apitest.Must(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("reader")}))(t)
	smc, ssmc, lbc := sm.NewFromConfig(cfg), ssm.NewFromConfig(cfg), elb.NewFromConfig(cfg)

	if v := apitest.Must(smc.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(appDB)}))(t); aws.ToString(v.SecretString) != "s1" {
		t.Fatalf("app/db = %q", aws.ToString(v.SecretString))
	}
	_, err := smc.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(other)})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: secretsmanager:GetSecretValue on resource: "+other+" because no identity-based policy allows the secretsmanager:GetSecretValue action")
	if p := apitest.Must(ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/url")}))(t); aws.ToString(p.Parameter.Value) != "http://x" {
		t.Fatalf("GetParameter = %+v", p.Parameter)
	}
	_, err = ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("y"), Type: "String", Overwrite: aws.Bool(true)})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/app/url because no identity-based policy allows the ssm:PutParameter action")
	_, err = lbc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	wantDenied(t, err, "AccessDenied", "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: elasticloadbalancing:DescribeLoadBalancers on resource: * because no identity-based policy allows the elasticloadbalancing:DescribeLoadBalancers action")

	// Calls from loopback only: moving the allowed range away denies all.
	apitest.Must(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)}))(t)
	_, err = ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/url")})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/app/url with an explicit deny in an identity-based policy")
}

// TestIAMTaskRoleCarriesItsPolicies: the credentials an SDK inside a task
// gets for its task role carry the role's policies when IAM knows the
// role: calls signed with them may read the parameters the role allows
// and nothing else. (The calls are made from the test with the task's
// keys: tasks reaching wharf's API themselves comes with authentication.)
// taskRoleWith creates an IAM role that ECS tasks may assume, with one
// inline policy allowing actions on resource.
func taskRoleWith(t *testing.T, w *wharftest.Wharf, name, resource string, actions ...string) {
	t.Helper()
	ctx, ic := context.Background(), iam.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	acts, _ := json.Marshal(actions)
	apitest.Must(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + string(acts) + `,"Resource":"` + resource + `"}]}`)}))(t)
}

func TestIAMTaskRoleCarriesItsPolicies(t *testing.T) {
	_, imgs := wharftest.Images(t)
	sdk := buildAWSCreds(t)
	w := wharftest.StartWithAgent(t)
	ctx, c := context.Background(), w.ECS()
	admin := ssm.NewFromConfig(w.Config("us-east-1"))
	taskRoleWith(t, w, "param-reader", "arn:aws:ssm:*:*:parameter/mine/*", "ssm:GetParameter")
	apitest.Must(admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/mine/a"), Value: aws.String("yes"), Type: "String"}))(t)
	apitest.Must(admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/theirs/a"), Value: aws.String("no"), Type: "String"}))(t)

	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("role")}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("reader"), NetworkMode: types.NetworkModeBridge,
		TaskRoleArn: aws.String("arn:aws:iam::000000000000:role/param-reader"),
		Volumes:     []types.Volume{{Name: aws.String("sdk"), Host: &types.HostVolumeProperties{SourcePath: aws.String(sdk)}}},
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(64),
			EntryPoint: []string{"/sdk/awscreds"}, Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			MountPoints: []types.MountPoint{{SourceVolume: aws.String("sdk"), ContainerPath: aws.String("/sdk"), ReadOnly: aws.Bool(true)}}}}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("role"), TaskDefinition: aws.String("reader"), LaunchType: types.LaunchTypeEc2}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %+v", run.Failures)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	task := waitTask(t, c, "role", arn, time.Minute, "RUNNING", running)
	var got awsCreds
	getJSON(t, hostURL(t, container(t, task, "app"), 8080)+"/aws-creds", &got)
	cfg := w.Config("us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(got.AccessKeyID, got.SecretAccessKey, got.SessionToken)
	asTask := ssm.NewFromConfig(cfg)

	if p := apitest.Must(asTask.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/mine/a")}))(t); aws.ToString(p.Parameter.Value) != "yes" {
		t.Fatalf("GetParameter /mine/a = %+v", p.Parameter)
	}
	caller := "arn:aws:sts::000000000000:assumed-role/param-reader/" + arn[strings.LastIndexByte(arn, '/')+1:]
	_, err := asTask.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/theirs/a")})
	wantDenied(t, err, "AccessDeniedException", "User: "+caller+" is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/theirs/a because no identity-based policy allows the ssm:GetParameter action")
	_, err = asTask.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/mine/b"), Value: aws.String("v"), Type: "String"})
	wantDenied(t, err, "AccessDeniedException", "User: "+caller+" is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/mine/b because no identity-based policy allows the ssm:PutParameter action")

	// The unmodified SDK inside the task, with nothing but the defaults the
	// agent gave its container (AWS_ENDPOINT_URL, AWS_REGION, the
	// credentials URI), reaches wharf as its task role.
	base := hostURL(t, container(t, task, "app"), 8080)
	var inside map[string]string
	getJSON(t, base+"/ssm-parameter?name=/mine/a", &inside)
	if inside["Value"] != "yes" {
		t.Fatalf("inside the task, GetParameter /mine/a = %v", inside)
	}
	getJSON(t, base+"/ssm-parameter?name=/theirs/a", &inside)
	if inside["Code"] != "AccessDeniedException" || !strings.Contains(inside["Message"], caller) {
		t.Fatalf("inside the task, GetParameter /theirs/a = %v, want AccessDeniedException naming %s", inside, caller)
	}

	apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("role"), Task: aws.String(arn)}))(t)
	waitTask(t, c, "role", arn, 30*time.Second, "STOPPED", stopped)
}

// TestIAMPassRole: launching a task hands its task definition's roles to
// ECS, which needs iam:PassRole on each; registering the task definition
// does not. A user allowed ecs:* but not iam:PassRole registers a task
// definition with a task role, is refused RunTask and CreateService for
// it (naming the role), and may run one without roles; a user allowed to
// pass the role to ecs-tasks.amazonaws.com may run it.
func TestIAMPassRole(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	admin := w.ECS()
	apitest.Must(admin.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("pass")}))(t)
	const role = "arn:aws:iam::000000000000:role/app-task"
	container := []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("app:latest"), Memory: aws.Int32(32)}}

	deployer := ecs.NewFromConfig(iamUser(t, w, "deployer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`))
	apitest.Must(deployer.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("with-role"), TaskRoleArn: aws.String(role),
		ContainerDefinitions: container}))(t)
	apitest.Must(deployer.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("no-role"), ContainerDefinitions: container}))(t)

	refusal := "User: arn:aws:iam::000000000000:user/deployer is not authorized to perform: iam:PassRole on resource: " + role +
		" because no identity-based policy allows the iam:PassRole action"
	_, err := deployer.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("pass"), TaskDefinition: aws.String("with-role")})
	wantDenied(t, err, "AccessDeniedException", refusal)
	_, err = deployer.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("pass"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String("with-role"), DesiredCount: aws.Int32(0)})
	wantDenied(t, err, "AccessDeniedException", refusal)
	// An override naming a role is a role passed too.
	_, err = deployer.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("pass"), TaskDefinition: aws.String("no-role"),
		Overrides: &types.TaskOverride{TaskRoleArn: aws.String(role)}})
	wantDenied(t, err, "AccessDeniedException", refusal)
	// No roles, nothing to pass: the call is ECS's to answer (no
	// container instance here, so ECS's refusal for that).
	_, err = deployer.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("pass"), TaskDefinition: aws.String("no-role")})
	wantDenied(t, err, "InvalidParameterException", "No Container Instances were found in your cluster.")
	if out := apitest.Must(admin.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("pass")}))(t); len(out.ServiceArns) != 0 {
		t.Fatalf("the refused CreateService created %v", out.ServiceArns)
	}

	passer := ecs.NewFromConfig(iamUser(t, w, "passer", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ecs:*","Resource":"*"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+role+`","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}`))
	_, err = passer.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("pass"), TaskDefinition: aws.String("with-role")})
	wantDenied(t, err, "InvalidParameterException", "No Container Instances were found in your cluster.")
	apitest.Must(passer.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("pass"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String("with-role"), DesiredCount: aws.Int32(0)}))(t)
}

// TestIAMResourceTagConditions: aws:ResourceTag/KEY and
// ecs:ResourceTag/KEY on ECS clusters and services, and
// secretsmanager:ResourceTag/KEY on secrets, judged against the tags the
// resources carry.
func TestIAMResourceTagConditions(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	admin := w.ECS()
	tag := func(k, v string) []types.Tag { return []types.Tag{{Key: aws.String(k), Value: aws.String(v)}} }
	apitest.Must(admin.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("web"), Tags: tag("team", "web")}))(t)
	apitest.Must(admin.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("db"), Tags: tag("team", "db")}))(t)
	smAdmin := sm.NewFromConfig(w.Config("us-east-1"))
	webSecret := aws.ToString(apitest.Must(smAdmin.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("web/key"), SecretString: aws.String("w"),
		Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}))(t).ARN)
	apitest.Must(smAdmin.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db/key"), SecretString: aws.String("d"),
		Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("db")}}}))(t)

	cfg := iamUser(t, w, "webdev", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"web"}}},
		{"Effect":"Deny","Action":"ecs:DeleteCluster","Resource":"*","Condition":{"StringEquals":{"ecs:ResourceTag/team":"web"}}},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"web"}}}]}`)
	dev, smc := ecs.NewFromConfig(cfg), sm.NewFromConfig(cfg)

	apitest.Must(dev.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"web"}}))(t)
	_, err := dev.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"db"}})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/webdev is not authorized to perform: ecs:DescribeClusters on resource: arn:aws:ecs:us-east-1:000000000000:cluster/db because no identity-based policy allows the ecs:DescribeClusters action")
	_, err = dev.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("web")})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/webdev is not authorized to perform: ecs:DeleteCluster on resource: arn:aws:ecs:us-east-1:000000000000:cluster/web with an explicit deny in an identity-based policy")
	// A tag added later counts at once.
	apitest.Must(admin.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/db"), Tags: tag("team", "web")}))(t)
	apitest.Must(dev.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"db"}}))(t)

	if v := apitest.Must(smc.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("web/key")}))(t); aws.ToString(v.SecretString) != "w" {
		t.Fatalf("web/key = %q", aws.ToString(v.SecretString))
	}
	apitest.Must(smc.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(webSecret)}))(t)
	_, err = smc.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("db/key")})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/webdev is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:db/key-?????? because no identity-based policy allows the secretsmanager:GetSecretValue action")
}

// signedCall sends a SigV4-signed request (service's signing name) with
// cfg's credentials and decodes its JSON answer; it fails the test
// unless the answer is 200.
func signedCall(t *testing.T, cfg aws.Config, url, service, method, path string, header map[string]string, body string) map[string]any {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	creds := apitest.Must(cfg.Credentials.Retrieve(ctx))(t)
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp := apitest.Must(http.DefaultClient.Do(req))(t)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return out
}

// TestAuditEveryProtocol: calls over rpcv2Cbor (CloudWatch through its
// SDK) and restJson1 (EventBridge Scheduler) are in the audit trail as
// the JSON and Query calls are, named by their operation and event
// source, read back through CloudTrail's LookupEvents.
func TestAuditEveryProtocol(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	cfg := iamUser(t, w, "auditee", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	apitest.Must(cloudwatch.NewFromConfig(cfg).ListMetrics(ctx, &cloudwatch.ListMetricsInput{}))(t)
	signedCall(t, cfg, w.URL(), "scheduler", http.MethodGet, "/schedule-groups", nil, "")

	out := signedCall(t, w.Config("us-east-1"), w.URL(), "cloudtrail", http.MethodPost, "/",
		map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"},
		`{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"auditee"}]}`)
	got := map[string]string{}
	events, _ := out["Events"].([]any)
	for _, e := range events {
		ev, _ := e.(map[string]any)
		name, _ := ev["EventName"].(string)
		source, _ := ev["EventSource"].(string)
		got[name] = source
	}
	for name, source := range map[string]string{"ListMetrics": "monitoring.amazonaws.com", "ListScheduleGroups": "scheduler.amazonaws.com"} {
		if got[name] != source {
			t.Errorf("event %s from %q, want %q (events: %v)", name, got[name], source, got)
		}
	}
}

// TestIAMResourceTagOnTaskDefinition: RunTask is judged against the tags
// of the task definition it names, its family alone meaning the latest
// revision.
func TestIAMResourceTagOnTaskDefinition(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	admin := w.ECS()
	apitest.Must(admin.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("tags")}))(t)
	container := []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("app:latest"), Memory: aws.Int32(32)}}
	apitest.Must(admin.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("approved"), ContainerDefinitions: container,
		Tags: []types.Tag{{Key: aws.String("approved"), Value: aws.String("yes")}}}))(t)
	apitest.Must(admin.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("unvetted"), ContainerDefinitions: container}))(t)
	runner := ecs.NewFromConfig(iamUser(t, w, "runner", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ecs:RunTask","Resource":"*","Condition":{"StringEquals":{"ecs:ResourceTag/approved":"yes"}}}]}`))
	_, err := runner.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("tags"), TaskDefinition: aws.String("approved")})
	wantDenied(t, err, "InvalidParameterException", "No Container Instances were found in your cluster.")
	_, err = runner.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("tags"), TaskDefinition: aws.String("unvetted:1")})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/runner is not authorized to perform: ecs:RunTask on resource: arn:aws:ecs:us-east-1:000000000000:task-definition/unvetted:1 because no identity-based policy allows the ecs:RunTask action")
}

// TestIAMPermissionsBoundary: through the SDK, a boundary set on a user
// caps what its policies grant, GetUser reports it, and removing it
// restores the grant.
func TestIAMPermissionsBoundary(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(w.Config("us-east-1"))
	boundary := aws.ToString(apitest.Must(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ecs-read"),
		PolicyDocument: aws.String(ecsListDescribe)}))(t).Policy.Arn)
	dev := ecs.NewFromConfig(iamUser(t, w, "bounded", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`))
	apitest.Must(ic.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(boundary)}))(t)
	u := apitest.Must(ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bounded")}))(t).User
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != boundary || u.PermissionsBoundary.PermissionsBoundaryType != "Policy" {
		t.Fatalf("GetUser PermissionsBoundary = %+v", u.PermissionsBoundary)
	}
	apitest.Must(dev.ListClusters(ctx, &ecs.ListClustersInput{}))(t)
	_, err := dev.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("nope")})
	wantDenied(t, err, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/bounded is not authorized to perform: ecs:CreateCluster on resource: * because no permissions boundary allows the ecs:CreateCluster action")
	apitest.Must(ic.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("bounded")}))(t)
	apitest.Must(dev.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("yes")}))(t)

	// A role created with a boundary reports it.
	apitest.Must(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded-task"), PermissionsBoundary: aws.String(boundary),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))(t)
	r := apitest.Must(ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("bounded-task")}))(t).Role
	if r.PermissionsBoundary == nil || aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn) != boundary {
		t.Fatalf("GetRole PermissionsBoundary = %+v", r.PermissionsBoundary)
	}
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// TestAuthWithAgent runs `wharf up --auth` with its agent on real
// containers: the agent gets its secret and runs tasks; a task's secrets
// arrive through the execution role's credentials (the agent's signed
// calls are verified); the SDK inside a task gets task-role keys whose
// signed calls wharf verifies; and the node id DescribeContainerInstances
// shows is not enough to mint credentials.
func TestAuthWithAgent(t *testing.T) {
	_, imgs := wharftest.Images(t)
	sdk := buildAWSCreds(t)
	w := wharftest.StartWith(t, wharftest.Options{Agent: true, Auth: true})
	ctx := context.Background()
	c := w.ECS()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("auth")}))(t)
	apitest.Must(ssm.NewFromConfig(w.Config("us-east-1")).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"),
		Value: aws.String("key-canary-51d0"), Type: ssmtypes.ParameterTypeSecureString}))(t)

	// With auth on, the roles a task names must exist in IAM and grant
	// what the task needs.
	taskRoleWith(t, w, "ecsTaskExecutionRole", "arn:aws:ssm:*:*:parameter/app/*", "ssm:GetParameters")
	taskRoleWith(t, w, "app-role", "*", "ecs:ListClusters")

	// Secrets through the execution role.
	arn := secretTask(t, c, "auth", "withsecret", imgs.App, map[string]string{"API_KEY": "/app/key"})
	task := waitTask(t, c, "auth", arn, 60*time.Second, "RUNNING", running)
	var env map[string]string
	getJSON(t, hostURL(t, container(t, task, "app"), 8080)+"/env", &env)
	if env["API_KEY"] != "key-canary-51d0" {
		t.Fatalf("API_KEY = %q", env["API_KEY"])
	}

	// Task-role keys from the SDK inside a task.
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("sdk"), TaskRoleArn: aws.String(taskRole),
		NetworkMode: types.NetworkModeBridge,
		Volumes:     []types.Volume{{Name: aws.String("sdk"), Host: &types.HostVolumeProperties{SourcePath: aws.String(sdk)}}},
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(64),
			EntryPoint: []string{"/sdk/awscreds"}, Command: []string{"-listen", ":8080"},
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			MountPoints:  []types.MountPoint{{SourceVolume: aws.String("sdk"), ContainerPath: aws.String("/sdk"), ReadOnly: aws.Bool(true)}}}}}))(t)
	sdkArn := aws.ToString(apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("auth"), TaskDefinition: aws.String("sdk")}))(t).Tasks[0].TaskArn)
	sdkTask := waitTask(t, c, "auth", sdkArn, 60*time.Second, "RUNNING", running)
	var got awsCreds
	getJSON(t, hostURL(t, container(t, sdkTask, "app"), 8080)+"/aws-creds", &got)
	cfg := w.Config("us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(got.AccessKeyID, got.SecretAccessKey, got.SessionToken)
	if _, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
		t.Fatalf("task-role keys: %v", err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider(got.AccessKeyID, "forged", got.SessionToken)
	_, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{})
	wantCode(t, err, "InvalidSignatureException")

	// The node id is public; minting with it alone is refused.
	ci := apitest.Must(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("auth")}))(t).ContainerInstanceArns
	desc := apitest.Must(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("auth"), ContainerInstances: ci}))(t)
	node := ""
	for _, a := range desc.ContainerInstances[0].Attributes {
		if aws.ToString(a.Name) == agentproto.NodeAttribute {
			node = aws.ToString(a.Value)
		}
	}
	body, _ := json.Marshal(agentproto.CredentialsRequest{NodeID: node, TaskARN: arn, Role: agentproto.RoleExecution})
	resp, err := http.Post(w.URL()+agentproto.CredentialsPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if node == "" || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("minting as node %q without its secret: %d", node, resp.StatusCode)
	}
	for _, a := range []string{arn, sdkArn} {
		apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("auth"), Task: aws.String(a)}))(t)
		waitTask(t, c, "auth", a, 30*time.Second, "STOPPED", stopped)
	}
	if !strings.HasPrefix(got.AccessKeyID, "ASIA") {
		t.Fatalf("task keys %q", got.AccessKeyID)
	}

	// An execution role without the logs permissions: awslogs cannot start,
	// so the task fails with the refusal in its reason, as in ECS.
	taskRoleWith(t, w, "no-logs", "*", "ssm:GetParameters")
	apitest.Must(cloudwatchlogs.NewFromConfig(w.Config("us-east-1")).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/auth/app")}))(t)
	def := awslogsDef("nologs", imgs.App, map[string]string{"awslogs-group": "/auth/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"}, "-listen", ":8080")
	def.ExecutionRoleArn = aws.String("arn:aws:iam::000000000000:role/no-logs")
	apitest.Must(c.RegisterTaskDefinition(ctx, def))(t)
	failed := waitTask(t, c, "auth", runOne(t, c, "auth", "nologs"), 60*time.Second, "STOPPED", stopped)
	if r := aws.ToString(failed.StoppedReason); !strings.Contains(r, "AccessDeniedException") || !strings.Contains(r, "logs:CreateLogStream") {
		t.Fatalf("stopped reason %q, want the logs refusal", r)
	}
}

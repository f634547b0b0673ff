package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

const taskRole = "arn:aws:iam::000000000000:role/app-role"

// awsCreds is what testkit/awscreds answers.
type awsCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Source          string
	CanExpire       bool
	Expires         time.Time
	RoleArn         string
}

// buildAWSCreds builds testkit/awscreds (an unmodified aws-sdk-go-v2 in a
// static program) into a directory to bind-mount into tasks.
func buildAWSCreds(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	dir := t.TempDir()
	cmd := exec.Command(goTool, "build", "-trimpath", "-o", filepath.Join(dir, "awscreds"), "github.com/wharfhq/wharf/testkit/awscreds")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build testkit/awscreds: %v: %s", err, out)
	}
	return dir
}

// TestCredentialsEndpoint runs tasks with a task role: inside an awsvpc
// and a bridge task, aws-sdk-go-v2's default chain finds the credentials
// endpoint at 169.254.170.2 through AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
// and gets minted keys for the role, which wharf attributes to the role;
// a FARGATE task reads the endpoint with a plain GET; the host (as a
// host-network task would) reaches it too.
func TestCredentialsEndpoint(t *testing.T) {
	_, imgs := wharftest.Images(t)
	sdk := buildAWSCreds(t)
	w := wharftest.StartWithAgent(t)
	ctx := context.Background()
	c := w.ECS()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("creds")}))(t)
	sdkApp := types.ContainerDefinition{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(64),
		EntryPoint: []string{"/sdk/awscreds"}, Command: []string{"-listen", ":8080"},
		PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
		MountPoints:  []types.MountPoint{{SourceVolume: aws.String("sdk"), ContainerPath: aws.String("/sdk"), ReadOnly: aws.Bool(true)}}}
	sdkVolume := []types.Volume{{Name: aws.String("sdk"), Host: &types.HostVolumeProperties{SourcePath: aws.String(sdk)}}}
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("vpc"), TaskRoleArn: aws.String(taskRole),
		NetworkMode: types.NetworkModeAwsvpc, Volumes: sdkVolume, ContainerDefinitions: []types.ContainerDefinition{sdkApp}}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("br"), TaskRoleArn: aws.String("app-role"),
		NetworkMode: types.NetworkModeBridge, Volumes: sdkVolume, ContainerDefinitions: []types.ContainerDefinition{sdkApp}}))(t)

	for _, tc := range []struct {
		name string
		in   *ecs.RunTaskInput
	}{
		{"awsvpc", &ecs.RunTaskInput{TaskDefinition: aws.String("vpc"), LaunchType: types.LaunchTypeEc2, NetworkConfiguration: awsvpc}},
		{"bridge", &ecs.RunTaskInput{TaskDefinition: aws.String("br"), LaunchType: types.LaunchTypeEc2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Cluster = aws.String("creds")
			arn := aws.ToString(apitest.Must(c.RunTask(ctx, tc.in))(t).Tasks[0].TaskArn)
			task := waitTask(t, c, "creds", arn, 60*time.Second, "RUNNING", running)
			var got awsCreds
			getJSON(t, hostURL(t, container(t, task, "app"), 8080)+"/aws-creds", &got)
			if !strings.HasPrefix(got.AccessKeyID, "ASIA") || got.RoleArn != taskRole || got.SessionToken == "" || !got.CanExpire ||
				time.Until(got.Expires) < 5*time.Hour || !strings.Contains(got.Source, "Endpoint") {
				t.Fatalf("the SDK in the task got %+v", got)
			}

			// wharf attributes calls signed with those keys to the role.
			cfg := w.Config("us-east-1")
			cfg.Credentials = credentials.NewStaticCredentialsProvider(got.AccessKeyID, got.SecretAccessKey, got.SessionToken)
			name := "/who/" + tc.name
			apitest.Must(ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}))(t)
			meta := apitest.Must(ssm.NewFromConfig(w.Config("us-east-1")).DescribeParameters(ctx, &ssm.DescribeParametersInput{
				ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Values: []string{name}}}}))(t).Parameters
			wantUser := "arn:aws:sts::000000000000:assumed-role/app-role/" + arn[strings.LastIndexByte(arn, '/')+1:]
			if len(meta) != 1 || aws.ToString(meta[0].LastModifiedUser) != wantUser {
				t.Fatalf("LastModifiedUser %v, want %s", meta, wantUser)
			}
			// The same key with another session token is refused.
			cfg.Credentials = credentials.NewStaticCredentialsProvider(got.AccessKeyID, got.SecretAccessKey, "forged")
			_, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
				t.Fatalf("forged session token: %v", err)
			}
			apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("creds"), Task: aws.String(arn)}))(t)
			waitTask(t, c, "creds", arn, 30*time.Second, "STOPPED", stopped)
		})
	}

	t.Run("fargate", func(t *testing.T) {
		apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("fg"), TaskRoleArn: aws.String(taskRole),
			RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, NetworkMode: types.NetworkModeAwsvpc,
			Cpu: aws.String("256"), Memory: aws.String("512"), ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"),
				Image: aws.String(imgs.App), Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}}}))(t)
		arn := aws.ToString(apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("creds"), TaskDefinition: aws.String("fg"),
			LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc}))(t).Tasks[0].TaskArn)
		task := waitTask(t, c, "creds", arn, 60*time.Second, "RUNNING", running)
		base := hostURL(t, container(t, task, "app"), 8080)
		var env map[string]string
		getJSON(t, base+"/env", &env)
		uri := env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
		if !strings.HasPrefix(uri, "/v2/credentials/") {
			t.Fatalf("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI = %q", uri)
		}
		var inside struct{ AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn string }
		getJSON(t, base+"/fetch?url="+url.QueryEscape("http://169.254.170.2"+uri), &inside)
		exp, err := time.Parse(time.RFC3339, inside.Expiration)
		if !strings.HasPrefix(inside.AccessKeyId, "ASIA") || inside.SecretAccessKey == "" || inside.Token == "" || inside.RoleArn != taskRole ||
			err != nil || time.Until(exp) < 5*time.Hour {
			t.Fatalf("the endpoint answered %+v inside the task", inside)
		}
		// An ID the agent never handed out is refused as ECS refuses it.
		status, body := get(t, base+"/fetch?url="+url.QueryEscape("http://169.254.170.2/v2/credentials/00000000-1111-4222-8333-444444444444"))
		if status != http.StatusBadRequest || !strings.Contains(body, "InvalidIdInRequest") {
			t.Fatalf("unknown id: %d %s", status, body)
		}
		// From the host, as a host-network task would (the OUTPUT rule).
		status, body = get(t, "http://169.254.170.2"+uri)
		if status != http.StatusOK || !strings.Contains(body, `"RoleArn":"`+taskRole+`"`) {
			t.Fatalf("from the host: %d %s", status, body)
		}
		apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("creds"), Task: aws.String(arn)}))(t)
		waitTask(t, c, "creds", arn, 30*time.Second, "STOPPED", stopped)
		if status, body := get(t, "http://169.254.170.2"+uri); status != http.StatusBadRequest {
			t.Fatalf("a stopped task's credentials are still served: %d %s", status, body)
		}
	})

	// Stopping the last agent on the host removes the iptables rules.
	w.Stop()
	if agentsOnHost() {
		t.Log("another wharf agent runs on this host: its rules stay")
		return
	}
	rules, err := exec.Command("iptables", "-w", "5", "-t", "nat", "-S").CombinedOutput()
	if err != nil {
		t.Fatalf("iptables: %v: %s", err, rules)
	}
	if strings.Contains(string(rules), "WHARF-CREDENTIALS") && !agentsOnHost() {
		t.Fatalf("rules left after wharf stopped:\n%s", rules)
	}
}

// TestNoTaskRoleNoCredentials: a task without a task role gets no
// credentials URI.
func TestNoTaskRoleNoCredentials(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	ctx := context.Background()
	c := w.ECS()
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("norole")}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("plain"), NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(64),
			Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}}}))(t)
	arn := aws.ToString(apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("norole"), TaskDefinition: aws.String("plain")}))(t).Tasks[0].TaskArn)
	task := waitTask(t, c, "norole", arn, 60*time.Second, "RUNNING", running)
	var env map[string]string
	getJSON(t, hostURL(t, container(t, task, "app"), 8080)+"/env", &env)
	if v, ok := env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]; ok {
		t.Fatalf("a task without a task role got AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=%q", v)
	}
	apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("norole"), Task: aws.String(arn)}))(t)
}

// get GETs url (bounded retries on connection errors) and answers the
// status and body.
func get(t testing.TB, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var lastErr error
	for range 50 {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, lastErr)
	return 0, ""
}

// agentsOnHost reports whether any wharf agent serves its credentials
// socket in this network namespace.
func agentsOnHost() bool {
	b, err := os.ReadFile("/proc/net/unix")
	return err != nil || strings.Contains(string(b), "@wharf-credentials/")
}

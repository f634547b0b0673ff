package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

const execRole = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole"

// secretTask registers family with one container "app" (the test program
// serving :8080) that takes secrets, and runs it on cluster.
func secretTask(t *testing.T, c *ecs.Client, cluster, family, image string, secrets map[string]string) string {
	t.Helper()
	ctx := context.Background()
	var ss []types.Secret
	for name, from := range secrets {
		ss = append(ss, types.Secret{Name: aws.String(name), ValueFrom: aws.String(from)})
	}
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: types.NetworkModeBridge, ExecutionRoleArn: aws.String(execRole),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(64),
			Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}, Secrets: ss,
			Environment: []types.KeyValuePair{{Name: aws.String("APP_PLAIN"), Value: aws.String("not secret")}}}},
	}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family), LaunchType: types.LaunchTypeEc2}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("RunTask %s: %+v", family, run.Failures)
	}
	return aws.ToString(run.Tasks[0].TaskArn)
}

// TestTaskSecrets: a task's secrets (whole secrets, a JSON key, parameters
// by ARN and by name) reach its environment; a rotation reaches only the
// tasks started after it; describe calls and the data dir never show a
// value.
func TestTaskSecrets(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	ctx := context.Background()
	c := w.ECS()
	smc, ssmc := sm.NewFromConfig(w.Config("us-east-1")), ssm.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("sec")}))(t)

	canaries := []string{"pw-canary-4e1d", "tok-canary-9a02", "tok-canary-rotated-77c1", "key-canary-3b6f"}
	db := aws.ToString(apitest.Must(smc.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("prod/db"),
		SecretString: aws.String(`{"username":"admin","password":"pw-canary-4e1d","port":5432}`)}))(t).ARN)
	tok := aws.ToString(apitest.Must(smc.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("token"), SecretString: aws.String("tok-canary-9a02")}))(t).ARN)
	apitest.Must(ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String("key-canary-3b6f"), Type: ssmtypes.ParameterTypeSecureString}))(t)
	apitest.Must(ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("greeting"), Value: aws.String("hello"), Type: ssmtypes.ParameterTypeString}))(t)

	secrets := map[string]string{
		"DB_PASSWORD": db + ":password::",
		"DB_PORT":     db + ":port::",
		"DB_JSON":     db,
		"TOKEN":       tok,
		"TOKEN_V1":    tok + "::AWSCURRENT:",
		"API_KEY":     "arn:aws:ssm:us-east-1:000000000000:parameter/app/key",
		"API_KEY2":    "/app/key",
		"GREETING":    "greeting",
	}
	first := secretTask(t, c, "sec", "withsecrets", imgs.App, secrets)
	task := waitTask(t, c, "sec", first, 60*time.Second, "RUNNING", running)
	base := hostURL(t, container(t, task, "app"), 8080)
	var env map[string]string
	getJSON(t, base+"/env", &env)
	want := map[string]string{
		"DB_PASSWORD": "pw-canary-4e1d", "DB_PORT": "5432", "DB_JSON": `{"username":"admin","password":"pw-canary-4e1d","port":5432}`,
		"TOKEN": "tok-canary-9a02", "TOKEN_V1": "tok-canary-9a02", "API_KEY": "key-canary-3b6f", "API_KEY2": "key-canary-3b6f",
		"GREETING": "hello", "APP_PLAIN": "not secret",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}

	// Rotation: the running task keeps its value, a new task gets the new one.
	apitest.Must(smc.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("token"), SecretString: aws.String("tok-canary-rotated-77c1")}))(t)
	second := secretTask(t, c, "sec", "withsecrets", imgs.App, map[string]string{"TOKEN": tok})
	task2 := waitTask(t, c, "sec", second, 60*time.Second, "RUNNING", running)
	var env2 map[string]string
	getJSON(t, hostURL(t, container(t, task2, "app"), 8080)+"/env", &env2)
	getJSON(t, base+"/env", &env)
	if env2["TOKEN"] != "tok-canary-rotated-77c1" || env["TOKEN"] != "tok-canary-9a02" {
		t.Fatalf("after rotation: new task TOKEN %q, running task TOKEN %q", env2["TOKEN"], env["TOKEN"])
	}

	// No describe call shows a value.
	desc := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("sec"), Tasks: []string{first, second}}))(t)
	td := apitest.Must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("withsecrets:1")}))(t)
	ds := apitest.Must(smc.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("prod/db")}))(t)
	dp := apitest.Must(ssmc.DescribeParameters(ctx, &ssm.DescribeParametersInput{}))(t)
	for what, v := range map[string]any{"DescribeTasks": desc.Tasks, "DescribeTaskDefinition": td.TaskDefinition, "DescribeSecret": ds, "DescribeParameters": dp.Parameters} {
		b, _ := json.Marshal(v)
		for _, cn := range canaries {
			if bytes.Contains(b, []byte(cn)) {
				t.Errorf("%s shows the secret value %q", what, cn)
			}
		}
	}
	if vf := aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Secrets[0].ValueFrom); vf == "" {
		t.Error("DescribeTaskDefinition lost the secrets' valueFrom")
	}

	for _, arn := range []string{first, second} {
		apitest.Must(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("sec"), Task: aws.String(arn)}))(t)
	}
	for _, arn := range []string{first, second} {
		waitTask(t, c, "sec", arn, 30*time.Second, "STOPPED", stopped)
	}
	w.Stop()
	apitest.NotOnDisk(t, w.DataDir, canaries...)
}

// TestMissingSecretFailsTask: a task whose secret or parameter does not
// exist stops before its containers run, with ECS's reason naming it.
func TestMissingSecretFailsTask(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	ctx := context.Background()
	c := w.ECS()
	smc := sm.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("miss")}))(t)
	plain := aws.ToString(apitest.Must(smc.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("plain"), SecretString: aws.String("not json")}))(t).ARN)

	missing := "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf"
	tests := []struct {
		name, from string
		reason     []string
	}{
		{"secret", missing, []string{
			"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret " + missing + " from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
		}},
		{"json key", plain + ":user::", []string{"ResourceInitializationError: unable to pull secrets or registry auth:", plain, "json key user"}},
		{"bad arn", "arn:aws:secretsmanager:us-east-1:000000000000:secret:x-AbCdEf:user", []string{"ResourceInitializationError:", "invalid ARN format"}},
		{"parameter", "/no/such/param", []string{
			"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: /no/such/param",
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := secretTask(t, c, "miss", "missing"+string(rune('a'+i)), imgs.App, map[string]string{"S": tt.from})
			task := waitTask(t, c, "miss", arn, 60*time.Second, "STOPPED", stopped)
			reason := aws.ToString(task.StoppedReason)
			for _, want := range tt.reason {
				if !strings.Contains(reason, want) {
					t.Fatalf("stoppedReason %q does not contain %q", reason, want)
				}
			}
			if task.StopCode != types.TaskStopCodeTaskFailedToStart || aws.ToString(container(t, task, "app").Reason) == "" {
				t.Fatalf("task: %s", describe(task))
			}
		})
	}
}

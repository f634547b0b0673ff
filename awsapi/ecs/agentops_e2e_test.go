package ecs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// submitWharfStatus reports a task's full status the way wharf's agent does
// (SubmitTaskStateChange with the "wharf" member), which is how a task gets
// its ENI attachment.
func submitWharfStatus(t *testing.T, url string, change agentproto.TaskStateChange) {
	t.Helper()
	body, _ := json.Marshal(change)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", ecstypes.ServiceTarget+".SubmitTaskStateChange")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("SubmitTaskStateChange: %s", resp.Status)
	}
}

// TestSubmitAttachmentStateChanges moves an awsvpc task's ENI attachment
// through the SDK call and reads it back in DescribeTasks.
func TestSubmitAttachmentStateChanges(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	registerInstance(t, c, "", "node-att", 1024, 1024, types.Attribute{Name: aws.String("ecs.capability.task-eni")})
	poll(t, w.URL(), agentproto.PollRequest{NodeID: "node-att"})
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("eni"), NetworkMode: types.NetworkModeAwsvpc,
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(32)}}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("eni"),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("run: %s", failureText(run.Failures))
	}
	task := aws.ToString(run.Tasks[0].TaskArn)
	const attID = "0b1c2d3e-aaaa-4bbb-accc-000000000001"
	submitWharfStatus(t, w.URL(), agentproto.TaskStateChange{
		SubmitTaskStateChangeRequest: ecstypes.SubmitTaskStateChangeRequest{Cluster: aws.String("default"), Task: aws.String(task), Status: aws.String("RUNNING")},
		Wharf: &agentproto.TaskStatus{TaskARN: task, LastStatus: "RUNNING",
			Attachments: []ecstypes.Attachment{{Id: aws.String(attID), Type: aws.String("ElasticNetworkInterface"), Status: aws.String("ATTACHED")}}},
	})

	out := apitest.Must(c.SubmitAttachmentStateChanges(ctx, &ecs.SubmitAttachmentStateChangesInput{Cluster: aws.String("default"),
		Attachments: []types.AttachmentStateChange{{AttachmentArn: aws.String("arn:aws:ecs:us-east-1:000000000000:attachment/" + attID), Status: aws.String("DETACHED")}}}))(t)
	if aws.ToString(out.Acknowledgment) != "ACK" {
		t.Fatalf("acknowledgment %q", aws.ToString(out.Acknowledgment))
	}
	d := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{task}}))(t)
	if len(d.Tasks) != 1 || len(d.Tasks[0].Attachments) != 1 || aws.ToString(d.Tasks[0].Attachments[0].Status) != "DETACHED" {
		t.Fatalf("attachments after the change: %+v", d.Tasks)
	}

	errorCases := []struct {
		name    string
		cluster string
		change  types.AttachmentStateChange
		code    string
	}{
		{"unknown attachment", "default", types.AttachmentStateChange{AttachmentArn: aws.String("arn:aws:ecs:us-east-1:000000000000:attachment/nope"), Status: aws.String("DETACHED")}, "InvalidParameterException"},
		{"unknown status", "default", types.AttachmentStateChange{AttachmentArn: aws.String(attID), Status: aws.String("GONE")}, "InvalidParameterException"},
		{"unknown cluster", "ghost", types.AttachmentStateChange{AttachmentArn: aws.String(attID), Status: aws.String("DETACHED")}, "ClusterNotFoundException"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SubmitAttachmentStateChanges(ctx, &ecs.SubmitAttachmentStateChangesInput{Cluster: aws.String(tt.cluster), Attachments: []types.AttachmentStateChange{tt.change}})
			apitest.WantCode(t, err, tt.code)
		})
	}
}

// TestUpdateContainerAgent: wharf's agent is always current, so the call
// answers as ECS does for an agent on the latest version, or one without a version.
func TestUpdateContainerAgent(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	versioned := registerInstance(t, c, "", "node-v", 1024, 1024)
	unversioned := apitest.Must(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		TotalResources: []types.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 1024},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 1024}},
	}))(t).ContainerInstance.ContainerInstanceArn

	tests := []struct {
		name, cluster, instance, code string
	}{
		{"agent already current", "default", versioned, "NoUpdateAvailableException"},
		{"agent reported no version", "", aws.ToString(unversioned), "MissingVersionException"},
		{"unknown instance", "default", "0123456789abcdef0123456789abcdef", "InvalidParameterException"},
		{"unknown cluster", "ghost", versioned, "ClusterNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &ecs.UpdateContainerAgentInput{ContainerInstance: aws.String(tt.instance)}
			if tt.cluster != "" {
				in.Cluster = aws.String(tt.cluster)
			}
			_, err := c.UpdateContainerAgent(ctx, in)
			apitest.WantCode(t, err, tt.code)
		})
	}
	var noUpdate *types.NoUpdateAvailableException
	if _, err := c.UpdateContainerAgent(ctx, &ecs.UpdateContainerAgentInput{ContainerInstance: aws.String(versioned)}); !errors.As(err, &noUpdate) {
		t.Fatalf("the SDK does not read %v as its NoUpdateAvailableException", err)
	}
}

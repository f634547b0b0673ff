package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/testkit/images"
)

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

// waitTask polls DescribeTasks (bounded) until cond holds, and returns the task.
func waitTask(t testing.TB, c *ecs.Client, cluster, arn string, timeout time.Duration, what string, cond func(types.Task) bool) types.Task {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last types.Task
	for time.Now().Before(deadline) {
		out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{arn}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Tasks) == 1 {
			last = out.Tasks[0]
			if cond(last) {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("task %s: %s not reached within %s; last: %s", arn, what, timeout, describe(last))
	return last
}

func running(t types.Task) bool { return aws.ToString(t.LastStatus) == "RUNNING" }
func stopped(t types.Task) bool { return aws.ToString(t.LastStatus) == "STOPPED" }

func describe(t types.Task) string {
	s := fmt.Sprintf("last=%s desired=%s stopCode=%s reason=%q", aws.ToString(t.LastStatus), aws.ToString(t.DesiredStatus), t.StopCode, aws.ToString(t.StoppedReason))
	for _, c := range t.Containers {
		s += fmt.Sprintf(" [%s %s exit=%v reason=%q health=%s]", aws.ToString(c.Name), aws.ToString(c.LastStatus), aws.ToInt32(c.ExitCode), aws.ToString(c.Reason), c.HealthStatus)
	}
	return s
}

func container(t testing.TB, task types.Task, name string) types.Container {
	t.Helper()
	for _, c := range task.Containers {
		if aws.ToString(c.Name) == name {
			return c
		}
	}
	t.Fatalf("task has no container %s", name)
	return types.Container{}
}

// hostURL is the http://127.0.0.1:PORT a container port is published on.
func hostURL(t testing.TB, c types.Container, port int32) string {
	t.Helper()
	for _, b := range c.NetworkBindings {
		if aws.ToInt32(b.ContainerPort) == port {
			return fmt.Sprintf("http://%s:%d", aws.ToString(b.BindIP), aws.ToInt32(b.HostPort))
		}
	}
	t.Fatalf("container %s has no binding for port %d: %+v", aws.ToString(c.Name), port, c.NetworkBindings)
	return ""
}

// getJSON GETs url (bounded retries while the server starts) into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	var lastErr error
	for range 50 {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if err := json.Unmarshal(b, v); err != nil {
					t.Fatalf("GET %s: %v: %s", url, err, b)
				}
				return
			}
			lastErr = fmt.Errorf("%s: %s", resp.Status, b)
		} else {
			lastErr = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, lastErr)
}

// startCluster starts a wharf with its agent (after building the test
// images) and creates the ECS cluster name: the start of most tests here.
func startCluster(t *testing.T, name string) (*wharftest.Wharf, *ecs.Client, images.Images) {
	t.Helper()
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c := w.ECS()
	apitest.Must(c.CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String(name)}))(t)
	return w, c, imgs
}

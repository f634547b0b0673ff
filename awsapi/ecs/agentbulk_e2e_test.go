package ecs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// bulkRegister posts a bulk registration; it returns the HTTP status and,
// on 200, the answer.
func bulkRegister(t *testing.T, url string, req agentproto.RegisterRequest) (int, agentproto.RegisterResponse, string) {
	t.Helper()
	body, _ := json.Marshal(req)
	resp, err := http.Post(url+agentproto.RegisterPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out agentproto.RegisterResponse
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out, string(b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out, ""
}

func bulkInstance(node string) ecstypes.RegisterContainerInstanceRequest {
	return ecstypes.RegisterContainerInstanceRequest{
		TotalResources: []ecstypes.Resource{
			{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: 2048},
			{Name: new("MEMORY"), Type: new("INTEGER"), IntegerValue: 4096},
		},
		VersionInfo: &ecstypes.VersionInfo{AgentVersion: new("1.0.0")},
		// As the embedded agent, which DeleteCluster does not wait for.
		Attributes: []ecstypes.Attribute{{Name: new(agentproto.NodeAttribute), Value: new(node)}, {Name: new("wharf.auto-join"), Value: new("true")}},
	}
}

// TestBulkRegistration: one call registers a node in a batch of clusters;
// re-registering keeps each instance's ARN; a stale instance ARN (no
// longer stored) gets a new instance; a cluster that is gone fails
// alone; a bad batch is refused whole.
func TestBulkRegistration(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	var arns []string
	for i := range 3 {
		out := apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(fmt.Sprintf("bulk-%d", i))}))(t)
		arns = append(arns, aws.ToString(out.Cluster.ClusterArn))
	}
	req := agentproto.RegisterRequest{NodeID: "node-bulk", Region: "us-east-1", Instance: bulkInstance("node-bulk")}
	for _, a := range arns {
		req.Clusters = append(req.Clusters, agentproto.RegisterCluster{ClusterARN: a})
	}
	status, first, msg := bulkRegister(t, w.URL(), req)
	if status != http.StatusOK || len(first.Results) != 3 {
		t.Fatalf("bulk registration: %d %s %+v", status, msg, first)
	}
	for i, res := range first.Results {
		if res.Error != "" || !strings.Contains(res.ContainerInstanceARN, ":container-instance/bulk-"+fmt.Sprint(i)+"/") {
			t.Fatalf("cluster %d: %+v", i, res)
		}
		d := apitest.Must(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(arns[i]), ContainerInstances: []string{res.ContainerInstanceARN}}))(t)
		if len(d.ContainerInstances) != 1 || aws.ToString(d.ContainerInstances[0].Status) != "ACTIVE" || !d.ContainerInstances[0].AgentConnected {
			t.Fatalf("cluster %d: described %+v, failures %+v", i, d.ContainerInstances, d.Failures)
		}
	}

	t.Run("re-registering keeps the ARNs", func(t *testing.T) {
		again := req
		again.Clusters = nil
		for _, res := range first.Results {
			again.Clusters = append(again.Clusters, agentproto.RegisterCluster{ClusterARN: res.ClusterARN, ContainerInstanceARN: res.ContainerInstanceARN})
		}
		_, out, msg := bulkRegister(t, w.URL(), again)
		for i, res := range out.Results {
			if res.ContainerInstanceARN != first.Results[i].ContainerInstanceARN {
				t.Fatalf("cluster %d re-registered as %q (%s), want %q", i, res.ContainerInstanceARN, res.Error+msg, first.Results[i].ContainerInstanceARN)
			}
		}
		l := apitest.Must(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(arns[0])}))(t)
		if len(l.ContainerInstanceArns) != 1 {
			t.Fatalf("instances after re-registering: %v", l.ContainerInstanceArns)
		}
	})

	t.Run("a gone cluster fails alone and a stale instance is replaced", func(t *testing.T) {
		apitest.Must(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(arns[1])}))(t)
		again := req
		again.Clusters = nil
		for _, res := range first.Results {
			again.Clusters = append(again.Clusters, agentproto.RegisterCluster{ClusterARN: res.ClusterARN, ContainerInstanceARN: res.ContainerInstanceARN})
		}
		// The instance the node had in bulk-2 is no longer stored.
		again.Clusters[2].ContainerInstanceARN = strings.Replace(first.Results[2].ContainerInstanceARN, "/bulk-2/", "/bulk-2/0", 1)
		_, out, msg := bulkRegister(t, w.URL(), again)
		if len(out.Results) != 3 {
			t.Fatalf("results: %s %+v", msg, out)
		}
		if out.Results[0].ContainerInstanceARN != first.Results[0].ContainerInstanceARN {
			t.Errorf("bulk-0: %+v", out.Results[0])
		}
		if out.Results[1].Error == "" || !strings.Contains(out.Results[1].Error, "ClusterNotFoundException") {
			t.Errorf("bulk-1 (deleted): %+v", out.Results[1])
		}
		if r := out.Results[2]; r.Error != "" || r.ContainerInstanceARN == "" || r.ContainerInstanceARN == first.Results[2].ContainerInstanceARN {
			t.Errorf("bulk-2 (stale instance): %+v, old %s", r, first.Results[2].ContainerInstanceARN)
		}
	})

	bad := func(mut func(*agentproto.RegisterRequest)) agentproto.RegisterRequest {
		r := agentproto.RegisterRequest{NodeID: "node-bulk", Region: "us-east-1", Instance: bulkInstance("node-bulk"),
			Clusters: []agentproto.RegisterCluster{{ClusterARN: arns[0]}}}
		mut(&r)
		return r
	}
	for _, tc := range []struct {
		name string
		req  agentproto.RegisterRequest
		want string
	}{
		{"no node", bad(func(r *agentproto.RegisterRequest) { r.NodeID = "" }), "nodeId is required"},
		{"node attribute differs", bad(func(r *agentproto.RegisterRequest) { r.NodeID = "node-other" }), "want the nodeId"},
		{"no memory", bad(func(r *agentproto.RegisterRequest) { r.Instance.TotalResources = r.Instance.TotalResources[:1] }), "CPU and MEMORY"},
		{"too many clusters", bad(func(r *agentproto.RegisterRequest) {
			r.Clusters = make([]agentproto.RegisterCluster, agentproto.MaxRegisterBatch+1)
		}), fmt.Sprintf("at most %d entries", agentproto.MaxRegisterBatch)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, msg := bulkRegister(t, w.URL(), tc.req)
			if status != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
				t.Fatalf("got %d %q, want 400 with %q", status, msg, tc.want)
			}
		})
	}

	t.Run("a cluster of another region fails alone", func(t *testing.T) {
		r := bad(func(r *agentproto.RegisterRequest) { r.Region = "eu-west-1" })
		_, out, msg := bulkRegister(t, w.URL(), r)
		if len(out.Results) != 1 || !strings.Contains(out.Results[0].Error, "not in region eu-west-1") {
			t.Fatalf("%s %+v", msg, out)
		}
	})
}

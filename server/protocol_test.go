package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// call sends a raw AWS JSON 1.1 request, as an SDK would but with any body.
func call(t *testing.T, url, target, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, b)
	}
	return resp.StatusCode, m, resp.Header
}

const ecsTarget = "AmazonEC2ContainerServiceV20141113."

func TestProtocolErrors(t *testing.T) {
	w := wharftest.Start(t)
	long := strings.Repeat("x", 70000)
	tests := []struct {
		name, target, body string
		code, inMessage    string
	}{
		{"malformed json", ecsTarget + "CreateCluster", `{"clusterName":`, "SerializationException", "not valid JSON"},
		{"not an object", ecsTarget + "CreateCluster", `[1,2]`, "SerializationException", "JSON object"},
		{"wrong type", ecsTarget + "CreateCluster", `{"clusterName": 5}`, "SerializationException", "clusterName"},
		{"wrong nested type", ecsTarget + "RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":"lots"}]}`, "SerializationException", "containerDefinitions.memory"},
		{"int overflow", ecsTarget + "RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","image":"b","memory":99999999999}]}`, "SerializationException", "memory"},
		{"missing required", ecsTarget + "RegisterTaskDefinition", `{"containerDefinitions":[]}`, "InvalidParameterException", "'family'"},
		{"missing nested required", ecsTarget + "PutClusterCapacityProviders", `{"cluster":"c","capacityProviders":[],"defaultCapacityProviderStrategy":[{"weight":1}]}`, "InvalidParameterException", "defaultCapacityProviderStrategy.1.capacityProvider"},
		{"bad enum", ecsTarget + "DescribeClusters", `{"include":["EVERYTHING"]}`, "InvalidParameterException", "include"},
		{"empty container list", ecsTarget + "RegisterTaskDefinition", `{"family":"f","containerDefinitions":[]}`, "ClientException", "empty"},
		{"oversize string", ecsTarget + "CreateCluster", `{"clusterName":"` + long + `"}`, "InvalidParameterException", "cluster name"},
		{"unknown fields are ignored", ecsTarget + "ListClusters", `{"bogus": 1}`, "", ""},
		{"unknown operation", ecsTarget + "MakeCoffee", `{}`, "UnknownOperationException", "MakeCoffee"},
		{"unknown service", "NoSuchService_2020.Op", `{}`, "UnknownOperationException", "X-Amz-Target"},
		{"empty body is {}", ecsTarget + "ListClusters", ``, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, hdr := call(t, w.URL(), tt.target, tt.body)
			if hdr.Get("X-Amzn-Requestid") == "" {
				t.Error("no x-amzn-RequestId header")
			}
			if tt.code == "" {
				if status != 200 {
					t.Fatalf("status %d: %v", status, body)
				}
				return
			}
			if status != 400 || body["__type"] != tt.code {
				t.Fatalf("got %d %v, want 400 %s", status, body, tt.code)
			}
			if msg, _ := body["message"].(string); !strings.Contains(msg, tt.inMessage) {
				t.Fatalf("message %q does not mention %q", msg, tt.inMessage)
			}
		})
	}
}

func TestSignedRegion(t *testing.T) {
	w := wharftest.Start(t)
	auth := "AWS4-HMAC-SHA256 Credential=AKID/20261121/ap-south-1/ecs/aws4_request, SignedHeaders=host, Signature=00"
	status, body, _ := call(t, w.URL(), ecsTarget+"CreateCluster", `{"clusterName":"x"}`, "Authorization", auth)
	if status != 200 {
		t.Fatalf("status %d %v", status, body)
	}
	arn := body["cluster"].(map[string]any)["clusterArn"]
	if arn != "arn:aws:ecs:ap-south-1:000000000000:cluster/x" {
		t.Fatalf("arn %v", arn)
	}
	status, body, _ = call(t, w.URL(), ecsTarget+"ListClusters", `{}`, "Authorization", "AWS4-HMAC-SHA256 Credential=garbage")
	if status != 400 || body["__type"] != "IncompleteSignature" {
		t.Fatalf("malformed credential: %d %v", status, body)
	}
}

func TestHealth(t *testing.T) {
	w := wharftest.Start(t)
	resp, err := http.Get(w.URL() + "/_wharf/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health %d", resp.StatusCode)
	}
}

// TestWireFormat checks the JSON that ECS clients parse: epoch-second
// timestamps, always-present counts and empty lists.
func TestWireFormat(t *testing.T) {
	w := wharftest.Start(t)
	_, body, _ := call(t, w.URL(), ecsTarget+"CreateCluster", `{"clusterName":"wire"}`)
	cl := body["cluster"].(map[string]any)
	for _, k := range []string{"runningTasksCount", "pendingTasksCount", "activeServicesCount", "registeredContainerInstancesCount"} {
		if v, ok := cl[k].(float64); !ok || v != 0 {
			t.Errorf("%s = %v, want 0", k, cl[k])
		}
	}
	for _, k := range []string{"statistics", "tags", "capacityProviders", "defaultCapacityProviderStrategy"} {
		if v, ok := cl[k].([]any); !ok || len(v) != 0 {
			t.Errorf("%s = %v, want []", k, cl[k])
		}
	}
	_, body, _ = call(t, w.URL(), ecsTarget+"RegisterTaskDefinition",
		`{"family":"w","containerDefinitions":[{"name":"a","image":"b","memory":64}]}`)
	td := body["taskDefinition"].(map[string]any)
	if ts, ok := td["registeredAt"].(float64); !ok || ts < 1.7e9 {
		t.Errorf("registeredAt = %v, want epoch seconds", td["registeredAt"])
	}
	c := td["containerDefinitions"].([]any)[0].(map[string]any)
	if c["cpu"] != float64(0) || c["essential"] != true {
		t.Errorf("container defaults: cpu %v essential %v", c["cpu"], c["essential"])
	}
}

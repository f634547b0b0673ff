package ecstypes

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/shape"
)

// registerJSON is a RegisterTaskDefinition request body as the AWS CLI / SDK
// sends it (awsJson1_1): member names as JSON keys, defaulted numbers present.
const registerJSON = `{
  "family": "web",
  "taskRoleArn": "arn:aws:iam::123456789012:role/task",
  "networkMode": "awsvpc",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "nginx:1.27",
      "cpu": 256,
      "memory": 512,
      "essential": true,
      "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
      "environment": [{"name": "MODE", "value": "prod"}],
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
      "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 30, "retries": 3},
      "dockerLabels": {"team": "edge"}
    }
  ],
  "volumes": [],
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "tags": [{"key": "env", "value": "prod"}],
  "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
}`

func TestRegisterTaskDefinitionRoundTrip(t *testing.T) {
	var req RegisterTaskDefinitionRequest
	if err := json.Unmarshal([]byte(registerJSON), &req); err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatalf("valid request rejected: %v", err)
	}
	c := req.ContainerDefinitions[0]
	if *req.Family != "web" || req.NetworkMode != NetworkModeAwsvpc || c.Cpu != 256 || *c.Memory != 512 ||
		!*c.Essential || c.PortMappings[0].Protocol != TransportProtocolTcp || c.LogConfiguration.LogDriver != LogDriverAwslogs ||
		req.RequiresCompatibilities[0] != CompatibilityFargate || req.RuntimePlatform.CpuArchitecture != CPUArchitectureX8664 ||
		req.Volumes == nil || len(req.Volumes) != 0 {
		t.Fatalf("bad decode: %+v", req)
	}
	out, err := json.Marshal(&req)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(registerJSON), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	// Defaulted members (cpu, ...) are always emitted, as AWS does: compare
	// without zero numbers and false booleans.
	if !reflect.DeepEqual(stripDefaults(got), stripDefaults(want)) {
		t.Fatalf("round trip differs:\n got %s\nwant %s", out, registerJSON)
	}
	if !strings.Contains(string(out), `"volumes":[]`) {
		t.Errorf("an empty non-nil list must be emitted: %s", out)
	}
	if strings.Contains(string(out), `"pidMode"`) || strings.Contains(string(out), `"executionRoleArn"`) {
		t.Errorf("absent members must be omitted: %s", out)
	}
}

// stripDefaults removes zero-valued numbers and false booleans, which the
// generated types emit for defaulted members even when the input lacked them.
func stripDefaults(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e == float64(0) || e == false {
				continue
			}
			out[k] = stripDefaults(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripDefaults(e)
		}
		return out
	}
	return v
}

func TestDefaultedMembersAlwaysEmitted(t *testing.T) {
	b, err := json.Marshal(ContainerDefinition{Name: shape.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"name":"app","cpu":0}` {
		t.Fatalf("got %s", b)
	}
}

func validationError(t *testing.T, err error) *shape.ValidationError {
	t.Helper()
	var ve *shape.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v (%T), want *shape.ValidationError", err, err)
	}
	return ve
}

func TestValidateFailures(t *testing.T) {
	base := func() *RegisterTaskDefinitionRequest {
		var req RegisterTaskDefinitionRequest
		if err := json.Unmarshal([]byte(registerJSON), &req); err != nil {
			t.Fatal(err)
		}
		return &req
	}
	cases := []struct {
		name string
		edit func(r *RegisterTaskDefinitionRequest)
		path string
		want string
	}{
		{"missing family", func(r *RegisterTaskDefinitionRequest) { r.Family = nil }, "family",
			"1 validation error detected: Value null at 'family' failed to satisfy constraint: Member must not be null"},
		{"missing containerDefinitions", func(r *RegisterTaskDefinitionRequest) { r.ContainerDefinitions = nil }, "containerDefinitions",
			"1 validation error detected: Value null at 'containerDefinitions' failed to satisfy constraint: Member must not be null"},
		{"bad networkMode", func(r *RegisterTaskDefinitionRequest) { r.NetworkMode = "bogus" }, "networkMode",
			"1 validation error detected: Value 'bogus' at 'networkMode' failed to satisfy constraint: Member must satisfy enum value set: [bridge, host, awsvpc, none]"},
		{"tag key too long", func(r *RegisterTaskDefinitionRequest) { r.Tags[0].Key = shape.String(strings.Repeat("k", 129)) }, "tags.1.key",
			"1 validation error detected: Value '" + strings.Repeat("k", 64) + "...' at 'tags.1.key' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"tag key pattern", func(r *RegisterTaskDefinitionRequest) { r.Tags[0].Key = shape.String("a*b") }, "tags.1.key",
			`1 validation error detected: Value 'a*b' at 'tags.1.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`},
		{"too many tags", func(r *RegisterTaskDefinitionRequest) { r.Tags = make([]Tag, 51) }, "tags",
			"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"nested enum", func(r *RegisterTaskDefinitionRequest) {
			r.ContainerDefinitions = append(r.ContainerDefinitions, ContainerDefinition{Name: shape.String("side"), LogConfiguration: &LogConfiguration{LogDriver: "xyz"}})
		}, "containerDefinitions.2.logConfiguration.logDriver",
			"1 validation error detected: Value 'xyz' at 'containerDefinitions.2.logConfiguration.logDriver' failed to satisfy constraint: Member must satisfy enum value set: [json-file, syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens]"},
		{"nested required", func(r *RegisterTaskDefinitionRequest) { r.ContainerDefinitions[0].LogConfiguration.LogDriver = "" }, "containerDefinitions.1.logConfiguration.logDriver",
			"1 validation error detected: Value null at 'containerDefinitions.1.logConfiguration.logDriver' failed to satisfy constraint: Member must not be null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := base()
			c.edit(r)
			err := r.Validate()
			ve := validationError(t, err)
			if ve.Path != c.path {
				t.Errorf("path = %q, want %q", ve.Path, c.path)
			}
			if err.Error() != c.want {
				t.Errorf("got  %s\nwant %s", err, c.want)
			}
		})
	}
}

func TestTimestamps(t *testing.T) {
	created := time.Date(2024, 11, 21, 23, 0, 0, 123e6, time.UTC)
	task := Task{TaskArn: shape.String("arn:aws:ecs:us-east-1:123456789012:task/c/abc"), CreatedAt: shape.TimeOf(created)}
	b, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"createdAt":1732230000.123`) || strings.Contains(string(b), "startedAt") {
		t.Fatalf("got %s", b)
	}
	var back Task
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.CreatedAt.Equal(created) || !back.StartedAt.IsZero() {
		t.Fatalf("got %v / %v", back.CreatedAt, back.StartedAt)
	}
	if err := json.Unmarshal([]byte(`{"createdAt":"2024-11-21T23:00:00.123Z"}`), &back); err != nil || !back.CreatedAt.Equal(created) {
		t.Fatalf("ISO-8601: %v %v", back.CreatedAt, err)
	}
}

func TestMetadata(t *testing.T) {
	if ServiceTarget != "AmazonEC2ContainerServiceV20141113" || APIVersion != "2014-11-13" || SigningName != "ecs" || Protocol != "awsJson1_1" {
		t.Fatal("service metadata")
	}
	if ErrorFaults["ClusterNotFoundException"] != "client" || ErrorFaults["ServerException"] != "server" {
		t.Fatal("error faults")
	}
	if !Operations["ListClusters"].Paginated || Operations["CreateCluster"].Paginated {
		t.Fatal("paginated")
	}
	if len(Operations) < 50 {
		t.Fatalf("only %d operations", len(Operations))
	}
	for name, op := range Operations {
		if op.Name != name {
			t.Errorf("%s: Name %q", name, op.Name)
		}
		in, out := op.NewInput(), op.NewOutput()
		if got := reflect.TypeOf(in).Elem().Name(); got != op.Input {
			t.Errorf("%s: NewInput makes %s, Input says %s", name, got, op.Input)
		}
		if got := reflect.TypeOf(out).Elem().Name(); got != op.Output {
			t.Errorf("%s: NewOutput makes %s, Output says %s", name, got, op.Output)
		}
		// An empty input either passes or lacks a required member.
		if err := in.Validate(); err != nil && !validationError(t, err).Null {
			t.Errorf("%s: empty input: %v", name, err)
		}
		for _, e := range op.Errors {
			if ErrorFaults[e] == "" {
				t.Errorf("%s: error %s not in ErrorFaults", name, e)
			}
		}
	}
	var err error = &ClusterNotFoundException{Message: shape.String("Cluster not found.")}
	if err.Error() != "ClusterNotFoundException: Cluster not found." {
		t.Fatal(err)
	}
}

func TestEnums(t *testing.T) {
	if LaunchTypeFargate != "FARGATE" || LaunchTypeEc2 != "EC2" {
		t.Fatal("enum constants")
	}
	if got := LaunchType("").Values(); !reflect.DeepEqual(got, []LaunchType{"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"}) {
		t.Fatalf("Values = %v", got)
	}
}

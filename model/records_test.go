package model

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

var update = flag.Bool("update", false, "rewrite the golden stored records under testdata/")

const testBase = "arn:aws:ecs:eu-west-1:123456789012:"

// realisticInstance is a container instance as the embedded agent
// registers it (state.RegisterInstance), with two tasks placed on it.
func realisticInstance() ecstypes.ContainerInstance {
	var attrs []ecstypes.Attribute
	for _, kv := range [][2]string{{"wharf.node", "node-7"}, {"ecs.os-type", "linux"}, {"ecs.os-family", "LINUX"},
		{"ecs.cpu-architecture", "x86_64"}, {"ecs.instance-type", "wharf.local"}, {"ecs.availability-zone", "eu-west-1a"},
		{"ecs.capability.task-eni", ""}, {"ecs.capability.container-health-check", ""}, {"ecs.capability.container-ordering", ""},
		{"ecs.capability.execution-role-awslogs", ""}, {"ecs.capability.secrets.ssm.environment-variables", ""},
		{"ecs.capability.secrets.asm.environment-variables", ""}, {"com.amazonaws.ecs.capability.task-iam-role", ""},
		{"com.amazonaws.ecs.capability.logging-driver.awslogs", ""}, {"com.amazonaws.ecs.capability.logging-driver.json-file", ""},
		{"com.amazonaws.ecs.capability.logging-driver.none", ""}} {
		a := ecstypes.Attribute{Name: new(kv[0])}
		if kv[1] != "" {
			a.Value = new(kv[1])
		}
		attrs = append(attrs, a)
	}
	for v := 17; v <= 41; v++ {
		attrs = append(attrs, ecstypes.Attribute{Name: new(fmt.Sprintf("com.amazonaws.ecs.capability.docker-remote-api.1.%d", v))})
	}
	attrs = append(attrs, ecstypes.Attribute{Name: new("stack"), Value: new("prod"), TargetType: ecstypes.TargetTypeContainerInstance,
		TargetId: new(testBase + "container-instance/prod/feedfacefeedfacefeedfacefeedface")})
	res := func(cpu, mem int32, ports []string) []ecstypes.Resource {
		return []ecstypes.Resource{
			{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: cpu},
			{Name: new("MEMORY"), Type: new("INTEGER"), IntegerValue: mem},
			{Name: new("PORTS"), Type: new("STRINGSET"), StringSetValue: ports},
			{Name: new("PORTS_UDP"), Type: new("STRINGSET"), StringSetValue: []string{}},
		}
	}
	return ecstypes.ContainerInstance{
		ContainerInstanceArn: new(testBase + "container-instance/prod/feedfacefeedfacefeedfacefeedface"),
		Ec2InstanceId:        new("i-feedfacefeedfacef"), Version: 3,
		VersionInfo:         &ecstypes.VersionInfo{AgentVersion: new("0.9.0"), DockerVersion: new("DockerVersion: 20.10.24")},
		RegisteredResources: res(8192, 15906, []string{"22", "2375", "2376", "51678", "51679"}),
		RemainingResources:  res(7680, 14882, []string{"22", "2375", "2376", "51678", "51679", "8080", "32768"}),
		Status:              new("ACTIVE"), AgentConnected: true, RunningTasksCount: 2,
		Attributes: attrs, RegisteredAt: at(1796402229034), Tags: []ecstypes.Tag{}, Attachments: []ecstypes.Attachment{},
	}
}

// realisticService is a service in the middle of a rolling deployment:
// three deployments (the new PRIMARY, the one it replaces, one draining)
// with their task definitions, and the 100 events ECS keeps.
func realisticService() ServiceRecord {
	svcARN := testBase + "service/prod/web"
	defARN := func(rev int) string { return fmt.Sprintf("%stask-definition/web:%d", testBase, rev) }
	rec := ServiceRecord{
		Service: ecstypes.Service{
			ServiceArn: new(svcARN), ServiceName: new("web"), ClusterArn: new(testBase + "cluster/prod"),
			LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: new("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"),
				ContainerName: new("app"), ContainerPort: new(int32(8080))}},
			ServiceRegistries: []ecstypes.ServiceRegistry{}, Status: new(ServiceActive), DesiredCount: 4, RunningCount: 4, PendingCount: 1,
			LaunchType: ecstypes.LaunchTypeEc2, TaskDefinition: new(defARN(9)),
			DeploymentConfiguration: &ecstypes.DeploymentConfiguration{MaximumPercent: new(int32(200)), MinimumHealthyPercent: new(int32(100)),
				DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
			RoleArn: new("arn:aws:iam::123456789012:role/ecsServiceRole"), CreatedAt: at(1796402000123),
			PlacementConstraints: []ecstypes.PlacementConstraint{}, PlacementStrategy: []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeSpread,
				Field: new("attribute:ecs.availability-zone")}},
			NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"},
				SecurityGroups: []string{"sg-1"}, AssignPublicIp: ecstypes.AssignPublicIpDisabled}},
			HealthCheckGracePeriodSeconds: new(int32(30)), SchedulingStrategy: ecstypes.SchedulingStrategyReplica,
			DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs},
			Tags:                 []ecstypes.Tag{{Key: new("team"), Value: new("web")}}, CreatedBy: new("arn:aws:iam::123456789012:root"),
			PropagateTags: ecstypes.PropagateTagsService, EnableExecuteCommand: true,
			AvailabilityZoneRebalancing: ecstypes.AvailabilityZoneRebalancingDisabled,
			CurrentServiceDeployment:    new(testBase + "service-deployment/prod/web/AbCdEfGhIjKlMnOpQrStU"),
			CurrentServiceRevisions: []ecstypes.ServiceCurrentRevisionSummary{{Arn: new(testBase + "service-revision/prod/web/1234567890123456789"),
				RequestedTaskCount: 4, RunningTaskCount: 3, PendingTaskCount: 1}},
		},
		Definitions:          map[string]ecstypes.TaskDefinition{},
		StableTaskDefinition: defARN(8), Steady: false,
		BreakerResets: map[string]time.Time{"ecs-svc/1111111111111111111": time.UnixMilli(1796402100000).UTC()},
		Throttled:     map[string]int64{"placement": 1796402200000},
	}
	for i, st := range []string{DeploymentPrimary, DeploymentActive, DeploymentActive} {
		id := fmt.Sprintf("ecs-svc/%019d", 1111111111111111111*(i+1))
		rollout := ecstypes.DeploymentRolloutStateInProgress
		if i > 0 {
			rollout = ecstypes.DeploymentRolloutStateCompleted
		}
		rec.Service.Deployments = append(rec.Service.Deployments, ecstypes.Deployment{
			Id: new(id), Status: new(st), TaskDefinition: new(defARN(9 - i)), DesiredCount: int32(4 - i), PendingCount: int32(1 - min(i, 1)),
			RunningCount: int32(3 - i), FailedTasks: int32(i), CreatedAt: at(1796402000123 + int64(i)*1000), UpdatedAt: at(1796402300456),
			LaunchType: ecstypes.LaunchTypeEc2, NetworkConfiguration: rec.Service.NetworkConfiguration, RolloutState: rollout,
			RolloutStateReason: new("ECS deployment " + id + " in progress."),
		})
		def := realisticDefinition()
		def.TaskDefinitionArn, def.Revision = new(defARN(9-i)), int32(9-i)
		def.RegisteredAt, def.RegisteredBy = at(1796401000000+int64(i)), new("arn:aws:iam::123456789012:root")
		rec.Definitions[id] = def
	}
	for i := range MaxServiceEvents {
		msg := fmt.Sprintf("(service web) has started 1 tasks: (task %032x).", i)
		if i%4 == 0 {
			msg = "(service web) has reached a steady state."
		}
		rec.Service.Events = append(rec.Service.Events, ecstypes.ServiceEvent{Id: new(fmt.Sprintf("%032x", 1<<40+i)),
			CreatedAt: at(1796402300000 - int64(i)*60000), Message: new(msg)})
	}
	return rec
}

func realisticTaskDef() (ecstypes.TaskDefinition, []ecstypes.Tag) {
	td := realisticDefinition()
	td.RegisteredAt, td.RegisteredBy = at(1796401000000), new("arn:aws:iam::123456789012:root")
	return td, []ecstypes.Tag{{Key: new("team"), Value: new("web")}}
}

// instanceCodec and taskDefCodec are state.InstanceRecord's and
// state.TaskDefRecord's codecs as plain functions over their fields.
func instanceRoundTrip(t *testing.T, ci ecstypes.ContainerInstance, node string) (ecstypes.ContainerInstance, string, []byte) {
	t.Helper()
	b, err := MarshalInstanceRecord(&ci, node)
	if err != nil {
		t.Fatal(err)
	}
	out, n, err := UnmarshalInstanceRecord(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out, n, b
}

func taskDefRoundTrip(t *testing.T, td ecstypes.TaskDefinition, tags []ecstypes.Tag) (ecstypes.TaskDefinition, []ecstypes.Tag, []byte) {
	t.Helper()
	b, err := MarshalTaskDefRecord(&td, tags)
	if err != nil {
		t.Fatal(err)
	}
	out, tg, err := UnmarshalTaskDefRecord(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out, tg, b
}

func serviceRoundTrip(t *testing.T, r ServiceRecord) (ServiceRecord, []byte) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out ServiceRecord
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out, b
}

// fieldDiff names the fields of two structs that differ.
func fieldDiff(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			t.Errorf("%s field %s lost: got %+v, want %+v", what, g.Type().Field(i).Name, g.Field(i).Interface(), w.Field(i).Interface())
		}
	}
}

// The KeepsEveryField tests fill every field of a record (the wire shapes
// in it included) and check that each survives the stored form: a field
// added to the generated shapes fails here until the stored form keeps it.

func TestInstanceRecordKeepsEveryField(t *testing.T) {
	var ci ecstypes.ContainerInstance
	(&filler{}).fill(reflect.ValueOf(&ci).Elem())
	out, node, b := instanceRoundTrip(t, ci, "node-1")
	if !reflect.DeepEqual(out, ci) || node != "node-1" {
		fieldDiff(t, "instance", out, ci)
		t.Fatalf("node %q; stored %s", node, b)
	}
}

func TestTaskDefRecordKeepsEveryField(t *testing.T) {
	var rec struct {
		TD   ecstypes.TaskDefinition
		Tags []ecstypes.Tag
	}
	(&filler{}).fill(reflect.ValueOf(&rec).Elem())
	out, tags, b := taskDefRoundTrip(t, rec.TD, rec.Tags)
	if !reflect.DeepEqual(out, rec.TD) || !reflect.DeepEqual(tags, rec.Tags) {
		fieldDiff(t, "task definition", out, rec.TD)
		t.Fatalf("tags %+v; stored %s", tags, b)
	}
}

func TestServiceRecordKeepsEveryField(t *testing.T) {
	var rec ServiceRecord
	(&filler{}).fill(reflect.ValueOf(&rec).Elem())
	out, b := serviceRoundTrip(t, rec)
	if !reflect.DeepEqual(out, rec) {
		fieldDiff(t, "service", out.Service, rec.Service)
		fieldDiff(t, "record", out, rec)
		t.Fatalf("stored %s", b)
	}
}

func TestInstanceRecordRoundTrip(t *testing.T) {
	foreign := realisticInstance()
	foreign.ContainerInstanceArn = new("not-an-arn")
	foreign.Attributes = append(foreign.Attributes, ecstypes.Attribute{Name: new("~odd")}, ecstypes.Attribute{Name: new("a=b"), Value: new("c")},
		ecstypes.Attribute{Name: new("empty-value"), Value: new("")}, ecstypes.Attribute{})
	health := realisticInstance()
	health.HealthStatus = &ecstypes.ContainerInstanceHealthStatus{OverallStatus: ecstypes.InstanceHealthCheckStateOk,
		Details: []ecstypes.InstanceHealthCheckResult{{Type: ecstypes.InstanceHealthCheckTypeContainerRuntime,
			Status: ecstypes.InstanceHealthCheckStateOk, LastUpdated: at(1796402229999)}}}
	tests := []struct {
		name string
		ci   ecstypes.ContainerInstance
		node string
	}{
		{"registered by the embedded agent", realisticInstance(), "node-7"},
		{"odd ARN and attributes", foreign, ""},
		{"health status", health, "node-7"},
		{"empty", ecstypes.ContainerInstance{}, ""},
		{"absent lists stay absent", ecstypes.ContainerInstance{ContainerInstanceArn: new(testBase + "container-instance/prod/x")}, "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, node, b := instanceRoundTrip(t, tt.ci, tt.node)
			if !reflect.DeepEqual(out, tt.ci) || node != tt.node {
				fieldDiff(t, "instance", out, tt.ci)
				t.Fatalf("node %q; stored %s", node, b)
			}
			if !bytes.HasPrefix(b, []byte(`{"v":1,`)) {
				t.Fatalf("stored form does not start with its version: %.40s", b)
			}
		})
	}
}

func TestTaskDefRecordRoundTrip(t *testing.T) {
	td, tags := realisticTaskDef()
	renamed := td
	renamed.Family = new("other") // the ARN no longer gives the family
	noARN := td
	noARN.TaskDefinitionArn = nil
	inactive := td
	inactive.Status, inactive.DeregisteredAt = ecstypes.TaskDefinitionStatusInactive, at(1796409000000)
	tests := []struct {
		name string
		td   ecstypes.TaskDefinition
		tags []ecstypes.Tag
	}{
		{"registered revision", td, tags},
		{"family not the ARN's", renamed, nil},
		{"no ARN", noARN, []ecstypes.Tag{}},
		{"deregistered", inactive, nil},
		{"empty", ecstypes.TaskDefinition{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, tags, b := taskDefRoundTrip(t, tt.td, tt.tags)
			if !reflect.DeepEqual(out, tt.td) || !reflect.DeepEqual(tags, tt.tags) {
				fieldDiff(t, "task definition", out, tt.td)
				t.Fatalf("tags %+v; stored %s", tags, b)
			}
		})
	}
}

func TestServiceRecordRoundTrip(t *testing.T) {
	foreign := realisticService()
	foreign.Service.ClusterArn = new("arn:aws:ecs:us-east-1:999999999999:cluster/elsewhere")
	foreign.Service.Deployments[0].TaskDefinition = new("!odd")
	foreign.StableTaskDefinition = "not-an-arn"
	oddARN := realisticService()
	oddARN.Service.ServiceArn = new("service-without-arn-shape")
	zeroReset := realisticService()
	zeroReset.BreakerResets["ecs-svc/2"] = time.Time{}
	oddEvents := realisticService()
	oddEvents.Service.Events = []ecstypes.ServiceEvent{{Id: new("a"), Message: new("~tilde")}, {Message: new("!bang")},
		{Id: new("b"), CreatedAt: at(1796402300000), Message: new("(service other) is not ours")}, {Id: new("c")},
		{Id: new("d"), CreatedAt: at(1), Message: new("(service web)")},
		{Id: new(`q"\`), CreatedAt: at(1796402300000), Message: new("quote \" backslash \\ newline \n tab \t <b>&amp; \x01 ünïcødé ✓")}}
	external := realisticService()
	external.Service.DeploymentController = &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeExternal}
	external.Service.TaskSets = []ecstypes.TaskSet{{Id: new("ecs-svc/4444444444444444444"),
		TaskSetArn: new(testBase + "task-set/prod/web/ecs-svc/4444444444444444444"), ServiceArn: external.Service.ServiceArn,
		ClusterArn: external.Service.ClusterArn, ExternalId: new("blue"), Status: new("PRIMARY"), TaskDefinition: new(testBase + "task-definition/web:9"),
		ComputedDesiredCount: 4, RunningCount: 4, CreatedAt: at(1796402000123), UpdatedAt: at(1796402000999), LaunchType: ecstypes.LaunchTypeEc2,
		LoadBalancers: []ecstypes.LoadBalancer{}, ServiceRegistries: []ecstypes.ServiceRegistry{}, Scale: &ecstypes.Scale{Value: 100,
			Unit: ecstypes.ScaleUnitPercent}, StabilityStatus: ecstypes.StabilityStatusSteadyState, StabilityStatusAt: at(1796402000999),
		Tags: []ecstypes.Tag{}}, {Id: new("bare")}}
	created := ServiceRecord{Service: ecstypes.Service{ServiceArn: new(testBase + "service/prod/new"), Events: []ecstypes.ServiceEvent{},
		Deployments: []ecstypes.Deployment{}}, Definitions: map[string]ecstypes.TaskDefinition{}}
	tests := []struct {
		name string
		rec  ServiceRecord
	}{
		{"rolling deployment with 100 events", realisticService()},
		{"ARNs of other shapes are kept whole", foreign},
		{"service ARN of no known shape", oddARN},
		{"a zero breaker reset", zeroReset},
		{"events of odd shapes", oddEvents},
		{"external deployment controller with task sets", external},
		{"just created", created},
		{"empty", ServiceRecord{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, b := serviceRoundTrip(t, tt.rec)
			if !reflect.DeepEqual(out, tt.rec) {
				fieldDiff(t, "service", out.Service, tt.rec.Service)
				fieldDiff(t, "record", out, tt.rec)
				t.Fatalf("stored %s", b)
			}
			if !bytes.HasPrefix(b, []byte(`{"v":1,`)) {
				t.Fatalf("stored form does not start with its version: %.40s", b)
			}
		})
	}
}

// TestRecordsLegacyDecode: records as today's code wrote them (the legacy
// structs, which have no methods, encode exactly as the record types did)
// decode to the same value, and the API's output of them is the same
// bytes whether they were read from the legacy or the new form.
func TestRecordsLegacyDecode(t *testing.T) {
	svc := realisticService()
	td, tags := realisticTaskDef()
	ci := realisticInstance()
	type legacyTaskDef struct {
		TaskDefinition ecstypes.TaskDefinition `json:"taskDefinition"`
		Tags           []ecstypes.Tag          `json:"tags,omitempty"`
	}
	tests := []struct {
		name string
		// legacy encodes the value as today's code does; decode reads
		// bytes in either form and returns what the API answers from them.
		legacy, current func() ([]byte, error)
		decode          func([]byte) (any, error)
	}{
		{"service", func() ([]byte, error) { return json.Marshal(legacyServiceRecord(svc)) },
			func() ([]byte, error) { return json.Marshal(svc) },
			func(b []byte) (any, error) {
				var r ServiceRecord
				err := json.Unmarshal(b, &r)
				return r, err
			}},
		{"task definition", func() ([]byte, error) { return json.Marshal(legacyTaskDef{td, tags}) },
			func() ([]byte, error) { return MarshalTaskDefRecord(&td, tags) },
			func(b []byte) (any, error) {
				if v, _ := RecordVersion("", b); v == 0 {
					var l legacyTaskDef
					err := json.Unmarshal(b, &l)
					return l, err
				}
				d, tg, err := UnmarshalTaskDefRecord(b)
				return legacyTaskDef{d, tg}, err
			}},
		{"container instance", func() ([]byte, error) {
			return json.Marshal(struct {
				Instance ecstypes.ContainerInstance `json:"instance"`
				NodeID   string                     `json:"nodeId,omitempty"`
			}{ci, "node-7"})
		},
			func() ([]byte, error) { return MarshalInstanceRecord(&ci, "node-7") },
			func(b []byte) (any, error) {
				if v, _ := RecordVersion("", b); v == 0 {
					var l struct {
						Instance ecstypes.ContainerInstance `json:"instance"`
						NodeID   string                     `json:"nodeId,omitempty"`
					}
					err := json.Unmarshal(b, &l)
					return []any{l.Instance, l.NodeID}, err
				}
				c, n, err := UnmarshalInstanceRecord(b)
				return []any{c, n}, err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb, err := tt.legacy()
			if err != nil {
				t.Fatal(err)
			}
			cb, err := tt.current()
			if err != nil {
				t.Fatal(err)
			}
			fromLegacy, err := tt.decode(lb)
			if err != nil {
				t.Fatalf("legacy decode: %v", err)
			}
			fromCurrent, err := tt.decode(cb)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			// The wire JSON of the decoded values is what Describe* answers.
			lw, _ := json.Marshal(fromLegacy)
			cw, _ := json.Marshal(fromCurrent)
			if !bytes.Equal(lw, cw) {
				t.Fatalf("wire output differs\nlegacy  %s\ncurrent %s", lw, cw)
			}
			t.Logf("%s record: legacy %d bytes, stored form %d bytes (%.0f%%)", tt.name, len(lb), len(cb), 100*float64(len(cb))/float64(len(lb)))
		})
	}
}

// TestServiceRecordLegacyIdentical: a legacy service record decodes to
// exactly the value that wrote it.
func TestServiceRecordLegacyIdentical(t *testing.T) {
	rec := realisticService()
	b, err := json.Marshal(legacyServiceRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	var out ServiceRecord
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	// Timestamps come back at millisecond precision in either form: compare
	// the wire encodings, and the breaker resets as instants.
	gw, _ := json.Marshal(out.Service)
	ww, _ := json.Marshal(rec.Service)
	if !bytes.Equal(gw, ww) {
		t.Fatalf("service differs\n got %s\nwant %s", gw, ww)
	}
	if !reflect.DeepEqual(out.Definitions, rec.Definitions) {
		t.Fatalf("definitions differ")
	}
	for id, at := range rec.BreakerResets {
		if !out.BreakerResets[id].Equal(at) {
			t.Fatalf("breaker reset %s: got %v, want %v", id, out.BreakerResets[id], at)
		}
	}
	if out.StableTaskDefinition != rec.StableTaskDefinition || !reflect.DeepEqual(out.Throttled, rec.Throttled) {
		t.Fatalf("bookkeeping differs: %+v", out)
	}
}

// TestRecordGolden pins the stored forms: each golden file under testdata/
// is a stored record that must decode to the value built here, and the
// value must encode to it byte for byte. A regeneration of the wire shapes
// or a refactor that changes what is stored fails here; a deliberate
// change of form is a new version (and go test -run TestRecordGolden
// -update rewrites the files).
func TestRecordGolden(t *testing.T) {
	svc := realisticService()
	svc.Service.Events = svc.Service.Events[:3]
	td, tags := realisticTaskDef()
	ci := realisticInstance()
	task := realisticTask()
	tests := []struct {
		file   string
		encode func() ([]byte, error)
		decode func([]byte) (any, error)
		want   any
	}{
		{"taskdef-record.golden.json", func() ([]byte, error) { return MarshalTaskDefRecord(&td, tags) },
			func(b []byte) (any, error) {
				d, tg, err := UnmarshalTaskDefRecord(b)
				return []any{d, tg}, err
			}, []any{td, tags}},
		{"service-record.golden.json", func() ([]byte, error) { return json.Marshal(svc) },
			func(b []byte) (any, error) {
				var r ServiceRecord
				err := json.Unmarshal(b, &r)
				return r, err
			}, svc},
		{"instance-record.golden.json", func() ([]byte, error) { return MarshalInstanceRecord(&ci, "node-7") },
			func(b []byte) (any, error) {
				c, n, err := UnmarshalInstanceRecord(b)
				return []any{c, n}, err
			}, []any{ci, "node-7"}},
		{"task-record.golden.json", func() ([]byte, error) { return json.Marshal(task) },
			func(b []byte) (any, error) {
				var r TaskRecord
				err := json.Unmarshal(b, &r)
				return r, err
			}, func() TaskRecord { r := realisticTask(); r.Definition.Status = ""; return r }()},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".golden.json"), func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			enc, err := tt.encode()
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, enc, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			// The file is indented for review; the store holds it compact.
			var compact bytes.Buffer
			if err := json.Compact(&compact, golden); err != nil {
				t.Fatal(err)
			}
			got, err := tt.decode(compact.Bytes())
			if err != nil {
				t.Fatalf("decode golden: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("golden %s decodes to\n%+v\nwant\n%+v", path, got, tt.want)
			}
			if !bytes.Equal(compact.Bytes(), enc) {
				t.Fatalf("the value no longer encodes to %s:\n%s", path, enc)
			}
		})
	}
}

// TestRecordSizes prints what each record costs stored, before (the
// legacy form: the wire shapes) and after.
func TestRecordSizes(t *testing.T) {
	svc := realisticService()
	td, tags := realisticTaskDef()
	ci := realisticInstance()
	task := realisticTask()
	sizes := []struct {
		name            string
		legacy, current any
	}{
		{"container instance", struct {
			Instance ecstypes.ContainerInstance `json:"instance"`
			NodeID   string                     `json:"nodeId,omitempty"`
		}{ci, "node-7"}, json.RawMessage(must(MarshalInstanceRecord(&ci, "node-7")))},
		{"service (3 deployments, 100 events)", legacyServiceRecord(svc), svc},
		{"task definition", struct {
			TaskDefinition ecstypes.TaskDefinition `json:"taskDefinition"`
			Tags           []ecstypes.Tag          `json:"tags,omitempty"`
		}{td, tags}, json.RawMessage(must(MarshalTaskDefRecord(&td, tags)))},
		{"task", legacyTaskRecord(task), task},
		{"task (version 2 form)", legacyTaskRecord(task), json.RawMessage(encodeV2(t, task))},
	}
	for _, s := range sizes {
		l, c := must(json.Marshal(s.legacy)), must(json.Marshal(s.current))
		t.Logf("%-38s legacy %6d bytes, stored %6d bytes (%3.0f%%)", s.name, len(l), len(c), 100*float64(len(c))/float64(len(l)))
		if len(c) >= len(l) {
			t.Errorf("%s: stored form %d bytes is not smaller than the legacy %d", s.name, len(c), len(l))
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestServiceRecordHead: awsapi/ecs counts a cluster's services by decoding
// only the service's status and launch type; the stored form keeps them
// where that decode finds them.
func TestServiceRecordHead(t *testing.T) {
	b := must(json.Marshal(realisticService()))
	var head struct {
		Service struct {
			Status     *string             `json:"status"`
			LaunchType ecstypes.LaunchType `json:"launchType"`
		} `json:"service"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		t.Fatal(err)
	}
	if shape.Deref(head.Service.Status) != ServiceActive || head.Service.LaunchType != ecstypes.LaunchTypeEc2 {
		t.Fatalf("head %+v", head)
	}
}

// BenchmarkServiceRecordCodec compares the stored form's encode and decode
// of a service with 3 deployments and 100 events with the legacy form's.
func BenchmarkServiceRecordCodec(b *testing.B) {
	rec := realisticService()
	stored, legacy := must(json.Marshal(rec)), must(json.Marshal(legacyServiceRecord(rec)))
	b.Run("encode/v1", func(b *testing.B) {
		for b.Loop() {
			must(json.Marshal(rec))
		}
	})
	b.Run("encode/legacy", func(b *testing.B) {
		for b.Loop() {
			must(json.Marshal(legacyServiceRecord(rec)))
		}
	})
	for _, c := range []struct {
		name string
		in   []byte
	}{{"decode/v1", stored}, {"decode/legacy", legacy}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				var r ServiceRecord
				if err := json.Unmarshal(c.in, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

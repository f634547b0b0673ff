package model

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

const (
	testTaskARN = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"
	testDefARN  = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"
)

func at(ms int64) shape.Timestamp { return shape.TimeOf(time.UnixMilli(ms)) }

// realisticDefinition is a registered task definition as the API stores
// it: defaults filled in, empty lists as [].
func realisticDefinition() ecstypes.TaskDefinition {
	return ecstypes.TaskDefinition{
		TaskDefinitionArn: new(testDefARN), Family: new("web"), Revision: 7, Status: ecstypes.TaskDefinitionStatusActive,
		NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: new("256"), Memory: new("512"),
		TaskRoleArn: new("arn:aws:iam::123456789012:role/web"), ExecutionRoleArn: new("arn:aws:iam::123456789012:role/exec"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: new("app"), Image: new("wharf-test/app:latest"), Cpu: 128, Memory: new(int32(256)), Essential: new(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: new(int32(8080)), HostPort: new(int32(8080)), Protocol: ecstypes.TransportProtocolTcp}},
			Environment:  []ecstypes.KeyValuePair{{Name: new("MODE"), Value: new("prod")}},
			HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD", "/app", "-check"}, Interval: new(int32(30)), Timeout: new(int32(5)),
				Retries: new(int32(3))},
			MountPoints: []ecstypes.MountPoint{}, VolumesFrom: []ecstypes.VolumeFrom{}, SystemControls: []ecstypes.SystemControl{},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/web"}},
		}, {
			Name: new("sidecar"), Image: new("wharf-test/busybox:latest"), Essential: new(false),
			Environment: []ecstypes.KeyValuePair{}, MountPoints: []ecstypes.MountPoint{}, VolumesFrom: []ecstypes.VolumeFrom{}, SystemControls: []ecstypes.SystemControl{},
			DependsOn: []ecstypes.ContainerDependency{{ContainerName: new("app"), Condition: ecstypes.ContainerConditionHealthy}},
		}},
		Volumes: []ecstypes.Volume{}, PlacementConstraints: []ecstypes.TaskDefinitionPlacementConstraint{},
		RequiresAttributes: []ecstypes.Attribute{{Name: new("com.amazonaws.ecs.capability.docker-remote-api.1.18")}},
		Compatibilities:    []ecstypes.Compatibility{ecstypes.CompatibilityEc2, ecstypes.CompatibilityFargate},
	}
}

// realisticTask is a RUNNING awsvpc task of a service with everything a
// task collects on its way: containers with bindings and health, an ENI,
// overrides, protection and a pending stop.
func realisticTask() TaskRecord {
	base := "arn:aws:ecs:eu-west-1:123456789012:"
	return TaskRecord{
		Task: ecstypes.Task{
			TaskArn: new(testTaskARN), ClusterArn: new(base + "cluster/prod"),
			ContainerInstanceArn: new(base + "container-instance/prod/feedfacefeedfacefeedfacefeedface"),
			TaskDefinitionArn:    new(testDefARN), LastStatus: new(TaskRunning), DesiredStatus: new(TaskRunning),
			LaunchType: ecstypes.LaunchTypeEc2, CapacityProviderName: new("cp-1"), AvailabilityZone: new("eu-west-1a"),
			Group: new("service:web"), StartedBy: new("ecs-svc/1234567890"), Version: 4, HealthStatus: ecstypes.HealthStatusHealthy,
			Cpu: new("256"), Memory: new("512"), EnableExecuteCommand: true,
			CreatedAt: at(1796402229034), PullStartedAt: at(1796402229100), PullStoppedAt: at(1796402229200), StartedAt: at(1796402230001),
			Attachments: []ecstypes.Attachment{{Id: new("eni-attach-1"), Type: new("ElasticNetworkInterface"), Status: new("ATTACHED"),
				Details: []ecstypes.KeyValuePair{{Name: new("privateIPv4Address"), Value: new("10.0.0.5")}, {Name: new("subnetId"), Value: new("subnet-1")}}}},
			Attributes: []ecstypes.Attribute{{Name: new("ecs.cpu-architecture"), Value: new("x86_64")}},
			Tags:       []ecstypes.Tag{{Key: new("team"), Value: new("web")}},
			Overrides: &ecstypes.TaskOverride{
				ContainerOverrides: []ecstypes.ContainerOverride{{Name: new("app"), Command: []string{"/app", "-port", "8080"},
					Environment:      []ecstypes.KeyValuePair{{Name: new("DEBUG"), Value: new("1")}},
					EnvironmentFiles: []ecstypes.EnvironmentFile{{Value: new("arn:aws:s3:::b/env"), Type: ecstypes.EnvironmentFileTypeS3}},
					Cpu:              new(int32(64)), Memory: new(int32(128)), MemoryReservation: new(int32(64)),
					ResourceRequirements: []ecstypes.ResourceRequirement{{Type: ecstypes.ResourceTypeGpu, Value: new("1")}}},
					{Name: new("sidecar")}},
				InferenceAcceleratorOverrides: []ecstypes.InferenceAcceleratorOverride{}, TaskRoleArn: new("arn:aws:iam::123456789012:role/other"),
			},
			Containers: []ecstypes.Container{{
				ContainerArn: new(base + "container/prod/0123456789abcdef0123456789abcdef/aaaabbbbccccddddeeeeffff00001111"),
				TaskArn:      new(testTaskARN), Name: new("app"), Image: new("wharf-test/app:latest"), ImageDigest: new("sha256:abc"),
				RuntimeId: new("c0ffee"), LastStatus: new(TaskRunning), HealthStatus: ecstypes.HealthStatusHealthy,
				Cpu: new("128"), Memory: new("256"),
				NetworkBindings: []ecstypes.NetworkBinding{{BindIP: new("127.0.0.1"), ContainerPort: new(int32(8080)), HostPort: new(int32(32768)),
					Protocol: ecstypes.TransportProtocolTcp}},
				NetworkInterfaces: []ecstypes.NetworkInterface{{AttachmentId: new("eni-attach-1"), PrivateIpv4Address: new("10.0.0.5")}},
				ManagedAgents: []ecstypes.ManagedAgent{{Name: ecstypes.ManagedAgentNameExecuteCommandAgent, LastStatus: new("RUNNING"),
					LastStartedAt: at(1796402230500)}},
			}, {
				ContainerArn: new(base + "container/prod/0123456789abcdef0123456789abcdef/22223333444455556666777788889999"),
				TaskArn:      new(testTaskARN), Name: new("sidecar"), Image: new("wharf-test/busybox:latest"), LastStatus: new(TaskRunning),
				HealthStatus: ecstypes.HealthStatusUnknown, Cpu: new("0"), NetworkBindings: []ecstypes.NetworkBinding{},
				NetworkInterfaces: []ecstypes.NetworkInterface{},
			}},
		},
		Definition: realisticDefinition(),
		NodeID:     "node-7",
		Network: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"},
			SecurityGroups: []string{"sg-1"}, AssignPublicIp: ecstypes.AssignPublicIpDisabled}},
		PendingStop: &PendingStop{Code: ecstypes.TaskStopCodeServiceSchedulerInitiated, Reason: "Scaling activity initiated by (deployment ecs-svc/1)"},
		Protection:  &TaskProtection{Enabled: true, ExpiresAt: time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)},
	}
}

// stoppedTask is realisticTask after its essential container exited.
func stoppedTask() TaskRecord {
	r := realisticTask()
	r.Task.LastStatus, r.Task.DesiredStatus = new(TaskStopped), new(TaskStopped)
	r.Task.StopCode = ecstypes.TaskStopCodeEssentialContainerExited
	r.Task.StoppedReason = new("Essential container in task exited")
	r.Task.StoppingAt, r.Task.ExecutionStoppedAt, r.Task.StoppedAt = at(1796402300000), at(1796402301000), at(1796402302000)
	r.Task.Containers[0].LastStatus, r.Task.Containers[0].ExitCode = new(TaskStopped), new(int32(137))
	r.Task.Containers[0].Reason = new("OutOfMemoryError: Container killed due to memory usage")
	r.PendingStop, r.Protection = nil, nil
	return r
}

func roundTrip(t *testing.T, in TaskRecord) (TaskRecord, []byte) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out TaskRecord
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out, b
}

func TestTaskRecordRoundTrip(t *testing.T) {
	foreign := realisticTask()
	foreign.Task.ClusterArn = new("arn:aws:ecs:us-east-1:999999999999:cluster/elsewhere")
	foreign.Task.Containers[0].ContainerArn = new("!odd")
	foreign.Task.Containers[1].TaskArn = new("not-an-arn")
	foreign.Definition.Family = new("renamed") // family no longer matches the ARN: kept whole
	oddARN := realisticTask()
	oddARN.Task.TaskArn = new("task-without-arn-shape")
	fargate := realisticTask()
	fargate.Task.LaunchType, fargate.Task.PlatformVersion, fargate.Task.PlatformFamily = ecstypes.LaunchTypeFargate, new("1.4.0"), new("Linux")
	fargate.Task.Connectivity, fargate.Task.ConnectivityAt = ecstypes.ConnectivityConnected, at(1796402229034)
	fargate.Task.EphemeralStorage = &ecstypes.EphemeralStorage{SizeInGiB: 20}
	fargate.Task.FargateEphemeralStorage = &ecstypes.TaskEphemeralStorage{SizeInGiB: 20, KmsKeyId: new("key")}
	fargate.Task.ContainerInstanceArn = nil
	bare := TaskRecord{Task: ecstypes.Task{TaskArn: new(testTaskARN), Attachments: []ecstypes.Attachment{}, Attributes: []ecstypes.Attribute{},
		Tags: []ecstypes.Tag{}}}
	tests := []struct {
		name string
		rec  TaskRecord
	}{
		{"running awsvpc task of a service", realisticTask()},
		{"stopped task with reasons and exit code", stoppedTask()},
		{"ARNs of other shapes are kept whole", foreign},
		{"task ARN of no known shape", oddARN},
		{"fargate task", fargate},
		{"bare task without definition", bare},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, b := roundTrip(t, tt.rec)
			want := tt.rec
			want.Definition.Status = ""
			if !reflect.DeepEqual(out, want) {
				t.Fatalf("round trip differs\n got %+v\nwant %+v\nstored %s", out, want, b)
			}
			if !strings.HasPrefix(string(b), `{"v":3,`) {
				t.Fatalf("stored form does not start with its version: %.40s", b)
			}
		})
	}
}

// TestTaskRecordKeepsEveryField fills every field of the record (the wire
// task and definition included) and checks that each one survives: a field
// added to TaskRecord or to the generated shapes fails here until the
// stored form keeps it.
func TestTaskRecordKeepsEveryField(t *testing.T) {
	var rec TaskRecord
	f := filler{}
	f.fill(reflect.ValueOf(&rec).Elem())
	out, b := roundTrip(t, rec)
	want := rec
	// The registration's stamps and status say nothing about the task.
	want.Definition.Status, want.Definition.RegisteredAt, want.Definition.RegisteredBy = "", shape.Timestamp{}, nil
	want.Definition.DeregisteredAt, want.Definition.DeleteRequestedAt = shape.Timestamp{}, shape.Timestamp{}
	if !reflect.DeepEqual(out.Task, want.Task) {
		for i := range reflect.TypeFor[ecstypes.Task]().NumField() {
			g, w := reflect.ValueOf(out.Task).Field(i).Interface(), reflect.ValueOf(want.Task).Field(i).Interface()
			if !reflect.DeepEqual(g, w) {
				t.Errorf("task field %s lost: got %+v, want %+v", reflect.TypeFor[ecstypes.Task]().Field(i).Name, g, w)
			}
		}
		t.Fatalf("stored %s", b)
	}
	if !reflect.DeepEqual(out.Definition, want.Definition) {
		t.Fatalf("definition differs\n got %+v\nwant %+v", out.Definition, want.Definition)
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("record differs\n got %+v\nwant %+v", out, want)
	}
}

// filler sets every field to a distinct non-zero value.
type filler struct{ n int }

func (f *filler) fill(v reflect.Value) {
	f.n++
	if v.Type() == reflect.TypeFor[shape.Timestamp]() {
		v.Set(reflect.ValueOf(at(1796400000000 + int64(f.n))))
		return
	}
	if v.Type() == reflect.TypeFor[json.RawMessage]() {
		v.SetBytes(fmt.Appendf(nil, `"s%d"`, f.n))
		return
	}
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.UnixMilli(1796400000000 + int64(f.n)).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", f.n))
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.n))
	case reflect.Float64:
		v.SetFloat(float64(f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		f.fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		f.fill(k)
		f.fill(e)
		v.SetMapIndex(k, e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	}
}

func TestTaskRecordLegacyDecode(t *testing.T) {
	// A record as wharf wrote it before the versioned form (issue 10).
	legacy := `{"task":{"attachments":[],"attributes":[],"availabilityZone":"","clusterArn":"arn:aws:ecs:us-east-1:000000000000:cluster/scale",` +
		`"containerInstanceArn":"arn:aws:ecs:us-east-1:000000000000:container-instance/scale/083ec6b3f79c24b8b2762900c79849a1",` +
		`"containers":[{"containerArn":"arn:aws:ecs:us-east-1:000000000000:container/scale/01556fcdb28de3335a7ab396217f3367/51e52fd491becc8868bea8db0a0193cf",` +
		`"taskArn":"arn:aws:ecs:us-east-1:000000000000:task/scale/01556fcdb28de3335a7ab396217f3367","name":"app","image":"wharf-test/app:latest",` +
		`"lastStatus":"PENDING","networkBindings":[],"networkInterfaces":[],"healthStatus":"UNKNOWN","cpu":"1","memory":"6"}],` +
		`"createdAt":1796402229.034,"desiredStatus":"RUNNING","enableExecuteCommand":false,"group":"service:svc-3","healthStatus":"UNKNOWN",` +
		`"lastStatus":"PROVISIONING","launchType":"EC2","overrides":{"containerOverrides":[{"name":"app"}],"inferenceAcceleratorOverrides":[]},` +
		`"startedBy":"ecs-svc/5346503185784835600","tags":[],"taskArn":"arn:aws:ecs:us-east-1:000000000000:task/scale/01556fcdb28de3335a7ab396217f3367",` +
		`"taskDefinitionArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/scale:1","version":1},` +
		`"definition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/scale:1","containerDefinitions":[{"name":"app",` +
		`"image":"wharf-test/app:latest","cpu":1,"memory":6,"portMappings":[{"containerPort":8080,"protocol":"tcp"}],"essential":true,"environment":[],` +
		`"mountPoints":[],"volumesFrom":[],"systemControls":[]}],"family":"scale","revision":1,"volumes":[],"status":"ACTIVE",` +
		`"requiresAttributes":[{"name":"com.amazonaws.ecs.capability.docker-remote-api.1.18"}],"placementConstraints":[],` +
		`"compatibilities":["EXTERNAL","EC2"],"registeredAt":1796402228.46,"registeredBy":"arn:aws:iam::000000000000:root"},` +
		`"nodeId":"node-0003","pendingStop":{"code":"ServiceSchedulerInitiated","reason":"drain"},` +
		`"protection":{"enabled":true,"expiresAt":"2026-12-04T18:00:00Z"}}`
	var rec TaskRecord
	if err := json.Unmarshal([]byte(legacy), &rec); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"task ARN", shape.Deref(rec.Task.TaskArn), "arn:aws:ecs:us-east-1:000000000000:task/scale/01556fcdb28de3335a7ab396217f3367"},
		{"container instance", shape.Deref(rec.Task.ContainerInstanceArn), "arn:aws:ecs:us-east-1:000000000000:container-instance/scale/083ec6b3f79c24b8b2762900c79849a1"},
		{"created at", rec.Task.CreatedAt.UnixMilli(), int64(1796402229034)},
		{"container name", shape.Deref(rec.Task.Containers[0].Name), "app"},
		{"override", shape.Deref(rec.Task.Overrides.ContainerOverrides[0].Name), "app"},
		{"definition family", shape.Deref(rec.Definition.Family), "scale"},
		{"definition port", shape.Deref(rec.Definition.ContainerDefinitions[0].PortMappings[0].ContainerPort), int32(8080)},
		{"definition status", rec.Definition.Status, ecstypes.TaskDefinitionStatusActive},
		{"node", rec.NodeID, "node-0003"},
		{"pending stop", rec.PendingStop.Code, ecstypes.TaskStopCodeServiceSchedulerInitiated},
		{"protection", rec.Protection.ExpiresAt.Equal(time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	// Written again, the legacy record takes the new form and reads back
	// the same (less the definition's registration stamps).
	out, b := roundTrip(t, rec)
	if !reflect.DeepEqual(out.Task, rec.Task) {
		t.Fatalf("legacy task changed on rewrite\n got %+v\nwant %+v", out.Task, rec.Task)
	}
	if len(b)*10 > len(legacy)*6 {
		t.Errorf("new form is %d bytes, legacy %d: expected under 60%%", len(b), len(legacy))
	}
}

func TestTaskRecordVersions(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"legacy empty object", `{}`, false},
		{"current version", `{"v":3,"task":{}}`, false},
		{"version 2", `{"v":2,"task":{}}`, false},
		{"newer version", `{"v":4,"task":{}}`, true},
		{"garbled version", `{"v":x}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r TaskRecord
			if err := json.Unmarshal([]byte(tt.in), &r); (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestTaskRecordDefinitionIsACopy: the record keeps the definition the
// task was launched with, whatever happens to the registered one later.
func TestTaskRecordDefinitionIsACopy(t *testing.T) {
	rec := realisticTask()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	registered := rec.Definition
	registered.Status = ecstypes.TaskDefinitionStatusInactive
	registered.ContainerDefinitions[0].Image = new("changed")
	var out TaskRecord
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if got := shape.Deref(out.Definition.ContainerDefinitions[0].Image); got != "wharf-test/app:latest" {
		t.Fatalf("image %q, want the one launched", got)
	}
	if shape.Deref(out.Definition.TaskDefinitionArn) != testDefARN || shape.Deref(out.Definition.Family) != "web" || out.Definition.Revision != 7 {
		t.Fatalf("definition identity %v %v %d", shape.Deref(out.Definition.TaskDefinitionArn), shape.Deref(out.Definition.Family), out.Definition.Revision)
	}
}

// TestTaskRecordSize prints what a realistic task costs stored, per part,
// and holds the form to a budget.
func TestTaskRecordSize(t *testing.T) {
	rec := realisticTask()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := json.Marshal(legacyTaskRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		t.Fatal(err)
	}
	for k, v := range parts {
		t.Logf("%-12s %5d bytes", k, len(v))
	}
	t.Logf("stored %d bytes, legacy form %d bytes", len(b), len(legacy))
	if len(b)*100 > len(legacy)*75 {
		t.Errorf("stored form %d bytes is more than 75%% of the legacy %d", len(b), len(legacy))
	}
}

// BenchmarkTaskRecordCodec compares the stored form's encode and decode
// with the legacy form's (the wire shapes as they are).
func BenchmarkTaskRecordCodec(b *testing.B) {
	rec := realisticTask()
	legacyOf := func(r TaskRecord) legacyTaskRecord { return legacyTaskRecord(r) }
	stored, err := json.Marshal(rec)
	if err != nil {
		b.Fatal(err)
	}
	legacy, err := json.Marshal(legacyOf(rec))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode/v2", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/legacy", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(legacyOf(rec)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name string
		in   []byte
	}{{"decode/v2", stored}, {"decode/legacy", legacy}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				var r TaskRecord
				if err := json.Unmarshal(c.in, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// storeDefinitionV2 is how version 2 kept what a task runs from: ECS's JSON of the task
// definition without what the task ARN gives (its ARN, family, revision)
// and without the registration's stamps and status.
func storeDefinitionV2(td ecstypes.TaskDefinition, taskDefARN *string) *ecstypes.TaskDefinition {
	if isZeroDefinition(&td) {
		return nil
	}
	if td.TaskDefinitionArn != nil && taskDefARN != nil && *td.TaskDefinitionArn == *taskDefARN {
		if fam, rev, ok := familyRevision(*taskDefARN); ok && shape.Deref(td.Family) == fam && td.Revision == rev {
			td.TaskDefinitionArn, td.Family, td.Revision = nil, nil, 0
		}
	}
	td.RegisteredAt, td.RegisteredBy, td.DeregisteredAt, td.DeleteRequestedAt = shape.Timestamp{}, nil, shape.Timestamp{}, shape.Timestamp{}
	td.Status = ""
	// Empty lists say nothing; they come back as [] (loadDefinition).
	if len(td.Volumes) == 0 {
		td.Volumes = nil
	}
	if len(td.PlacementConstraints) == 0 {
		td.PlacementConstraints = nil
	}
	td.ContainerDefinitions = slices.Clone(td.ContainerDefinitions)
	for i := range td.ContainerDefinitions {
		cd := &td.ContainerDefinitions[i]
		if len(cd.Environment) == 0 {
			cd.Environment = nil
		}
		if len(cd.MountPoints) == 0 {
			cd.MountPoints = nil
		}
		if len(cd.VolumesFrom) == 0 {
			cd.VolumesFrom = nil
		}
		if len(cd.SystemControls) == 0 {
			cd.SystemControls = nil
		}
	}
	return &td
}

// encodeV2 writes rec as wharf wrote task records in version 2 (the
// definition as the wire shape).
func encodeV2(t *testing.T, r TaskRecord) []byte {
	t.Helper()
	s := storedTaskRecord{V: taskRecordV2, Task: storeTask(&r.Task), Node: r.NodeID, PendingStop: r.PendingStop, Protection: r.Protection}
	if n := r.Network; n != nil {
		s.Network = &storedNetwork{}
		if a := n.AwsvpcConfiguration; a != nil {
			s.Network.Awsvpc = &storedAwsvpc{Subnets: a.Subnets, SecurityGroups: a.SecurityGroups, PublicIP: string(a.AssignPublicIp)}
		}
	}
	if def := storeDefinitionV2(r.Definition, r.Task.TaskDefinitionArn); def != nil {
		b, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		s.Def = b
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTaskRecordV2Decode: a record written by version 2 decodes as it
// did, and rewritten it reads back the same.
func TestTaskRecordV2Decode(t *testing.T) {
	tests := []struct {
		name string
		rec  TaskRecord
	}{
		{"running awsvpc task of a service", realisticTask()},
		{"stopped task", stoppedTask()},
		{"bare task", TaskRecord{Task: ecstypes.Task{TaskArn: new(testTaskARN), Attachments: []ecstypes.Attachment{},
			Attributes: []ecstypes.Attribute{}, Tags: []ecstypes.Tag{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encodeV2(t, tt.rec)
			var got TaskRecord
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			want := tt.rec
			want.Definition.Status = ""
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("v2 decode differs\n got %+v\nwant %+v", got, want)
			}
			again, _ := roundTrip(t, got)
			if !reflect.DeepEqual(again, want) {
				t.Fatalf("v2 record rewritten differs\n got %+v\nwant %+v", again, want)
			}
		})
	}
}

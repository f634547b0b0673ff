package scheduler

import (
	"reflect"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
)

func ptr[T any](v T) *T { return &v }

func container(name string, cpu int32, mem, reservation *int32, ports ...ecstypes.PortMapping) ecstypes.ContainerDefinition {
	return ecstypes.ContainerDefinition{Name: ptr(name), Cpu: cpu, Memory: mem, MemoryReservation: reservation, PortMappings: ports}
}

func mapping(containerPort, hostPort int32, proto ecstypes.TransportProtocol) ecstypes.PortMapping {
	pm := ecstypes.PortMapping{ContainerPort: ptr(containerPort), Protocol: proto}
	if hostPort >= 0 {
		pm.HostPort = ptr(hostPort)
	}
	return pm
}

func TestRequirements(t *testing.T) {
	tests := []struct {
		name string
		td   ecstypes.TaskDefinition
		ov   *ecstypes.TaskOverride
		want Resources
	}{
		{
			name: "task-level size wins over containers",
			td: ecstypes.TaskDefinition{Cpu: ptr("1024"), Memory: ptr("2048"), ContainerDefinitions: []ecstypes.ContainerDefinition{
				container("app", 256, ptr[int32](512), nil),
			}},
			want: Resources{CPU: 1024, Memory: 2048},
		},
		{
			name: "registration forms vCPU and GB",
			td:   ecstypes.TaskDefinition{Cpu: ptr("0.5 vCPU"), Memory: ptr("1 GB")},
			want: Resources{CPU: 512, Memory: 1024},
		},
		{
			name: "sum over containers, memoryReservation before memory",
			td: ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
				container("app", 256, ptr[int32](1024), ptr[int32](300)),
				container("sidecar", 128, ptr[int32](200), nil),
				container("tiny", 0, nil, nil),
			}},
			want: Resources{CPU: 384, Memory: 500},
		},
		{
			name: "task override",
			td:   ecstypes.TaskDefinition{Cpu: ptr("256"), Memory: ptr("512")},
			ov:   &ecstypes.TaskOverride{Cpu: ptr("2048"), Memory: ptr("4096")},
			want: Resources{CPU: 2048, Memory: 4096},
		},
		{
			name: "container overrides",
			td: ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
				container("app", 256, ptr[int32](1024), ptr[int32](300)),
				container("sidecar", 128, ptr[int32](200), nil),
			}},
			ov: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{
				{Name: ptr("app"), Cpu: ptr[int32](512), MemoryReservation: ptr[int32](600)},
				{Name: ptr("sidecar"), Memory: ptr[int32](100)},
				{Name: ptr("not-there"), Cpu: ptr[int32](9999)},
			}},
			want: Resources{CPU: 640, Memory: 700},
		},
		{
			name: "bridge reserves non-zero host ports, default protocol tcp",
			td: ecstypes.TaskDefinition{NetworkMode: ecstypes.NetworkModeBridge, ContainerDefinitions: []ecstypes.ContainerDefinition{
				container("app", 0, ptr[int32](128), nil,
					mapping(80, 8080, ""),
					mapping(53, 53, ecstypes.TransportProtocolUdp),
					mapping(9000, 0, ecstypes.TransportProtocolTcp),
					mapping(9001, -1, ecstypes.TransportProtocolTcp)),
			}},
			want: Resources{Memory: 128, Ports: []Port{{8080, "tcp"}, {53, "udp"}}},
		},
		{
			name: "default network mode is bridge",
			td: ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
				container("app", 0, ptr[int32](128), nil, mapping(80, 80, "tcp"), mapping(80, 80, "tcp")),
			}},
			want: Resources{Memory: 128, Ports: []Port{{80, "tcp"}}},
		},
		{
			name: "host reserves container ports",
			td: ecstypes.TaskDefinition{NetworkMode: ecstypes.NetworkModeHost, ContainerDefinitions: []ecstypes.ContainerDefinition{
				container("app", 0, ptr[int32](128), nil, mapping(80, -1, "tcp"), mapping(514, -1, "udp")),
			}},
			want: Resources{Memory: 128, Ports: []Port{{80, "tcp"}, {514, "udp"}}},
		},
		{
			name: "awsvpc reserves no host port",
			td: ecstypes.TaskDefinition{NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: ptr("256"), Memory: ptr("512"), ContainerDefinitions: []ecstypes.ContainerDefinition{
				container("app", 0, nil, nil, mapping(80, 80, "tcp")),
			}},
			want: Resources{CPU: 256, Memory: 512},
		},
		{
			name: "none reserves no host port",
			td:   ecstypes.TaskDefinition{NetworkMode: ecstypes.NetworkModeNone, ContainerDefinitions: []ecstypes.ContainerDefinition{container("app", 10, ptr[int32](64), nil)}},
			want: Resources{CPU: 10, Memory: 64},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Requirements(tc.td, tc.ov)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Requirements = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestConverters(t *testing.T) {
	cs := ConstraintsFrom(
		[]ecstypes.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: ptr("attribute:a exists")}},
		[]ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}},
	)
	wantCs := []Constraint{{MemberOf, "attribute:a exists"}, {DistinctInstance, ""}}
	if !reflect.DeepEqual(cs, wantCs) {
		t.Errorf("ConstraintsFrom = %+v, want %+v", cs, wantCs)
	}
	ss := StrategiesFrom([]ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeBinpack, Field: ptr("memory")}, {Type: ecstypes.PlacementStrategyTypeRandom}})
	if want := []Strategy{{Binpack, "memory"}, {Random, ""}}; !reflect.DeepEqual(ss, want) {
		t.Errorf("StrategiesFrom = %+v, want %+v", ss, want)
	}
	as := AttributesFrom([]ecstypes.Attribute{{Name: ptr("ecs.capability.task-eni")}, {Name: ptr("ecs.os-type"), Value: ptr("linux")}})
	if want := []Attribute{{"ecs.capability.task-eni", ""}, {"ecs.os-type", "linux"}}; !reflect.DeepEqual(as, want) {
		t.Errorf("AttributesFrom = %+v, want %+v", as, want)
	}
	f := Failure{ARN: "arn:x", Reason: ReasonMemory}.ECS()
	if *f.Arn != "arn:x" || *f.Reason != "RESOURCE:MEMORY" {
		t.Errorf("Failure.ECS = %v %v", *f.Arn, *f.Reason)
	}

	ci := ecstypes.ContainerInstance{
		ContainerInstanceArn: ptr("arn:aws:ecs:us-east-1:000000000000:container-instance/prod/abc123"),
		Ec2InstanceId:        ptr("i-0abc"),
		Status:               ptr("ACTIVE"),
		AgentConnected:       true,
		VersionInfo:          &ecstypes.VersionInfo{AgentVersion: ptr("1.82.0")},
		Attributes:           []ecstypes.Attribute{{Name: ptr("ecs.availability-zone"), Value: ptr("us-east-1a")}, {Name: ptr("ecs.capability.task-eni")}},
		RegisteredResources: []ecstypes.Resource{
			{Name: ptr("CPU"), Type: ptr("INTEGER"), IntegerValue: 2048},
			{Name: ptr("MEMORY"), Type: ptr("INTEGER"), IntegerValue: 3917},
			{Name: ptr("PORTS"), Type: ptr("STRINGSET"), StringSetValue: []string{"22", "2375", "51678"}},
			{Name: ptr("PORTS_UDP"), Type: ptr("STRINGSET"), StringSetValue: []string{"161"}},
		},
	}
	in := InstanceFromECS(ci)
	want := Instance{
		ARN: *ci.ContainerInstanceArn, ID: "abc123", EC2InstanceID: "i-0abc", Status: "ACTIVE", AgentConnected: true, AgentVersion: "1.82.0",
		Attributes: map[string]string{"ecs.availability-zone": "us-east-1a", "ecs.capability.task-eni": ""},
		Registered: Resources{CPU: 2048, Memory: 3917, Ports: []Port{{22, "tcp"}, {2375, "tcp"}, {51678, "tcp"}, {161, "udp"}}},
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("InstanceFromECS =\n%+v, want\n%+v", in, want)
	}
}

package runner

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/runtime/docker"
)

const specTaskARN = "arn:aws:ecs:eu-west-1:000000000000:task/prod/0123456789abcdef"

func assignment(mode ecstypes.NetworkMode, defs ...ecstypes.ContainerDefinition) agentproto.Assignment {
	return agentproto.Assignment{
		TaskARN:    specTaskARN,
		ClusterARN: "arn:aws:ecs:eu-west-1:000000000000:cluster/prod",
		Definition: ecstypes.TaskDefinition{Family: new("web"), Revision: 7, NetworkMode: mode, ContainerDefinitions: defs},
	}
}

func kv(k, v string) ecstypes.KeyValuePair { return ecstypes.KeyValuePair{Name: new(k), Value: new(v)} }

func specOf(t *testing.T, a agentproto.Assignment, name string) (docker.ContainerSpec, []volumeNeed) {
	t.Helper()
	tk := resolve(a, 30*time.Second, nil)
	in := specInput{names: map[string]string{}, pauseID: "pause123", bindIP: "127.0.0.1"}
	for _, c := range tk.containers {
		in.names[c.name] = "ecs-" + c.name
	}
	s, needs, err := tk.spec(tk.container(name), "ecs-web-7-"+name+"-x", in)
	if err != nil {
		t.Fatal(err)
	}
	return s, needs
}

func TestSpecOverrides(t *testing.T) {
	app := ecstypes.ContainerDefinition{
		Name: new("app"), Image: new("nginx"), Command: []string{"serve"}, Cpu: 256, Memory: new(int32(128)),
		Environment: []ecstypes.KeyValuePair{kv("A", "1"), kv("B", "2"), kv("AWS_REGION", "mars-1")},
	}
	side := ecstypes.ContainerDefinition{Name: new("side"), Image: new("busybox")}
	a := assignment(ecstypes.NetworkModeBridge, app, side)
	a.Overrides = &ecstypes.TaskOverride{Memory: new("1 GB"), ContainerOverrides: []ecstypes.ContainerOverride{
		{Name: new("app"), Command: []string{"migrate"}, Environment: []ecstypes.KeyValuePair{kv("B", "3"), kv("C", "4")},
			Cpu: new(int32(512)), Memory: new(int32(256)), MemoryReservation: new(int32(64))},
	}}
	s, _ := specOf(t, a, "app")
	if !reflect.DeepEqual(s.Command, []string{"migrate"}) || s.CPUShares != 512 || s.Memory != 256<<20 || s.MemoryReservation != 64<<20 {
		t.Errorf("command %v shares %d memory %d reservation %d", s.Command, s.CPUShares, s.Memory, s.MemoryReservation)
	}
	wantEnv := map[string]string{"A": "1", "B": "3", "C": "4", "AWS_REGION": "mars-1", "AWS_DEFAULT_REGION": "eu-west-1"}
	if !reflect.DeepEqual(s.Env, wantEnv) {
		t.Errorf("env %v, want %v", s.Env, wantEnv)
	}
	// side: cpu 0 gets the kernel's minimum; the task's memory is its limit.
	s, _ = specOf(t, a, "side")
	if s.CPUShares != 2 || s.Memory != 1024<<20 || s.MemoryReservation != 0 || s.StopTimeout != 30*time.Second {
		t.Errorf("side: shares %d memory %d reservation %d stop %v", s.CPUShares, s.Memory, s.MemoryReservation, s.StopTimeout)
	}
}

func TestSpecBridge(t *testing.T) {
	db := ecstypes.ContainerDefinition{Name: new("db"), Image: new("postgres")}
	app := ecstypes.ContainerDefinition{
		Name: new("app"), Image: new("nginx"), EntryPoint: []string{"/init"}, WorkingDirectory: new("/srv"), User: new("1000:1000"),
		Hostname: new("web1"), Links: []string{"db:database", "db"}, StopTimeout: new(int32(2)),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: new(int32(80))}, {ContainerPort: new(int32(53)), HostPort: new(int32(5353)), Protocol: ecstypes.TransportProtocolUdp}},
		VolumesFrom:  []ecstypes.VolumeFrom{{SourceContainer: new("db"), ReadOnly: new(true)}},
		DockerLabels: map[string]string{"team": "blue", LabelContainerName: "spoof"},
		HealthCheck:  &ecstypes.HealthCheck{Command: []string{"CMD-SHELL", "curl -f localhost"}, Retries: new(int32(5))},
		Ulimits:      []ecstypes.Ulimit{{Name: "nofile", SoftLimit: 10, HardLimit: 20}},
		ExtraHosts:   []ecstypes.HostEntry{{Hostname: new("h"), IpAddress: new("10.0.0.1")}},
		DnsServers:   []string{"10.0.0.2"}, LinuxParameters: &ecstypes.LinuxParameters{InitProcessEnabled: new(true)},
		ReadonlyRootFilesystem: new(true), Privileged: new(true),
	}
	s, _ := specOf(t, assignment("", db, app), "app")
	want := docker.ContainerSpec{
		Name: "ecs-web-7-app-x", Image: "nginx", Entrypoint: []string{"/init"}, WorkingDir: "/srv", User: "1000:1000",
		Env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"},
		Labels: map[string]string{"team": "blue", LabelTaskARN: specTaskARN, LabelCluster: "prod", LabelContainerName: "app",
			LabelFamily: "web", LabelVersion: "7"},
		Hostname: "web1", CPUShares: 2, Ulimits: []docker.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}},
		ReadonlyRootfs: true, Privileged: true, Init: true, NetworkMode: "bridge",
		Ports: []docker.PortBinding{{ContainerPort: 80, Protocol: "tcp", HostIP: "127.0.0.1"},
			{ContainerPort: 53, Protocol: "udp", HostIP: "127.0.0.1", HostPort: 5353}},
		Links: []string{"ecs-db:database", "ecs-db:db"}, ExtraHosts: []string{"h:10.0.0.1"}, DNS: []string{"10.0.0.2"},
		VolumesFrom: []string{"ecs-db:ro"},
		Healthcheck: &docker.Healthcheck{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 30 * time.Second,
			Timeout: 5 * time.Second, Retries: 5},
		StopTimeout: 2 * time.Second,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("spec\n got  %+v\n want %+v", s, want)
	}
	if tk := resolve(assignment("", db, app), time.Second, nil); !reflect.DeepEqual(tk.container("app").deps, []dependency{
		{"db", ecstypes.ContainerConditionStart}, {"db", ecstypes.ContainerConditionStart}, {"db", ecstypes.ContainerConditionStart}}) {
		t.Errorf("implicit dependencies %v", tk.container("app").deps)
	}
}

func TestSpecAwsvpc(t *testing.T) {
	web := ecstypes.ContainerDefinition{Name: new("web"), Image: new("nginx"), Hostname: new("ignored"),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: new(int32(80)), HostPort: new(int32(80))}},
		DnsServers:   []string{"10.0.0.2"}, ExtraHosts: []ecstypes.HostEntry{{Hostname: new("h"), IpAddress: new("10.0.0.1")}}}
	log := ecstypes.ContainerDefinition{Name: new("log"), Image: new("fluent"),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: new(int32(80))}, {ContainerPort: new(int32(24224)), Protocol: ecstypes.TransportProtocolUdp}},
		DnsServers:   []string{"10.0.0.2", "10.0.0.3"}}
	a := assignment(ecstypes.NetworkModeBridge, web, log)
	a.LaunchType = ecstypes.LaunchTypeFargate // FARGATE is awsvpc whatever the definition says
	s, _ := specOf(t, a, "web")
	if s.NetworkMode != "container:pause123" || s.Ports != nil || s.Hostname != "" || s.DNS != nil || s.ExtraHosts != nil || s.Links != nil {
		t.Errorf("awsvpc container: %+v", s)
	}
	p := resolve(a, time.Second, nil).pauseSpec("ecs-web-7-internalecspause-x", "wharf/pause:1", "127.0.0.1")
	wantPorts := []docker.PortBinding{{ContainerPort: 80, Protocol: "tcp", HostIP: "127.0.0.1"}, {ContainerPort: 24224, Protocol: "udp", HostIP: "127.0.0.1"}}
	if p.NetworkMode != "bridge" || !reflect.DeepEqual(p.Ports, wantPorts) || p.Labels[LabelContainerName] != PauseContainerName ||
		!reflect.DeepEqual(p.DNS, []string{"10.0.0.2", "10.0.0.3"}) || !reflect.DeepEqual(p.ExtraHosts, []string{"h:10.0.0.1"}) {
		t.Errorf("pause: %+v", p)
	}
}

func TestSpecHostMode(t *testing.T) {
	app := ecstypes.ContainerDefinition{Name: new("app"), Image: new("nginx"), Hostname: new("h"),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: new(int32(80))}}}
	s, _ := specOf(t, assignment(ecstypes.NetworkModeHost, app), "app")
	if s.NetworkMode != "host" || s.Ports != nil || s.Hostname != "" {
		t.Errorf("host mode: %+v", s)
	}
}

func TestSpecVolumes(t *testing.T) {
	app := ecstypes.ContainerDefinition{Name: new("app"), Image: new("nginx"), MountPoints: []ecstypes.MountPoint{
		{SourceVolume: new("host"), ContainerPath: new("/h"), ReadOnly: new(true)},
		{SourceVolume: new("plain"), ContainerPath: new("/p")},
		{SourceVolume: new("scoped"), ContainerPath: new("/s")},
		{SourceVolume: new("shared"), ContainerPath: new("/sh")},
		{SourceVolume: new("existing"), ContainerPath: new("/e")},
	}}
	a := assignment(ecstypes.NetworkModeBridge, app)
	a.Definition.Volumes = []ecstypes.Volume{
		{Name: new("host"), Host: &ecstypes.HostVolumeProperties{SourcePath: new("/var/data")}},
		{Name: new("plain"), Host: &ecstypes.HostVolumeProperties{}},
		{Name: new("scoped"), DockerVolumeConfiguration: &ecstypes.DockerVolumeConfiguration{Scope: ecstypes.ScopeTask, Driver: new("local"),
			DriverOpts: map[string]string{"type": "tmpfs"}, Labels: map[string]string{"x": "y"}}},
		{Name: new("shared"), DockerVolumeConfiguration: &ecstypes.DockerVolumeConfiguration{Scope: ecstypes.ScopeShared, Autoprovision: new(true)}},
		{Name: new("existing"), DockerVolumeConfiguration: &ecstypes.DockerVolumeConfiguration{Scope: ecstypes.ScopeShared}},
	}
	s, needs := specOf(t, a, "app")
	taskVol := regexp.MustCompile(`^ecs-web-7-(plain|scoped)-[0-9a-f]{16}$`)
	if len(s.Mounts) != 5 || s.Mounts[0] != (docker.Mount{Source: "/var/data", Target: "/h", ReadOnly: true}) ||
		!taskVol.MatchString(s.Mounts[1].Source) || !taskVol.MatchString(s.Mounts[2].Source) ||
		s.Mounts[3].Source != "shared" || s.Mounts[4].Source != "existing" {
		t.Fatalf("mounts %+v", s.Mounts)
	}
	if s2, _ := specOf(t, a, "app"); s2.Mounts[1] != s.Mounts[1] {
		t.Errorf("task volume names differ between runners: %s %s", s.Mounts[1].Source, s2.Mounts[1].Source)
	}
	if len(needs) != 4 {
		t.Fatalf("needs %+v", needs)
	}
	taskLabels := map[string]string{LabelTaskARN: specTaskARN, LabelCluster: "prod", LabelFamily: "web", LabelVersion: "7"}
	if !reflect.DeepEqual(needs[0].spec.Labels, taskLabels) || needs[0].mustExist {
		t.Errorf("plain: %+v", needs[0])
	}
	taskLabels["x"] = "y"
	if n := needs[1]; n.spec.Driver != "local" || n.spec.DriverOpts["type"] != "tmpfs" || !reflect.DeepEqual(n.spec.Labels, taskLabels) {
		t.Errorf("scoped: %+v", n)
	}
	if n := needs[2]; n.spec.Name != "shared" || n.mustExist || n.spec.Labels[LabelTaskARN] != "" {
		t.Errorf("shared with autoprovision: %+v", n)
	}
	if n := needs[3]; n.spec.Name != "existing" || !n.mustExist {
		t.Errorf("shared without autoprovision: %+v", n)
	}

	a.Definition.Volumes = []ecstypes.Volume{{Name: new("host"), EfsVolumeConfiguration: &ecstypes.EFSVolumeConfiguration{}}}
	tk := resolve(a, time.Second, nil)
	if _, _, err := tk.spec(tk.container("app"), "x", specInput{}); err == nil || !strings.Contains(err.Error(), "EFS") {
		t.Errorf("EFS volume: %v", err)
	}
}

func TestStatusHelpers(t *testing.T) {
	r := &Runner{task: &task{arn: specTaskARN}}
	if id := r.attachmentID(); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("attachment id %s", id)
	}
	for _, tt := range []struct{ ip, region, want string }{
		{"172.17.0.2", "us-east-1", "ip-172-17-0-2.ec2.internal"},
		{"172.17.0.2", "eu-west-1", "ip-172-17-0-2.eu-west-1.compute.internal"},
	} {
		if got := privateDNSName(tt.ip, tt.region); got != tt.want {
			t.Errorf("privateDNSName(%s, %s) = %s", tt.ip, tt.region, got)
		}
	}
	if got := truncate("aé", 2); got != "a" {
		t.Errorf("truncate cut a character: %q", got)
	}
}

package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// TestContainerSettings runs a one-shot busybox container that writes what
// it sees (user, working directory, environment, volumes) to a host bind
// mount, after another container wrote to a task volume they share.
func TestContainerSettings(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	out := t.TempDir()
	if err := os.Chmod(out, 0o777); err != nil { // the probe runs as nobody
		t.Fatal(err)
	}
	writer := def("writer", img.Busybox, "sh", "-c", "echo hello > /scratch/greeting")
	writer.Essential = new(false)
	writer.MountPoints = []ecstypes.MountPoint{{SourceVolume: new("scratch"), ContainerPath: new("/scratch")}}

	probe := def("probe", img.Busybox, "echo", "the definition's command")
	probe.EntryPoint = []string{"sh", "-c"}
	probe.Environment = []ecstypes.KeyValuePair{{Name: new("A"), Value: new("1")}, {Name: new("B"), Value: new("2")}}
	probe.WorkingDirectory = new("/tmp")
	probe.User = new("65534")
	probe.DependsOn = []ecstypes.ContainerDependency{{ContainerName: new("writer"), Condition: ecstypes.ContainerConditionSuccess}}
	probe.MountPoints = []ecstypes.MountPoint{
		{SourceVolume: new("out"), ContainerPath: new("/out")},
		{SourceVolume: new("scratch"), ContainerPath: new("/scratch")},
		{SourceVolume: new("cache"), ContainerPath: new("/ro"), ReadOnly: new(true)},
	}
	a := newTask(t, rt, ecstypes.NetworkModeBridge, writer, probe)
	a.Definition.Volumes = []ecstypes.Volume{
		{Name: new("out"), Host: &ecstypes.HostVolumeProperties{SourcePath: new(out)}},
		{Name: new("scratch")},
		{Name: new("cache"), DockerVolumeConfiguration: &ecstypes.DockerVolumeConfiguration{Scope: ecstypes.ScopeTask, Labels: map[string]string{"wharf.test": "1"}}},
	}
	a.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
		Name:        new("probe"),
		Command:     []string{"id -u > /out/uid; pwd > /out/pwd; env > /out/env; cat /scratch/greeting > /out/greeting; touch /ro/x 2> /out/ro-err; true"},
		Environment: []ecstypes.KeyValuePair{{Name: new("B"), Value: new("3")}, {Name: new("C"), Value: new("4")}},
	}}}
	cfg := testConfig()
	cfg.MetadataURI = func(task, c string) string { return "http://169.254.170.2/v4/" + c }
	cfg.ExtraEnv = func(_ context.Context, got agentproto.Assignment, c string) (map[string]string, error) {
		return map[string]string{"WHARF_EXTRA": c + " of " + got.TaskARN}, nil
	}
	st := start(t, rt, cfg, a).finish()
	if c := container(t, st, "probe"); shape.Deref(c.ExitCode) != 0 || st.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
		t.Fatalf("probe: %s", dump(st))
	}

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Error(err)
		}
		return strings.TrimSpace(string(b))
	}
	if uid, pwd, greeting := read("uid"), read("pwd"), read("greeting"); uid != "65534" || pwd != "/tmp" || greeting != "hello" {
		t.Errorf("uid %q pwd %q greeting %q", uid, pwd, greeting)
	}
	if ro := read("ro-err"); !strings.Contains(ro, "Read-only file system") {
		t.Errorf("writing a read-only mount: %q", ro)
	}
	env := read("env")
	for _, kv := range []string{"A=1", "B=3", "C=4", "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1",
		"ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/probe", "ECS_CONTAINER_METADATA_URI=http://169.254.170.2/v4/probe",
		"WHARF_EXTRA=probe of " + a.TaskARN} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(kv) + `$`).MatchString(env) {
			t.Errorf("no %s in the environment:\n%s", kv, env)
		}
	}

	// The two task-scoped volumes exist until Cleanup.
	taskVolumes := func() int {
		list, err := rt.ListVolumes(context.Background(), map[string]string{LabelTaskARN: a.TaskARN})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if n := taskVolumes(); n != 2 {
		t.Errorf("%d task volumes before cleanup, want 2", n)
	}
	if err := Cleanup(context.Background(), rt, a.TaskARN); err != nil {
		t.Fatal(err)
	}
	if n := taskVolumes(); n != 0 {
		t.Errorf("%d task volumes after cleanup", n)
	}
	if list, _ := rt.ListContainers(context.Background(), map[string]string{LabelTaskARN: a.TaskARN}, true); len(list) != 0 {
		t.Errorf("%d containers after cleanup", len(list))
	}
}

// TestDockerSettings checks, by inspecting the engine's containers, the
// settings that the container cannot easily show itself.
func TestDockerSettings(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	main := def("main", img.App, "-listen", ":8080")
	main.Ulimits = []ecstypes.Ulimit{{Name: "nofile", SoftLimit: 1024, HardLimit: 2048}}
	main.ReadonlyRootFilesystem = new(true)
	main.Memory, main.MemoryReservation = new(int32(64)), new(int32(32))
	main.LinuxParameters = &ecstypes.LinuxParameters{InitProcessEnabled: new(true)}
	main.ExtraHosts = []ecstypes.HostEntry{{Hostname: new("db.local"), IpAddress: new("10.0.0.9")}}
	main.DnsSearchDomains = []string{"corp.example"}
	main.DockerLabels = map[string]string{"team": "blue", LabelTaskARN: "spoofed"}
	side := def("side", img.App, "-listen", ":8081")
	side.Essential = new(false)
	a := newTask(t, rt, ecstypes.NetworkModeBridge, main, side)
	a.Overrides = &ecstypes.TaskOverride{Memory: new("256"), ContainerOverrides: []ecstypes.ContainerOverride{{Name: new("side"), Cpu: new(int32(512))}}}
	cfg := testConfig()
	cfg.Labels = map[string]string{"wharf.node": "node-1", LabelFamily: "not this"}
	h := start(t, rt, cfg, a)
	st := h.waitStatus(model.TaskRunning)

	family := shape.Deref(a.Definition.Family)
	for _, tt := range []struct {
		name                    string
		shares, memory, reserve int64
		init, readonly          bool
		cpu                     string
	}{
		{name: "main", shares: 2, memory: 64 << 20, reserve: 32 << 20, init: true, readonly: true, cpu: "0"},
		{name: "side", shares: 512, memory: 256 << 20, cpu: "512"},
	} {
		c := container(t, st, tt.name)
		info, err := rawEngine(t).ContainerInspect(context.Background(), shape.Deref(c.RuntimeId))
		if err != nil {
			t.Fatal(err)
		}
		hc := info.HostConfig
		if hc.CPUShares != tt.shares || hc.Memory != tt.memory || hc.MemoryReservation != tt.reserve ||
			(hc.Init != nil && *hc.Init) != tt.init || hc.ReadonlyRootfs != tt.readonly || hc.Privileged {
			t.Errorf("%s: shares %d memory %d reservation %d init %v readonly %v privileged %v", tt.name,
				hc.CPUShares, hc.Memory, hc.MemoryReservation, hc.Init, hc.ReadonlyRootfs, hc.Privileged)
		}
		if shape.Deref(c.Cpu) != tt.cpu {
			t.Errorf("%s: reported cpu %q, want %q", tt.name, shape.Deref(c.Cpu), tt.cpu)
		}
		if want := fmt.Sprintf(`^/ecs-%s-1-%s-[0-9a-f]{20}$`, family, tt.name); !regexp.MustCompile(want).MatchString(info.Name) {
			t.Errorf("name %s, want %s", info.Name, want)
		}
		labels := info.Config.Labels
		for k, v := range map[string]string{LabelTaskARN: a.TaskARN, LabelCluster: "wharf-test", LabelContainerName: tt.name,
			LabelFamily: family, LabelVersion: "1", "wharf.test": "1", "wharf.node": "node-1"} {
			if labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", tt.name, k, labels[k], v)
			}
		}
		if tt.name != "main" {
			continue
		}
		if labels["team"] != "blue" {
			t.Errorf("user label team = %q", labels["team"])
		}
		if len(hc.Ulimits) != 1 || hc.Ulimits[0].Name != "nofile" || hc.Ulimits[0].Soft != 1024 || hc.Ulimits[0].Hard != 2048 {
			t.Errorf("ulimits %+v", hc.Ulimits)
		}
		if fmt.Sprint(hc.ExtraHosts) != "[db.local:10.0.0.9]" || fmt.Sprint(hc.DNSSearch) != "[corp.example]" {
			t.Errorf("extra hosts %v dns search %v", hc.ExtraHosts, hc.DNSSearch)
		}
		if shape.Deref(c.Memory) != "64" || shape.Deref(c.MemoryReservation) != "32" {
			t.Errorf("reported memory %q reservation %q", shape.Deref(c.Memory), shape.Deref(c.MemoryReservation))
		}
	}
	h.stop(a, "test done")
	h.finish()
}

// TestCleanupOfNothing: cleaning up a task that left nothing is no error.
func TestCleanupOfNothing(t *testing.T) {
	t.Parallel()
	rt, _ := setup(t)
	if err := Cleanup(context.Background(), rt, "arn:aws:ecs:eu-west-1:000000000000:task/wharf-test/"+randomHex()); err != nil {
		t.Error(err)
	}
}

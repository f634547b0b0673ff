package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPingInfo(t *testing.T) {
	rt := testRuntime(t)
	ctx := context.Background()
	if err := rt.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := rt.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NCPU < 1 || info.MemTotal <= 0 || info.ServerVersion == "" || info.APIVersion == "" {
		t.Errorf("info = %+v", info)
	}
	t.Logf("engine %s, API %s, %d CPUs, %d MiB", info.ServerVersion, info.APIVersion, info.NCPU, info.MemTotal>>20)
}

func TestStopTimeoutKills(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	ctx := context.Background()
	id := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080", "-ignore-term"}})
	st := waitFor(t, rt, id, slow, "running", func(s ContainerState) bool { return s.Running })
	waitLog(t, rt, id, "listening", slow) // SIGTERM handler installed
	if st.StartedAt.IsZero() || st.Image != img.App || st.Labels[testLabel] != "1" {
		t.Errorf("state = %+v", st)
	}
	start := time.Now()
	if err := rt.StopContainer(ctx, id, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	st = waitExit(t, rt, id, slow)
	if st.ExitCode != 137 || st.Running || st.FinishedAt.IsZero() {
		t.Errorf("after stop: %+v", st)
	}
	if took < 1900*time.Millisecond || took > 20*time.Second {
		t.Errorf("stop took %v, want about 2s", took)
	}
	if !strings.Contains(logText(logs(t, rt, id)), "received SIGTERM (ignored)") {
		t.Error("SIGTERM not logged")
	}
}

func TestStopGraceful(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	id := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080"}})
	// Until testapp installs its handler, SIGTERM to PID 1 is ignored.
	waitLog(t, rt, id, "listening", slow)
	start := time.Now()
	if err := rt.StopContainer(context.Background(), id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("graceful stop took %v", took)
	}
	if st := waitExit(t, rt, id, slow); st.ExitCode != 0 {
		t.Errorf("exit code %d, want 0", st.ExitCode)
	}
	if !strings.Contains(logText(logs(t, rt, id)), "received SIGTERM") {
		t.Error("SIGTERM not logged")
	}
}

func TestExitCodesAndKill(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	exit3 := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-exit-code", "3"}})
	crash := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-crash-after", "100ms"}})
	killed := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080"}})
	waitFor(t, rt, killed, slow, "running", func(s ContainerState) bool { return s.Running })
	if err := rt.KillContainer(context.Background(), killed, ""); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{exit3: 3, crash: 1, killed: 137} {
		if st := waitExit(t, rt, id, slow); st.ExitCode != want || st.OOMKilled {
			t.Errorf("%s: exit code %d (oom %v), want %d", st.Name, st.ExitCode, st.OOMKilled, want)
		}
	}
}

func TestOOMKilled(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	mark := uniqueName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*slow)
	defer cancel()
	evc, _ := rt.Events(ctx, map[string]string{"wharf.test.mark": mark})
	// Allocate only after a second: the engine notices OOM kills only once
	// its watcher is set up, a moment after the container starts.
	id := run(t, rt, ContainerSpec{Image: img.Busybox, Memory: 32 << 20, Labels: map[string]string{"wharf.test.mark": mark},
		Command: []string{"sh", "-c", "sleep 1; exec /testapp -alloc-mb 128"}})
	var actions []string
	for ev := range evc {
		actions = append(actions, ev.Action)
		if ev.Action == "die" {
			break
		}
	}
	if strings.Join(actions, ",") != "start,oom,die" {
		t.Errorf("events %v, want start,oom,die", actions)
	}
	st := waitExit(t, rt, id, slow)
	if !st.OOMKilled || st.ExitCode != 137 {
		t.Errorf("state = %+v, want OOMKilled with 137", st)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	hc := &Healthcheck{
		Test:     []string{"CMD", "/testapp", "check", "http://127.0.0.1:8080/health"},
		Interval: 300 * time.Millisecond, Timeout: 5 * time.Second, Retries: 2,
	}
	healthy := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080"}, Healthcheck: hc})
	failing := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080", "-unhealthy-after", "2s"}, Healthcheck: hc})
	shell := run(t, rt, ContainerSpec{Image: img.Busybox, Command: []string{"sleep", "60"},
		Healthcheck: &Healthcheck{Test: []string{"CMD-SHELL", "exit 1"}, Interval: 300 * time.Millisecond, Retries: 1}})

	if st, _ := rt.InspectContainer(context.Background(), healthy); st.Health != "starting" && st.Health != "healthy" {
		t.Errorf("initial health %q", st.Health)
	}
	waitFor(t, rt, healthy, slow, "healthy", func(s ContainerState) bool { return s.Health == "healthy" })
	// failing is healthy for its first 2s (if the engine probes it in time:
	// not asserted, a loaded machine may not), then unhealthy for good.
	waitFor(t, rt, failing, slow, "unhealthy", func(s ContainerState) bool { return s.Health == "unhealthy" })
	waitFor(t, rt, shell, slow, "unhealthy (CMD-SHELL)", func(s ContainerState) bool { return s.Health == "unhealthy" })
}

func TestPortPublishing(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	id := run(t, rt, ContainerSpec{
		Image: img.App, Command: []string{"-listen", ":8080"}, Hostname: "porty",
		Ports: []PortBinding{{ContainerPort: 8080, HostIP: "127.0.0.1"}},
	})
	st := waitFor(t, rt, id, slow, "running", func(s ContainerState) bool { return s.Running })
	if len(st.Ports) != 1 || st.Ports[0].HostIP != "127.0.0.1" || st.Ports[0].HostPort == 0 ||
		st.Ports[0].ContainerPort != 8080 || st.Ports[0].Protocol != "tcp" {
		t.Fatalf("ports = %+v", st.Ports)
	}
	if st.Networks["bridge"] == "" {
		t.Errorf("networks = %v", st.Networks)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", st.Ports[0].HostPort)
	var body []byte
	deadline := time.Now().Add(slow)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var got struct{ Hostname string }
	if err := json.Unmarshal(body, &got); err != nil || got.Hostname != "porty" {
		t.Errorf("body %s (%v)", body, err)
	}
}

func TestListByLabel(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	mark := uniqueName(t)
	a := create(t, rt, ContainerSpec{Image: img.App, Labels: map[string]string{"wharf.test.mark": mark, "role": "a"}})
	create(t, rt, ContainerSpec{Image: img.App, Labels: map[string]string{"wharf.test.mark": mark, "role": "b"}})
	create(t, rt, ContainerSpec{Image: img.App, Labels: map[string]string{"wharf.test.mark": "other"}})
	ctx := context.Background()

	list, err := rt.ListContainers(ctx, map[string]string{"wharf.test.mark": mark, "role": "a"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != a || list[0].Status != "created" || list[0].Name == "" {
		t.Errorf("list = %+v", list)
	}
	if list, _ = rt.ListContainers(ctx, map[string]string{"wharf.test.mark": mark}, true); len(list) != 2 {
		t.Errorf("by mark: %d containers", len(list))
	}
	if list, _ = rt.ListContainers(ctx, map[string]string{"wharf.test.mark": mark}, false); len(list) != 0 {
		t.Errorf("running only: %d containers, want 0", len(list))
	}
}

func TestContainerNetworkMode(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	server := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080"}})
	client := run(t, rt, ContainerSpec{
		Image: img.Busybox, NetworkMode: "container:" + server,
		Command: []string{"sh", "-c", "for i in $(seq 300); do wget -q -O - http://127.0.0.1:8080/health && exit 0; sleep 0.1; done; exit 1"},
	})
	if st := waitExit(t, rt, client, slow); st.ExitCode != 0 {
		t.Fatalf("client exit %d: %s", st.ExitCode, logText(logs(t, rt, client)))
	}
	if out := logText(logs(t, rt, client)); !strings.Contains(out, "ok") {
		t.Errorf("client output %q", out)
	}
}

func TestLinksAndUserNetwork(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	ctx := context.Background()
	server := run(t, rt, ContainerSpec{Image: img.App, Command: []string{"-listen", ":8080"}})
	fetch := "for i in $(seq 300); do wget -q -O - http://%s:8080/health && exit 0; sleep 0.1; done; exit 1"
	linked := run(t, rt, ContainerSpec{
		Image: img.Busybox, Links: []string{server + ":backend"},
		Command: []string{"sh", "-c", fmt.Sprintf(fetch, "backend")},
	})

	net := uniqueName(t)
	netID, err := rt.EnsureNetwork(ctx, net)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.cli.NetworkRemove(context.Background(), netID) })
	if again, err := rt.EnsureNetwork(ctx, net); err != nil || again != netID {
		t.Fatalf("second EnsureNetwork = %s, %v; want %s", again, err, netID)
	}
	srvName := uniqueName(t)
	run(t, rt, ContainerSpec{Name: srvName, Image: img.App, NetworkMode: net, Command: []string{"-listen", ":8080"}})
	byName := run(t, rt, ContainerSpec{Image: img.Busybox, NetworkMode: net, Command: []string{"sh", "-c", fmt.Sprintf(fetch, srvName)}})

	for _, id := range []string{linked, byName} {
		if st := waitExit(t, rt, id, slow); st.ExitCode != 0 {
			t.Errorf("%s exit %d: %s", st.Name, st.ExitCode, logText(logs(t, rt, id)))
		}
	}
}

func TestMounts(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("from host"), 0o644); err != nil {
		t.Fatal(err)
	}
	vol := uniqueName(t)
	if err := rt.CreateVolume(ctx, VolumeSpec{Name: vol, Labels: map[string]string{testLabel: "1"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs after the containers' cleanups (LIFO)
		if err := rt.RemoveVolume(context.Background(), vol); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})

	script := `cat /host/in.txt > /host/out.txt && echo shared > /vol/x && ! touch /ro/y 2>/dev/null`
	writer := run(t, rt, ContainerSpec{
		Image: img.Busybox, Command: []string{"sh", "-c", script},
		Mounts: []Mount{{Source: dir, Target: "/host"}, {Source: vol, Target: "/vol"}, {Source: dir, Target: "/ro", ReadOnly: true}},
	})
	if st := waitExit(t, rt, writer, slow); st.ExitCode != 0 {
		t.Fatalf("writer exit %d: %s", st.ExitCode, logText(logs(t, rt, writer)))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "from host" {
		t.Errorf("out.txt = %q, %v", b, err)
	}
	reader := run(t, rt, ContainerSpec{
		Image: img.Busybox, Command: []string{"cat", "/vol/x"}, Mounts: []Mount{{Source: vol, Target: "/vol", ReadOnly: true}},
	})
	fromWriter := run(t, rt, ContainerSpec{Image: img.Busybox, Command: []string{"cat", "/host/in.txt"}, VolumesFrom: []string{writer + ":ro"}})
	for id, want := range map[string]string{reader: "shared\n", fromWriter: "from host\n"} {
		st := waitExit(t, rt, id, slow)
		if out := logText(logs(t, rt, id)); st.ExitCode != 0 || out != want {
			t.Errorf("%s: exit %d, output %q, want %q", st.Name, st.ExitCode, out, want)
		}
	}
}

func TestSpecOptions(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	script := `echo "env=$FOO"; echo "pwd=$(pwd)"; echo "uid=$(id -u)"; echo "host=$(hostname)";
grep -q '10.1.2.3.*extra.example' /etc/hosts && echo hosts=ok; grep -q 'nameserver 192.0.2.53' /etc/resolv.conf && echo dns=ok;
echo "nofile=$(ulimit -n)"; touch /rootfs-file 2>/dev/null || echo rootfs=ro; echo "pid1=$(cat /proc/1/comm)"`
	id := run(t, rt, ContainerSpec{
		Image: img.Busybox, Entrypoint: []string{"sh", "-c"}, Command: []string{script},
		Env: map[string]string{"FOO": "bar baz"}, WorkingDir: "/tmp", User: "65534", Hostname: "wharfy",
		ExtraHosts: []string{"extra.example:10.1.2.3"}, DNS: []string{"192.0.2.53"},
		Ulimits: []Ulimit{{Name: "nofile", Soft: 321, Hard: 321}}, ReadonlyRootfs: true, Init: true,
		CPUShares: 256, Memory: 64 << 20, MemoryReservation: 32 << 20, StopSignal: "SIGINT", StopTimeout: 3 * time.Second,
	})
	st := waitExit(t, rt, id, slow)
	out := logText(logs(t, rt, id))
	for _, want := range []string{"env=bar baz", "pwd=/tmp", "uid=65534", "host=wharfy", "hosts=ok", "dns=ok", "nofile=321", "rootfs=ro", "pid1=docker-init"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if st.ExitCode != 0 {
		t.Errorf("exit code %d", st.ExitCode)
	}
	raw, err := rt.cli.ContainerInspect(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if h := raw.HostConfig; h.CPUShares != 256 || h.Memory != 64<<20 || h.MemoryReservation != 32<<20 {
		t.Errorf("resources = %d %d %d", h.CPUShares, h.Memory, h.MemoryReservation)
	}
	if raw.Config.StopSignal != "SIGINT" || raw.Config.StopTimeout == nil || *raw.Config.StopTimeout != 3 {
		t.Errorf("stop signal/timeout = %s %v", raw.Config.StopSignal, raw.Config.StopTimeout)
	}
}

func TestNotFound(t *testing.T) {
	rt := testRuntime(t)
	_, err := rt.InspectContainer(context.Background(), "wharf-test-does-not-exist")
	if !IsNotFound(err) || !strings.Contains(err.Error(), "docker: inspect container") {
		t.Errorf("err = %v", err)
	}
}

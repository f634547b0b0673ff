package images

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/wharfhq/wharf/runtime/docker"
)

// engine returns a client for the local engine, skipping the test when none
// is reachable unless WHARF_REQUIRE_DOCKER is set.
func engine(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = cli.Ping(ctx)
	}
	if err != nil {
		if os.Getenv("WHARF_REQUIRE_DOCKER") != "" {
			t.Fatalf("docker engine required (WHARF_REQUIRE_DOCKER) but unreachable: %v", err)
		}
		t.Skipf("no docker engine: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestEnsure(t *testing.T) {
	cli := engine(t)
	ctx := context.Background()

	start := time.Now()
	rt, err := docker.New(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	imgs, err := Ensure(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first Ensure: %v", time.Since(start))
	if imgs.App != AppRef || imgs.Busybox != BusyboxRef {
		t.Fatalf("unexpected refs %+v", imgs)
	}

	app, err := cli.ImageInspect(ctx, imgs.App)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(app.Config.Entrypoint, []string{"/testapp"}) {
		t.Errorf("app entrypoint = %v", app.Config.Entrypoint)
	}
	if _, ok := app.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("app exposed ports = %v", app.Config.ExposedPorts)
	}
	if k := sourceKey(); k == "" || app.Config.Labels[HashLabel] != k || app.Config.Labels[TestLabel] != "1" {
		t.Errorf("app labels = %v", app.Config.Labels)
	}
	bb, err := cli.ImageInspect(ctx, imgs.Busybox)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bb.Config.Cmd, []string{"sh"}) {
		t.Errorf("busybox cmd = %v", bb.Config.Cmd)
	}

	start = time.Now()
	before := builds.Load()
	if _, err := Ensure(ctx, rt); err != nil {
		t.Fatal(err)
	}
	t.Logf("second Ensure: %v", time.Since(start))
	if n := builds.Load() - before; n != 0 {
		t.Errorf("second Ensure built %d images", n)
	}
}

func TestBuildTestapp(t *testing.T) {
	start := time.Now()
	path, err := BuildTestapp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BuildTestapp: %v", time.Since(start))
	cmd := exec.Command(path, "env")
	cmd.Env = []string{"WHARF_PROBE=42"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "WHARF_PROBE=42\n" {
		t.Errorf("testapp env = %q", out)
	}
	if err := exec.Command(path, "-exit-code", "3").Run(); err == nil {
		t.Error("testapp -exit-code 3 exited 0")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("testapp -exit-code 3: %v", err)
	}
}

func TestBuildContextsDeterministic(t *testing.T) {
	if _, err := os.Stat("/bin/busybox"); err != nil && os.Getenv("WHARF_BUSYBOX") == "" {
		t.Skip("no /bin/busybox")
	}
	a, err := buildContexts()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	contexts = nil // force a fresh build
	mu.Unlock()
	b, err := buildContexts()
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].hash != b[i].hash {
			t.Errorf("%s: hash changed between builds", a[i].ref)
		}
	}
}

package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/testkit/images"
)

// testLabel is carried by every container (and volume) the tests create, so
// a cleanup can find strays: docker rm -f $(docker ps -aq -f label=wharf.test=1).
const testLabel = "wharf.test"

// slow bounds waits that are quick on an idle machine but may take long on
// a loaded one (2 cores shared with parallel builds and test packages).
const slow = 30 * time.Second

var (
	imgOnce sync.Once
	imgs    images.Images
	imgErr  error
)

// testRuntime connects to the local engine. Without one the test is skipped,
// unless WHARF_REQUIRE_DOCKER is set, which makes it a failure.
func testRuntime(t *testing.T) *Runtime {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := New(ctx, "")
	if err != nil {
		if os.Getenv("WHARF_REQUIRE_DOCKER") != "" {
			t.Fatalf("docker engine required (WHARF_REQUIRE_DOCKER) but unreachable: %v", err)
		}
		t.Skipf("no docker engine: %v", err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// testImages builds (or finds cached) the test images once per process.
func testImages(t *testing.T, rt *Runtime) images.Images {
	t.Helper()
	imgOnce.Do(func() {
		start := time.Now()
		imgs, imgErr = images.Ensure(context.Background(), rt)
		t.Logf("images.Ensure took %v", time.Since(start))
	})
	if imgErr != nil {
		t.Fatal(imgErr)
	}
	return imgs
}

// setup is the usual start of a test: a runtime and the test images.
func setup(t *testing.T) (*Runtime, images.Images) {
	t.Helper()
	rt := testRuntime(t)
	return rt, testImages(t, rt)
}

var nameRE = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// uniqueName returns a container/volume name unique to this test run.
func uniqueName(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "wharf-test-" + strings.ToLower(nameRE.ReplaceAllString(t.Name(), "-")) + "-" + hex.EncodeToString(b[:])
}

// create creates a container with a unique name (unless set) and the test
// label, removed when the test ends.
func create(t *testing.T, rt *Runtime, spec ContainerSpec) string {
	t.Helper()
	if spec.Name == "" {
		spec.Name = uniqueName(t)
	}
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	spec.Labels[testLabel] = "1"
	id, err := rt.CreateContainer(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.RemoveContainer(context.Background(), id, true); err != nil && !IsNotFound(err) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return id
}

// run creates and starts a container.
func run(t *testing.T, rt *Runtime, spec ContainerSpec) string {
	t.Helper()
	id := create(t, rt, spec)
	if err := rt.StartContainer(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return id
}

// waitFor polls the container's state until cond holds or timeout passes.
func waitFor(t *testing.T, rt *Runtime, id string, timeout time.Duration, what string, cond func(ContainerState) bool) ContainerState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := rt.InspectContainer(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: not %s after %v (state %+v)", st.Name, what, timeout, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits until the container has stopped.
func waitExit(t *testing.T, rt *Runtime, id string, timeout time.Duration) ContainerState {
	t.Helper()
	return waitFor(t, rt, id, timeout, "exited", func(s ContainerState) bool { return s.Status == "exited" || s.Status == "dead" })
}

// waitLog waits until the container's output contains substr.
func waitLog(t *testing.T, rt *Runtime, id, substr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(logText(logs(t, rt, id)), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("container %s: no %q in its output after %v", id, substr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logs returns all the container's log records so far.
func logs(t *testing.T, rt *Runtime, id string) []LogRecord {
	t.Helper()
	rc, err := rt.Logs(context.Background(), id, false, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return readAll(t, NewLogReader(rc))
}

func readAll(t *testing.T, lr *LogReader) []LogRecord {
	t.Helper()
	var out []LogRecord
	for {
		rec, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

// logText joins the lines of the records.
func logText(recs []LogRecord) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(r.Line)
		b.WriteByte('\n')
	}
	return b.String()
}

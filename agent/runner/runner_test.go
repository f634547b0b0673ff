package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// listen is a testapp serving HTTP on port.
func listen(name, image string, port int32) ecstypes.ContainerDefinition {
	d := def(name, image, "-listen", fmt.Sprintf(":%d", port))
	d.PortMappings = []ecstypes.PortMapping{{ContainerPort: new(port)}}
	return d
}

// healthChecked has a health check probing its /health every second.
func healthChecked(d ecstypes.ContainerDefinition, port int) ecstypes.ContainerDefinition {
	d.HealthCheck = &ecstypes.HealthCheck{
		Command:  []string{"CMD", "/testapp", "check", fmt.Sprintf("http://127.0.0.1:%d/health", port)},
		Interval: new(int32(1)), Timeout: new(int32(2)), Retries: new(int32(3)),
	}
	return d
}

func TestDependsOnHealthy(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	db := healthChecked(listen("db", img.App, 8080), 8080)
	app := listen("app", img.App, 8080)
	app.DependsOn = []ecstypes.ContainerDependency{{ContainerName: new("db"), Condition: ecstypes.ContainerConditionHealthy}}
	a := newTask(t, rt, ecstypes.NetworkModeBridge, db, app)
	h := start(t, rt, testConfig(), a)

	st := h.waitStatus(model.TaskRunning)
	if st.HealthStatus != ecstypes.HealthStatusHealthy {
		t.Errorf("task health %s, want HEALTHY (its only health check passes)", st.HealthStatus)
	}
	for _, r := range h.all() {
		if container(t, r, "app").RuntimeId != nil && container(t, r, "db").HealthStatus != ecstypes.HealthStatusHealthy {
			t.Fatalf("app created before db was healthy: %s", dump(r))
		}
	}
	if st.StartedAt.IsZero() || st.PullStartedAt.IsZero() || st.PullStoppedAt.Before(st.PullStartedAt) {
		t.Errorf("timestamps: %+v", st)
	}

	// Stop only once app serves: a process stopped before it installed its
	// SIGTERM handler would (rightly) be killed, and this test is about
	// the order of a graceful stop.
	waitServing(t, st, "app", 8080)
	h.stop(a, "test done")
	st = h.finish()
	if st.StopCode != ecstypes.TaskStopCodeUserInitiated || st.StoppedReason != "test done" {
		t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
	}
	// Stopped in reverse dependency order: app first, then db.
	appFirst := false
	for _, r := range h.all() {
		if containerIs(r, "db", "STOPPED") && !containerIs(r, "app", "STOPPED") {
			t.Fatalf("db stopped before app, which depends on it: %s", dump(r))
		}
		appFirst = appFirst || containerIs(r, "app", "STOPPED") && containerIs(r, "db", "RUNNING")
	}
	if !appFirst {
		t.Error("no report with app stopped and db still running")
	}
	for _, name := range []string{"db", "app"} {
		if c := container(t, st, name); shape.Deref(c.LastStatus) != "STOPPED" || shape.Deref(c.ExitCode) != 0 {
			t.Errorf("%s: %s exit %d, want STOPPED exit 0 (SIGTERM)", name, shape.Deref(c.LastStatus), shape.Deref(c.ExitCode))
		}
	}
}

func TestEssentialContainerExit(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	side := listen("side", img.App, 8080)
	side.Essential = new(false)
	a := newTask(t, rt, ecstypes.NetworkModeBridge, def("main", img.App, "-exit-code", "3", "-exit-after", "300ms"), side)
	h := start(t, rt, testConfig(), a)

	st := h.finish()
	if st.StopCode != ecstypes.TaskStopCodeEssentialContainerExited || st.StoppedReason != "Essential container in task exited" {
		t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
	}
	if c := container(t, st, "main"); shape.Deref(c.ExitCode) != 3 || shape.Deref(c.LastStatus) != "STOPPED" {
		t.Errorf("main: %s exit %d, want STOPPED exit 3", shape.Deref(c.LastStatus), shape.Deref(c.ExitCode))
	}
	if c := container(t, st, "side"); shape.Deref(c.LastStatus) != "STOPPED" || c.ExitCode == nil {
		t.Errorf("side: %s exit %v, want STOPPED", shape.Deref(c.LastStatus), c.ExitCode)
	}
	if st.StoppingAt.IsZero() || st.ExecutionStoppedAt.Before(st.StoppingAt) {
		t.Errorf("stoppingAt %v executionStoppedAt %v", st.StoppingAt, st.ExecutionStoppedAt)
	}
	checkForward(t, h.all())
}

func TestOutOfMemory(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	// Docker 20.10 misses an OOM kill within milliseconds of the start
	// (exit 137, OOMKilled false), so the allocation waits a moment.
	main := def("main", img.Busybox, "sh", "-c", "sleep 1; exec /testapp -alloc-mb 256")
	main.Memory = new(int32(32))
	st := start(t, rt, testConfig(), newTask(t, rt, ecstypes.NetworkModeBridge, main)).finish()
	c := container(t, st, "main")
	if shape.Deref(c.ExitCode) != 137 || shape.Deref(c.Reason) != "OutOfMemoryError: Container killed due to memory usage" ||
		st.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
		t.Errorf("%s", dump(st))
	}
}

func TestNonEssentialExit(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	job := def("job", img.App, "-exit-code", "5", "-exit-after", "200ms")
	job.Essential = new(false)
	a := newTask(t, rt, ecstypes.NetworkModeBridge, listen("main", img.App, 8080), job)
	h := start(t, rt, testConfig(), a)

	st := h.wait("job stopped", func(st agentproto.TaskStatus) bool { return containerIs(st, "job", "STOPPED") })
	if c := container(t, st, "job"); shape.Deref(c.ExitCode) != 5 {
		t.Errorf("job exit %d, want 5", shape.Deref(c.ExitCode))
	}
	h.waitStatus(model.TaskRunning)
	if st := h.r.Status(); st.LastStatus != model.TaskRunning || !containerIs(st, "main", "RUNNING") {
		t.Errorf("after a non-essential exit: %s", dump(st))
	}
	h.stop(a, "test done")
	h.finish()
}

func TestStopTimeoutKillsAContainerIgnoringSIGTERM(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	main := listen("main", img.App, 8080)
	main.Command = append(main.Command, "-ignore-term")
	main.StopTimeout = new(int32(2))
	a := newTask(t, rt, ecstypes.NetworkModeBridge, main)
	h := start(t, rt, testConfig(), a)
	// Stop only once the app serves: before its SIGTERM handler is
	// installed Go's default handling exits 2, and this test is about a
	// container that ignores SIGTERM.
	waitServing(t, h.waitStatus(model.TaskRunning), "main", 8080)

	begin := time.Now()
	h.stop(a, "Task stopped by the test")
	st := h.finish()
	took := time.Since(begin)
	t.Logf("stopped in %v", took)
	if took < 1500*time.Millisecond || took > 15*time.Second {
		t.Errorf("stopped in %v, want about the 2s stop timeout", took)
	}
	if c := container(t, st, "main"); shape.Deref(c.ExitCode) != 137 {
		t.Errorf("exit %d, want 137 (SIGKILL)", shape.Deref(c.ExitCode))
	}
	if st.StopCode != ecstypes.TaskStopCodeUserInitiated || st.StoppedReason != "Task stopped by the test" {
		t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
	}
}

func TestPullFailure(t *testing.T) {
	t.Parallel()
	rt, _ := setup(t)
	a := newTask(t, rt, ecstypes.NetworkModeBridge, def("main", "wharf-test/does-not-exist:"+randomHex()))
	ctx, cancel := context.WithTimeout(context.Background(), slow)
	defer cancel()
	var last agentproto.TaskStatus
	r := New(rt, testConfig(), a, func(st agentproto.TaskStatus) { last = st })
	begin := time.Now()
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	t.Logf("failed in %v: %s", time.Since(begin), last.StoppedReason)
	if last.LastStatus != model.TaskStopped || last.StopCode != ecstypes.TaskStopCodeTaskFailedToStart ||
		!strings.HasPrefix(last.StoppedReason, "CannotPullContainerError: ") {
		t.Errorf("status %s", dump(last))
	}
	if c := container(t, last, "main"); shape.Deref(c.Reason) != last.StoppedReason || shape.Deref(c.LastStatus) != "STOPPED" || c.RuntimeId != nil {
		t.Errorf("container %s %q runtime %v", shape.Deref(c.LastStatus), shape.Deref(c.Reason), c.RuntimeId)
	}
}

func TestStartFailure(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	main := def("main", img.App)
	main.EntryPoint = []string{"/no/such/program"}
	st := start(t, rt, testConfig(), newTask(t, rt, ecstypes.NetworkModeBridge, main)).finish()
	if st.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.HasPrefix(st.StoppedReason, "CannotStartContainerError: ") ||
		strings.Contains(st.StoppedReason, "docker: ") {
		t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
	}
	if c := container(t, st, "main"); shape.Deref(c.Reason) != st.StoppedReason || shape.Deref(c.LastStatus) != "STOPPED" {
		t.Errorf("main: %s %q", shape.Deref(c.LastStatus), shape.Deref(c.Reason))
	}
}

func TestUnmetDependencyFailsTheTask(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	initC := def("init", img.App, "-exit-code", "1")
	initC.Essential = new(false)
	app := listen("app", img.App, 8080)
	app.DependsOn = []ecstypes.ContainerDependency{{ContainerName: new("init"), Condition: ecstypes.ContainerConditionSuccess}}
	a := newTask(t, rt, ecstypes.NetworkModeBridge, initC, app)
	st := start(t, rt, testConfig(), a).finish()

	if st.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.Contains(st.StoppedReason, "as dependency did not exit successfully") {
		t.Errorf("stop %s %q", st.StopCode, st.StoppedReason)
	}
	c := container(t, st, "app")
	if shape.Deref(c.ExitCode) != 143 || !strings.HasPrefix(shape.Deref(c.Reason), "CannotStartContainerError: dependency graph: ") || c.RuntimeId != nil {
		t.Errorf("app: exit %d reason %q runtime %v", shape.Deref(c.ExitCode), shape.Deref(c.Reason), c.RuntimeId)
	}
	if c := container(t, st, "init"); shape.Deref(c.ExitCode) != 1 {
		t.Errorf("init exit %d", shape.Deref(c.ExitCode))
	}
}

func TestAwsvpc(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	a := newTask(t, rt, ecstypes.NetworkModeAwsvpc, listen("web", img.App, 8080), listen("client", img.Busybox, 9090))
	a.Definition.ContainerDefinitions[1].EntryPoint = []string{"/testapp"}
	a.Network = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-0abc"}}}
	h := start(t, rt, testConfig(), a)
	st := h.waitStatus(model.TaskRunning)

	// The client reaches the web container on localhost, through its own
	// published port.
	client := container(t, st, "client")
	body := get(t, fmt.Sprintf("http://127.0.0.1:%d/fetch?url=http://127.0.0.1:8080/env", hostPort(t, client, 9090)))
	var env map[string]string
	if err := json.Unmarshal([]byte(body), &env); err != nil || env["AWS_REGION"] != "eu-west-1" {
		t.Errorf("web's /env through the client: %v %q", err, body)
	}
	// And the host reaches the web container.
	get(t, fmt.Sprintf("http://127.0.0.1:%d/health", hostPort(t, container(t, st, "web"), 8080)))

	if len(st.Attachments) != 1 {
		t.Fatalf("attachments %+v", st.Attachments)
	}
	att := st.Attachments[0]
	details := map[string]string{}
	for _, kv := range att.Details {
		details[shape.Deref(kv.Name)] = shape.Deref(kv.Value)
	}
	ip := details["privateIPv4Address"]
	if shape.Deref(att.Type) != "ElasticNetworkInterface" || shape.Deref(att.Status) != "ATTACHED" || ip == "" ||
		details["subnetId"] != "subnet-0abc" || !strings.HasPrefix(details["networkInterfaceId"], "eni-") ||
		details["macAddress"] == "" || details["privateDnsName"] != "ip-"+strings.ReplaceAll(ip, ".", "-")+".eu-west-1.compute.internal" {
		t.Errorf("attachment %s %s %v", shape.Deref(att.Type), shape.Deref(att.Status), details)
	}
	for _, c := range st.Containers {
		if len(c.NetworkInterfaces) != 1 || shape.Deref(c.NetworkInterfaces[0].PrivateIpv4Address) != ip ||
			shape.Deref(c.NetworkInterfaces[0].AttachmentId) != shape.Deref(att.Id) {
			t.Errorf("%s: network interfaces %+v", shape.Deref(c.Name), c.NetworkInterfaces)
		}
	}
	pauses, err := rt.ListContainers(context.Background(), map[string]string{LabelTaskARN: a.TaskARN, LabelContainerName: PauseContainerName}, true)
	if err != nil || len(pauses) != 1 {
		t.Fatalf("pause containers %v %v", pauses, err)
	}

	h.stop(a, "test done")
	st = h.finish()
	if pause, err := rt.InspectContainer(context.Background(), pauses[0].ID); err != nil || pause.Running || pause.ExitCode != 0 {
		t.Errorf("pause container after STOPPED: running %v exit %d (%v)", pause.Running, pause.ExitCode, err)
	}
	if shape.Deref(st.Attachments[0].Status) != "DETACHED" {
		t.Errorf("attachment %s after STOPPED", shape.Deref(st.Attachments[0].Status))
	}
	var states []string
	for _, r := range h.all() {
		if len(states) == 0 || states[len(states)-1] != r.LastStatus {
			states = append(states, r.LastStatus)
		}
	}
	if want := "PROVISIONING PENDING RUNNING STOPPING DEPROVISIONING STOPPED"; strings.Join(states, " ") != want {
		t.Errorf("states %v, want %s", states, want)
	}
}

func TestBridgeLinksAndHostname(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	db := def("db", img.App, "-listen", ":8080")
	db.Hostname = new("dbhost")
	app := listen("app", img.App, 8080)
	app.Links = []string{"db:database"}
	a := newTask(t, rt, ecstypes.NetworkModeBridge, db, app)
	h := start(t, rt, testConfig(), a)
	st := h.waitStatus(model.TaskRunning)

	body := get(t, fmt.Sprintf("http://127.0.0.1:%d/fetch?url=http://database:8080/", hostPort(t, container(t, st, "app"), 8080)))
	var got struct{ Hostname string }
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.Hostname != "dbhost" {
		t.Errorf("db through the link: %v %q", err, body)
	}
	h.stop(a, "test done")
	h.finish()
}

// checkForward fails if the reported task status ever moved backwards.
func checkForward(t *testing.T, reports []agentproto.TaskStatus) {
	t.Helper()
	for i := 1; i < len(reports); i++ {
		if model.TaskStatusRank(reports[i].LastStatus) < model.TaskStatusRank(reports[i-1].LastStatus) {
			t.Errorf("status moved back from %s to %s", reports[i-1].LastStatus, reports[i].LastStatus)
		}
	}
}

func TestAdoption(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	side := listen("side", img.App, 8081)
	side.Essential = new(false)
	extra := def("extra", img.App)
	extra.Essential = new(false)
	a := newTask(t, rt, ecstypes.NetworkModeAwsvpc, listen("main", img.App, 8080), side, extra)
	first := start(t, rt, testConfig(), a)
	before := first.waitStatus(model.TaskRunning)

	// wharf stops: the task's containers keep running.
	first.cancel()
	if err := <-first.done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	first.done <- context.Canceled
	for _, name := range []string{"main", "side"} {
		if st := inspectName(t, rt, before, name); !st.Running {
			t.Fatalf("%s not running after Run ended: %s", name, st.Status)
		}
	}
	// While no runner runs, side is killed and extra removed (as if it had
	// never been created).
	sideID := shape.Deref(container(t, before, "side").RuntimeId)
	if err := rt.KillContainer(context.Background(), sideID, ""); err != nil {
		t.Fatal(err)
	}
	extraID := shape.Deref(container(t, before, "extra").RuntimeId)
	if err := rt.RemoveContainer(context.Background(), extraID, true); err != nil {
		t.Fatal(err)
	}

	second := start(t, rt, testConfig(), a)
	st := second.wait("adopted", func(st agentproto.TaskStatus) bool {
		return st.LastStatus == model.TaskRunning && containerIs(st, "side", "STOPPED") && containerIs(st, "extra", "RUNNING")
	})
	if c := container(t, st, "extra"); shape.Deref(c.RuntimeId) == extraID {
		t.Errorf("extra: still the removed container %s", extraID)
	}
	if c := container(t, st, "side"); shape.Deref(c.ExitCode) != 137 || shape.Deref(c.RuntimeId) != sideID {
		t.Errorf("side: exit %d runtime %s, want 137 and %s", shape.Deref(c.ExitCode), shape.Deref(c.RuntimeId), sideID)
	}
	main, mainBefore := container(t, st, "main"), container(t, before, "main")
	if shape.Deref(main.RuntimeId) != shape.Deref(mainBefore.RuntimeId) || shape.Deref(main.LastStatus) != "RUNNING" ||
		hostPort(t, main, 8080) != hostPort(t, mainBefore, 8080) {
		t.Errorf("main after adoption: %s %s, before %s", shape.Deref(main.RuntimeId), shape.Deref(main.LastStatus), shape.Deref(mainBefore.RuntimeId))
	}
	if !reflect.DeepEqual(st.Attachments, before.Attachments) {
		t.Errorf("attachment changed:\n %s\n %s", jsonOf(st.Attachments), jsonOf(before.Attachments))
	}
	list, err := rt.ListContainers(context.Background(), map[string]string{LabelTaskARN: a.TaskARN}, true)
	if err != nil || len(list) != 4 {
		t.Errorf("%d containers (main, side, extra, pause), err %v", len(list), err)
	}
	second.stop(a, "test done")
	second.finish()
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// waitServing waits (bounded) until a container's published port answers.
func waitServing(t *testing.T, st agentproto.TaskStatus, container string, port int32) {
	t.Helper()
	var url string
	for _, c := range st.Containers {
		for _, b := range c.NetworkBindings {
			if shape.Deref(c.Name) == container && shape.Deref(b.ContainerPort) == port {
				url = fmt.Sprintf("http://%s:%d/health", shape.Deref(b.BindIP), shape.Deref(b.HostPort))
			}
		}
	}
	if url == "" {
		t.Fatalf("%s publishes no port %d", container, port)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer on %s within 30s", container, url)
}

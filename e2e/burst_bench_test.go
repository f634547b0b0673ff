package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/agent"
	"github.com/wharfhq/wharf/agent/runner"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/runtime/docker"
)

// burstWorkers is the concurrency of the plain Engine API client wharf is
// compared with.
const burstWorkers = 8

// BenchmarkTaskBurst starts benchTasks tasks at once (RunTask with count 10,
// five calls in parallel) and measures until every one is RUNNING, then
// has an 8-way Engine API client create and start as many containers of
// the same image and command, until each is running. It prints both
// throughputs and their ratio (issue 10's target: ≥ 0.9). Run with
// -benchtime=1x; it leaves no container behind. With WHARF_BENCH_CALLS=1
// it also prints each side's Engine API calls per task (through a counting
// proxy, which slows both sides: compare ratios of runs without it). With
// WHARF_BENCH_TIMELINE=1 it prints when each step of a task's way to
// RUNNING happened on both sides (see timeline).
func BenchmarkTaskBurst(b *testing.B) {
	ec := countEngineCalls(b)
	rt, image, c := benchCluster(b, "burst", 16)
	var wtl, ptl *timeline
	if os.Getenv("WHARF_BENCH_TIMELINE") != "" {
		wtl, ptl = newTimeline(), newTimeline()
		b.Cleanup(agent.SetTrace(func(arn, event string, at time.Time) { wtl.mark(arn, event, at) }))
	}

	for b.Loop() {
		wharfTook, wharfCalls := burstWharf(b, c, rt, ec, wtl)
		plainTook, plainCalls := burstPlain(b, rt, image, ec, ptl)
		if ec != nil {
			printCalls(os.Stderr, benchTasks, []string{"wharf", "8-way client"}, []map[string]callStat{wharfCalls, plainCalls})
		}
		if wtl != nil {
			wtl.print(os.Stderr, "wharf", wharfSteps)
			ptl.print(os.Stderr, "8-way Engine API client", plainSteps)
		}
		wr, pr := benchTasks/wharfTook.Seconds(), benchTasks/plainTook.Seconds()
		b.ReportMetric(wr, "wharf-tasks/s")
		b.ReportMetric(pr, "engine-8way-containers/s")
		b.ReportMetric(wr/pr, "ratio")
		fmt.Fprintf(os.Stderr, "burst of %d: wharf %.2fs (%.1f tasks/s), %d-way Engine API client %.2fs (%.1f containers/s), ratio %.2f\n",
			benchTasks, wharfTook.Seconds(), wr, burstWorkers, plainTook.Seconds(), pr, wr/pr)
	}
}

// burstWharf runs benchTasks tasks at once and returns how long until all
// were RUNNING, with the Engine API calls made until then; it stops them
// and waits until the agent has removed their containers before
// returning, so the baseline runs on a quiet engine.
func burstWharf(b *testing.B, c *ecs.Client, rt *docker.Runtime, ec *engineCalls, tl *timeline) (time.Duration, map[string]callStat) {
	ctx := context.Background()
	const perCall = 10
	var mu sync.Mutex
	var arns []string
	var wg sync.WaitGroup
	errs := make(chan error, benchTasks/perCall)
	ec.reset()
	tl.reset()
	t0 := time.Now()
	for range benchTasks / perCall {
		wg.Go(func() {
			out, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("burst"), TaskDefinition: aws.String("burst"), Count: aws.Int32(perCall)})
			if err == nil && len(out.Failures) > 0 {
				err = fmt.Errorf("RunTask failures: %+v", out.Failures)
			}
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			for _, t := range out.Tasks {
				arns = append(arns, aws.ToString(t.TaskArn))
				tl.mark(aws.ToString(t.TaskArn), "accepted", time.Now())
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	defer func() {
		stopAll(b, c, "burst", arns)
		waitCleanedUp(b, rt, arns)
	}()
	for err := range errs {
		b.Fatal(err)
	}
	// How wharf is watched is kept from loading the two shared cores more
	// than the baseline's watching does (one inspect per container, right
	// after its start returned), since that would count against wharf for
	// work no client of it must make it do: only the tasks not yet seen
	// RUNNING are described again, and every 50 ms rather than 20 (each
	// DescribeTasks decodes every task it names; in a CPU profile of the
	// benchmark at 20 ms, DescribeTasks and its client took about a third
	// of the process's CPU time). The end is still when the last task is seen
	// RUNNING through the API, as a client sees it, up to 50 ms late.
	deadline := t0.Add(3 * time.Minute)
	waiting := slices.Clone(arns)
	for {
		out := apitest.Must(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("burst"), Tasks: waiting}))(b)
		now := time.Now()
		for _, t := range out.Tasks {
			if stopped(t) {
				b.Fatalf("task stopped during the burst: %s", describe(t))
			}
			if running(t) {
				arn := aws.ToString(t.TaskArn)
				tl.mark(arn, "visible", now)
				waiting = slices.DeleteFunc(waiting, func(a string) bool { return a == arn })
			}
		}
		if len(out.Failures) > 0 {
			b.Fatalf("DescribeTasks failures: %+v", out.Failures)
		}
		if len(waiting) == 0 {
			tl.done()
			return now.Sub(t0), ec.snapshot()
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d tasks not RUNNING after 3 minutes", len(waiting), len(arns))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopAll stops the tasks and waits until each is STOPPED.
func stopAll(b *testing.B, c *ecs.Client, cluster string, arns []string) {
	ctx := context.Background()
	for _, arn := range arns {
		if _, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn)}); err != nil {
			b.Errorf("stop %s: %v", arn, err)
		}
	}
	for _, arn := range arns {
		waitTask(b, c, cluster, arn, 2*time.Minute, "STOPPED", stopped)
	}
}

// waitCleanedUp waits (at most two minutes) until the agent has removed
// the containers of the stopped tasks arns: its cleanup (CleanupAfter, 2 s
// in tests, at its next poll) would otherwise run during the baseline.
func waitCleanedUp(b *testing.B, rt *docker.Runtime, arns []string) {
	ctx := context.Background()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		list, err := rt.ListContainers(ctx, map[string]string{runner.LabelTaskARN: ""}, true)
		if err != nil {
			b.Fatal(err)
		}
		left := 0
		for _, c := range list {
			if slices.Contains(arns, c.Labels[runner.LabelTaskARN]) {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d containers of the burst's tasks left two minutes after they stopped", left)
		}
	}
}

// burstPlain creates and starts benchTasks containers with burstWorkers
// goroutines, as a capable Engine API client would, and returns how long
// until every one was running, with the Engine API calls made. It removes
// them before returning.
func burstPlain(b *testing.B, rt *docker.Runtime, image string, ec *engineCalls, tl *timeline) (time.Duration, map[string]callStat) {
	ctx := context.Background()
	jobs := make(chan int, benchTasks)
	for i := range benchTasks {
		jobs <- i
	}
	close(jobs)
	var mu sync.Mutex
	var ids []string
	var firstErr error
	var wg sync.WaitGroup
	ec.reset()
	tl.reset()
	t0 := time.Now()
	for range burstWorkers {
		wg.Go(func() {
			for i := range jobs {
				name := fmt.Sprintf("wharf-burst-%d-%d", t0.UnixNano(), i)
				id, err := startAndWait(ctx, rt, docker.ContainerSpec{Name: name, Image: image,
					Command: []string{"-listen", ":8080"}, Memory: 16 << 20, Labels: map[string]string{"wharf.test": "1"}}, 20*time.Millisecond,
					func(step string) { tl.mark(name, step, time.Now()) })
				mu.Lock()
				if id != "" {
					ids = append(ids, id)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took, calls := time.Since(t0), ec.snapshot()
	tl.done()
	for _, id := range ids {
		if err := rt.RemoveContainer(ctx, id, true); err != nil {
			b.Errorf("remove %s: %v", id, err)
		}
	}
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return took, calls
}

// engineCalls counts the Engine API calls of this process by kind (create,
// start, inspect, …), with their time inside the engine and when the first
// and last of each came, relative to the start of the phase being
// measured. It is a reverse proxy on a unix socket in front of the engine's
// (see countEngineCalls), so it sees what wharf's agent and the plain
// client send without changing either.
type engineCalls struct {
	proxy *httputil.ReverseProxy

	mu    sync.Mutex
	t0    time.Time
	calls map[string]*callStat
}

type callStat struct {
	n           int
	total       time.Duration // summed latency (streams: until they ended)
	first, last time.Duration // since t0, when the calls were made
}

// countEngineCalls points this process's Engine API clients (DOCKER_HOST)
// at a counting proxy when WHARF_BENCH_CALLS is set, and returns it (nil
// otherwise: the proxy adds a hop to every call, so the figures of a
// counting run are not the ones to compare).
func countEngineCalls(b *testing.B) *engineCalls {
	if os.Getenv("WHARF_BENCH_CALLS") == "" {
		return nil
	}
	engine := strings.TrimPrefix(os.Getenv("DOCKER_HOST"), "unix://")
	if engine == "" {
		engine = "/var/run/docker.sock"
	}
	sock := filepath.Join(b.TempDir(), "engine.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatalf("counting proxy: %v", err)
	}
	ec := &engineCalls{calls: map[string]*callStat{}, t0: time.Now()}
	ec.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", engine)
			},
			MaxIdleConnsPerHost: 64,
		},
		FlushInterval: -1, // events and logs stream
	}
	srv := &http.Server{Handler: ec, ErrorLog: nil}
	go func() { _ = srv.Serve(l) }()
	b.Cleanup(func() { _ = srv.Close() })
	b.Setenv("DOCKER_HOST", "unix://"+sock)
	return ec
}

var (
	apiVersion = regexp.MustCompile(`^/v[0-9.]+/`)
	hexID      = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// engineCallKind names a call by method and path, ids and names replaced by *.
func engineCallKind(r *http.Request) string {
	p := apiVersion.ReplaceAllString(r.URL.Path, "/")
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "images" && parts[len(parts)-1] == "json":
		return r.Method + " /images/*/json"
	case len(parts) >= 3 && parts[0] == "containers":
		return r.Method + " /containers/*/" + strings.Join(parts[2:], "/")
	case len(parts) == 2 && parts[0] == "containers" && (hexID.MatchString(parts[1]) || r.Method == http.MethodDelete):
		return r.Method + " /containers/*"
	}
	return r.Method + " /" + strings.Join(parts, "/")
}

func (ec *engineCalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k, at := engineCallKind(r), time.Now()
	ec.proxy.ServeHTTP(w, r)
	took := time.Since(at)
	ec.mu.Lock()
	defer ec.mu.Unlock()
	s := ec.calls[k]
	if s == nil {
		s = &callStat{first: at.Sub(ec.t0)}
		ec.calls[k] = s
	}
	s.n++
	s.total += took
	s.last = at.Sub(ec.t0)
}

// reset starts a phase: counts from zero, times from now.
func (ec *engineCalls) reset() {
	if ec == nil {
		return
	}
	ec.mu.Lock()
	defer ec.mu.Unlock()
	ec.calls, ec.t0 = map[string]*callStat{}, time.Now()
}

// snapshot returns the phase's counts so far.
func (ec *engineCalls) snapshot() map[string]callStat {
	if ec == nil {
		return nil
	}
	ec.mu.Lock()
	defer ec.mu.Unlock()
	out := map[string]callStat{}
	for k, s := range ec.calls {
		out[k] = *s
	}
	return out
}

// printCalls prints the calls per task of each side and where their time
// went: count, mean latency, and when the first and last were sent.
func printCalls(w io.Writer, tasks int, sides []string, snaps []map[string]callStat) {
	var kinds []string
	for _, s := range snaps {
		for k := range s {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	slices.Sort(kinds)
	fmt.Fprintf(w, "%-34s", "Engine API call (per task)")
	for _, side := range sides {
		fmt.Fprintf(w, " | %-36s", side+": calls/task mean first..last")
	}
	fmt.Fprintln(w)
	for _, k := range kinds {
		fmt.Fprintf(w, "%-34s", k)
		for _, s := range snaps {
			c, ok := s[k]
			if !ok {
				fmt.Fprintf(w, " | %-36s", "-")
				continue
			}
			cell := fmt.Sprintf("%5.2f %6.0fms %5.1fs..%5.1fs", float64(c.n)/float64(tasks),
				float64(c.total.Milliseconds())/float64(c.n), c.first.Seconds(), c.last.Seconds())
			fmt.Fprintf(w, " | %-36s", cell)
		}
		fmt.Fprintln(w)
	}
}

// The steps of a task's way to RUNNING, in order, as timeline marks them:
// wharf's (RunTask answered, then agent.TraceFunc's moments, then seen
// RUNNING through DescribeTasks) and the baseline client's.
var (
	wharfSteps = []string{"accepted", "seen", "create.queued", "create.called", "create.done", "start.queued", "start.called",
		"start.done", "inspect.done", "running.put", "running.sent", "visible"}
	plainSteps = []string{"create.called", "create.done", "start.called", "start.done", "running"}
)

// timeline records when each step happened to each task (or container),
// the first time only, relative to the start of the burst. A nil
// *timeline records nothing.
type timeline struct {
	mu sync.Mutex
	t0 time.Time
	// cpu is the CPU time used from the burst's start to its end.
	cpu0, cpu cpuUse
	at        map[string]map[string]time.Duration // key → step → since t0
}

func newTimeline() *timeline {
	return &timeline{t0: time.Now(), at: map[string]map[string]time.Duration{}}
}

// reset starts a burst.
func (tl *timeline) reset() {
	if tl == nil {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.t0, tl.at = time.Now(), map[string]map[string]time.Duration{}
	tl.cpu0 = cpuNow()
}

// done ends a burst.
func (tl *timeline) done() {
	if tl == nil {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.cpu = cpuNow().since(tl.cpu0)
}

func (tl *timeline) mark(key, step string, at time.Time) {
	if tl == nil {
		return
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	m := tl.at[key]
	if m == nil {
		m = map[string]time.Duration{}
		tl.at[key] = m
	}
	if _, ok := m[step]; !ok {
		m[step] = at.Sub(tl.t0)
	}
}

// print shows, for each step, when the tasks reached it (first, median,
// last, since the burst began) and how long they took from the step
// before (median, 90th percentile, max).
func (tl *timeline) print(w io.Writer, side string, steps []string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	fmt.Fprintf(w, "timeline of %s (%d tasks), seconds: %-14s %6s %6s %6s | from the step before: %6s %6s %6s\n",
		side, len(tl.at), "step", "first", "median", "last", "median", "p90", "max")
	ms := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
	for i, step := range steps {
		var at, gap []time.Duration
		for _, m := range tl.at {
			t, ok := m[step]
			if !ok {
				continue
			}
			at = append(at, t)
			if i > 0 {
				if prev, ok := m[steps[i-1]]; ok {
					gap = append(gap, t-prev)
				}
			}
		}
		if len(at) == 0 {
			fmt.Fprintf(w, "  %-14s (none)\n", step)
			continue
		}
		slices.Sort(at)
		slices.Sort(gap)
		line := fmt.Sprintf("  %-14s n=%-3d %6s %6s %6s", step, len(at), ms(at[0]), ms(at[len(at)/2]), ms(at[len(at)-1]))
		if len(gap) > 0 {
			line += fmt.Sprintf(" | %6s %6s %6s", ms(gap[len(gap)/2]), ms(gap[len(gap)*9/10]), ms(gap[len(gap)-1]))
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "  CPU seconds used: %s\n", tl.cpu)
}

// cpuUse is CPU time used so far by this process (wharf in-process, and
// the benchmark's clients) and by the engine's daemons, from /proc.
type cpuUse struct{ self, dockerd, containerd time.Duration }

func cpuNow() cpuUse {
	return cpuUse{self: procCPU("self"), dockerd: procCPU(pidOf("dockerd")), containerd: procCPU(pidOf("containerd"))}
}

func (u cpuUse) since(before cpuUse) cpuUse {
	return cpuUse{self: u.self - before.self, dockerd: u.dockerd - before.dockerd, containerd: u.containerd - before.containerd}
}

func (u cpuUse) String() string {
	return fmt.Sprintf("test process %.2f, dockerd %.2f, containerd %.2f", u.self.Seconds(), u.dockerd.Seconds(), u.containerd.Seconds())
}

// procCPU is the user and system time of process pid ("self" or a
// number) from /proc/PID/stat, 0 if it cannot be read.
func procCPU(pid string) time.Duration {
	if pid == "" {
		return 0
	}
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command (which may hold spaces) start after ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// pidOf is the pid of the first process whose command is name, "" if none.
func pidOf(name string) string {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if comm, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil && strings.TrimSpace(string(comm)) == name {
			return e.Name()
		}
	}
	return ""
}

package lb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/elbv2"
	"github.com/wharfhq/wharf/dataplane/lb"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/loadgen"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// harness is a store, the ELBv2 API over it and a running data plane, all
// in-process; backends are httptest servers on loopback.
type harness struct {
	t     *testing.T
	db    *bolt.DB
	api   *elbv2.API
	plane *lb.Plane
	stop  func()
	ctx   context.Context
}

func logger() *slog.Logger {
	if os.Getenv("WHARF_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "wharf.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, ctx: context.Background()}
	h.startPlane()
	t.Cleanup(func() {
		h.stopPlane()
		_ = db.Close()
	})
	return h
}

func (h *harness) startPlane() {
	h.plane = lb.New(lb.Config{DB: h.db, Log: logger(), Resync: 200 * time.Millisecond})
	h.api = elbv2.New(h.db, elbv2.Config{Ports: h.plane, Log: logger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.plane.Run(ctx) }()
	h.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				h.t.Errorf("plane: %v", err)
			}
		case <-time.After(10 * time.Second):
			h.t.Error("plane did not stop within 10s")
		}
	}
}

func (h *harness) stopPlane() {
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	e, ok := awsapi.AsError(err)
	if !ok || e.Code != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

// backend is a target: / answers its name, /health answers 200 until
// sick, /slow?d= sleeps, /stream streams.
type backend struct {
	name   string
	srv    *httptest.Server
	sick   atomic.Bool
	active atomic.Int32
	port   int32
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if b.sick.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		b.active.Add(1)
		defer b.active.Add(-1)
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		select {
		case <-time.After(d):
			fmt.Fprint(w, b.name)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", b.name)
		_ = json.NewEncoder(w).Encode(map[string]string{"name": b.name, "path": r.URL.Path, "host": r.Host,
			"xff": r.Header.Get("X-Forwarded-For"), "port": r.Header.Get("X-Forwarded-Port"), "proto": r.Header.Get("X-Forwarded-Proto")})
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	_, p, _ := net.SplitHostPort(b.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	b.port = int32(n)
	return b
}

func (b *backend) target() elbv2types.TargetDescription {
	return elbv2types.TargetDescription{Id: new("127.0.0.1"), Port: new(b.port)}
}

func (h *harness) lb(name string) string {
	out := apitest.Must(h.api.CreateLoadBalancer(h.ctx, &elbv2types.CreateLoadBalancerInput{Name: new(name)}))(h.t)
	return *out.LoadBalancers[0].LoadBalancerArn
}

// tg creates an ip target group whose health checks run every second.
func (h *harness) tg(name string) string {
	out := apitest.Must(h.api.CreateTargetGroup(h.ctx, &elbv2types.CreateTargetGroupInput{
		Name: new(name), Protocol: elbv2types.ProtocolEnumHttp, Port: new(int32(80)), TargetType: elbv2types.TargetTypeEnumIp,
		HealthCheckPath: new("/health"), HealthCheckIntervalSeconds: new(int32(5)), HealthCheckTimeoutSeconds: new(int32(2)),
		HealthyThresholdCount: new(int32(2)), UnhealthyThresholdCount: new(int32(2)),
	}))(h.t)
	arn := *out.TargetGroups[0].TargetGroupArn
	h.fastChecks(name, 1, nil)
	return arn
}

// fastChecks rewrites a target group's record to check every interval
// seconds (below ELB's 5-second minimum, so the tests run fast) and to
// set attributes.
func (h *harness) fastChecks(name string, interval int32, attrs map[string]string) {
	h.t.Helper()
	sc := model.Scope{Account: awsapi.DefaultAccount, Region: awsapi.DefaultRegion}
	_, err := h.db.Update(h.ctx, func(tx store.Tx) error {
		rec, _, err := store.Get[lbstate.TargetGroup](tx, lbstate.TGKey(sc, name))
		if err != nil {
			return err
		}
		rec.TG.HealthCheckIntervalSeconds, rec.TG.HealthCheckTimeoutSeconds = new(interval), new(int32(1))
		for k, v := range attrs {
			rec.Attributes[k] = v
		}
		return store.Put(tx, lbstate.TGKey(sc, name), rec)
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func forwardTo(tgARN string) []elbv2types.Action {
	return []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, TargetGroupArn: new(tgARN)}}
}

func (h *harness) listener(lbARN string, port int32, actions []elbv2types.Action) string {
	out := apitest.Must(h.api.CreateListener(h.ctx, &elbv2types.CreateListenerInput{LoadBalancerArn: new(lbARN),
		Protocol: elbv2types.ProtocolEnumHttp, Port: new(port), DefaultActions: actions}))(h.t)
	return *out.Listeners[0].ListenerArn
}

func (h *harness) register(tgARN string, bs ...*backend) {
	var ts []elbv2types.TargetDescription
	for _, b := range bs {
		ts = append(ts, b.target())
	}
	apitest.Must(h.api.RegisterTargets(h.ctx, &elbv2types.RegisterTargetsInput{TargetGroupArn: new(tgARN), Targets: ts}))(h.t)
}

func (h *harness) deregister(tgARN string, bs ...*backend) {
	var ts []elbv2types.TargetDescription
	for _, b := range bs {
		ts = append(ts, b.target())
	}
	apitest.Must(h.api.DeregisterTargets(h.ctx, &elbv2types.DeregisterTargetsInput{TargetGroupArn: new(tgARN), Targets: ts}))(h.t)
}

// health maps "127.0.0.1:PORT" to state and reason.
func (h *harness) health(tgARN string) map[string]string {
	out := apitest.Must(h.api.DescribeTargetHealth(h.ctx, &elbv2types.DescribeTargetHealthInput{TargetGroupArn: new(tgARN)}))(h.t)
	m := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		m[fmt.Sprintf("%s:%d", *d.Target.Id, *d.Target.Port)] = string(d.TargetHealth.State) + "/" + string(d.TargetHealth.Reason)
	}
	return m
}

// waitHealth polls DescribeTargetHealth (bounded) until every backend
// given has state ("healthy") or state and reason ("unhealthy/Target.Timeout").
func (h *harness) waitHealth(tgARN, state string, bs ...*backend) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last map[string]string
	for time.Now().Before(deadline) {
		last = h.health(tgARN)
		ok := true
		for _, b := range bs {
			s := last[fmt.Sprintf("127.0.0.1:%d", b.port)]
			ok = ok && (s == state || len(s) > len(state) && s[:len(state)+1] == state+"/")
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("targets not %s within 15s: %v", state, last)
}

func get(t testing.TB, c *http.Client, url string) (int, map[string]string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := map[string]string{}
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, resp.Header
}

// count sends n GETs and counts answers by backend name.
func count(t testing.TB, url string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		status, m, _ := get(t, http.DefaultClient, url)
		if status != 200 {
			t.Fatalf("GET %s: %d", url, status)
		}
		got[m["name"]]++
	}
	return got
}

func TestBalancesAcrossHealthyTargets(t *testing.T) {
	h := newHarness(t)
	a, b, c := newBackend(t, "a"), newBackend(t, "b"), newBackend(t, "c")
	lbARN, tg := h.lb("web"), h.tg("web")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a, b, c)
	h.waitHealth(tg, "healthy", a, b, c)
	url := fmt.Sprintf("http://127.0.0.1:%d/x", port)
	got := count(t, url, 30)
	if got["a"] != 10 || got["b"] != 10 || got["c"] != 10 {
		t.Fatalf("round robin over 3 targets: %v", got)
	}
	t.Run("headers", func(t *testing.T) {
		_, m, _ := get(t, http.DefaultClient, url)
		if m["path"] != "/x" || m["host"] != fmt.Sprintf("127.0.0.1:%d", port) || m["xff"] != "127.0.0.1" ||
			m["port"] != strconv.Itoa(int(port)) || m["proto"] != "http" {
			t.Fatalf("the target saw %v", m)
		}
	})
	t.Run("least outstanding requests", func(t *testing.T) {
		apitest.Must(h.api.ModifyTargetGroupAttributes(h.ctx, &elbv2types.ModifyTargetGroupAttributesInput{TargetGroupArn: new(tg),
			Attributes: []elbv2types.TargetGroupAttribute{{Key: new(lbstate.AttrAlgorithm), Value: new(lbstate.AlgorithmLeastOutstanding)}}}))(t)
		// Sequential requests leave nothing outstanding: the first target
		// in order takes them all.
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := count(t, url, 6)
			if len(got) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("least outstanding: %v", got)
			}
		}
	})
}

func TestKeepAliveAndStreaming(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "first;")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "second")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	port := int32(srv.Listener.Addr().(*net.TCPAddr).Port)
	lbARN, tg := h.lb("stream"), h.tg("stream")
	lport := apitest.FreePort(t)
	h.listener(lbARN, lport, forwardTo(tg))
	apitest.Must(h.api.RegisterTargets(h.ctx, &elbv2types.RegisterTargetsInput{TargetGroupArn: new(tg),
		Targets: []elbv2types.TargetDescription{{Id: new("127.0.0.1"), Port: new(port)}}}))(t)
	h.waitHealth(tg, "healthy", &backend{port: port})
	base := fmt.Sprintf("http://127.0.0.1:%d", lport)

	t.Run("keep-alive", func(t *testing.T) {
		conns := map[string]bool{}
		c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, n, a)
			if err == nil {
				conns[conn.LocalAddr().String()] = true
			}
			return conn, err
		}}}
		for range 5 {
			resp, err := c.Get(base + "/")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if len(conns) != 1 {
			t.Fatalf("5 requests used %d connections", len(conns))
		}
	})
	t.Run("streaming", func(t *testing.T) {
		resp, err := http.Get(base + "/stream")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		buf := make([]byte, len("first;"))
		if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first;" {
			t.Fatalf("first chunk %q, %v", buf, err)
		}
		close(release) // the target finishes only after the client saw the first chunk
		rest, _ := io.ReadAll(resp.Body)
		if string(rest) != "second" {
			t.Fatalf("rest %q", rest)
		}
	})
}

func TestUnhealthyTargetLeavesRotation(t *testing.T) {
	h := newHarness(t)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	lbARN, tg := h.lb("web"), h.tg("web")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a, b)
	h.waitHealth(tg, "healthy", a, b)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)

	b.sick.Store(true)
	h.waitHealth(tg, "unhealthy/Target.ResponseCodeMismatch", b)
	if got := count(t, url, 10); got["a"] != 10 {
		t.Fatalf("with b unhealthy: %v", got)
	}
	b.sick.Store(false)
	h.waitHealth(tg, "healthy", a, b)
	if got := count(t, url, 10); got["a"] != 5 || got["b"] != 5 {
		t.Fatalf("with b healthy again: %v", got)
	}

	t.Run("503 when none is healthy", func(t *testing.T) {
		a.sick.Store(true)
		b.sick.Store(true)
		h.waitHealth(tg, "unhealthy", a, b)
		status, _, hdr := get(t, http.DefaultClient, url)
		if status != http.StatusServiceUnavailable || hdr.Get("Server") != "awselb/2.0" {
			t.Fatalf("got %d %v", status, hdr)
		}
	})
}

func TestDrainLetsInFlightFinish(t *testing.T) {
	h := newHarness(t)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	lbARN, tg := h.lb("web"), h.tg("web")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	slow := loadgen.GetAsync(base + "/slow?d=1500ms")
	waitFor(t, "the slow request to reach a", func() bool { return a.active.Load() == 1 })
	h.deregister(tg, a)
	if s := h.health(tg)[fmt.Sprintf("127.0.0.1:%d", a.port)]; s != "draining/Target.DeregistrationInProgress" {
		t.Fatalf("a during the drain: %q", s)
	}
	// No new request reaches the draining target, once the plane has
	// applied the drain from its store watch (a moment after the API).
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		status, _, _ := get(t, http.DefaultClient, base+"/")
		if status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a new request while a drains: %d", status)
		}
	}
	h.register(tg, b)
	h.waitHealth(tg, "healthy", b) // a is still draining, b takes the traffic
	if got := count(t, base+"/", 4); got["b"] != 4 {
		t.Fatalf("during the drain: %v", got)
	}
	r := <-slow
	if r.Err != nil || r.Status != 200 || r.Body != "a" {
		t.Fatalf("the in-flight request: %+v", r)
	}
	// Idle, the draining target is gone long before the 300s delay.
	waitFor(t, "a's registration to end", func() bool { _, ok := h.health(tg)[fmt.Sprintf("127.0.0.1:%d", a.port)]; return !ok })
}

// Re-registering a draining target starts a new registration, but the
// requests the drain was letting finish are not cut (they were answered
// 502 when the new registration replaced the old one).
func TestReregisterWhileDrainingKeepsInFlight(t *testing.T) {
	h := newHarness(t)
	a := newBackend(t, "a")
	lbARN, tg := h.lb("web"), h.tg("web")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	slow := loadgen.GetAsync(base + "/slow?d=1500ms")
	waitFor(t, "the slow request to reach a", func() bool { return a.active.Load() == 1 })
	h.deregister(tg, a)
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a)
	if r := <-slow; r.Err != nil || r.Status != 200 || r.Body != "a" {
		t.Fatalf("the in-flight request: %+v", r)
	}
	if status, _, _ := get(t, http.DefaultClient, base+"/"); status != http.StatusOK {
		t.Fatalf("after re-registering: %d", status)
	}
}

func TestDrainDeadlineCutsRequests(t *testing.T) {
	h := newHarness(t)
	a := newBackend(t, "a")
	lbARN, tg := h.lb("web"), h.tg("web")
	apitest.Must(h.api.ModifyTargetGroupAttributes(h.ctx, &elbv2types.ModifyTargetGroupAttributesInput{TargetGroupArn: new(tg),
		Attributes: []elbv2types.TargetGroupAttribute{{Key: new(lbstate.AttrDeregistrationDelay), Value: new("1")}}}))(t)
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a)
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/slow?d=30s", port))
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	waitFor(t, "the slow request to reach a", func() bool { return a.active.Load() == 1 })
	h.deregister(tg, a)
	select {
	case status := <-done:
		if status != http.StatusBadGateway && status != -1 {
			t.Fatalf("a request cut by the drain's end answered %d", status)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("cut after %s", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the drain's end did not cut the request")
	}
}

func TestNoRequestLostWhileTargetsChange(t *testing.T) {
	h := newHarness(t)
	a, b, c := newBackend(t, "a"), newBackend(t, "b"), newBackend(t, "c")
	lbARN, tg := h.lb("web"), h.tg("web")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a, b)
	h.waitHealth(tg, "healthy", a, b)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)

	load := loadgen.Start(url, 4, 100000, 5*time.Second)
	t.Cleanup(load.Stop)
	h.deregister(tg, a)
	h.register(tg, c)
	h.waitHealth(tg, "healthy", b, c)
	h.deregister(tg, b)
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a, c)
	h.deregister(tg, c)
	h.waitHealth(tg, "healthy", a)
	// Under load the changes can outrun the clients: let some through.
	waitFor(t, "some traffic", func() bool { return load.OK.Load() >= 50 })
	load.Stop()
	if load.Failed.Load() != 0 || load.OK.Load() < 50 {
		t.Fatalf("%d requests succeeded, %d failed (first: %v)", load.OK.Load(), load.Failed.Load(), load.FirstErr())
	}
	t.Logf("%d requests, none lost", load.OK.Load())
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"golang.org/x/net/websocket"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/loadgen"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// lbEnv is a wharf with its agent, a cluster running testapp tasks (bridge
// mode, port 8080 published on 127.0.0.1), and an ELBv2 client.
type lbEnv struct {
	t   testing.TB
	w   *wharftest.Wharf
	ecs *ecs.Client
	elb *elb.Client
	ctx context.Context
	lb  string
}

// task is a running testapp task as a load balancer target.
type task struct {
	arn      string
	port     int32 // published on 127.0.0.1
	hostname string
}

func (k task) target() elbtypes.TargetDescription {
	return elbtypes.TargetDescription{Id: aws.String("127.0.0.1"), Port: aws.Int32(k.port)}
}

func newLBEnv(t testing.TB) *lbEnv {
	t.Helper()
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	e := &lbEnv{t: t, w: w, ecs: w.ECS(), elb: elb.NewFromConfig(w.Config("us-east-1")), ctx: context.Background()}
	apitest.Must(e.ecs.CreateCluster(e.ctx, &ecs.CreateClusterInput{ClusterName: aws.String("lb")}))(t)
	apitest.Must(e.ecs.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
			Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			StopTimeout: aws.Int32(2), DockerLabels: map[string]string{"wharf.test": "1"}}}}))(t)
	waitInstance(t, e.ecs, "lb")
	e.lb = aws.ToString(apitest.Must(e.elb.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web")}))(t).LoadBalancers[0].LoadBalancerArn)
	return e
}

// run starts n tasks with extra testapp flags and waits until each answers.
func (e *lbEnv) run(n int, flags ...string) []task {
	e.t.Helper()
	var out []task
	for range n {
		r := apitest.Must(e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{Cluster: aws.String("lb"), TaskDefinition: aws.String("web"),
			Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("app"),
				Command: append([]string{"-listen", ":8080"}, flags...)}}}}))(e.t)
		if len(r.Tasks) != 1 {
			e.t.Fatalf("RunTask: %+v", r.Failures)
		}
		arn := aws.ToString(r.Tasks[0].TaskArn)
		tk := waitTask(e.t, e.ecs, "lb", arn, time.Minute, "RUNNING", running)
		base := hostURL(e.t, container(e.t, tk, "app"), 8080)
		var root struct{ Hostname string }
		getJSON(e.t, base+"/", &root)
		u, _ := url.Parse(base)
		p, _ := strconv.Atoi(u.Port())
		out = append(out, task{arn: arn, port: int32(p), hostname: root.Hostname})
	}
	return out
}

// group creates an ip target group checking /health every 5s (2 passes,
// 2 failures) with the given deregistration delay, holding ts.
func (e *lbEnv) group(name string, delay string, ts ...task) string {
	e.t.Helper()
	arn := aws.ToString(apitest.Must(e.elb.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2)}))(e.t).TargetGroups[0].TargetGroupArn)
	apitest.Must(e.elb.ModifyTargetGroupAttributes(e.ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(arn),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(delay)}}}))(e.t)
	if len(ts) > 0 {
		e.register(arn, ts...)
	}
	return arn
}

func (e *lbEnv) register(tg string, ts ...task) {
	e.t.Helper()
	var targets []elbtypes.TargetDescription
	for _, k := range ts {
		targets = append(targets, k.target())
	}
	apitest.Must(e.elb.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: targets}))(e.t)
}

func (e *lbEnv) deregister(tg string, ts ...task) {
	e.t.Helper()
	var targets []elbtypes.TargetDescription
	for _, k := range ts {
		targets = append(targets, k.target())
	}
	apitest.Must(e.elb.DeregisterTargets(e.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: targets}))(e.t)
}

// listener creates an HTTP listener on a free loopback port; it returns the
// listener's ARN and base URL.
func (e *lbEnv) listener(actions []elbtypes.Action) (string, string) {
	e.t.Helper()
	port := apitest.FreePort(e.t)
	l := apitest.Must(e.elb.CreateListener(e.ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(e.lb), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(port), DefaultActions: actions}))(e.t)
	return aws.ToString(l.Listeners[0].ListenerArn), fmt.Sprintf("http://127.0.0.1:%d", port)
}

// waitStatus GETs url every poll until it answers want, failing the test
// with failMsg (a format taking the last status) after timeout.
func waitStatus(t testing.TB, url string, want int, timeout, poll time.Duration, failMsg string) {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf(failMsg, resp.StatusCode)
		}
		time.Sleep(poll)
	}
}

func forwardTo(tg string) []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}
}

// waitHealth polls DescribeTargetHealth (bounded) until every task given is
// in state ("healthy", or "unhealthy/Target.ResponseCodeMismatch").
func (e *lbEnv) waitHealth(tg, state string, ts ...task) {
	e.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var last map[string]string
	for time.Now().Before(deadline) {
		out := apitest.Must(e.elb.DescribeTargetHealth(e.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}))(e.t)
		last = map[string]string{}
		for _, d := range out.TargetHealthDescriptions {
			s := string(d.TargetHealth.State)
			if d.TargetHealth.Reason != "" {
				s += "/" + string(d.TargetHealth.Reason)
			}
			last[strconv.Itoa(int(aws.ToInt32(d.Target.Port)))] = s
		}
		ok := true
		for _, k := range ts {
			s := last[strconv.Itoa(int(k.port))]
			ok = ok && (s == state || len(s) > len(state) && s[:len(state)+1] == state+"/")
		}
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("targets not %s within 45s: %v", state, last)
}

// hits sends n GETs (keep-alive) and counts the answers by task hostname.
func hits(t testing.TB, base string, n int, host string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var root struct{ Hostname string }
		err = json.NewDecoder(resp.Body).Decode(&root)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("GET %s: %d %v", base, resp.StatusCode, err)
		}
		got[root.Hostname]++
	}
	return got
}

// TestLoadBalancerTraffic puts a listener in front of three tasks: each
// receives its share, rules route by path and host, websockets pass
// through, no healthy target answers 503, a busy port fails the call, and
// a restarted wharf serves the listener again.
func TestLoadBalancerTraffic(t *testing.T) {
	e := newLBEnv(t)
	ts := e.run(3)
	web := e.group("web", "300", ts...)
	_, base := e.listener(forwardTo(web))
	e.waitHealth(web, "healthy", ts...)

	t.Run("three targets share the requests", func(t *testing.T) {
		got := hits(t, base, 30, "")
		for _, k := range ts {
			if got[k.hostname] != 10 {
				t.Fatalf("round robin over 3 tasks: %v", got)
			}
		}
	})

	t.Run("rules route by path and host", func(t *testing.T) {
		api, admin := e.group("api", "0", ts[1]), e.group("admin", "0", ts[2])
		lARN, base := e.listener(forwardTo(web))
		apitest.Must(e.elb.CreateRule(e.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(10),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/api/*", "/v?/*"}}}, Actions: forwardTo(api)}))(t)
		apitest.Must(e.elb.CreateRule(e.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(5),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("host-header"), HostHeaderConfig: &elbtypes.HostHeaderConditionConfig{Values: []string{"admin.*"}}}},
			Actions:    forwardTo(admin)}))(t)
		e.waitHealth(api, "healthy", ts[1])
		e.waitHealth(admin, "healthy", ts[2])
		who := func(host string) string {
			req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
			req.Host = host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var root struct{ Hostname string }
			_ = json.NewDecoder(resp.Body).Decode(&root)
			return root.Hostname
		}
		// testapp answers only "/" with its hostname (other paths 404 from
		// the task the rule chose): the host rule is checked through "/",
		// the path rule below by emptying its group.
		if h := who("admin.example.com"); h != ts[2].hostname {
			t.Fatalf("host rule: %s", h)
		}
		if got := hits(t, base, 6, ""); got[ts[0].hostname] != 2 || got[ts[1].hostname] != 2 || got[ts[2].hostname] != 2 {
			t.Fatalf("default action: %v", got)
		}
		// Paths: /api/x and /v1/x reach the api group (task 1) only.
		for _, p := range []string{"/api/x", "/v1/x"} {
			for range 3 {
				resp, err := http.Get(base + p)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("%s: %d", p, resp.StatusCode)
				}
			}
		}
		// Prove the path rule chose task 1: deregister it; the api group
		// has nothing left, so /api/x answers 503 while / still works.
		e.deregister(api, ts[1])
		waitStatus(t, base+"/api/x", http.StatusServiceUnavailable, 15*time.Second, 50*time.Millisecond, "/api/x still answers %d with its group empty")
		if len(hits(t, base, 3, "")) != 3 {
			t.Fatal("the default action lost targets")
		}
	})

	t.Run("websocket passes through", func(t *testing.T) {
		ws, err := websocket.Dial("ws"+base[len("http"):]+"/ws", "", "http://localhost/")
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		_ = ws.SetDeadline(time.Now().Add(10 * time.Second))
		for _, msg := range []string{"hello", "through wharf's load balancer"} {
			if err := websocket.Message.Send(ws, msg); err != nil {
				t.Fatal(err)
			}
			var got string
			if err := websocket.Message.Receive(ws, &got); err != nil || got != msg {
				t.Fatalf("echo %q %v", got, err)
			}
		}
	})

	t.Run("instance targets reach the host's published port", func(t *testing.T) {
		ci := apitest.Must(e.ecs.DescribeContainerInstances(e.ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("lb"),
			ContainerInstances: []string{waitInstance(t, e.ecs, "lb")}}))(t).ContainerInstances[0]
		tg := aws.ToString(apitest.Must(e.elb.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{Name: aws.String("inst"), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumInstance, HealthCheckPath: aws.String("/health")}))(t).TargetGroups[0].TargetGroupArn)
		apitest.Must(e.elb.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg),
			Targets: []elbtypes.TargetDescription{{Id: ci.Ec2InstanceId, Port: aws.Int32(ts[0].port)}}}))(t)
		_, base := e.listener(forwardTo(tg))
		e.waitHealth(tg, "healthy", ts[0])
		if got := hits(t, base, 3, ""); got[ts[0].hostname] != 3 {
			t.Fatalf("%v", got)
		}
	})

	t.Run("503 with no healthy target", func(t *testing.T) {
		empty := e.group("empty", "0")
		_, base := e.listener(forwardTo(empty))
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Server") != "awselb/2.0" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
	})

	t.Run("a busy port fails CreateListener", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		_, err = e.elb.CreateListener(e.ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(e.lb), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(int32(busy.Addr().(*net.TCPAddr).Port)), DefaultActions: forwardTo(web)})
		wantCode(t, err, "InvalidConfigurationRequest")
	})

	t.Run("restart keeps serving", func(t *testing.T) {
		e.w.Restart()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(base + "/")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the listener does not serve after a restart: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestLoadBalancerTargetChanges: an unhealthy task stops receiving
// traffic, a deregistered task finishes its in-flight request while taking
// no new one, and a steady stream of requests loses none while targets are
// deregistered and registered.
func TestLoadBalancerTargetChanges(t *testing.T) {
	e := newLBEnv(t)
	ts := e.run(3)
	sick := e.run(1, "-unhealthy-after", "8s")[0]

	t.Run("an unhealthy target stops receiving traffic", func(t *testing.T) {
		tg := e.group("sick", "0", ts[0], sick)
		_, base := e.listener(forwardTo(tg))
		e.waitHealth(tg, "healthy", ts[0])
		e.waitHealth(tg, "unhealthy/Target.ResponseCodeMismatch", sick)
		if got := hits(t, base, 10, ""); got[ts[0].hostname] != 10 {
			t.Fatalf("with the sick task unhealthy: %v", got)
		}
	})

	t.Run("deregistration drains", func(t *testing.T) {
		tg := e.group("drain", "60", ts[0])
		_, base := e.listener(forwardTo(tg))
		e.waitHealth(tg, "healthy", ts[0])
		start := time.Now()
		slow := loadgen.GetAsync(base + "/sleep?d=3s")
		time.Sleep(500 * time.Millisecond) // the slow request is in flight
		e.deregister(tg, ts[0])
		e.waitHealth(tg, "draining/Target.DeregistrationInProgress", ts[0])
		// The API reports the drain once it is stored; the data plane
		// applies it from its store watch a moment later.
		waitStatus(t, base+"/", http.StatusServiceUnavailable, 2*time.Second, 20*time.Millisecond, "a new request reached the draining task: %d")
		r := <-slow
		if r.Err != nil || r.Status != 200 || r.Body != "slept 3s\n" {
			t.Fatalf("the in-flight request: %+v", r)
		}
		// With nothing in flight the drain ends long before its 60s.
		deadline := time.Now().Add(15 * time.Second)
		for {
			out := apitest.Must(e.elb.DescribeTargetHealth(e.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}))(t)
			if len(out.TargetHealthDescriptions) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still draining after %s", time.Since(start))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("no request lost while targets change", func(t *testing.T) {
		tg := e.group("steady", "5", ts[0], ts[1])
		_, base := e.listener(forwardTo(tg))
		e.waitHealth(tg, "healthy", ts[0], ts[1])
		load := loadgen.Start(base+"/", 4, 1_000_000, 10*time.Second)
		t.Cleanup(load.Stop)
		e.deregister(tg, ts[0])
		e.register(tg, ts[2])
		e.waitHealth(tg, "healthy", ts[1], ts[2])
		e.deregister(tg, ts[1])
		e.waitHealth(tg, "healthy", ts[2])
		e.register(tg, ts[0])
		e.waitHealth(tg, "healthy", ts[0], ts[2])
		// Some traffic on the final set, and enough in all to mean something
		// even on a loaded machine (bounded).
		time.Sleep(time.Second)
		for deadline := time.Now().Add(30 * time.Second); load.OK.Load() < 100 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		load.Stop()
		if load.Failed.Load() != 0 || load.OK.Load() < 100 {
			t.Fatalf("%d requests succeeded, %d failed (first: %v)", load.OK.Load(), load.Failed.Load(), load.FirstErr())
		}
		t.Logf("%d requests through deregister/register, none lost", load.OK.Load())
	})
}

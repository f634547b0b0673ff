package lb_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/internal/apitest"
)

func TestRulesRouteByPriorityPathAndHost(t *testing.T) {
	h := newHarness(t)
	web, api, admin := newBackend(t, "web"), newBackend(t, "api"), newBackend(t, "admin")
	lbARN := h.lb("web")
	tgWeb, tgAPI, tgAdmin := h.tg("web"), h.tg("api"), h.tg("admin")
	port := apitest.FreePort(t)
	lARN := h.listener(lbARN, port, forwardTo(tgWeb))
	rule := func(prio int32, cond elbv2types.RuleCondition, actions []elbv2types.Action) {
		apitest.Must(h.api.CreateRule(h.ctx, &elbv2types.CreateRuleInput{ListenerArn: new(lARN), Priority: new(prio),
			Conditions: []elbv2types.RuleCondition{cond}, Actions: actions}))(t)
	}
	rule(10, elbv2types.RuleCondition{Field: new("path-pattern"), Values: []string{"/api/*"}}, forwardTo(tgAPI))
	rule(5, elbv2types.RuleCondition{Field: new("host-header"), HostHeaderConfig: &elbv2types.HostHeaderConditionConfig{Values: []string{"admin.*"}}}, forwardTo(tgAdmin))
	rule(20, elbv2types.RuleCondition{Field: new("path-pattern"), Values: []string{"/teapot"}}, []elbv2types.Action{{Type: elbv2types.ActionTypeEnumFixedResponse,
		FixedResponseConfig: &elbv2types.FixedResponseActionConfig{StatusCode: new("418"), ContentType: new("text/plain"), MessageBody: new("short and stout")}}})
	rule(30, elbv2types.RuleCondition{Field: new("path-pattern"), Values: []string{"/old/*"}}, []elbv2types.Action{{Type: elbv2types.ActionTypeEnumRedirect,
		RedirectConfig: &elbv2types.RedirectActionConfig{StatusCode: elbv2types.RedirectActionStatusCodeEnumHttp301, Path: new("/new/#{path}"), Host: new("example.test")}}})
	h.register(tgWeb, web)
	h.register(tgAPI, api)
	h.register(tgAdmin, admin)
	h.waitHealth(tgWeb, "healthy", web)
	h.waitHealth(tgAPI, "healthy", api)
	h.waitHealth(tgAdmin, "healthy", admin)

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name, host, path string
		want             string
	}{
		{"default", "", "/index.html", "web"},
		{"path rule", "", "/api/users", "api"},
		{"path needs the slash", "", "/apix", "web"},
		{"host rule", "admin.example.com", "/", "admin"},
		{"lower priority number wins", "admin.example.com", "/api/users", "admin"},
		{"fixed response", "", "/teapot", "418 short and stout"},
		{"redirect", "", "/old/a/b?x=1", "301 http://example.test:PORT/new/old/a/b?x=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, tc.path), nil)
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := resp.Header.Get("X-Backend")
			switch resp.StatusCode {
			case 418:
				got = "418 " + string(body)
			case 301:
				got = "301 " + resp.Header.Get("Location")
			}
			want := strings.ReplaceAll(tc.want, "PORT", fmt.Sprint(port))
			if got != want {
				t.Fatalf("got %q (%d), want %q", got, resp.StatusCode, want)
			}
		})
	}
}

func TestWeightedForward(t *testing.T) {
	h := newHarness(t)
	blue, green := newBackend(t, "blue"), newBackend(t, "green")
	lbARN := h.lb("web")
	tgBlue, tgGreen := h.tg("blue"), h.tg("green")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, ForwardConfig: &elbv2types.ForwardActionConfig{
		TargetGroups: []elbv2types.TargetGroupTuple{{TargetGroupArn: new(tgBlue), Weight: new(int32(3))}, {TargetGroupArn: new(tgGreen), Weight: new(int32(1))}}}}})
	h.register(tgBlue, blue)
	h.register(tgGreen, green)
	h.waitHealth(tgBlue, "healthy", blue)
	h.waitHealth(tgGreen, "healthy", green)
	got := count(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 40)
	if got["blue"] != 30 || got["green"] != 10 {
		t.Fatalf("weights 3:1 over 40 requests: %v", got)
	}
	t.Run("a group with nothing healthy gives way", func(t *testing.T) {
		green.sick.Store(true)
		h.waitHealth(tgGreen, "unhealthy", green)
		if got := count(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 8); got["blue"] != 8 {
			t.Fatalf("%v", got)
		}
	})
}

func TestWebSocketPassesThrough(t *testing.T) {
	h := newHarness(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("/ws", websocket.Handler(func(ws *websocket.Conn) { _, _ = io.Copy(ws, ws) }))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	lbARN, tg := h.lb("ws"), h.tg("ws")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	bport := int32(srv.Listener.Addr().(*net.TCPAddr).Port)
	apitest.Must(h.api.RegisterTargets(h.ctx, &elbv2types.RegisterTargetsInput{TargetGroupArn: new(tg),
		Targets: []elbv2types.TargetDescription{{Id: new("127.0.0.1"), Port: new(bport)}}}))(t)
	h.waitHealth(tg, "healthy", &backend{port: bport})

	ws, err := websocket.Dial(fmt.Sprintf("ws://127.0.0.1:%d/ws", port), "", "http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetDeadline(time.Now().Add(10 * time.Second))
	for _, msg := range []string{"hello", "through the load balancer"} {
		if err := websocket.Message.Send(ws, msg); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil || got != msg {
			t.Fatalf("echo %q, %v", got, err)
		}
	}
}

func TestListenerPorts(t *testing.T) {
	h := newHarness(t)
	a := newBackend(t, "a")
	lbARN, tg := h.lb("web"), h.tg("web")
	h.register(tg, a)

	t.Run("busy port fails the call and stores nothing", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		port := int32(busy.Addr().(*net.TCPAddr).Port)
		_, err = h.api.CreateListener(h.ctx, &elbv2types.CreateListenerInput{LoadBalancerArn: new(lbARN),
			Protocol: elbv2types.ProtocolEnumHttp, Port: new(port), DefaultActions: forwardTo(tg)})
		wantCode(t, err, "InvalidConfigurationRequest")
		if !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("message: %v", err)
		}
		out := apitest.Must(h.api.DescribeListeners(h.ctx, &elbv2types.DescribeListenersInput{LoadBalancerArn: new(lbARN)}))(t)
		if len(out.Listeners) != 0 {
			t.Fatalf("listeners stored: %+v", out.Listeners)
		}
	})

	port := apitest.FreePort(t)
	lARN := h.listener(lbARN, port, forwardTo(tg))
	h.waitHealth(tg, "healthy", a)
	url := func(p int32) string { return fmt.Sprintf("http://127.0.0.1:%d/", p) }
	if got := count(t, url(port), 2); got["a"] != 2 {
		t.Fatalf("%v", got)
	}

	t.Run("restart keeps serving", func(t *testing.T) {
		h.stopPlane()
		if _, err := http.Get(url(port)); err == nil {
			t.Fatal("the listener still answers with the plane stopped")
		}
		h.startPlane()
		// Health comes back from the store: no wait for new checks.
		waitFor(t, "the listener to serve again", func() bool {
			resp, err := http.Get(url(port))
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	})

	t.Run("modify port", func(t *testing.T) {
		port2 := apitest.FreePort(t)
		apitest.Must(h.api.ModifyListener(h.ctx, &elbv2types.ModifyListenerInput{ListenerArn: new(lARN), Port: new(port2)}))(t)
		waitFor(t, "the new port", func() bool {
			resp, err := http.Get(url(port2))
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
		waitFor(t, "the old port to close", func() bool { _, err := http.Get(url(port)); return err != nil })
		port = port2
	})

	t.Run("delete frees the port", func(t *testing.T) {
		apitest.Must(h.api.DeleteListener(h.ctx, &elbv2types.DeleteListenerInput{ListenerArn: new(lARN)}))(t)
		waitFor(t, "the port to close", func() bool { _, err := http.Get(url(port)); return err != nil })
		h.listener(lbARN, port, forwardTo(tg)) // the same port again
		waitFor(t, "the port to serve again", func() bool {
			resp, err := http.Get(url(port))
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	})
}

func TestInstanceTargets(t *testing.T) {
	h := newHarness(t)
	a := newBackend(t, "a")
	lbARN := h.lb("web")
	out := apitest.Must(h.api.CreateTargetGroup(h.ctx, &elbv2types.CreateTargetGroupInput{Name: new("inst"), Protocol: elbv2types.ProtocolEnumHttp,
		Port: new(int32(80)), TargetType: elbv2types.TargetTypeEnumInstance, HealthCheckPath: new("/health")}))(t)
	tg := *out.TargetGroups[0].TargetGroupArn
	h.fastChecks("inst", 1, nil)
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	apitest.Must(h.api.RegisterTargets(h.ctx, &elbv2types.RegisterTargetsInput{TargetGroupArn: new(tg),
		Targets: []elbv2types.TargetDescription{{Id: new("i-0123456789abcdef0"), Port: new(a.port)}}}))(t)
	waitFor(t, "the instance target to be healthy", func() bool {
		th := apitest.Must(h.api.DescribeTargetHealth(context.Background(), &elbv2types.DescribeTargetHealthInput{TargetGroupArn: new(tg)}))(t)
		return len(th.TargetHealthDescriptions) == 1 && th.TargetHealthDescriptions[0].TargetHealth.State == "healthy"
	})
	if got := count(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 3); got["a"] != 3 {
		t.Fatalf("%v", got)
	}
}

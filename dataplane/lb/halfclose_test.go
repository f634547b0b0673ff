package lb_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/internal/apitest"
)

// TestHalfClosedClientGetsItsAnswer sends a request as `busybox nc` does:
// the whole request, then SHUT_WR, then read. net/http cancels such a
// request's context at once; the listener must still answer from the
// target, as ELB does.
func TestHalfClosedClientGetsItsAnswer(t *testing.T) {
	h := newHarness(t)
	a := newBackend(t, "a")
	lbARN, tg := h.lb("half"), h.tg("half")
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := range 20 {
		status, body := halfClosedGet(t, addr, "/slow?d=100ms")
		if status != http.StatusOK || body != "a" {
			t.Fatalf("round %d: got %d %q, want 200 \"a\"", i, status, body)
		}
	}
}

// TestIdleTimeoutAnswers504 sets the load balancer's idle timeout to one
// second: a target that sends nothing for longer gets the client a 504
// from the load balancer, and one that answers within it a 200.
func TestIdleTimeoutAnswers504(t *testing.T) {
	h := newHarness(t)
	a := newBackend(t, "a")
	lbARN, tg := h.lb("idle"), h.tg("idle")
	apitest.Must(h.api.ModifyLoadBalancerAttributes(h.ctx, &elbv2types.ModifyLoadBalancerAttributesInput{LoadBalancerArn: new(lbARN),
		Attributes: []elbv2types.LoadBalancerAttribute{{Key: new(lbstate.AttrIdleTimeout), Value: new("1")}}}))(t)
	port := apitest.FreePort(t)
	h.listener(lbARN, port, forwardTo(tg))
	h.register(tg, a)
	h.waitHealth(tg, "healthy", a)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	start := time.Now()
	resp, err := http.Get(url + "/slow?d=5s")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get("Server") != "awselb/2.0" {
		t.Fatalf("target silent past the idle timeout: got %d (server %q), want 504 from the load balancer", resp.StatusCode, resp.Header.Get("Server"))
	}
	if took > 4*time.Second {
		t.Fatalf("504 came after %v; the idle timeout is 1s", took)
	}
	if status, _, _ := get(t, http.DefaultClient, url+"/slow?d=200ms"); status != http.StatusOK {
		t.Fatalf("target answering within the idle timeout: got %d, want 200", status)
	}
}

// halfClosedGet writes a GET for path, shuts the write side and reads the
// answer's status and body.
func halfClosedGet(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, string(b)
}

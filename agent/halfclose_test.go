package agent

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCredentialsEndpointHalfClosedClient: a container that asks for its
// credentials as `busybox nc` does (write the request, shutdown(SHUT_WR),
// read) gets them. net/http cancels the request's context when it reads
// that EOF; the endpoint's own calls (here: passing the request on to the
// agent that handed the ID out, which takes a moment) must not depend on it.
func TestCredentialsEndpointHalfClosedClient(t *testing.T) {
	c := testCredentialsAgent(t, "node-a")
	var b [4]byte
	_, _ = rand.Read(b[:])
	other := hex.EncodeToString(b[:])
	ln, err := net.Listen("unix", credentialsSocket+other)
	if err != nil {
		t.Fatal(err)
	}
	peer := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond) // the front's client half-closes meanwhile
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"AccessKeyId":"ASIAPEER"}`)
	})}
	go func() { _ = peer.Serve(ln) }()
	t.Cleanup(func() { _ = peer.Close() })
	front := httptest.NewServer(http.HandlerFunc(c.serveHTTP))
	t.Cleanup(front.Close)

	id := other + "-0000-4000-8000-000000000000"
	for i := range 10 {
		conn, err := net.DialTimeout("tcp", front.Listener.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		_, _ = io.WriteString(conn, "GET /v2/credentials/"+id+" HTTP/1.1\r\nHost: 169.254.170.2\r\nConnection: close\r\n\r\n")
		_ = conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "ASIAPEER") {
			t.Fatalf("round %d: %d %s", i, resp.StatusCode, body)
		}
	}
}

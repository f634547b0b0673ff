package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/wharftest"

	"github.com/wharfhq/wharf/internal/syncbuf"
)

// syncBuffer is a buffer that goroutines may write while the test reads it.
type syncBuffer = syncbuf.Buffer

var servingRE = regexp.MustCompile(`serving on (http://\S+) `)

// TestUpWithoutDocker: `wharf up` pointed at a Docker socket that does not
// exist serves the API, answers 503 on /_wharf/health naming the cause, and
// turns healthy once the socket leads to an engine: the agent retries.
func TestUpWithoutDocker(t *testing.T) {
	rt := wharftest.Docker(t) // the engine the socket will lead to at the end
	engineSock, ok := strings.CutPrefix(rt.Host(), "unix://")
	if !ok {
		t.Skipf("the engine is at %s, not on a unix socket", rt.Host())
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- up(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--dns-listen", "",
			"--docker-host", "unix://" + sock}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("wharf up ended with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("wharf up did not stop within 15 s of its context's end")
		}
		if t.Failed() {
			t.Logf("wharf's log:\n%s", stderr.String())
		}
	}()

	var url string
	poll(t, 10*time.Second, "wharf up to print its endpoint", func() bool {
		if m := servingRE.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		}
		return url != ""
	})
	var status int
	var body string
	poll(t, 10*time.Second, "503 naming the cause on /_wharf/health", func() bool {
		status, body = health(t, url)
		return status == http.StatusServiceUnavailable && strings.Contains(body, "agent: cannot reach Docker") && strings.Contains(body, sock)
	})

	t.Logf("while Docker is out of reach: %d %s", status, body)

	// The engine appears: the agent's next attempt (within its 30 s
	// backoff) finds it, registers and turns healthy.
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go proxy(ln, engineSock)
	poll(t, 60*time.Second, "200 on /_wharf/health once Docker answers", func() bool {
		status, body = health(t, url)
		return status == http.StatusOK
	})
}

func health(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/_wharf/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// poll calls cond until it holds, failing the test after timeout.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxy passes each connection on ln to the unix socket at target.
func proxy(ln net.Listener, target string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			up, err := net.Dial("unix", target)
			if err != nil {
				return
			}
			defer up.Close()
			go func() { _, _ = io.Copy(up, c); _ = up.(*net.UnixConn).CloseWrite() }()
			_, _ = io.Copy(c, up)
		}()
	}
}

// Package etcdtest runs a real, single-member etcd server for tests: the
// etcd binary on 127.0.0.1 free ports with a temporary data dir, killed at
// the test's end. Production code must not import it.
//
// Without an etcd binary (WHARF_ETCD_BIN, then etcd on PATH, then
// /usr/bin/etcd) tests are skipped, unless WHARF_REQUIRE_ETCD=1, as CI sets:
// then they fail.
package etcdtest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the wait for a started etcd to answer /health.
const startTimeout = 30 * time.Second

// Server is a running etcd.
type Server struct {
	t       testing.TB
	bin     string
	dir     string
	client  string // http://127.0.0.1:PORT
	peer    string
	cmd     *exec.Cmd
	logPath string
	extra   []string
	exited  chan struct{}
}

// Binary returns the etcd binary's path, or "" when there is none.
func Binary() string {
	if p := os.Getenv("WHARF_ETCD_BIN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/etcd"); err == nil {
		return "/usr/bin/etcd"
	}
	return ""
}

// Require skips t without an etcd binary, or fails it when
// WHARF_REQUIRE_ETCD=1; it returns the binary's path.
func Require(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("WHARF_REQUIRE_ETCD") == "1" {
			t.Fatal("no etcd binary (install Debian's etcd-server) and WHARF_REQUIRE_ETCD=1")
		}
		t.Skip("no etcd binary: install etcd-server, or set WHARF_ETCD_BIN")
	}
	return bin
}

// Start runs an etcd for the test and stops it at the end. Extra flags
// (--auto-compaction-retention=…) are appended.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	s := &Server{t: t, bin: Require(t), dir: t.TempDir(), extra: extra}
	s.client = "http://127.0.0.1:" + freePort(t)
	s.peer = "http://127.0.0.1:" + freePort(t)
	s.logPath = filepath.Join(s.dir, "etcd.log")
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// Endpoint is the client URL.
func (s *Server) Endpoint() string { return s.client }

func (s *Server) start() {
	s.t.Helper()
	args := append([]string{
		"--name", "wharf-test",
		"--data-dir", filepath.Join(s.dir, "data"),
		"--listen-client-urls", s.client, "--advertise-client-urls", s.client,
		"--listen-peer-urls", s.peer, "--initial-advertise-peer-urls", s.peer,
		"--initial-cluster", "wharf-test=" + s.peer,
		"--log-level", "warn",
	}, s.extra...)
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatalf("etcd log: %v", err)
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		s.t.Fatalf("start etcd: %v", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(s.exited)
	}()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			s.t.Fatalf("etcd exited at start:\n%s", s.logTail())
		default:
		}
		if healthy(s.client) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	s.t.Fatalf("etcd not healthy within %s:\n%s", startTimeout, s.logTail())
}

func healthy(client string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(client + "/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode == http.StatusOK && strings.Contains(buf.String(), `"health":"true"`)
}

// Stop ends the etcd process (SIGTERM, then SIGKILL after 10 s). Its data
// dir stays until the test ends, for Restart.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Restart stops etcd and starts it again on the same data dir and ports.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

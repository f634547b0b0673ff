package ssmsession

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a Transport that keeps every binary message the client
// sent, in order.
type recorder struct {
	Transport
	mu  sync.Mutex
	got [][]byte
}

func (r *recorder) Read(ctx context.Context) ([]byte, error) {
	b, err := r.Transport.Read(ctx)
	if err == nil {
		r.mu.Lock()
		r.got = append(r.got, append([]byte(nil), b...))
		r.mu.Unlock()
	}
	return b, err
}

// TestCaptureFixtures records what AWS's session-manager-plugin sends, as
// testdata for the framing tests. Run it once, by hand, with the plugin
// built by ../shared/tools/build-session-manager-plugin.sh:
//
//	SSM_PLUGIN=/tmp/smp/session-manager-plugin go test ./ssmsession -run TestCaptureFixtures
func TestCaptureFixtures(t *testing.T) {
	plugin := os.Getenv("SSM_PLUGIN")
	if plugin == "" {
		t.Skip("SSM_PLUGIN is not set: the fixtures in testdata/ were recorded once and are kept")
	}
	b := NewBroker(nil)
	proc := newFakeProcess("hi\r\n", 0)
	rec := &recorder{}
	b.Use("", func(context.Context, Target, uint, uint) (Process, error) { return proc, nil })
	b.wrap = func(tr Transport) Transport { rec.Transport = tr; return rec }
	srv := httptest.NewServer(b)
	defer srv.Close()
	g, err := b.Open(Target{TaskARN: "t", Cmd: []string{"sh"}, Interactive: true})
	if err != nil {
		t.Fatal(err)
	}
	url := strings.Replace(srv.URL, "http://", "ws://", 1) + StreamPath + g.SessionID
	sess, _ := json.Marshal(map[string]string{"SessionId": g.SessionID, "StreamUrl": url, "TokenValue": g.Token})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, plugin, string(sess), "us-east-1", "StartSession", "", `{"Target":"ecs:c_t_r"}`, "http://127.0.0.1:1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Type once the session is up, then leave.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "hi") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprint(stdin, "exit\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("plugin: %v\n%s", err, out)
	}
	stdin.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	names := map[string]bool{}
	for _, raw := range rec.got {
		m, err := Parse(raw)
		if err != nil {
			t.Fatalf("parse a plugin message: %v", err)
		}
		name := fmt.Sprintf("plugin_%s_%d.bin", m.Type, m.PayloadType)
		if names[name] {
			continue
		}
		names[name] = true
		if err := os.WriteFile(filepath.Join("testdata", name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s (%d bytes, seq %d)", name, len(raw), m.SequenceNumber)
	}
	t.Logf("plugin output:\n%s", out)
}

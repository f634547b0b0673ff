package docker

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// readUntil reads e's output until it holds want (bounded by ctx).
func readUntil(ctx context.Context, t *testing.T, e *Exec, out *bytes.Buffer, want string) {
	t.Helper()
	buf := make([]byte, 1024)
	for !strings.Contains(out.String(), want) {
		if ctx.Err() != nil {
			t.Fatalf("no %q in %q", want, out.String())
		}
		n, err := e.Read(buf)
		out.Write(buf[:n])
		if err != nil && !strings.Contains(out.String(), want) {
			t.Fatalf("read: %v; no %q in %q", err, want, out.String())
		}
	}
}

// TestExecTTY runs a shell through the exec API with a terminal: it starts
// with the size given, follows a resize, reads keys and reports its exit
// status.
func TestExecTTY(t *testing.T) {
	rt, imgs := setup(t)
	id := run(t, rt, ContainerSpec{Image: imgs.Busybox, Command: []string{"sleep", "300"}})
	waitFor(t, rt, id, slow, "running", func(s ContainerState) bool { return s.Running })
	ctx, cancel := context.WithTimeout(context.Background(), slow)
	defer cancel()
	e, err := rt.Exec(ctx, id, ExecSpec{Cmd: []string{"/bin/sh"}, TTY: true, Rows: 33, Cols: 101})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	defer context.AfterFunc(ctx, func() { _ = e.Close() })() // a read never outlives the test's bound
	var out bytes.Buffer
	if _, err := e.Write([]byte("stty size\r")); err != nil {
		t.Fatal(err)
	}
	readUntil(ctx, t, e, &out, "33 101")
	if err := e.Resize(ctx, 44, 120); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write([]byte("stty size\r")); err != nil {
		t.Fatal(err)
	}
	readUntil(ctx, t, e, &out, "44 120")
	if _, err := e.Write([]byte("exit 7\r")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	for {
		if _, err := e.Read(buf); err != nil {
			break // the shell's end closes the stream
		}
	}
	deadline := time.Now().Add(slow)
	for {
		code, running, err := e.ExitCode(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !running {
			if code != 7 {
				t.Errorf("exit code %d, want 7", code)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the exec still runs")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := rt.Exec(ctx, id, ExecSpec{}); err == nil {
		t.Error("an empty command was accepted")
	}
}

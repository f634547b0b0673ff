package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUpAuthMessages: the first start prints where the root keys are (a
// 0600 file), a restart does not print them again; auth off warns loudly,
// --auth does not.
func TestUpAuthMessages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	run := func(args ...string) (stdout, stderr string) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- up(ctx, append([]string{"--listen", "127.0.0.1:0", "--data-dir", dir, "--dns-listen", "", "--no-agent"}, args...), &out, &errOut)
		}()
		poll(t, 10*time.Second, "wharf up to print its endpoint", func() bool { return servingRE.MatchString(out.String()) })
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("wharf up: %v\n%s", err, errOut.String())
		}
		return out.String(), errOut.String()
	}
	creds := filepath.Join(dir, "credentials")
	out, errOut := run()
	if !strings.Contains(out, "AWS_SHARED_CREDENTIALS_FILE="+creds) || !strings.Contains(errOut, "WARNING: auth is off") {
		t.Fatalf("first start:\n%s\n%s", out, errOut)
	}
	if st, err := os.Stat(creds); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}
	out, errOut = run("--auth")
	if strings.Contains(out, "root keys") || strings.Contains(errOut, "WARNING: auth is off") {
		t.Fatalf("second start with --auth:\n%s\n%s", out, errOut)
	}
}

// TestCA: `wharf ca` writes the CA and a server certificate and says how
// to trust it.
func TestCA(t *testing.T) {
	dir := t.TempDir()
	var out, errOut syncBuffer
	if err := run([]string{"ca", "--data-dir", dir, "--host-name", "wharf.internal"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.pem", "ca-key.pem", "server.pem", "server-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, "tls", f)); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := os.Stat(filepath.Join(dir, "tls", "ca-key.pem")); st.Mode().Perm() != 0o600 {
		t.Fatalf("CA key mode %v", st.Mode())
	}
	if !strings.Contains(out.String(), "AWS_CA_BUNDLE="+filepath.Join(dir, "tls", "ca.pem")) {
		t.Fatalf("output:\n%s", out.String())
	}
}

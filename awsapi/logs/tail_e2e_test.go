package logs_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// awsCLI is Debian's aws CLI v2 (an `aws` earlier on PATH may be a v1 shim).
const awsCLI = "/usr/bin/aws"

// cliCommand runs `aws --endpoint-url URL logs ARGS…` with dummy keys, no
// user configuration, and unbuffered output.
func cliCommand(ctx context.Context, t *testing.T, url string, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("no aws CLI at %s: %v", awsCLI, err)
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", url, "--region", "us-east-1", "--color", "off", "logs"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=wharf", "AWS_SECRET_ACCESS_KEY=wharf", "AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+dir+"/config", "AWS_SHARED_CREDENTIALS_FILE="+dir+"/credentials",
		"PYTHONUNBUFFERED=1")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// TestCLITail checks `aws logs tail`, which polls FilterLogEvents: once
// for what the last hour holds, and with --follow until a line put after
// it started shows up.
func TestCLITail(t *testing.T) {
	w := wharftest.Start(t)
	c := logsClient(w, "us-east-1")
	g := "/ecs/tail"
	setupStream(t, c, g, "app/web/1")
	setupStream(t, c, g, "app/web/2")
	base := time.Now().Add(-10 * time.Minute).UnixMilli()
	put(t, c, g, "app/web/1", base, 1000, "first line", "third line")
	put(t, c, g, "app/web/2", base+500, 1000, "second line")

	t.Run("since", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := cliCommand(ctx, t, w.URL(), "tail", g, "--since", "1h", "--format", "short").CombinedOutput()
		if err != nil {
			t.Fatalf("aws logs tail: %v: %s", err, out)
		}
		var msgs []string
		for line := range strings.Lines(string(out)) {
			_, msg, _ := strings.Cut(strings.TrimSpace(line), " ") // after the timestamp
			msgs = append(msgs, msg)
		}
		if strings.Join(msgs, "|") != "first line|second line|third line" {
			t.Fatalf("tail printed:\n%s", out)
		}
	})

	t.Run("follow", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := cliCommand(ctx, t, w.URL(), "tail", g, "--follow", "--since", "1h")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); _ = cmd.Wait() }()
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		wait := func(want string) {
			t.Helper()
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("aws logs tail --follow ended before printing %q: %s", want, stderr.String())
					}
					if strings.HasSuffix(l, want) {
						if !strings.Contains(l, " app/web/") {
							t.Fatalf("line without its stream: %q", l)
						}
						return
					}
				case <-ctx.Done():
					t.Fatalf("aws logs tail --follow did not print %q in time: %s", want, stderr.String())
				}
			}
		}
		wait("third line")
		put(t, c, g, "app/web/2", time.Now().UnixMilli(), 1, "a fresh line")
		wait("a fresh line")
	})
}

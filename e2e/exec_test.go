package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/creack/pty"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/ssmsession"
)

// The aws CLI's ECS Exec runs AWS's session-manager-plugin, built from the
// Go module proxy by the shared script (cached across runs).
var (
	pluginOnce sync.Once
	pluginDir  string
	pluginErr  error
)

func sessionManagerPlugin(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Skip("ECS Exec through the aws CLI needs Debian's /usr/bin/aws")
	}
	pluginOnce.Do(func() {
		script := os.Getenv("WHARF_SMP_SCRIPT")
		if script == "" {
			script = filepath.Join("..", "..", "shared", "tools", "build-session-manager-plugin.sh")
		}
		pluginDir = filepath.Join(os.TempDir(), "wharf-session-manager-plugin")
		out, err := exec.Command("bash", script, pluginDir).CombinedOutput()
		if err != nil {
			pluginErr = fmt.Errorf("%s %s: %v\n%s", script, pluginDir, err, out)
		}
	})
	if pluginErr != nil {
		t.Skipf("AWS's session-manager-plugin could not be built (set WHARF_SMP_SCRIPT to the build script): %v", pluginErr)
	}
	return pluginDir
}

// execFixture is a wharf with a cluster and a running busybox task that
// accepts ECS Exec sessions.
type execFixture struct {
	w       *wharftest.Wharf
	c       *ecs.Client
	cluster string
	task    string
}

func startExecTask(t *testing.T, enable bool) execFixture {
	t.Helper()
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, ctx := w.ECS(), context.Background()
	logs := cwl.NewFromConfig(w.Config("us-east-1"))
	apitest.Must(logs.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/exec/audit")}))(t)
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("exec"),
		Configuration: &types.ClusterConfiguration{ExecuteCommandConfiguration: &types.ExecuteCommandConfiguration{
			Logging:          types.ExecuteCommandLoggingOverride,
			LogConfiguration: &types.ExecuteCommandLogConfiguration{CloudWatchLogGroupName: aws.String("/exec/audit")}}}}))(t)
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("shell"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("sh"), Image: aws.String(imgs.Busybox),
			Command: []string{"sleep", "3600"}, Memory: aws.Int32(64), StopTimeout: aws.Int32(2),
			DockerLabels: map[string]string{"wharf.test": "1"}}}}))(t)
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("exec"), TaskDefinition: aws.String("shell"),
		EnableExecuteCommand: enable}))(t)
	if len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %+v", run.Failures)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	task := waitTask(t, c, "exec", arn, 60*time.Second, "RUNNING", running)
	if task.EnableExecuteCommand != enable {
		t.Fatalf("enableExecuteCommand = %v", task.EnableExecuteCommand)
	}
	if enable {
		ma := container(t, task, "sh").ManagedAgents
		if len(ma) != 1 || ma[0].Name != types.ManagedAgentNameExecuteCommandAgent || aws.ToString(ma[0].LastStatus) != "RUNNING" {
			t.Fatalf("managed agents %+v", ma)
		}
	}
	return execFixture{w: w, c: c, cluster: "exec", task: arn}
}

// awsCLI prepares Debian's aws CLI against w with the plugin on PATH.
func awsCLI(ctx context.Context, t *testing.T, f execFixture, args ...string) *exec.Cmd {
	dir := sessionManagerPlugin(t)
	cmd := exec.CommandContext(ctx, "/usr/bin/aws", append([]string{"--endpoint-url", f.w.URL()}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=AKIDEXEC", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	return cmd
}

// lockedBuffer collects a process's output while a test reads it.
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	first time.Time // when the first byte of marker arrived
	mark  string
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.mark != "" && l.first.IsZero() && strings.Contains(l.b.String(), l.mark) {
		l.first = time.Now()
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitOutput polls (bounded) until out holds want after offset from.
func waitOutput(t *testing.T, out *lockedBuffer, from int, want string, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := out.String()
		if i := strings.Index(s[min(from, len(s)):], want); i >= 0 {
			return from + i + len(want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output within %s:\n%s", want, timeout, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExecCommandThroughCLI runs a command that prints and exits through
// the unmodified aws CLI and AWS's plugin; the cluster's OVERRIDE logging
// puts the session's transcript in its log group.
func TestExecCommandThroughCLI(t *testing.T) {
	f := startExecTask(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := awsCLI(ctx, t, f, "ecs", "execute-command", "--cluster", f.cluster, "--task", f.task, "--container", "sh",
		"--interactive", "--command", `sh -c "echo hello-from-exec; echo to-stderr >&2"`)
	// The plugin reads its standard input for the whole session (EOF ends
	// it), as under a terminal: keep a pipe open.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out := &lockedBuffer{mark: "hello-from-exec"}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws ecs execute-command: %v\n%s", err, out)
	}
	whole := time.Since(start)
	got := out.String()
	for _, want := range []string{"Starting session with SessionId: ecs-execute-command-", "hello-from-exec\r\n", "to-stderr", "Exiting session with sessionId"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if !out.first.IsZero() {
		// The CLI's own start-up is most of it: a plain describe-tasks
		// through the same CLI gives the baseline.
		t1 := time.Now()
		if b, err := awsCLI(ctx, t, f, "ecs", "describe-tasks", "--cluster", f.cluster, "--tasks", f.task).CombinedOutput(); err != nil {
			t.Fatalf("describe-tasks: %v\n%s", err, b)
		}
		t.Logf("ECS Exec: aws ecs execute-command to the command's first output byte: %v (whole session %v; aws ecs describe-tasks alone: %v)",
			out.first.Sub(start).Round(time.Millisecond), whole.Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	}

	// The transcript is written to the OVERRIDE group, in a stream named
	// after the session.
	logs := cwl.NewFromConfig(f.w.Config("us-east-1"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev, err := logs.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/exec/audit")})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, e := range ev.Events {
			if strings.HasPrefix(aws.ToString(e.LogStreamName), "ecs-execute-command-") {
				lines = append(lines, aws.ToString(e.Message))
			}
		}
		if strings.Contains(strings.Join(lines, "\n"), "hello-from-exec") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no transcript in /exec/audit: %q", lines)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestExecInteractiveShell drives a busybox shell through the aws CLI
// under a pseudo-terminal: keys typed reach it, the terminal size follows
// a resize, Ctrl-C interrupts the foreground command, exit ends it.
func TestExecInteractiveShell(t *testing.T) {
	f := startExecTask(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := awsCLI(ctx, t, f, "ecs", "execute-command", "--cluster", f.cluster, "--task", f.task,
		"--interactive", "--command", "/bin/sh")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	out := &lockedBuffer{}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(out, ptmx); close(copied) }()
	typ := func(s string) {
		if _, err := ptmx.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	at := waitOutput(t, out, 0, "# ", 30*time.Second)
	typ("echo $((6*7))\r")
	at = waitOutput(t, out, at, "42", 10*time.Second)

	// The plugin polls the terminal's size; the shell's terminal follows.
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		typ("stty size\r")
		if i := strings.Index(out.String()[at:], "50 132"); i >= 0 {
			at += i
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal size did not follow the resize:\n%s", out.String())
		}
		time.Sleep(300 * time.Millisecond)
	}

	// Ctrl-C reaches the command in the container, not the local CLI.
	typ("sleep 60\r")
	time.Sleep(300 * time.Millisecond) // let sleep become the foreground job
	interrupted := time.Now()
	typ("\x03")
	// As a person would, wait for the terminal to show ^C before typing
	// on: the plugin sends the signal's byte from its signal handler, so
	// keys typed at once may overtake it, and the interrupt then flushes
	// them from the container terminal's input.
	at = waitOutput(t, out, at, "^C", 10*time.Second)
	typ("echo after-interrupt\r")
	at = waitOutput(t, out, at, "\nafter-interrupt", 10*time.Second)
	if d := time.Since(interrupted); d > 20*time.Second {
		t.Errorf("Ctrl-C took %v", d)
	}

	typ("exit\r")
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("aws CLI: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the session did not end on exit:\n%s", out.String())
	}
	<-copied
	waitOutput(t, out, at, "Exiting session with sessionId", time.Second)
}

// TestExecRefused: a task run without enableExecuteCommand refuses
// sessions in ECS's words, and so does a non-interactive request.
func TestExecRefused(t *testing.T) {
	f := startExecTask(t, false)
	ctx := context.Background()
	_, err := f.c.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String(f.cluster), Task: aws.String(f.task),
		Interactive: true, Command: aws.String("/bin/sh")})
	wantCode(t, err, "InvalidParameterException")
	if !strings.Contains(err.Error(), "execute command was not enabled when the task was run") {
		t.Errorf("message: %v", err)
	}
	_, err = f.c.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String(f.cluster), Task: aws.String(f.task),
		Interactive: false, Command: aws.String("/bin/sh")})
	wantCode(t, err, "InvalidParameterException")

	// Through the aws CLI the refusal is the CLI's error, before any plugin.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := awsCLI(cctx, t, f, "ecs", "execute-command", "--cluster", f.cluster, "--task", f.task, "--interactive", "--command", "/bin/sh")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "InvalidParameterException") {
		t.Errorf("aws CLI: %v\n%s", err, out)
	}
}

// TestExecSessionsSDK is the SDK path (ExecuteCommand, then a client of
// the stream): a token opens its own session once and no other, and a
// session ends cleanly (channel_closed) when its task stops.
func TestExecSessionsSDK(t *testing.T) {
	f := startExecTask(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	open := func() *ecs.ExecuteCommandOutput {
		return apitest.Must(f.c.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String(f.cluster), Task: aws.String(f.task),
			Interactive: true, Command: aws.String("/bin/sh")}))(t)
	}
	dial := func(url, token string) (*ssmsession.Client, *lockedBuffer, chan error) {
		out := &lockedBuffer{mark: "# "}
		c, err := ssmsession.Dial(ctx, url, token, out)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		return c, out, done
	}
	t0 := time.Now()
	first, second := open(), open()
	if aws.ToString(first.TaskArn) != f.task || aws.ToString(first.ContainerName) != "sh" || !first.Interactive ||
		!strings.HasPrefix(aws.ToString(first.Session.StreamUrl), "ws://127.0.0.1:") {
		t.Fatalf("ExecuteCommand: %+v %+v", first, first.Session)
	}

	// The first session's token does not open the second one.
	_, _, done := dial(aws.ToString(second.Session.StreamUrl), aws.ToString(first.Session.TokenValue))
	if err := <-done; !errors.Is(err, ssmsession.ErrRefused) {
		t.Fatalf("another session's token: %v", err)
	}
	c, out, done := dial(aws.ToString(first.Session.StreamUrl), aws.ToString(first.Session.TokenValue))
	<-c.Ready()
	if err := c.Send(ctx, []byte("echo ready-$((1+1))\r")); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, out, 0, "ready-2", 10*time.Second)
	out.mu.Lock()
	t.Logf("ECS Exec, SDK path: ExecuteCommand to the shell's prompt: %v", out.first.Sub(t0).Round(time.Millisecond))
	out.mu.Unlock()
	// A spent token is refused.
	_, _, again := dial(aws.ToString(first.Session.StreamUrl), aws.ToString(first.Session.TokenValue))
	if err := <-again; !errors.Is(err, ssmsession.ErrRefused) {
		t.Fatalf("reused token: %v", err)
	}

	// Stopping the task ends the session with channel_closed.
	apitest.Must(f.c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(f.cluster), Task: aws.String(f.task)}))(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("session at task stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the session outlived its task")
	}
	waitTask(t, f.c, f.cluster, f.task, 30*time.Second, "STOPPED", stopped)
	_, err := f.c.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String(f.cluster), Task: aws.String(f.task),
		Interactive: true, Command: aws.String("/bin/sh")})
	wantCode(t, err, "InvalidParameterException")
}

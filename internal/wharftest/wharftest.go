// Package wharftest starts a real wharf for tests — the same server.Start
// that `wharf up` runs — on a loopback port with a fresh data dir, and hands
// out aws-sdk-go-v2 clients pointed at it. Production code must not import it.
package wharftest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/server"
)

// Wharf is a running wharf under test.
type Wharf struct {
	t       testing.TB
	DataDir string
	srv     *server.Server
}

// Start runs wharf with a new data dir; it is shut down at the test's end.
func Start(t testing.TB) *Wharf {
	t.Helper()
	w := &Wharf{t: t, DataDir: t.TempDir()}
	w.start()
	t.Cleanup(w.stop)
	return w
}

func (w *Wharf) start() {
	w.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("WHARF_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: w.DataDir, Log: log})
	if err != nil {
		w.t.Fatalf("start wharf: %v", err)
	}
	w.srv = srv
}

func (w *Wharf) stop() {
	if w.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.srv.Shutdown(ctx); err != nil {
		w.t.Errorf("shut down wharf: %v", err)
	}
	w.srv = nil
}

// Restart stops wharf and starts it again on the same data dir, as a user
// restarting `wharf up` would. Clients made before keep working only if
// they are made again with the new URL.
func (w *Wharf) Restart() {
	w.t.Helper()
	w.stop()
	w.start()
}

// URL is the endpoint.
func (w *Wharf) URL() string { return w.srv.URL() }

// Config is an SDK config for region, pointed at wharf with dummy keys and
// no retries, so a failing call fails the test at once.
func (w *Wharf) Config(region string) aws.Config {
	return aws.Config{
		Region:           region,
		BaseEndpoint:     aws.String(w.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDWHARFTEST", "secret", ""),
		RetryMaxAttempts: 1,
	}
}

// ECS is an ECS client for us-east-1.
func (w *Wharf) ECS() *ecs.Client { return ecs.NewFromConfig(w.Config("us-east-1")) }

// ECSIn is an ECS client for region.
func (w *Wharf) ECSIn(region string) *ecs.Client { return ecs.NewFromConfig(w.Config(region)) }

// Package wharftest starts a real wharf for tests — the same server.Start
// that `wharf up` runs — on a loopback port with a fresh data dir, and hands
// out aws-sdk-go-v2 clients pointed at it. Production code must not import it.
package wharftest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/server"
)

// Wharf is a running wharf under test.
type Wharf struct {
	t       testing.TB
	DataDir string
	agent   bool
	opts    Options
	srv     *server.Server
}

// Options are the settings StartWith takes.
type Options struct {
	// Agent runs the embedded agent (needs Docker, see RequireDocker).
	Agent bool
	// Auth requires signed calls (wharf up --auth); Config then signs with
	// the root keys of DATA_DIR/credentials.
	Auth bool
	// HostNames are extra names wharf answers to (--host-name).
	HostNames []string
	// StoreEtcd runs wharf's store on etcd at these client URLs
	// (--store-etcd; see store/etcd/etcdtest) under StoreEtcdPrefix.
	StoreEtcd       []string
	StoreEtcdPrefix string
}

// StartWith runs wharf with o's settings; it is shut down (and with an
// agent its containers removed) at the test's end.
func StartWith(t testing.TB, o Options) *Wharf {
	t.Helper()
	w := &Wharf{t: t, DataDir: t.TempDir(), agent: o.Agent, opts: o}
	if o.Agent {
		t.Cleanup(w.removeContainers)
	}
	w.start()
	t.Cleanup(w.stop)
	return w
}

// Start runs wharf's control plane alone (no agent, no Docker) with a new
// data dir; it is shut down at the test's end.
func Start(t testing.TB) *Wharf {
	t.Helper()
	w := &Wharf{t: t, DataDir: t.TempDir()}
	w.start()
	t.Cleanup(w.stop)
	return w
}

// StartWithAgent runs wharf as `wharf up` does, with the embedded agent on
// the local Docker engine, and waits until the agent polls (it joins the
// clusters in the background). Tests calling it need the engine; see
// RequireDocker.
func StartWithAgent(t testing.TB) *Wharf {
	t.Helper()
	w := &Wharf{t: t, DataDir: t.TempDir(), agent: true}
	// Cleanups run last-first: wharf stops, then its containers go (wharf
	// rightly leaves tasks running when it stops; the test must not).
	t.Cleanup(w.removeContainers)
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
	srv, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: w.DataDir, Log: log,
		NoAgent: !w.agent, CleanupAfter: 2 * time.Second, DNSListen: dnsListen(w.agent), Auth: w.opts.Auth, HostNames: w.opts.HostNames,
		StoreMaxTxnOps: 128, // etcd's bound: every write path the tests take must fit it
		StoreEtcd:      w.opts.StoreEtcd, StoreEtcdPrefix: w.opts.StoreEtcdPrefix})
	if err != nil {
		w.t.Fatalf("start wharf: %v", err)
	}
	w.srv = srv
	if w.agent {
		w.waitHealthy()
	}
}

// dnsListen runs wharf's DNS server beside the agent, on an ephemeral port
// (it also answers containers on the Docker bridge when it can bind there).
func dnsListen(agent bool) string {
	if agent {
		return "127.0.0.1:0"
	}
	return ""
}

// waitHealthy waits (bounded) for /_wharf/health to answer 200.
func (w *Wharf) waitHealthy() {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(w.srv.URL() + "/_wharf/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatal("wharf did not become healthy within 30s")
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

// Stop stops wharf (as SIGTERM would); task containers keep running.
func (w *Wharf) Stop() { w.stop() }

// Start starts a stopped wharf again on the same data dir.
func (w *Wharf) Start() {
	w.t.Helper()
	w.start()
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

// RootKeys are the account root user's keys (DATA_DIR/credentials).
func (w *Wharf) RootKeys() (accessKeyID, secret string) { return w.srv.RootKeys() }

// CredentialsFile is the path of the root keys' file, in the aws CLI's format.
func (w *Wharf) CredentialsFile() string {
	p, _ := w.srv.RootCredentials()
	return p
}

// Config is an SDK config for region, pointed at wharf with dummy keys
// (the root keys with auth on).
func (w *Wharf) Config(region string) aws.Config {
	akid, secret := "AKIDWHARFTEST", "secret"
	if w.opts.Auth {
		akid, secret = w.srv.RootKeys()
	}
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(w.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, ""),
		// Only connection failures are retried: every API error, a 500
		// included, reaches the test on the first attempt.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
			})
		},
	}
}

// ECS is an ECS client for us-east-1.
func (w *Wharf) ECS() *ecs.Client { return ecs.NewFromConfig(w.Config("us-east-1")) }

// ECSIn is an ECS client for region.
func (w *Wharf) ECSIn(region string) *ecs.Client { return ecs.NewFromConfig(w.Config(region)) }

package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agent"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/credentials"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/runtime/docker"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
	"github.com/wharfhq/wharf/store/etcd"
)

// Config is what `wharf up` takes.
type Config struct {
	// Listen is the HOST:PORT of the API (DefaultListen when empty).
	Listen string
	// DataDir holds the store and the agent's identity (DefaultDataDir()
	// when empty).
	DataDir string
	// Account is the AWS account id wharf answers for.
	Account string
	// NoAgent runs the control plane alone, without running tasks on this
	// host (no Docker needed).
	NoAgent bool
	// DockerHost is the engine's address ("" = DOCKER_HOST or the default).
	DockerHost string
	// StoreMaxTxnOps fails a store transaction that writes more keys than
	// that: 0 is etcd's default bound (DefaultStoreMaxTxnOps), so a write
	// path that would not commit on etcd fails on bbolt too; < 0 is no
	// bound.
	StoreMaxTxnOps int
	// StoreEtcd, when set, keeps the store in etcd at these client URLs
	// (wharf up --store-etcd) instead of DATA_DIR/wharf.db; the bound on
	// keys per transaction is then etcd's own (128). The data dir still
	// holds the logs store, the keyring, the root keys and the agent's
	// identity.
	StoreEtcd []string
	// StoreEtcdPrefix namespaces wharf's keys in etcd ("" = "/wharf/").
	StoreEtcdPrefix string
	// BindIP is where task ports are published (127.0.0.1 when empty).
	BindIP string
	// DNSListen is the HOST:PORT of the Cloud Map DNS server ("" = none).
	DNSListen string
	// CleanupAfter is how long stopped tasks' containers are kept.
	CleanupAfter time.Duration
	// StabilizationWindow is how long a service's new task must stay
	// RUNNING and healthy before it counts towards its deployment (0 =
	// the service scheduler's default).
	StabilizationWindow time.Duration
	// Auth requires every AWS call to be signed with a known key (wharf up
	// --auth). It is on whatever this says when Listen is not loopback.
	Auth bool
	// HostNames are names besides IP addresses and localhost that clients
	// reach wharf by (--host-name); requests sent to any other name are
	// refused (DNS rebinding).
	HostNames []string
	// KeyringFile, when set, holds the key that seals secrets instead of
	// DATA_DIR/keyring.json (--keyring-file; WHARF_KEYRING_KEY wins).
	KeyringFile string
	// KeyringKey is WHARF_KEYRING_KEY's value: the sealing key (or a
	// keyring's JSON) from the environment, which wins over KeyringFile.
	KeyringKey string
	// TLSCert and TLSKey serve HTTPS with this certificate (PEM files).
	TLSCert, TLSKey string
	Version         string
	Log             *slog.Logger

	// keyring is the keyring Start opened and checked, for the mounts.
	keyring *keyring.Keyring
}

// IsLoopback reports whether listen (HOST:PORT) binds loopback only.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DefaultListen is where wharf listens unless told otherwise.
const DefaultListen = "127.0.0.1:8555"

// DefaultDataDir is $XDG_DATA_HOME/wharf, or ~/.local/share/wharf.
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "wharf")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "wharf")
	}
	return filepath.Join(os.TempDir(), "wharf")
}

// openStore opens the bbolt file in the data dir, or etcd when configured.
func openStore(ctx context.Context, cfg Config) (store.Backend, error) {
	if len(cfg.StoreEtcd) > 0 {
		db, err := etcd.Open(ctx, etcd.Options{Endpoints: cfg.StoreEtcd, Prefix: cfg.StoreEtcdPrefix,
			MaxTxnOps: cfg.StoreMaxTxnOps, Log: cfg.Log})
		if err != nil {
			return nil, fmt.Errorf("open store on etcd %v: %w", cfg.StoreEtcd, err)
		}
		return db, nil
	}
	db, err := bolt.Open(filepath.Join(cfg.DataDir, "wharf.db"), bolt.Options{MaxTxnOps: maxTxnOps(cfg.StoreMaxTxnOps)})
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	return db, nil
}

// Server is a running wharf.
type Server struct {
	cfg    Config
	db     store.Backend
	ln     net.Listener
	http   *http.Server
	agent  *agent.Agent
	rt     *docker.Runtime
	cancel context.CancelFunc
	wg     sync.WaitGroup // the supervisor and the agent
	done   chan error
	// closers release what services opened (the logs store), once the
	// runners and HTTP calls that use them have stopped.
	closers []func() error
	// root is the account root user's keys (DATA_DIR/credentials).
	tls         *tls.Config // nil: plain HTTP
	root        *credentials.Root
	rootCreated bool
	authOn      bool
}

// Start opens the store, binds the port, serves in the background and
// starts the embedded agent. It returns once requests can be answered;
// /_wharf/health turns 200 once the agent polls (it joins the clusters in
// the background meanwhile).
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir()
	}
	if cfg.Account == "" {
		cfg.Account = awsapi.DefaultAccount
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// A store from before the task indexes is indexed once, before any
	// reader relies on them.
	if built, err := state.BuildIndexes(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	} else if built {
		cfg.Log.Debug("built the task indexes of the store", "dir", cfg.DataDir)
	}
	// A keyring that does not hold the keys of the sealed values stops the
	// start: never a silent new key.
	if cfg.keyring, err = openKeyringChecked(ctx, db, cfg); err != nil {
		_ = db.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, done: make(chan error, 1), authOn: cfg.Auth || !IsLoopback(cfg.Listen)}
	if s.root, s.rootCreated, err = credentials.LoadOrCreateRoot(cfg.DataDir, cfg.Account); err != nil {
		_ = db.Close()
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.ln = ln
	// The bound address (with the port chosen for :0): ECR's repository
	// URIs name it.
	s.cfg.Listen = ln.Addr().String()
	if certFile, keyFile := tlsFiles(cfg); certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			_ = ln.Close()
			_ = db.Close()
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	} else if !IsLoopback(cfg.Listen) {
		cfg.Log.Warn("serving plain HTTP off loopback: secret values and task credentials cross the network in clear; run `wharf ca` or give --tls-cert/--tls-key", "listen", cfg.Listen)
	}
	if !cfg.NoAgent {
		if err := s.newAgent(ctx); err != nil {
			_ = ln.Close()
			_ = db.Close()
			return nil, err
		}
	}
	bg, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	cp := newControlPlane(s.db, s.cfg, s.healthy)
	if s.agent != nil {
		cp.execs.Use(s.agent.NodeID(), s.agent.Exec) // ECS Exec runs in the embedded agent's containers
	}
	s.closers = cp.closers
	s.secureFrontDoor(cp.api)
	// Every controller and data plane runs under one supervisor until
	// Shutdown; it restarts a failed one with backoff.
	s.wg.Go(func() { _ = cp.bg.Run(bg) })
	api := cp.api
	// net/http's own complaints (TLS handshakes a client broke off) go to
	// wharf's log at debug level, not to stderr.
	s.http = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug)}
	served := ln
	if s.tls != nil {
		served = tls.NewListener(ln, s.tls)
	}
	go func() {
		err := s.http.Serve(served)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	if s.agent != nil {
		s.wg.Go(func() {
			if err := s.agent.Run(bg); err != nil {
				cfg.Log.Error("agent stopped", "err", err)
			}
		})
	}
	return s, nil
}

func (s *Server) newAgent(ctx context.Context) error {
	// No ping here: an engine out of reach (dockerd still starting) is
	// retried by the agent, and /_wharf/health names it meanwhile.
	rt, err := docker.Dial(s.cfg.DockerHost)
	if err != nil {
		return fmt.Errorf("the agent's Docker engine address: %w", err)
	}
	a, err := agent.New(agent.Config{
		Server: s.URL(), TLSPin: s.tlsPin(), DataDir: filepath.Join(s.cfg.DataDir, "agent"), Runtime: rt,
		AccessKeyID: s.root.AccessKeyID, SecretAccessKey: s.root.SecretAccessKey,
		BindIP: s.cfg.BindIP, AutoJoin: true, CleanupAfter: s.cfg.CleanupAfter, Version: s.cfg.Version,
		Log: s.cfg.Log.With("component", "agent"),
	})
	if err != nil {
		_ = rt.Close()
		return err
	}
	s.rt, s.agent = rt, a
	return nil
}

// secureFrontDoor turns on the API's checks: the root keys, the Host
// names it answers to, and authentication when required.
func (s *Server) secureFrontDoor(api *awsapi.Server) {
	names := append([]string{}, s.cfg.HostNames...)
	if host, _, err := net.SplitHostPort(s.cfg.Listen); err == nil && host != "" {
		names = append(names, host)
	}
	api.SetAccess(awsapi.Access{RequireAuth: s.authOn, CheckHost: true, HostNames: names})
	api.AddKeyResolver(s.root.Resolve)
	if !s.authOn {
		s.cfg.Log.Warn("AUTH IS OFF: every process on this host (host-network task containers included) has full access to wharf's APIs and secrets, with any or no credentials; start with --auth to require signed requests",
			"listen", s.cfg.Listen)
	}
}

// AuthOn reports whether every AWS call must be signed with a known key.
func (s *Server) AuthOn() bool { return s.authOn }

// RootCredentials is the path of the root keys' file, and whether this
// start wrote it.
func (s *Server) RootCredentials() (path string, created bool) { return s.root.Path, s.rootCreated }

// RootKeys are the account root user's access key and secret.
func (s *Server) RootKeys() (accessKeyID, secret string) {
	return s.root.AccessKeyID, s.root.SecretAccessKey
}

// storeCheckTimeout bounds how long /_wharf/health waits for the store:
// a probe must get its 503 before its own timeout (a container health
// check's is typically 5 s).
const storeCheckTimeout = 2 * time.Second

func (s *Server) healthy() error {
	if c, ok := s.db.(store.Checker); ok {
		ctx, cancel := context.WithTimeout(context.Background(), storeCheckTimeout)
		defer cancel()
		if err := c.Check(ctx); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	if s.agent != nil {
		return s.agent.Health()
	}
	return nil
}

// URL is the endpoint clients use (http://HOST:PORT, https:// with TLS).
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// tlsPin is the served certificate, which the embedded agent accepts
// exactly (whatever names it holds), or nil without TLS.
func (s *Server) tlsPin() []byte {
	if s.tls == nil {
		return nil
	}
	return s.tls.Certificates[0].Certificate[0]
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Done reports the HTTP server's end (nil after Shutdown).
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops the controllers and the agent (task containers keep
// running), stops accepting calls, lets in-flight ones finish until ctx
// ends, and closes the stores.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	s.wg.Wait()
	herr := s.http.Shutdown(ctx)
	if herr != nil {
		_ = s.http.Close()
	}
	// After the HTTP server, so no call still uses a store being closed.
	for _, c := range s.closers {
		if err := c(); err != nil {
			s.cfg.Log.Warn("close a service's store", "err", err)
		}
	}
	if s.rt != nil {
		_ = s.rt.Close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return herr
}

// DefaultStoreMaxTxnOps is etcd's default --max-txn-ops: every write path
// keeps to it (bulk work goes in batches), so the store can move to etcd.
const DefaultStoreMaxTxnOps = 128

// maxTxnOps is bolt.Options.MaxTxnOps for Config.StoreMaxTxnOps.
func maxTxnOps(n int) int {
	switch {
	case n == 0:
		return DefaultStoreMaxTxnOps
	case n < 0:
		return 0
	}
	return n
}

package server

import (
	"context"
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
	"github.com/wharfhq/wharf/runtime/docker"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store/bolt"
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
	Version             string
	Log                 *slog.Logger
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

// Server is a running wharf.
type Server struct {
	cfg    Config
	db     *bolt.DB
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
	db, err := bolt.Open(filepath.Join(cfg.DataDir, "wharf.db"), bolt.Options{})
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	// A store from before the task indexes is indexed once, before any
	// reader relies on them.
	if built, err := state.BuildIndexes(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	} else if built {
		cfg.Log.Debug("built the task indexes of the store", "dir", cfg.DataDir)
	}
	s := &Server{cfg: cfg, db: db, done: make(chan error, 1)}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.ln = ln
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
	// Every controller and data plane runs under one supervisor until
	// Shutdown; it restarts a failed one with backoff.
	s.wg.Go(func() { _ = cp.bg.Run(bg) })
	api := cp.api
	s.http = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		err := s.http.Serve(ln)
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
		Server: "http://" + s.ln.Addr().String(), DataDir: filepath.Join(s.cfg.DataDir, "agent"), Runtime: rt,
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

func (s *Server) healthy() error {
	if s.agent != nil {
		return s.agent.Health()
	}
	return nil
}

// URL is the endpoint clients use (http://HOST:PORT).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

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

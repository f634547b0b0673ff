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
	"time"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/ecs"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// Config is what `wharf up` takes.
type Config struct {
	// Listen is the HOST:PORT of the API (DefaultListen when empty).
	Listen string
	// DataDir holds the store (DefaultDataDir() when empty).
	DataDir string
	// Account is the AWS account id wharf answers for.
	Account string
	Log     *slog.Logger
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
	cfg  Config
	db   *bolt.DB
	ln   net.Listener
	http *http.Server
	done chan error
}

// Start opens the store, binds the port and serves in the background. It
// returns once requests can be answered.
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
	db, err := bolt.Open(filepath.Join(cfg.DataDir, "wharf.db"), bolt.Options{})
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	api := newAPI(db, cfg)

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s := &Server{
		cfg: cfg, db: db, ln: ln, done: make(chan error, 1),
		http: &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second},
	}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// newAPI mounts every AWS service wharf serves, and wharf's own endpoints,
// over db.
func newAPI(db store.Backend, cfg Config) *awsapi.Server {
	api := awsapi.NewServer(cfg.Log, cfg.Account)
	api.RegisterJSON(ecs.New(db, cfg.Log).Service())
	api.Handle("GET /_wharf/health", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	}))
	return api
}

// URL is the endpoint clients use (http://HOST:PORT).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Done reports the HTTP server's end (nil after Shutdown).
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting calls, lets in-flight ones finish until ctx ends,
// and closes the store. Task containers are left running by design.
func (s *Server) Shutdown(ctx context.Context) error {
	herr := s.http.Shutdown(ctx)
	if herr != nil {
		_ = s.http.Close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return herr
}

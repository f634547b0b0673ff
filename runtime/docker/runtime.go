package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
)

// Runtime is a connection to one Docker engine. It is safe for concurrent use.
type Runtime struct {
	cli *client.Client
}

// New connects to the engine at host (e.g. "unix:///var/run/docker.sock");
// an empty host means DOCKER_HOST or the default socket. It pings the engine
// to negotiate the API version and fails if the engine is unreachable.
func New(ctx context.Context, host string) (*Runtime, error) {
	r, err := Dial(host)
	if err != nil {
		return nil, err
	}
	if err := r.Ping(ctx); err != nil {
		r.cli.Close()
		return nil, err
	}
	return r, nil
}

// Dial is New without the ping: the engine may be unreachable yet (dockerd
// still starting); the first call negotiates the API version. It fails only
// when host is malformed.
func Dial(host string) (*Runtime, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: new client: %w", err)
	}
	return &Runtime{cli: cli}, nil
}

// Close releases the client's connections.
func (r *Runtime) Close() error { return r.cli.Close() }

// Host is the engine's address, e.g. unix:///var/run/docker.sock.
func (r *Runtime) Host() string { return r.cli.DaemonHost() }

// Ping checks that the engine answers and negotiates the API version.
func (r *Runtime) Ping(ctx context.Context) error {
	p, err := r.cli.Ping(ctx)
	if err != nil {
		return fmt.Errorf("docker: ping: %w", err)
	}
	r.cli.NegotiateAPIVersionPing(p)
	return nil
}

// Info describes the engine and its host.
type Info struct {
	NCPU          int
	MemTotal      int64 // bytes
	ServerVersion string
	APIVersion    string // negotiated API version
	OSType        string // "linux"
	Architecture  string // e.g. "x86_64"
}

// Info returns the engine's description of itself and its host.
func (r *Runtime) Info(ctx context.Context) (Info, error) {
	in, err := r.cli.Info(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("docker: info: %w", err)
	}
	return Info{
		NCPU:          in.NCPU,
		MemTotal:      in.MemTotal,
		ServerVersion: in.ServerVersion,
		APIVersion:    r.cli.ClientVersion(),
		OSType:        in.OSType,
		Architecture:  in.Architecture,
	}, nil
}

// IsNotFound reports whether err (possibly wrapped) means that the
// container, image, volume or network does not exist.
func IsNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

// drainJSON reads an engine JSON message stream (pull, build) to its end and
// returns the first error message it carries.
func drainJSON(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if msg.ErrorDetail != nil && msg.ErrorDetail.Message != "" {
			return errors.New(msg.ErrorDetail.Message)
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}

package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/distribution/distribution/v3/registry/storage"
	"github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	"github.com/distribution/reference"
	"github.com/sirupsen/logrus"
)

// Repository is what the registry needs to know of an ECR repository.
type Repository struct {
	// Immutable refuses to move a tag to another manifest.
	Immutable bool
}

// Hooks is what the registry asks of ECR (awsapi/ecr implements it).
type Hooks interface {
	// Authenticate accepts the basic-auth user and password of a request
	// (user AWS, password a live GetAuthorizationToken token) or says why
	// not.
	Authenticate(ctx context.Context, user, password string) error
	// Repository looks up the repository a request names; ok is false
	// when ECR has no such repository.
	Repository(ctx context.Context, name string) (repo Repository, ok bool, err error)
	// Pushed records a manifest a client pushed (tag "" for a push by
	// digest).
	Pushed(ctx context.Context, name string, img Image) error
	// Pulled records that a client fetched the manifest dgst.
	Pulled(ctx context.Context, name, dgst string) error
}

// Image is one manifest as ECR describes it.
type Image struct {
	Digest    string
	Tag       string
	MediaType string
	// ArtifactMediaType is the config's media type.
	ArtifactMediaType string
	// Size is the sum of the compressed layers and the config, as ECR's
	// imageSizeInBytes.
	Size     int64
	Manifest []byte
}

// Registry is one registry over a directory.
type Registry struct {
	app    *handlers.App
	driver driver.StorageDriver
	ns     distribution.Namespace
	hooks  Hooks
	log    *slog.Logger
	// writes is held shared by every request that writes to the storage
	// and exclusively by GC, so that a sweep never sees a push half done.
	writes sync.RWMutex
	// lastWrite is when the last write request ended (guarded by mu):
	// GC waits for a quiet period, as a push's blobs are unreferenced
	// until its manifest arrives.
	mu        sync.Mutex
	lastWrite time.Time
	// Quiet is how long after the last write GC waits before sweeping.
	Quiet time.Duration
	// Realm names the registry in WWW-Authenticate.
	Realm string
}

// New opens the registry stored under dir.
func New(ctx context.Context, dir string, hooks Hooks, log *slog.Logger) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("registry: create %s: %w", dir, err)
	}
	// distribution logs through logrus at info level per request; wharf
	// keeps its own log, and distribution's "errors" are a client's 404s.
	logrus.SetLevel(logrus.FatalLevel)
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("registry: secret: %w", err)
	}
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"filesystem": configuration.Parameters{"rootdirectory": dir},
		"delete":     configuration.Parameters{"enabled": true},
	}
	cfg.HTTP.Secret = hex.EncodeToString(secret)
	app, err := newApp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	drv := filesystem.New(filesystem.DriverParameters{RootDirectory: dir, MaxThreads: 100})
	ns, err := storage.NewRegistry(ctx, drv, storage.EnableDelete)
	if err != nil {
		return nil, fmt.Errorf("registry: open storage in %s: %w", dir, err)
	}
	return &Registry{app: app, driver: drv, ns: ns, hooks: hooks, log: log, Quiet: time.Minute, Realm: "wharf ECR"}, nil
}

// newApp builds distribution's handlers, which panic on a bad
// configuration rather than answer an error.
func newApp(ctx context.Context, cfg *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registry: start distribution: %v", p)
		}
	}()
	return handlers.NewApp(ctx, cfg), nil
}

// Close stops distribution's background work (the upload purger).
func (r *Registry) Close() error { return r.app.Shutdown() }

func (r *Registry) repo(ctx context.Context, name string) (distribution.Repository, error) {
	named, err := reference.WithName(name)
	if err != nil {
		return nil, fmt.Errorf("registry: repository name %q: %w", name, err)
	}
	return r.ns.Repository(ctx, named)
}

// ErrNotFound is returned for a manifest, tag or repository the storage
// does not hold.
var ErrNotFound = errors.New("registry: not found")

// TagDigest is the digest tag points to in repository name ("" when the
// tag is unknown).
func (r *Registry) TagDigest(ctx context.Context, name, tag string) (string, error) {
	repo, err := r.repo(ctx, name)
	if err != nil {
		return "", err
	}
	desc, err := repo.Tags(ctx).Get(ctx, tag)
	if err != nil {
		var unknown distribution.ErrTagUnknown
		if errors.As(err, &unknown) {
			return "", nil
		}
		return "", fmt.Errorf("registry: look up %s:%s: %w", name, tag, err)
	}
	return desc.Digest.String(), nil
}

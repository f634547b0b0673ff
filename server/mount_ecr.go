package server

import (
	"context"
	"errors"
	"net"
	"path/filepath"

	"github.com/wharfhq/wharf/awsapi/ecr"
	"github.com/wharfhq/wharf/registry"
)

// registryDir holds the ECR registry's blobs and manifests.
const registryDir = "registry"

// ECR over JSON 1.1 and its OCI registry at /v2/ on the same port. The
// repositoryUri is HOST:PORT/NAME with wharf's loopback address, which a
// stock Docker engine pushes to over plain HTTP. Not served without a data
// dir (nil).
func mountECR(m *mounter) *ecr.API {
	if m.Cfg.DataDir == "" {
		m.Log.Warn("ecr: no data dir; ECR and its registry are not served")
		return nil
	}
	log := m.Log.With("service", "ecr")
	api := ecr.New(m.DB, m.Cfg.Account, registryHost(m.Cfg.Listen), log)
	reg, err := registry.New(context.Background(), filepath.Join(m.Cfg.DataDir, registryDir), ecrHooks{api}, log)
	if err != nil {
		m.Log.Error("ecr: ECR is not served", "err", err)
		return nil
	}
	m.closers = append(m.closers, reg.Close)
	api.SetRegistry(ecrRegistry{reg})
	m.API.RegisterJSON(api.Service())
	m.API.Handle("/v2/", m.API.AuditRegistry(reg))
	return api
}

// registryHost is the HOST:PORT of repository URIs: the listen address,
// with loopback in place of an unspecified host (Docker trusts plain HTTP
// only on 127.0.0.0/8).
func registryHost(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// ecrHooks is the registry's view of ECR.
type ecrHooks struct{ api *ecr.API }

func (h ecrHooks) Authenticate(ctx context.Context, user, password string) error {
	return h.api.Authenticate(ctx, user, password)
}

func (h ecrHooks) Repository(ctx context.Context, name string) (registry.Repository, bool, error) {
	imm, ok, err := h.api.RepositoryImmutable(ctx, name)
	return registry.Repository{Immutable: imm}, ok, err
}

func (h ecrHooks) Pushed(ctx context.Context, name string, img registry.Image) error {
	return h.api.RecordPush(ctx, name, manifestOf(img), img.Tag)
}

func (h ecrHooks) Pulled(ctx context.Context, name, dgst string) error {
	return h.api.RecordPull(ctx, name, dgst)
}

func manifestOf(img registry.Image) ecr.Manifest {
	return ecr.Manifest{Digest: img.Digest, MediaType: img.MediaType, ArtifactMediaType: img.ArtifactMediaType, Size: img.Size, Bytes: img.Manifest}
}

// ecrRegistry is ECR's view of the registry.
type ecrRegistry struct{ r *registry.Registry }

func (e ecrRegistry) Manifest(ctx context.Context, repo, ref string) (ecr.Manifest, bool, error) {
	img, err := e.r.Manifest(ctx, repo, ref)
	if errors.Is(err, registry.ErrNotFound) {
		return ecr.Manifest{}, false, nil
	}
	return manifestOf(img), err == nil, err
}

func (e ecrRegistry) PutManifest(ctx context.Context, repo, tag, mediaType string, manifest []byte) (ecr.Manifest, error) {
	img, err := e.r.PutManifest(ctx, repo, tag, mediaType, manifest)
	switch {
	case errors.Is(err, registry.ErrInvalidManifest):
		return ecr.Manifest{}, errors.Join(ecr.ErrInvalidManifest, err)
	case errors.Is(err, registry.ErrLayersMissing):
		return ecr.Manifest{}, errors.Join(ecr.ErrLayersMissing, err)
	}
	return manifestOf(img), err
}

func (e ecrRegistry) Untag(ctx context.Context, repo, tag string) error {
	return e.r.Untag(ctx, repo, tag)
}

func (e ecrRegistry) DeleteManifest(ctx context.Context, repo, digest string) error {
	return e.r.DeleteManifest(ctx, repo, digest)
}

func (e ecrRegistry) BlobExists(ctx context.Context, repo, digest string) (bool, int64, error) {
	return e.r.BlobExists(ctx, repo, digest)
}

func (e ecrRegistry) DeleteRepository(ctx context.Context, repo string) error {
	return e.r.DeleteRepository(ctx, repo)
}

func (e ecrRegistry) GC(ctx context.Context) error {
	_, err := e.r.GC(ctx)
	return err
}

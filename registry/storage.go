package registry

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/storage"
	"github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// What the ECR API does to the storage directly (PutImage, BatchGetImage,
// BatchDeleteImage, DeleteRepository, lifecycle expiry), through
// distribution's storage services.

// Manifest is the manifest ref (a tag or a digest) names in repository
// name: its digest, media type and bytes; ErrNotFound when there is none.
func (r *Registry) Manifest(ctx context.Context, name, ref string) (Image, error) {
	repo, err := r.repo(ctx, name)
	if err != nil {
		return Image{}, err
	}
	dgst, err := digest.Parse(ref)
	if err != nil {
		desc, terr := repo.Tags(ctx).Get(ctx, ref)
		if terr != nil {
			var unknown distribution.ErrTagUnknown
			if errors.As(terr, &unknown) {
				return Image{}, ErrNotFound
			}
			return Image{}, fmt.Errorf("registry: look up %s:%s: %w", name, ref, terr)
		}
		dgst = desc.Digest
	}
	ms, err := repo.Manifests(ctx)
	if err != nil {
		return Image{}, fmt.Errorf("registry: manifests of %s: %w", name, err)
	}
	m, err := ms.Get(ctx, dgst)
	if err != nil {
		if isUnknown(err) {
			return Image{}, ErrNotFound
		}
		return Image{}, fmt.Errorf("registry: get manifest %s@%s: %w", name, dgst, err)
	}
	mt, payload, err := m.Payload()
	if err != nil {
		return Image{}, fmt.Errorf("registry: manifest %s@%s: %w", name, dgst, err)
	}
	return Describe(dgst.String(), mt, payload), nil
}

func isUnknown(err error) bool {
	var unknownRev distribution.ErrManifestUnknownRevision
	var unknown distribution.ErrManifestUnknown
	return errors.As(err, &unknownRev) || errors.As(err, &unknown) || errors.Is(err, distribution.ErrBlobUnknown)
}

// PutManifest stores manifest (of mediaType) in repository name and
// points tag at it when tag is not "". The blobs it references must be
// in the repository already.
func (r *Registry) PutManifest(ctx context.Context, name, tag, mediaType string, manifest []byte) (Image, error) {
	r.writes.RLock()
	defer r.writes.RUnlock()
	defer r.touch()
	repo, err := r.repo(ctx, name)
	if err != nil {
		return Image{}, err
	}
	m, desc, err := distribution.UnmarshalManifest(mediaType, manifest)
	if err != nil {
		return Image{}, fmt.Errorf("%w: %v", ErrInvalidManifest, err)
	}
	ms, err := repo.Manifests(ctx)
	if err != nil {
		return Image{}, fmt.Errorf("registry: manifests of %s: %w", name, err)
	}
	dgst, err := ms.Put(ctx, m)
	if err != nil {
		var verr distribution.ErrManifestVerification
		if errors.As(err, &verr) {
			return Image{}, fmt.Errorf("%w: %v", ErrLayersMissing, err)
		}
		return Image{}, fmt.Errorf("registry: put manifest in %s: %w", name, err)
	}
	if tag != "" {
		if err := repo.Tags(ctx).Tag(ctx, tag, v1.Descriptor{Digest: dgst, MediaType: desc.MediaType, Size: desc.Size}); err != nil {
			return Image{}, fmt.Errorf("registry: tag %s:%s: %w", name, tag, err)
		}
	}
	img := Describe(dgst.String(), mediaType, manifest)
	img.Tag = tag
	return img, nil
}

// Errors of PutManifest.
var (
	ErrInvalidManifest = errors.New("registry: invalid manifest")
	ErrLayersMissing   = errors.New("registry: referenced layers missing")
)

// Untag removes tag from repository name (an unknown tag is no error).
func (r *Registry) Untag(ctx context.Context, name, tag string) error {
	r.writes.RLock()
	defer r.writes.RUnlock()
	repo, err := r.repo(ctx, name)
	if err != nil {
		return err
	}
	if err := repo.Tags(ctx).Untag(ctx, tag); err != nil {
		var unknown distribution.ErrTagUnknown
		if !errors.As(err, &unknown) {
			return fmt.Errorf("registry: untag %s:%s: %w", name, tag, err)
		}
	}
	return nil
}

// DeleteManifest removes the manifest dgst and every tag pointing at it
// from repository name; its blobs go at the next GC.
func (r *Registry) DeleteManifest(ctx context.Context, name, dgst string) error {
	r.writes.RLock()
	defer r.writes.RUnlock()
	repo, err := r.repo(ctx, name)
	if err != nil {
		return err
	}
	d, err := digest.Parse(dgst)
	if err != nil {
		return fmt.Errorf("registry: digest %q: %w", dgst, err)
	}
	tags := repo.Tags(ctx)
	refs, err := tags.Lookup(ctx, v1.Descriptor{Digest: d})
	if err != nil && !isPathNotFound(err) {
		return fmt.Errorf("registry: tags of %s@%s: %w", name, dgst, err)
	}
	for _, t := range refs {
		if err := tags.Untag(ctx, t); err != nil {
			return fmt.Errorf("registry: untag %s:%s: %w", name, t, err)
		}
	}
	ms, err := repo.Manifests(ctx)
	if err != nil {
		return fmt.Errorf("registry: manifests of %s: %w", name, err)
	}
	if err := ms.Delete(ctx, d); err != nil && !isUnknown(err) && !isPathNotFound(err) {
		return fmt.Errorf("registry: delete %s@%s: %w", name, dgst, err)
	}
	return nil
}

// BlobExists reports whether the blob dgst is linked in repository name.
func (r *Registry) BlobExists(ctx context.Context, name, dgst string) (bool, int64, error) {
	repo, err := r.repo(ctx, name)
	if err != nil {
		return false, 0, err
	}
	d, err := digest.Parse(dgst)
	if err != nil {
		return false, 0, nil
	}
	desc, err := repo.Blobs(ctx).Stat(ctx, d)
	if err != nil {
		if errors.Is(err, distribution.ErrBlobUnknown) {
			return false, 0, nil
		}
		return false, 0, fmt.Errorf("registry: stat %s@%s: %w", name, dgst, err)
	}
	return true, desc.Size, nil
}

// DeleteRepository removes everything repository name holds (its blobs
// go at the next GC).
func (r *Registry) DeleteRepository(ctx context.Context, name string) error {
	r.writes.RLock()
	defer r.writes.RUnlock()
	p := path.Join("/docker/registry/v2/repositories", name)
	if err := r.driver.Delete(ctx, p); err != nil && !isPathNotFound(err) {
		return fmt.Errorf("registry: delete repository %s: %w", name, err)
	}
	return nil
}

func isPathNotFound(err error) bool {
	var nf driver.PathNotFoundError
	return errors.As(err, &nf)
}

func (r *Registry) touch() {
	r.mu.Lock()
	r.lastWrite = time.Now()
	r.mu.Unlock()
}

// GC removes the blobs no manifest references any more. It sweeps only
// once no write happened for Quiet (a push's layers are unreferenced
// until its manifest arrives) and holds every write off while it runs;
// it answers false when it deferred the sweep.
func (r *Registry) GC(ctx context.Context) (bool, error) {
	r.mu.Lock()
	quiet := time.Since(r.lastWrite) >= r.Quiet
	r.mu.Unlock()
	if !quiet {
		return false, nil
	}
	r.writes.Lock()
	defer r.writes.Unlock()
	r.mu.Lock()
	quiet = time.Since(r.lastWrite) >= r.Quiet
	r.mu.Unlock()
	if !quiet {
		return false, nil
	}
	// A registry nothing was ever pushed to has no repositories directory;
	// distribution's mark step reports that as an error it does not wrap.
	if _, err := r.driver.Stat(ctx, "/docker/registry/v2/repositories"); isPathNotFound(err) {
		return true, nil
	}
	err := storage.MarkAndSweep(ctx, r.driver, r.ns, storage.GCOpts{RemoveUntagged: false, Quiet: true})
	if err != nil && !isPathNotFound(err) {
		return false, fmt.Errorf("registry: garbage collect: %w", err)
	}
	return true, nil
}

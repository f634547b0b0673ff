package ecr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Errors a Registry returns for PutManifest.
var (
	ErrInvalidManifest = errors.New("invalid manifest")
	ErrLayersMissing   = errors.New("layers missing")
)

// The registry's side (registry.Hooks through server/mount_ecr.go).

// regionOf is the region holding repository name of wharf's account.
func (a *API) regionOf(ctx context.Context, name string) (model.Scope, bool, error) {
	var rec nameRecord
	var ok bool
	err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		rec, ok, err = store.Get[nameRecord](tx, nameKey(a.account, name))
		return err
	})
	return model.Scope{Account: a.account, Region: rec.Region}, ok, err
}

// RepositoryImmutable looks up a repository the registry is asked for:
// found is false when ECR has no such repository.
func (a *API) RepositoryImmutable(ctx context.Context, name string) (immutable, found bool, err error) {
	sc, ok, err := a.regionOf(ctx, name)
	if err != nil || !ok {
		return false, false, err
	}
	var rec repoRecord
	err = a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		rec, ok, err = store.Get[repoRecord](tx, repoKey(sc, name))
		return err
	})
	return rec.Mutability == ecrtypes.ImageTagMutabilityImmutable, ok, err
}

// RecordPush records an image pushed to the registry, tag ("" for none)
// moving to it from any other image of the repository.
func (a *API) RecordPush(ctx context.Context, name string, m Manifest, tag string) error {
	sc, ok, err := a.regionOf(ctx, name)
	if err != nil || !ok {
		return err
	}
	_, err = a.DB.Update(ctx, func(tx store.Tx) error { return a.putImage(tx, sc, name, m, tag) })
	return err
}

func (a *API) putImage(tx store.Tx, sc model.Scope, repo string, m Manifest, tag string) error {
	imgs, err := listImages(tx, sc, repo)
	if err != nil {
		return err
	}
	var rec imageRecord
	found := false
	for _, im := range imgs {
		if im.Digest == m.Digest {
			rec, found = im, true
			continue
		}
		if tag != "" && slices.Contains(im.Tags, tag) {
			im.Tags = slices.DeleteFunc(im.Tags, func(t string) bool { return t == tag })
			if err := store.Put(tx, imageKey(sc, repo, im.Digest), im); err != nil {
				return err
			}
		}
	}
	if !found {
		rec = imageRecord{Digest: m.Digest, Size: m.Size, MediaType: m.MediaType, ArtifactMediaType: m.ArtifactMediaType, PushedAt: a.Now().UTC()}
	}
	if tag != "" && !slices.Contains(rec.Tags, tag) {
		rec.Tags = append(rec.Tags, tag)
	}
	return store.Put(tx, imageKey(sc, repo, m.Digest), rec)
}

// RecordPull moves an image's lastRecordedPullTime.
func (a *API) RecordPull(ctx context.Context, name, digest string) error {
	sc, ok, err := a.regionOf(ctx, name)
	if err != nil || !ok {
		return err
	}
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		rec, ok, err := store.Get[imageRecord](tx, imageKey(sc, name, digest))
		if err != nil || !ok {
			return err
		}
		rec.LastPull = a.Now().UTC()
		return store.Put(tx, imageKey(sc, name, digest), rec)
	})
	return err
}

// The API side.

func imageID(digest, tag string) ecrtypes.ImageIdentifier {
	id := ecrtypes.ImageIdentifier{}
	if digest != "" {
		id.ImageDigest = new(digest)
	}
	if tag != "" {
		id.ImageTag = new(tag)
	}
	return id
}

func idString(id ecrtypes.ImageIdentifier) string {
	d, t := "null", "null"
	if id.ImageDigest != nil {
		d = *id.ImageDigest
	}
	if id.ImageTag != nil {
		t = *id.ImageTag
	}
	return fmt.Sprintf("{imageDigest:'%s', imageTag:'%s'}", d, t)
}

// find resolves an image identifier among imgs; failure is set when it
// names none.
func find(imgs []imageRecord, id ecrtypes.ImageIdentifier) (im imageRecord, failure *ecrtypes.ImageFailure) {
	fail := func(code ecrtypes.ImageFailureCode, reason string) (imageRecord, *ecrtypes.ImageFailure) {
		return imageRecord{}, &ecrtypes.ImageFailure{ImageId: new(id), FailureCode: code, FailureReason: new(reason)}
	}
	d, t := awsapi.Deref(id.ImageDigest), awsapi.Deref(id.ImageTag)
	switch {
	case d == "" && t == "":
		return fail(ecrtypes.ImageFailureCodeMissingDigestAndTag, "Invalid request parameters: both tag and digest cannot be null")
	case d != "" && !strings.HasPrefix(d, "sha256:"):
		return fail(ecrtypes.ImageFailureCodeInvalidImageDigest, "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")
	}
	for _, im := range imgs {
		if (d == "" || im.Digest == d) && (t == "" || slices.Contains(im.Tags, t)) {
			return im, nil
		}
	}
	if d != "" && t != "" && slices.ContainsFunc(imgs, func(im imageRecord) bool { return im.Digest == d }) {
		return fail(ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest, "Invalid request parameters: given tag does not map to the given digest")
	}
	return fail(ecrtypes.ImageFailureCodeImageNotFound, "Requested image not found")
}

// readImages reads a repository and its images.
func (a *API) readImages(ctx context.Context, name string) (model.Scope, repoRecord, []imageRecord, error) {
	sc := a.scope(ctx)
	var repo repoRecord
	var imgs []imageRecord
	err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		if repo, err = a.getRepo(tx, sc, name); err != nil {
			return err
		}
		imgs, err = listImages(tx, sc, name)
		return err
	})
	return sc, repo, imgs, err
}

func tagStatusKeeps(s ecrtypes.TagStatus, im imageRecord) bool {
	switch s {
	case ecrtypes.TagStatusTagged:
		return len(im.Tags) > 0
	case ecrtypes.TagStatusUntagged:
		return len(im.Tags) == 0
	}
	return true
}

// DescribeImages describes the named images, or all of a repository's.
func (a *API) DescribeImages(ctx context.Context, in *ecrtypes.DescribeImagesRequest) (*ecrtypes.DescribeImagesResponse, error) {
	sc, repo, imgs, err := a.readImages(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("DescribeImages", err)
	}
	out := &ecrtypes.DescribeImagesResponse{ImageDetails: []ecrtypes.ImageDetail{}}
	if len(in.ImageIds) > 0 {
		if in.NextToken != nil || in.MaxResults != nil {
			return nil, errInvalid("Invalid parameter: maxResults and nextToken cannot be used with imageIds")
		}
		for _, id := range in.ImageIds {
			im, fail := find(imgs, id)
			if fail != nil {
				return nil, awsapi.Errorf(codeImageNotFound, "The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'", idString(id), repo.Name, sc.Account)
			}
			out.ImageDetails = append(out.ImageDetails, a.imageDetail(sc, repo, im))
		}
		return out, nil
	}
	status := ecrtypes.TagStatusAny
	if in.Filter != nil && in.Filter.TagStatus != "" {
		status = in.Filter.TagStatus
	}
	imgs = slices.DeleteFunc(imgs, func(im imageRecord) bool { return !tagStatusKeeps(status, im) })
	c, err := awsapi.ParseCursor("images", in.NextToken, errInvalid("Invalid parameter at 'nextToken': the token is not one DescribeImages issued"))
	if err != nil {
		return nil, err
	}
	page, next := awsapi.SlicePage(imgs, func(im imageRecord) string { return im.Digest }, c, awsapi.PageLimit(in.MaxResults, 100))
	for _, im := range page {
		out.ImageDetails = append(out.ImageDetails, a.imageDetail(sc, repo, im))
	}
	out.NextToken = next
	return out, nil
}

// ListImages lists a repository's image ids: one per tag, and the digest
// alone for an untagged image.
func (a *API) ListImages(ctx context.Context, in *ecrtypes.ListImagesRequest) (*ecrtypes.ListImagesResponse, error) {
	_, _, imgs, err := a.readImages(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("ListImages", err)
	}
	status := ecrtypes.TagStatusAny
	if in.Filter != nil && in.Filter.TagStatus != "" {
		status = in.Filter.TagStatus
	}
	var ids []ecrtypes.ImageIdentifier
	for _, im := range imgs {
		if !tagStatusKeeps(status, im) {
			continue
		}
		if len(im.Tags) == 0 {
			ids = append(ids, imageID(im.Digest, ""))
		}
		for _, t := range im.Tags {
			ids = append(ids, imageID(im.Digest, t))
		}
	}
	c, err := awsapi.ParseCursor("imageids", in.NextToken, errInvalid("Invalid parameter at 'nextToken': the token is not one ListImages issued"))
	if err != nil {
		return nil, err
	}
	key := func(id ecrtypes.ImageIdentifier) string {
		return awsapi.Deref(id.ImageDigest) + "/" + awsapi.Deref(id.ImageTag)
	}
	slices.SortFunc(ids, func(x, y ecrtypes.ImageIdentifier) int { return strings.Compare(key(x), key(y)) })
	page, next := awsapi.SlicePage(ids, key, c, awsapi.PageLimit(in.MaxResults, 100))
	return &ecrtypes.ListImagesResponse{ImageIds: awsapi.OrEmpty(page), NextToken: next}, nil
}

// BatchGetImage returns images' manifests from the registry.
func (a *API) BatchGetImage(ctx context.Context, in *ecrtypes.BatchGetImageRequest) (*ecrtypes.BatchGetImageResponse, error) {
	sc, repo, imgs, err := a.readImages(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("BatchGetImage", err)
	}
	out := &ecrtypes.BatchGetImageResponse{Images: []ecrtypes.Image{}, Failures: []ecrtypes.ImageFailure{}}
	for _, id := range in.ImageIds {
		im, fail := find(imgs, id)
		if fail != nil {
			out.Failures = append(out.Failures, *fail)
			continue
		}
		m, ok, err := a.reg.Manifest(ctx, repo.Name, im.Digest)
		if err != nil {
			return nil, wrap("BatchGetImage", err)
		}
		if !ok {
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: new(id), FailureCode: ecrtypes.ImageFailureCodeImageNotFound, FailureReason: new("Requested image not found")})
			continue
		}
		out.Images = append(out.Images, ecrtypes.Image{RegistryId: new(sc.Account), RepositoryName: new(repo.Name),
			ImageId: new(imageID(im.Digest, awsapi.Deref(id.ImageTag))), ImageManifest: new(string(m.Bytes)), ImageManifestMediaType: new(m.MediaType)})
	}
	return out, nil
}

// BatchCheckLayerAvailability says which blobs the repository holds.
func (a *API) BatchCheckLayerAvailability(ctx context.Context, in *ecrtypes.BatchCheckLayerAvailabilityRequest) (*ecrtypes.BatchCheckLayerAvailabilityResponse, error) {
	repo, err := a.readRepo(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("BatchCheckLayerAvailability", err)
	}
	out := &ecrtypes.BatchCheckLayerAvailabilityResponse{Layers: []ecrtypes.Layer{}, Failures: []ecrtypes.LayerFailure{}}
	for _, d := range in.LayerDigests {
		if !strings.HasPrefix(d, "sha256:") {
			out.Failures = append(out.Failures, ecrtypes.LayerFailure{LayerDigest: new(d), FailureCode: ecrtypes.LayerFailureCodeInvalidLayerDigest, FailureReason: new("Invalid layer digest")})
			continue
		}
		ok, size, err := a.reg.BlobExists(ctx, repo.Name, d)
		if err != nil {
			return nil, wrap("BatchCheckLayerAvailability", err)
		}
		l := ecrtypes.Layer{LayerDigest: new(d), LayerAvailability: ecrtypes.LayerAvailabilityUnavailable}
		if ok {
			l.LayerAvailability, l.LayerSize = ecrtypes.LayerAvailabilityAvailable, new(size)
			l.MediaType = new("application/vnd.docker.image.rootfs.diff.tar.gzip")
		}
		out.Layers = append(out.Layers, l)
	}
	return out, nil
}

// PutImage stores a manifest whose blobs the repository holds, under a
// tag (refused in an immutable repository when the tag is taken).
func (a *API) PutImage(ctx context.Context, in *ecrtypes.PutImageRequest) (*ecrtypes.PutImageResponse, error) {
	sc, repo, imgs, err := a.readImages(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("PutImage", err)
	}
	body := []byte(awsapi.Deref(in.ImageManifest))
	sum := sha256.Sum256(body)
	dgst := "sha256:" + hex.EncodeToString(sum[:])
	if want := awsapi.Deref(in.ImageDigest); want != "" && want != dgst {
		return nil, awsapi.Errorf(codeImageDigestMismatch, "Invalid parameter at 'imageDigest': the digest %s does not match the digest of the manifest, %s", want, dgst)
	}
	mt := awsapi.Deref(in.ImageManifestMediaType)
	if mt == "" {
		var m struct {
			MediaType string `json:"mediaType"`
		}
		_ = json.Unmarshal(body, &m)
		mt = m.MediaType
	}
	tag := awsapi.Deref(in.ImageTag)
	for _, im := range imgs {
		switch {
		case im.Digest == dgst && (tag == "" || slices.Contains(im.Tags, tag)):
			return nil, awsapi.Errorf(codeImageExists, "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", dgst, tag, repo.Name, sc.Account)
		case im.Digest != dgst && tag != "" && slices.Contains(im.Tags, tag) && repo.Mutability == ecrtypes.ImageTagMutabilityImmutable:
			return nil, awsapi.Errorf(codeTagExists, "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, repo.Name)
		}
	}
	m, err := a.reg.PutManifest(ctx, repo.Name, tag, mt, body)
	switch {
	case errors.Is(err, ErrInvalidManifest):
		return nil, errInvalid("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax or unsupported manifest media type'")
	case errors.Is(err, ErrLayersMissing):
		return nil, awsapi.Errorf(codeLayersNotFound, "Layers required for pushing image into repository with name '%s' in the registry with id '%s' do not exist. Please check the layers and try again.", repo.Name, sc.Account)
	case err != nil:
		return nil, wrap("PutImage", err)
	}
	_, err = a.DB.Update(ctx, func(tx store.Tx) error { return a.putImage(tx, sc, repo.Name, m, tag) })
	if err != nil {
		return nil, wrap("PutImage", err)
	}
	return &ecrtypes.PutImageResponse{Image: &ecrtypes.Image{RegistryId: new(sc.Account), RepositoryName: new(repo.Name),
		ImageId: new(imageID(m.Digest, tag)), ImageManifest: new(string(body)), ImageManifestMediaType: new(mt)}}, nil
}

// BatchDeleteImage deletes images by digest, or removes tags; an image
// whose last tag goes is deleted, from the registry too.
func (a *API) BatchDeleteImage(ctx context.Context, in *ecrtypes.BatchDeleteImageRequest) (*ecrtypes.BatchDeleteImageResponse, error) {
	sc := a.scope(ctx)
	name := awsapi.Deref(in.RepositoryName)
	out := &ecrtypes.BatchDeleteImageResponse{ImageIds: []ecrtypes.ImageIdentifier{}, Failures: []ecrtypes.ImageFailure{}}
	var untag [][2]string // digest, tag
	var remove []string   // digests
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		out.ImageIds, out.Failures, untag, remove = out.ImageIds[:0], out.Failures[:0], nil, nil
		if _, err := a.getRepo(tx, sc, name); err != nil {
			return err
		}
		for _, id := range in.ImageIds {
			imgs, err := listImages(tx, sc, name)
			if err != nil {
				return err
			}
			im, fail := find(imgs, id)
			if fail != nil {
				out.Failures = append(out.Failures, *fail)
				continue
			}
			t := awsapi.Deref(id.ImageTag)
			if id.ImageDigest == nil && len(im.Tags) > 1 {
				im.Tags = slices.DeleteFunc(im.Tags, func(x string) bool { return x == t })
				untag = append(untag, [2]string{im.Digest, t})
				out.ImageIds = append(out.ImageIds, imageID(im.Digest, t))
				if err := store.Put(tx, imageKey(sc, name, im.Digest), im); err != nil {
					return err
				}
				continue
			}
			remove = append(remove, im.Digest)
			out.ImageIds = append(out.ImageIds, imageID(im.Digest, t))
			if err := tx.Delete(imageKey(sc, name, im.Digest)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("BatchDeleteImage", err)
	}
	if err := a.deleteFromRegistry(ctx, name, untag, remove); err != nil {
		return nil, wrap("BatchDeleteImage", err)
	}
	return out, nil
}

func (a *API) deleteFromRegistry(ctx context.Context, repo string, untag [][2]string, remove []string) error {
	for _, u := range untag {
		if err := a.reg.Untag(ctx, repo, u[1]); err != nil {
			return err
		}
	}
	for _, d := range remove {
		if err := a.reg.DeleteManifest(ctx, repo, d); err != nil {
			return err
		}
	}
	return nil
}

// StartImageScan answers honestly: wharf has no vulnerability database,
// so the scan fails rather than report a clean image.
func (a *API) StartImageScan(ctx context.Context, in *ecrtypes.StartImageScanRequest) (*ecrtypes.StartImageScanResponse, error) {
	sc, repo, imgs, err := a.readImages(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("StartImageScan", err)
	}
	id := awsapi.Deref(in.ImageId)
	im, fail := find(imgs, id)
	if fail != nil {
		return nil, awsapi.Errorf(codeImageNotFound, "The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'", idString(id), repo.Name, sc.Account)
	}
	return &ecrtypes.StartImageScanResponse{RegistryId: new(sc.Account), RepositoryName: new(repo.Name),
		ImageId: new(imageID(im.Digest, awsapi.Deref(id.ImageTag))), ImageScanStatus: noScan()}, nil
}

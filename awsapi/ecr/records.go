package ecr

import (
	"context"
	"slices"
	"time"

	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// repoRecord is one repository, stored at ecr/ACCOUNT/REGION/repos/NAME.
type repoRecord struct {
	Name       string                           `json:"name"`
	CreatedAt  time.Time                        `json:"createdAt"`
	Mutability ecrtypes.ImageTagMutability      `json:"mutability"`
	ScanOnPush bool                             `json:"scanOnPush,omitempty"`
	Encryption ecrtypes.EncryptionConfiguration `json:"encryption"`
	Tags       []ecrtypes.Tag                   `json:"tags,omitempty"`
	Policy     string                           `json:"policy,omitempty"`
	Lifecycle  string                           `json:"lifecycle,omitempty"`
	// LifecycleAt is when the lifecycle policy was last set.
	LifecycleAt time.Time `json:"lifecycleAt,omitzero"`
	// Preview is the last lifecycle policy preview's result.
	Preview *previewRecord `json:"preview,omitempty"`
}

// previewRecord is a finished lifecycle policy preview.
type previewRecord struct {
	Policy  string          `json:"policy"`
	Results []previewResult `json:"results"`
}

type previewResult struct {
	Digest   string    `json:"digest"`
	Tags     []string  `json:"tags,omitempty"`
	PushedAt time.Time `json:"pushedAt"`
	Priority int32     `json:"priority"`
}

// imageRecord is one image (manifest) of a repository, stored at
// ecr/ACCOUNT/REGION/images/REPO@DIGEST ('@' cannot occur in a name, so
// one repository's prefix never covers another's).
type imageRecord struct {
	Digest            string    `json:"digest"`
	Tags              []string  `json:"tags,omitempty"`
	Size              int64     `json:"size"`
	MediaType         string    `json:"mediaType,omitempty"`
	ArtifactMediaType string    `json:"artifactMediaType,omitempty"`
	PushedAt          time.Time `json:"pushedAt"`
	LastPull          time.Time `json:"lastPull,omitzero"`
}

// tokenRecord is a live GetAuthorizationToken password, stored at
// ecr/ACCOUNT/tokens/SHA256-OF-PASSWORD.
type tokenRecord struct {
	Expires time.Time `json:"expires"`
}

// nameRecord says which region holds a repository name of the account:
// ecr/ACCOUNT/names/NAME.
type nameRecord struct {
	Region string `json:"region"`
}

func reposPrefix(sc model.Scope) string          { return "ecr/" + sc.Account + "/" + sc.Region + "/repos/" }
func repoKey(sc model.Scope, name string) string { return reposPrefix(sc) + name }
func imagesPrefix(sc model.Scope, repo string) string {
	return "ecr/" + sc.Account + "/" + sc.Region + "/images/" + repo + "@"
}
func imageKey(sc model.Scope, repo, digest string) string { return imagesPrefix(sc, repo) + digest }
func nameKey(account, name string) string                 { return "ecr/" + account + "/names/" + name }
func tokenKey(account, hash string) string                { return "ecr/" + account + "/tokens/" + hash }

// RepoARN is arn:aws:ecr:REGION:ACCOUNT:repository/NAME.
func repoARN(sc model.Scope, name string) string {
	return "arn:aws:ecr:" + sc.Region + ":" + sc.Account + ":repository/" + name
}

func (a *API) getRepo(tx store.ReadTx, sc model.Scope, name string) (repoRecord, error) {
	r, ok, err := store.Get[repoRecord](tx, repoKey(sc, name))
	if err == nil && !ok {
		err = a.repoNotFound(name)
	}
	return r, err
}

func (a *API) readRepo(ctx context.Context, name string) (repoRecord, error) {
	sc := a.scope(ctx)
	var r repoRecord
	err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		r, err = a.getRepo(tx, sc, name)
		return err
	})
	return r, err
}

func listImages(tx store.ReadTx, sc model.Scope, repo string) ([]imageRecord, error) {
	return store.List[imageRecord](tx, imagesPrefix(sc, repo))
}

func (a *API) repository(sc model.Scope, r repoRecord) ecrtypes.Repository {
	enc := r.Encryption
	return ecrtypes.Repository{
		RepositoryArn:              new(repoARN(sc, r.Name)),
		RegistryId:                 new(sc.Account),
		RepositoryName:             new(r.Name),
		RepositoryUri:              new(a.host + "/" + r.Name),
		CreatedAt:                  shape.TimeOf(r.CreatedAt),
		ImageTagMutability:         r.Mutability,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: r.ScanOnPush},
		EncryptionConfiguration:    &enc,
	}
}

// noScanDatabase is the scan status of every image wharf was asked to
// scan: there is no vulnerability database offline, so no scan happened
// and none is reported clean.
func noScan() *ecrtypes.ImageScanStatus {
	return &ecrtypes.ImageScanStatus{
		Status:      ecrtypes.ScanStatusFailed,
		Description: new("wharf has no vulnerability database: this image was not scanned for vulnerabilities"),
	}
}

func (a *API) imageDetail(sc model.Scope, repo repoRecord, im imageRecord) ecrtypes.ImageDetail {
	d := ecrtypes.ImageDetail{
		RegistryId:           new(sc.Account),
		RepositoryName:       new(repo.Name),
		ImageDigest:          new(im.Digest),
		ImageTags:            slices.Clone(im.Tags),
		ImageSizeInBytes:     new(im.Size),
		ImagePushedAt:        shape.TimeOf(im.PushedAt),
		LastRecordedPullTime: shape.TimeOf(im.LastPull),
	}
	if im.MediaType != "" {
		d.ImageManifestMediaType = new(im.MediaType)
	}
	if im.ArtifactMediaType != "" {
		d.ArtifactMediaType = new(im.ArtifactMediaType)
	}
	if repo.ScanOnPush {
		d.ImageScanStatus = noScan()
	}
	return d
}

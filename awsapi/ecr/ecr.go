package ecr

import (
	"context"
	"log/slog"

	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Registry is what the API asks of the OCI registry holding the images.
type Registry interface {
	// Manifest reads the manifest ref (tag or digest) names: its digest,
	// media types, size and bytes; found is false when there is none.
	Manifest(ctx context.Context, repo, ref string) (m Manifest, found bool, err error)
	// PutManifest stores a manifest and points tag ("" for none) at it.
	PutManifest(ctx context.Context, repo, tag, mediaType string, manifest []byte) (Manifest, error)
	Untag(ctx context.Context, repo, tag string) error
	// DeleteManifest removes a manifest and its tags (blobs go at GC).
	DeleteManifest(ctx context.Context, repo, digest string) error
	BlobExists(ctx context.Context, repo, digest string) (ok bool, size int64, err error)
	DeleteRepository(ctx context.Context, repo string) error
	// GC removes unreferenced blobs when the registry is quiet.
	GC(ctx context.Context) error
}

// Manifest is one stored manifest as ECR reports it.
type Manifest struct {
	Digest            string
	MediaType         string
	ArtifactMediaType string
	Size              int64
	Bytes             []byte
}

// API implements the ECR operations.
type API struct {
	awsapi.Base
	reg Registry
	// host is the registry's HOST:PORT, the front of every repositoryUri.
	host    string
	account string
	// nudge wakes the lifecycle controller after a policy change.
	nudge chan struct{}
}

// New returns the ECR API over db for wharf's account; host is the
// registry's HOST:PORT. SetRegistry must be called before serving.
func New(db store.Backend, account, host string, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), host: host, account: account, nudge: make(chan struct{}, 1)}
}

// Nudges receives when a lifecycle policy changed.
func (a *API) Nudges() <-chan struct{} { return a.nudge }

func (a *API) poke() {
	select {
	case a.nudge <- struct{}{}:
	default:
	}
}

// SetRegistry attaches the registry (which itself calls back into a).
func (a *API) SetRegistry(r Registry) { a.reg = r }

// Host is the registry's HOST:PORT.
func (a *API) Host() string { return a.host }

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName:    ecrtypes.SigningName,
		TargetPrefix:   ecrtypes.ServiceTarget,
		Errors:         ecrtypes.Errors,
		ValidationCode: codeInvalidParameter,
		Known:          awsapi.KnownOperations(ecrtypes.Operations),
		Ops: map[string]awsapi.Handler{
			"CreateRepository":              awsapi.JSON(a.CreateRepository),
			"DescribeRepositories":          awsapi.JSON(a.DescribeRepositories),
			"DeleteRepository":              awsapi.JSON(a.DeleteRepository),
			"PutImageTagMutability":         awsapi.JSON(a.PutImageTagMutability),
			"PutImageScanningConfiguration": awsapi.JSON(a.PutImageScanningConfiguration),
			"SetRepositoryPolicy":           awsapi.JSON(a.SetRepositoryPolicy),
			"GetRepositoryPolicy":           awsapi.JSON(a.GetRepositoryPolicy),
			"DeleteRepositoryPolicy":        awsapi.JSON(a.DeleteRepositoryPolicy),
			"TagResource":                   awsapi.JSON(a.TagResource),
			"UntagResource":                 awsapi.JSON(a.UntagResource),
			"ListTagsForResource":           awsapi.JSON(a.ListTagsForResource),
			"GetAuthorizationToken":         awsapi.JSON(a.GetAuthorizationToken),
			"BatchCheckLayerAvailability":   awsapi.JSON(a.BatchCheckLayerAvailability),
			"BatchGetImage":                 awsapi.JSON(a.BatchGetImage),
			"PutImage":                      awsapi.JSON(a.PutImage),
			"DescribeImages":                awsapi.JSON(a.DescribeImages),
			"ListImages":                    awsapi.JSON(a.ListImages),
			"BatchDeleteImage":              awsapi.JSON(a.BatchDeleteImage),
			"StartImageScan":                awsapi.JSON(a.StartImageScan),
			"PutLifecyclePolicy":            awsapi.JSON(a.PutLifecyclePolicy),
			"GetLifecyclePolicy":            awsapi.JSON(a.GetLifecyclePolicy),
			"DeleteLifecyclePolicy":         awsapi.JSON(a.DeleteLifecyclePolicy),
			"StartLifecyclePolicyPreview":   awsapi.JSON(a.StartLifecyclePolicyPreview),
			"GetLifecyclePolicyPreview":     awsapi.JSON(a.GetLifecyclePolicyPreview),
		},
	}
}

// ECR's error codes, as in its model.
const (
	codeInvalidParameter         = ecrtypes.ErrInvalidParameterException
	codeRepoNotFound             = ecrtypes.ErrRepositoryNotFoundException
	codeRepoExists               = ecrtypes.ErrRepositoryAlreadyExistsException
	codeRepoNotEmpty             = ecrtypes.ErrRepositoryNotEmptyException
	codeRepoPolicyNotFound       = ecrtypes.ErrRepositoryPolicyNotFoundException
	codeLifecycleNotFound        = ecrtypes.ErrLifecyclePolicyNotFoundException
	codePreviewNotFound          = ecrtypes.ErrLifecyclePolicyPreviewNotFoundException
	codeImageNotFound            = ecrtypes.ErrImageNotFoundException
	codeImageExists              = ecrtypes.ErrImageAlreadyExistsException
	codeTagExists                = ecrtypes.ErrImageTagAlreadyExistsException
	codeImageDigestMismatch      = ecrtypes.ErrImageDigestDoesNotMatchException
	codeLayersNotFound           = ecrtypes.ErrLayersNotFoundException
	codeInvalidTagParameter      = ecrtypes.ErrInvalidTagParameterException
	codeTooManyTags              = ecrtypes.ErrTooManyTagsException
	codeUnsupportedImageType     = ecrtypes.ErrUnsupportedImageTypeException
	codeLifecyclePolicyPreviewIP = ecrtypes.ErrLifecyclePolicyPreviewInProgressException
)

func errInvalid(format string, args ...any) error {
	return awsapi.Errorf(codeInvalidParameter, format, args...)
}

func (a *API) repoNotFound(name string) error {
	return awsapi.Errorf(codeRepoNotFound, "The repository with name '%s' does not exist in the registry with id '%s'", name, a.account)
}

// wrap leaves API errors (and nil) as they are and marks anything else
// internal.
func wrap(op string, err error) error { return awsapi.Wrap("ecr "+op, err) }

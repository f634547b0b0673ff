package ecr

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

func (a *API) scope(ctx context.Context) model.Scope { return awsapi.ScopeOf(ctx) }

// repoName is ECR's repository name pattern (lower case, components
// separated by slashes).
var repoName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// CreateRepository creates a repository, its name unique in the account.
func (a *API) CreateRepository(ctx context.Context, in *ecrtypes.CreateRepositoryRequest) (*ecrtypes.CreateRepositoryResponse, error) {
	sc := a.scope(ctx)
	name := awsapi.Deref(in.RepositoryName)
	if len(name) < 2 || len(name) > 256 || !repoName.MatchString(name) {
		return nil, errInvalid("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*' and be 2 to 256 characters long'")
	}
	if err := checkTags(len(in.Tags), in.Tags); err != nil {
		return nil, err
	}
	rec := repoRecord{Name: name, CreatedAt: a.Now().UTC(), Mutability: in.ImageTagMutability,
		Encryption: ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionTypeAes256}, Tags: in.Tags}
	if rec.Mutability == "" {
		rec.Mutability = ecrtypes.ImageTagMutabilityMutable
	}
	if rec.Mutability != ecrtypes.ImageTagMutabilityMutable && rec.Mutability != ecrtypes.ImageTagMutabilityImmutable {
		return nil, errInvalid("Invalid parameter at 'imageTagMutability': wharf supports MUTABLE and IMMUTABLE, got %s", rec.Mutability)
	}
	if in.ImageScanningConfiguration != nil {
		rec.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
	}
	if e := in.EncryptionConfiguration; e != nil {
		if e.EncryptionType == ecrtypes.EncryptionTypeAes256 && e.KmsKey != nil {
			return nil, errInvalid("Invalid parameter at 'encryptionConfiguration': a KMS key may only be given with encryptionType KMS")
		}
		rec.Encryption = *e
		if e.EncryptionType != ecrtypes.EncryptionTypeAes256 && e.KmsKey == nil {
			rec.Encryption.KmsKey = new("arn:aws:kms:" + sc.Region + ":" + sc.Account + ":alias/aws/ecr")
		}
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		owner, taken, err := store.Get[nameRecord](tx, nameKey(sc.Account, name))
		if err != nil {
			return err
		}
		if taken {
			msg := "The repository with name '%s' already exists in the registry with id '%s'"
			if owner.Region != sc.Region {
				msg += " (in region " + owner.Region + ": wharf's registry serves one namespace of names for all regions)"
			}
			return awsapi.Errorf(codeRepoExists, msg, name, sc.Account)
		}
		if err := store.Put(tx, nameKey(sc.Account, name), nameRecord{Region: sc.Region}); err != nil {
			return err
		}
		return store.Put(tx, repoKey(sc, name), rec)
	})
	if err != nil {
		return nil, wrap("CreateRepository", err)
	}
	return &ecrtypes.CreateRepositoryResponse{Repository: new(a.repository(sc, rec))}, nil
}

// DescribeRepositories lists the named repositories, or all of them.
func (a *API) DescribeRepositories(ctx context.Context, in *ecrtypes.DescribeRepositoriesRequest) (*ecrtypes.DescribeRepositoriesResponse, error) {
	sc := a.scope(ctx)
	out := &ecrtypes.DescribeRepositoriesResponse{Repositories: []ecrtypes.Repository{}}
	if len(in.RepositoryNames) > 0 {
		if in.NextToken != nil || in.MaxResults != nil {
			return nil, errInvalid("Invalid parameter: maxResults and nextToken cannot be used with repositoryNames")
		}
		err := a.DB.View(ctx, func(tx store.ReadTx) error {
			for _, n := range in.RepositoryNames {
				r, err := a.getRepo(tx, sc, n)
				if err != nil {
					return err
				}
				out.Repositories = append(out.Repositories, a.repository(sc, r))
			}
			return nil
		})
		return out, wrap("DescribeRepositories", err)
	}
	c, err := awsapi.ParseCursor("repos", in.NextToken, errInvalid("Invalid parameter at 'nextToken': the token is not one DescribeRepositories issued"))
	if err != nil {
		return nil, err
	}
	recs, next, err := awsapi.ViewPage[repoRecord](ctx, a.DB, reposPrefix(sc), "", c, awsapi.PageLimit(in.MaxResults, 100), nil)
	if err != nil {
		return nil, wrap("DescribeRepositories", err)
	}
	for _, r := range recs {
		out.Repositories = append(out.Repositories, a.repository(sc, r))
	}
	out.NextToken = next
	return out, nil
}

// DeleteRepository deletes a repository; one holding images only with
// force, and then its images go from the registry too.
//
// The image records go at most store.DeleteBatch a transaction (a
// repository may hold more images than a backend writes in one), each
// batch checking again that the repository exists and, without force, is
// empty; the repository and its name go with the last batch. A delete
// stopped between batches leaves a repository with fewer images, still a
// valid repository (its manifests are still in the registry, and a push
// records them again); no image record ever outlives its repository, so a
// repository created again under the name starts empty.
func (a *API) DeleteRepository(ctx context.Context, in *ecrtypes.DeleteRepositoryRequest) (*ecrtypes.DeleteRepositoryResponse, error) {
	sc := a.scope(ctx)
	name := awsapi.Deref(in.RepositoryName)
	var rec repoRecord
	err := store.DeleteTree(ctx, a.DB, func(tx store.Tx) ([]string, error) {
		var err error
		if rec, err = a.getRepo(tx, sc, name); err != nil {
			return nil, err
		}
		if !in.Force {
			imgs, err := tx.List(imagesPrefix(sc, name), "", 1)
			if err != nil {
				return nil, err
			}
			if len(imgs) > 0 {
				return nil, awsapi.Errorf(codeRepoNotEmpty, "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", name, sc.Account)
			}
		}
		return []string{imagesPrefix(sc, name)}, nil
	}, func(tx store.Tx) error {
		if err := tx.Delete(nameKey(sc.Account, name)); err != nil {
			return err
		}
		return tx.Delete(repoKey(sc, name))
	})
	if err != nil {
		return nil, wrap("DeleteRepository", err)
	}
	if err := a.reg.DeleteRepository(ctx, name); err != nil {
		return nil, wrap("DeleteRepository", err)
	}
	return &ecrtypes.DeleteRepositoryResponse{Repository: new(a.repository(sc, rec))}, nil
}

// updateRepo applies fn to a repository in one transaction.
func (a *API) updateRepo(ctx context.Context, name string, fn func(*repoRecord) error) (repoRecord, error) {
	sc := a.scope(ctx)
	var rec repoRecord
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		var err error
		if rec, err = a.getRepo(tx, sc, name); err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
		return store.Put(tx, repoKey(sc, name), rec)
	})
	return rec, err
}

// PutImageTagMutability sets whether tags can move.
func (a *API) PutImageTagMutability(ctx context.Context, in *ecrtypes.PutImageTagMutabilityRequest) (*ecrtypes.PutImageTagMutabilityResponse, error) {
	m := in.ImageTagMutability
	if m != ecrtypes.ImageTagMutabilityMutable && m != ecrtypes.ImageTagMutabilityImmutable {
		return nil, errInvalid("Invalid parameter at 'imageTagMutability': wharf supports MUTABLE and IMMUTABLE, got %s", m)
	}
	rec, err := a.updateRepo(ctx, awsapi.Deref(in.RepositoryName), func(r *repoRecord) error { r.Mutability = m; return nil })
	if err != nil {
		return nil, wrap("PutImageTagMutability", err)
	}
	return &ecrtypes.PutImageTagMutabilityResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name), ImageTagMutability: rec.Mutability}, nil
}

// PutImageScanningConfiguration sets scan on push (wharf records it; it
// has no vulnerability database to scan with).
func (a *API) PutImageScanningConfiguration(ctx context.Context, in *ecrtypes.PutImageScanningConfigurationRequest) (*ecrtypes.PutImageScanningConfigurationResponse, error) {
	on := in.ImageScanningConfiguration != nil && in.ImageScanningConfiguration.ScanOnPush
	rec, err := a.updateRepo(ctx, awsapi.Deref(in.RepositoryName), func(r *repoRecord) error { r.ScanOnPush = on; return nil })
	if err != nil {
		return nil, wrap("PutImageScanningConfiguration", err)
	}
	return &ecrtypes.PutImageScanningConfigurationResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name),
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: rec.ScanOnPush}}, nil
}

// SetRepositoryPolicy stores a repository policy (a JSON IAM policy).
func (a *API) SetRepositoryPolicy(ctx context.Context, in *ecrtypes.SetRepositoryPolicyRequest) (*ecrtypes.SetRepositoryPolicyResponse, error) {
	text := awsapi.Deref(in.PolicyText)
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil || len(doc.Statement) == 0 {
		return nil, errInvalid("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
	}
	rec, err := a.updateRepo(ctx, awsapi.Deref(in.RepositoryName), func(r *repoRecord) error { r.Policy = text; return nil })
	if err != nil {
		return nil, wrap("SetRepositoryPolicy", err)
	}
	return &ecrtypes.SetRepositoryPolicyResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name), PolicyText: new(rec.Policy)}, nil
}

// GetRepositoryPolicy returns the repository policy.
func (a *API) GetRepositoryPolicy(ctx context.Context, in *ecrtypes.GetRepositoryPolicyRequest) (*ecrtypes.GetRepositoryPolicyResponse, error) {
	rec, err := a.readRepo(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("GetRepositoryPolicy", err)
	}
	if rec.Policy == "" {
		return nil, a.policyNotFound(ctx, rec.Name)
	}
	return &ecrtypes.GetRepositoryPolicyResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name), PolicyText: new(rec.Policy)}, nil
}

func (a *API) policyNotFound(ctx context.Context, name string) error {
	return awsapi.Errorf(codeRepoPolicyNotFound, "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", name, a.scope(ctx).Account)
}

// DeleteRepositoryPolicy removes the repository policy.
func (a *API) DeleteRepositoryPolicy(ctx context.Context, in *ecrtypes.DeleteRepositoryPolicyRequest) (*ecrtypes.DeleteRepositoryPolicyResponse, error) {
	var old string
	rec, err := a.updateRepo(ctx, awsapi.Deref(in.RepositoryName), func(r *repoRecord) error {
		if r.Policy == "" {
			return a.policyNotFound(ctx, r.Name)
		}
		old, r.Policy = r.Policy, ""
		return nil
	})
	if err != nil {
		return nil, wrap("DeleteRepositoryPolicy", err)
	}
	return &ecrtypes.DeleteRepositoryPolicyResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name), PolicyText: new(old)}, nil
}

// Tags.

var tagRules = awsapi.TagRulesIn(50,
	func(format string, args ...any) error { return awsapi.Errorf(codeInvalidTagParameter, format, args...) },
	func(format string, args ...any) error { return awsapi.Errorf(codeTooManyTags, format, args...) })

func tagKV(t ecrtypes.Tag) (string, string) { return awsapi.Deref(t.Key), awsapi.Deref(t.Value) }
func tagKey(t ecrtypes.Tag) string          { k, _ := tagKV(t); return k }

func checkTags(total int, tags []ecrtypes.Tag) error {
	if err := tagRules.Count(total); err != nil {
		return err
	}
	return awsapi.CheckTags(tagRules, tags, tagKV)
}

// repoOfARN reads arn:aws:ecr:REGION:ACCOUNT:repository/NAME in the
// caller's scope.
func (a *API) repoOfARN(ctx context.Context, arn string) (string, error) {
	sc := a.scope(ctx)
	prefix := "arn:aws:ecr:" + sc.Region + ":" + sc.Account + ":repository/"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		return "", errInvalid("Invalid parameter at 'resourceArn': %q is not the ARN of a repository in this account and region", arn)
	}
	return name, nil
}

// TagResource adds or replaces tags of a repository.
func (a *API) TagResource(ctx context.Context, in *ecrtypes.TagResourceRequest) (*ecrtypes.TagResourceResponse, error) {
	name, err := a.repoOfARN(ctx, awsapi.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, err = a.updateRepo(ctx, name, func(r *repoRecord) error {
		merged := awsapi.MergeTags(r.Tags, in.Tags, tagKey)
		if err := checkTags(len(merged), in.Tags); err != nil {
			return err
		}
		r.Tags = merged
		return nil
	})
	return &ecrtypes.TagResourceResponse{}, wrap("TagResource", err)
}

// UntagResource removes tags from a repository.
func (a *API) UntagResource(ctx context.Context, in *ecrtypes.UntagResourceRequest) (*ecrtypes.UntagResourceResponse, error) {
	name, err := a.repoOfARN(ctx, awsapi.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	_, err = a.updateRepo(ctx, name, func(r *repoRecord) error {
		r.Tags = awsapi.RemoveTags(r.Tags, in.TagKeys, tagKey)
		return nil
	})
	return &ecrtypes.UntagResourceResponse{}, wrap("UntagResource", err)
}

// ListTagsForResource lists a repository's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *ecrtypes.ListTagsForResourceRequest) (*ecrtypes.ListTagsForResourceResponse, error) {
	name, err := a.repoOfARN(ctx, awsapi.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	rec, err := a.readRepo(ctx, name)
	if err != nil {
		return nil, wrap("ListTagsForResource", err)
	}
	return &ecrtypes.ListTagsForResourceResponse{Tags: awsapi.OrEmpty(rec.Tags)}, nil
}

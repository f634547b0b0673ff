package ecr

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

func invalidPolicy(err error) error {
	return errInvalid("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: %v'", err)
}

func (a *API) lifecycleNotFound(ctx context.Context, name string) error {
	return awsapi.Errorf(codeLifecycleNotFound, "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", name, a.scope(ctx).Account)
}

// PutLifecyclePolicy sets a repository's lifecycle policy; the lifecycle
// controller applies it within a minute.
func (a *API) PutLifecyclePolicy(ctx context.Context, in *ecrtypes.PutLifecyclePolicyRequest) (*ecrtypes.PutLifecyclePolicyResponse, error) {
	text := awsapi.Deref(in.LifecyclePolicyText)
	if _, err := ParsePolicy(text); err != nil {
		return nil, invalidPolicy(err)
	}
	rec, err := a.updateRepo(ctx, awsapi.Deref(in.RepositoryName), func(r *repoRecord) error {
		r.Lifecycle, r.LifecycleAt = text, a.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, wrap("PutLifecyclePolicy", err)
	}
	a.poke()
	return &ecrtypes.PutLifecyclePolicyResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name), LifecyclePolicyText: new(text)}, nil
}

// GetLifecyclePolicy returns a repository's lifecycle policy.
func (a *API) GetLifecyclePolicy(ctx context.Context, in *ecrtypes.GetLifecyclePolicyRequest) (*ecrtypes.GetLifecyclePolicyResponse, error) {
	rec, err := a.readRepo(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("GetLifecyclePolicy", err)
	}
	if rec.Lifecycle == "" {
		return nil, a.lifecycleNotFound(ctx, rec.Name)
	}
	return &ecrtypes.GetLifecyclePolicyResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name),
		LifecyclePolicyText: new(rec.Lifecycle), LastEvaluatedAt: shape.TimeOf(rec.LifecycleAt)}, nil
}

// DeleteLifecyclePolicy removes a repository's lifecycle policy.
func (a *API) DeleteLifecyclePolicy(ctx context.Context, in *ecrtypes.DeleteLifecyclePolicyRequest) (*ecrtypes.DeleteLifecyclePolicyResponse, error) {
	var old repoRecord
	rec, err := a.updateRepo(ctx, awsapi.Deref(in.RepositoryName), func(r *repoRecord) error {
		if r.Lifecycle == "" {
			return a.lifecycleNotFound(ctx, r.Name)
		}
		old = *r
		r.Lifecycle = ""
		return nil
	})
	if err != nil {
		return nil, wrap("DeleteLifecyclePolicy", err)
	}
	return &ecrtypes.DeleteLifecyclePolicyResponse{RegistryId: new(a.scope(ctx).Account), RepositoryName: new(rec.Name),
		LifecyclePolicyText: new(old.Lifecycle), LastEvaluatedAt: shape.TimeOf(old.LifecycleAt)}, nil
}

func policyImages(imgs []imageRecord) []PolicyImage {
	out := make([]PolicyImage, 0, len(imgs))
	for _, im := range imgs {
		out = append(out, PolicyImage{Digest: im.Digest, Tags: im.Tags, PushedAt: im.PushedAt})
	}
	return out
}

// StartLifecyclePolicyPreview evaluates a policy (the given one, or the
// repository's) against the images now; the evaluation is immediate, so
// the preview is COMPLETE when GetLifecyclePolicyPreview is called.
func (a *API) StartLifecyclePolicyPreview(ctx context.Context, in *ecrtypes.StartLifecyclePolicyPreviewRequest) (*ecrtypes.StartLifecyclePolicyPreviewResponse, error) {
	sc := a.scope(ctx)
	name := awsapi.Deref(in.RepositoryName)
	var text string
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, err := a.getRepo(tx, sc, name)
		if err != nil {
			return err
		}
		text = awsapi.Deref(in.LifecyclePolicyText)
		if text == "" {
			text = rec.Lifecycle
		}
		if text == "" {
			return a.lifecycleNotFound(ctx, name)
		}
		p, err := ParsePolicy(text)
		if err != nil {
			return invalidPolicy(err)
		}
		imgs, err := listImages(tx, sc, name)
		if err != nil {
			return err
		}
		prev := &previewRecord{Policy: text, Results: []previewResult{}}
		for _, e := range Evaluate(p, policyImages(imgs), a.Now()) {
			i := slices.IndexFunc(imgs, func(im imageRecord) bool { return im.Digest == e.Digest })
			prev.Results = append(prev.Results, previewResult{Digest: e.Digest, Tags: imgs[i].Tags, PushedAt: imgs[i].PushedAt, Priority: e.Priority})
		}
		// By digest, the order GetLifecyclePolicyPreview pages in.
		slices.SortFunc(prev.Results, func(x, y previewResult) int { return strings.Compare(x.Digest, y.Digest) })
		rec.Preview = prev
		return store.Put(tx, repoKey(sc, name), rec)
	})
	if err != nil {
		return nil, wrap("StartLifecyclePolicyPreview", err)
	}
	return &ecrtypes.StartLifecyclePolicyPreviewResponse{RegistryId: new(sc.Account), RepositoryName: new(name),
		LifecyclePolicyText: new(text), Status: ecrtypes.LifecyclePolicyPreviewStatusInProgress}, nil
}

// GetLifecyclePolicyPreview returns the last preview's result.
func (a *API) GetLifecyclePolicyPreview(ctx context.Context, in *ecrtypes.GetLifecyclePolicyPreviewRequest) (*ecrtypes.GetLifecyclePolicyPreviewResponse, error) {
	sc := a.scope(ctx)
	rec, err := a.readRepo(ctx, awsapi.Deref(in.RepositoryName))
	if err != nil {
		return nil, wrap("GetLifecyclePolicyPreview", err)
	}
	if rec.Preview == nil {
		return nil, awsapi.Errorf(codePreviewNotFound, "There is no dry run for the repository with name '%s' in the registry with id '%s'", rec.Name, sc.Account)
	}
	results := rec.Preview.Results
	if f := in.Filter; f != nil && f.TagStatus != "" {
		results = slices.DeleteFunc(slices.Clone(results), func(r previewResult) bool {
			return !tagStatusKeeps(f.TagStatus, imageRecord{Tags: r.Tags})
		})
	}
	if len(in.ImageIds) > 0 {
		results = slices.DeleteFunc(slices.Clone(results), func(r previewResult) bool {
			return !slices.ContainsFunc(in.ImageIds, func(id ecrtypes.ImageIdentifier) bool {
				return awsapi.Deref(id.ImageDigest) == r.Digest || slices.Contains(r.Tags, awsapi.Deref(id.ImageTag))
			})
		})
	}
	c, err := awsapi.ParseCursor("preview", in.NextToken, errInvalid("Invalid parameter at 'nextToken': the token is not one GetLifecyclePolicyPreview issued"))
	if err != nil {
		return nil, err
	}
	page, next := awsapi.SlicePage(results, func(r previewResult) string { return r.Digest }, c, awsapi.PageLimit(in.MaxResults, 100))
	out := &ecrtypes.GetLifecyclePolicyPreviewResponse{RegistryId: new(sc.Account), RepositoryName: new(rec.Name),
		LifecyclePolicyText: new(rec.Preview.Policy), Status: ecrtypes.LifecyclePolicyPreviewStatusComplete, NextToken: next,
		PreviewResults: []ecrtypes.LifecyclePolicyPreviewResult{},
		Summary:        &ecrtypes.LifecyclePolicyPreviewSummary{ExpiringImageTotalCount: new(int32(len(rec.Preview.Results)))}}
	for _, r := range page {
		out.PreviewResults = append(out.PreviewResults, ecrtypes.LifecyclePolicyPreviewResult{ImageTags: awsapi.OrEmpty(r.Tags),
			ImageDigest: new(r.Digest), ImagePushedAt: shape.TimeOf(r.PushedAt), AppliedRulePriority: new(r.Priority),
			Action: &ecrtypes.LifecyclePolicyRuleAction{Type: ecrtypes.ImageActionTypeExpire}})
	}
	return out, nil
}

// ApplyLifecycle is one pass of the lifecycle controller: every
// repository with a policy has the images it expires deleted, from the
// store and the registry, then unreferenced blobs are collected.
func (a *API) ApplyLifecycle(ctx context.Context) error {
	var repos []struct {
		sc  model.Scope
		rec repoRecord
	}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List("ecr/"+a.account+"/names/", "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			n, _, err := store.Get[nameRecord](tx, kv.Key)
			if err != nil {
				return err
			}
			sc := model.Scope{Account: a.account, Region: n.Region}
			name := kv.Key[len("ecr/"+a.account+"/names/"):]
			rec, ok, err := store.Get[repoRecord](tx, repoKey(sc, name))
			if err != nil {
				return err
			}
			if ok && rec.Lifecycle != "" {
				repos = append(repos, struct {
					sc  model.Scope
					rec repoRecord
				}{sc, rec})
			}
		}
		return nil
	})
	if err != nil {
		return wrap("lifecycle", err)
	}
	for _, r := range repos {
		if err := a.expire(ctx, r.sc, r.rec.Name); err != nil {
			return wrap("lifecycle "+r.rec.Name, err)
		}
	}
	if err := a.PurgeTokens(ctx); err != nil {
		return wrap("purge tokens", err)
	}
	return a.reg.GC(ctx)
}

// expireBatch is the most images one transaction expires, inside the
// store's bound on keys written per transaction.
const expireBatch = 100

// expire applies one repository's policy, expireBatch images a
// transaction: each batch evaluates the policy again on what is left.
func (a *API) expire(ctx context.Context, sc model.Scope, name string) error {
	for {
		more, err := a.expireSome(ctx, sc, name)
		if err != nil || !more {
			return err
		}
	}
}

// expireSome deletes up to expireBatch of the images the policy expires
// and says whether it left some for another batch.
func (a *API) expireSome(ctx context.Context, sc model.Scope, name string) (more bool, err error) {
	var gone []string
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		gone, more = gone[:0], false
		rec, ok, err := store.Get[repoRecord](tx, repoKey(sc, name))
		if err != nil || !ok || rec.Lifecycle == "" {
			return err
		}
		p, err := ParsePolicy(rec.Lifecycle)
		if err != nil {
			return nil // stored policies were checked when put
		}
		imgs, err := listImages(tx, sc, name)
		if err != nil {
			return err
		}
		expired := Evaluate(p, policyImages(imgs), a.Now())
		if len(expired) > expireBatch {
			expired, more = expired[:expireBatch], true
		}
		for _, e := range expired {
			gone = append(gone, e.Digest)
			if err := tx.Delete(imageKey(sc, name, e.Digest)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	for _, d := range gone {
		a.Log.Info("lifecycle policy expired an image", "repository", name, "digest", d)
	}
	return more, a.deleteFromRegistry(ctx, name, nil, gone)
}

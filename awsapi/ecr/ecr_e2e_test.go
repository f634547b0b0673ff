package ecr_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func start(t *testing.T) (*wharftest.Wharf, *ecr.Client, *regClient) {
	t.Helper()
	w, c := apitest.Start(t, ecr.NewFromConfig)
	tok := apitest.Must(c.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{}))(t)
	if len(tok.AuthorizationData) != 1 {
		t.Fatalf("authorization data: %+v", tok.AuthorizationData)
	}
	ad := tok.AuthorizationData[0]
	if aws.ToString(ad.ProxyEndpoint) != w.URL() {
		t.Fatalf("proxyEndpoint = %q, want %q", aws.ToString(ad.ProxyEndpoint), w.URL())
	}
	if d := time.Until(aws.ToTime(ad.ExpiresAt)); d < 11*time.Hour || d > 13*time.Hour {
		t.Fatalf("token expires in %v, want 12h", d)
	}
	return w, c, &regClient{t: t, base: w.URL(), user: "AWS", pass: password(t, aws.ToString(ad.AuthorizationToken))}
}

func create(t *testing.T, c *ecr.Client, name string, opts ...func(*ecr.CreateRepositoryInput)) types.Repository {
	t.Helper()
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}
	for _, o := range opts {
		o(in)
	}
	return *apitest.Must(c.CreateRepository(context.Background(), in))(t).Repository
}

func immutable(in *ecr.CreateRepositoryInput) {
	in.ImageTagMutability = types.ImageTagMutabilityImmutable
}

func TestRepositories(t *testing.T) {
	w, c, _ := start(t)
	ctx := context.Background()
	host := strings.TrimPrefix(w.URL(), "http://")
	r := create(t, c, "team/web", func(in *ecr.CreateRepositoryInput) {
		in.ImageScanningConfiguration = &types.ImageScanningConfiguration{ScanOnPush: true}
		in.EncryptionConfiguration = &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeKms}
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	})
	if aws.ToString(r.RepositoryUri) != host+"/team/web" || aws.ToString(r.RepositoryArn) != "arn:aws:ecr:us-east-1:000000000000:repository/team/web" ||
		r.ImageTagMutability != types.ImageTagMutabilityMutable || !r.ImageScanningConfiguration.ScanOnPush ||
		r.EncryptionConfiguration.EncryptionType != types.EncryptionTypeKms || aws.ToString(r.EncryptionConfiguration.KmsKey) == "" ||
		aws.ToString(r.RegistryId) != "000000000000" || r.CreatedAt == nil {
		t.Fatalf("CreateRepository: %+v", r)
	}
	create(t, c, "api", immutable)

	t.Run("duplicate name", func(t *testing.T) {
		_, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("api")})
		apitest.WantCodeIn(t, err, "RepositoryAlreadyExistsException", "The repository with name 'api' already exists")
	})
	t.Run("bad name", func(t *testing.T) {
		_, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("Upper/Case")})
		apitest.WantCode(t, err, "InvalidParameterException")
	})
	t.Run("describe", func(t *testing.T) {
		all := apitest.Must(c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}))(t).Repositories
		if len(all) != 2 {
			t.Fatalf("DescribeRepositories: %d repositories", len(all))
		}
		one := apitest.Must(c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"api"}}))(t).Repositories
		if len(one) != 1 || one[0].ImageTagMutability != types.ImageTagMutabilityImmutable {
			t.Fatalf("DescribeRepositories api: %+v", one)
		}
		_, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"nope"}})
		apitest.WantCodeIn(t, err, "RepositoryNotFoundException", "The repository with name 'nope' does not exist in the registry with id '000000000000'")
	})
	t.Run("mutability and scanning", func(t *testing.T) {
		apitest.Must(c.PutImageTagMutability(ctx, &ecr.PutImageTagMutabilityInput{RepositoryName: aws.String("team/web"), ImageTagMutability: types.ImageTagMutabilityImmutable}))(t)
		apitest.Must(c.PutImageScanningConfiguration(ctx, &ecr.PutImageScanningConfigurationInput{RepositoryName: aws.String("team/web"),
			ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: false}}))(t)
		r := apitest.Must(c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"team/web"}}))(t).Repositories[0]
		if r.ImageTagMutability != types.ImageTagMutabilityImmutable || r.ImageScanningConfiguration.ScanOnPush {
			t.Fatalf("after updates: %+v", r)
		}
	})
	t.Run("tags", func(t *testing.T) {
		arn := aws.String("arn:aws:ecr:us-east-1:000000000000:repository/team/web")
		apitest.Must(c.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
		apitest.Must(c.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}))(t)
		tags := apitest.Must(c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: arn}))(t).Tags
		if len(tags) != 1 || aws.ToString(tags[0].Key) != "env" || aws.ToString(tags[0].Value) != "prod" {
			t.Fatalf("tags: %+v", tags)
		}
	})
	t.Run("repository policy", func(t *testing.T) {
		_, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("api")})
		apitest.WantCode(t, err, "RepositoryPolicyNotFoundException")
		pol := `{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage"]}]}`
		apitest.Must(c.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("api"), PolicyText: aws.String(pol)}))(t)
		got := apitest.Must(c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("api")}))(t)
		if aws.ToString(got.PolicyText) != pol {
			t.Fatalf("policy: %s", aws.ToString(got.PolicyText))
		}
		apitest.Must(c.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("api")}))(t)
		_, err = c.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("api")})
		apitest.WantCode(t, err, "RepositoryPolicyNotFoundException")
	})
	t.Run("delete empty", func(t *testing.T) {
		apitest.Must(c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("api")}))(t)
		_, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("api")})
		apitest.WantCode(t, err, "RepositoryNotFoundException")
	})
}

func TestRegistryAuth(t *testing.T) {
	_, c, reg := start(t)
	create(t, c, "app")
	tests := []struct {
		name       string
		user, pass string
		path       string
		want       int
		wantCode   string
	}{
		{"no credentials", "", "", "/v2/", http.StatusUnauthorized, "UNAUTHORIZED"},
		{"wrong password", "AWS", "wrong", "/v2/", http.StatusUnauthorized, "UNAUTHORIZED"},
		{"wrong user", "admin", reg.pass, "/v2/", http.StatusUnauthorized, "UNAUTHORIZED"},
		{"the token", "AWS", reg.pass, "/v2/", http.StatusOK, ""},
		{"unknown repository", "AWS", reg.pass, "/v2/nope/manifests/latest", http.StatusNotFound, "NAME_UNKNOWN"},
		{"unknown tag", "AWS", reg.pass, "/v2/app/manifests/latest", http.StatusNotFound, "MANIFEST_UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := &regClient{t: t, base: reg.base, user: tt.user, pass: tt.pass}
			resp := cl.do(http.MethodGet, tt.path, "", nil)
			body := readAll(t, resp)
			if resp.StatusCode != tt.want || !strings.Contains(body, tt.wantCode) {
				t.Fatalf("GET %s: %d %s, want %d %s", tt.path, resp.StatusCode, body, tt.want, tt.wantCode)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Fatalf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("push to an unknown repository", func(t *testing.T) {
		resp := reg.do(http.MethodPost, "/v2/nope/blobs/uploads/", "", nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "NAME_UNKNOWN") {
			t.Fatalf("upload to unknown repository: %d %s", resp.StatusCode, body)
		}
	})
}

func describe(t *testing.T, c *ecr.Client, repo string, status types.TagStatus) []types.ImageDetail {
	t.Helper()
	return apitest.Must(c.DescribeImages(context.Background(), &ecr.DescribeImagesInput{RepositoryName: aws.String(repo),
		Filter: &types.DescribeImagesFilter{TagStatus: status}}))(t).ImageDetails
}

func byTag(imgs []types.ImageDetail, tag string) *types.ImageDetail {
	for i := range imgs {
		if slices.Contains(imgs[i].ImageTags, tag) {
			return &imgs[i]
		}
	}
	return nil
}

func TestPushDescribeDelete(t *testing.T) {
	_, c, reg := start(t)
	ctx := context.Background()
	create(t, c, "app", func(in *ecr.CreateRepositoryInput) {
		in.ImageScanningConfiguration = &types.ImageScanningConfiguration{ScanOnPush: true}
	})
	reg.mustPush("app", "v1", "one")
	reg.mustPush("app", "v2", "two")
	reg.mustPush("app", "latest", "two") // the same image, a second tag
	reg.mustPush("app", "v3", "three")
	reg.mustPush("app", "v3", "three again") // v3 moves; the old image is untagged

	all := describe(t, c, "app", types.TagStatusAny)
	if len(all) != 4 {
		t.Fatalf("DescribeImages: %d images, want 4: %+v", len(all), all)
	}
	two := byTag(all, "v2")
	if two == nil || !slices.Contains(two.ImageTags, "latest") || aws.ToInt64(two.ImageSizeInBytes) <= 3 || two.ImagePushedAt == nil ||
		!strings.HasPrefix(aws.ToString(two.ImageDigest), "sha256:") || aws.ToString(two.ImageManifestMediaType) != manifestType ||
		aws.ToString(two.ArtifactMediaType) != "application/vnd.docker.container.image.v1+json" || two.LastRecordedPullTime != nil {
		t.Fatalf("image v2: %+v", two)
	}
	if s := two.ImageScanStatus; s == nil || s.Status != types.ScanStatusFailed || !strings.Contains(aws.ToString(s.Description), "no vulnerability database") {
		t.Fatalf("scan status must say no scan happened: %+v", s)
	}
	if n := len(describe(t, c, "app", types.TagStatusUntagged)); n != 1 {
		t.Fatalf("untagged images: %d, want 1", n)
	}
	ids := apitest.Must(c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("app"), Filter: &types.ListImagesFilter{TagStatus: types.TagStatusTagged}}))(t).ImageIds
	if len(ids) != 4 { // v1, v2, latest, v3
		t.Fatalf("ListImages tagged: %+v", ids)
	}

	t.Run("pull moves lastRecordedPullTime", func(t *testing.T) {
		resp := reg.do(http.MethodGet, "/v2/app/manifests/v2", "", nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("pull: %d %s", resp.StatusCode, body)
		}
		if im := byTag(describe(t, c, "app", types.TagStatusAny), "v2"); im.LastRecordedPullTime == nil {
			t.Fatalf("lastRecordedPullTime not set: %+v", im)
		}
	})
	t.Run("BatchGetImage and PutImage", func(t *testing.T) {
		got := apitest.Must(c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("app"),
			ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}, {ImageTag: aws.String("nope")}}}))(t)
		if len(got.Images) != 1 || len(got.Failures) != 1 || got.Failures[0].FailureCode != types.ImageFailureCodeImageNotFound {
			t.Fatalf("BatchGetImage: %+v", got)
		}
		m := got.Images[0].ImageManifest
		put := apitest.Must(c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageManifest: m, ImageTag: aws.String("stable")}))(t)
		if aws.ToString(put.Image.ImageId.ImageDigest) != aws.ToString(got.Images[0].ImageId.ImageDigest) {
			t.Fatalf("PutImage digest: %+v", put.Image.ImageId)
		}
		_, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageManifest: m, ImageTag: aws.String("stable")})
		apitest.WantCode(t, err, "ImageAlreadyExistsException")
		resp := reg.do(http.MethodGet, "/v2/app/manifests/stable", "", nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("pull the tag PutImage made: %d %s", resp.StatusCode, body)
		}
		var cfg struct {
			Layers []struct {
				Digest string `json:"digest"`
			} `json:"layers"`
		}
		_ = jsonUnmarshal(aws.ToString(m), &cfg)
		layers := apitest.Must(c.BatchCheckLayerAvailability(ctx, &ecr.BatchCheckLayerAvailabilityInput{RepositoryName: aws.String("app"),
			LayerDigests: []string{cfg.Layers[0].Digest, digestOf([]byte("absent"))}}))(t).Layers
		if len(layers) != 2 || layers[0].LayerAvailability != types.LayerAvailabilityAvailable || layers[1].LayerAvailability != types.LayerAvailabilityUnavailable {
			t.Fatalf("BatchCheckLayerAvailability: %+v", layers)
		}
	})
	t.Run("BatchDeleteImage", func(t *testing.T) {
		// A tag of an image with two tags goes alone; the last tag takes
		// the image with it, from the registry too.
		del := apitest.Must(c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("app"),
			ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("latest")}, {ImageTag: aws.String("v1")}, {ImageTag: aws.String("gone")}}}))(t)
		if len(del.ImageIds) != 2 || len(del.Failures) != 1 {
			t.Fatalf("BatchDeleteImage: %+v", del)
		}
		for tag, want := range map[string]int{"latest": http.StatusNotFound, "v1": http.StatusNotFound, "v2": http.StatusOK} {
			resp := reg.do(http.MethodGet, "/v2/app/manifests/"+tag, "", nil)
			if body := readAll(t, resp); resp.StatusCode != want {
				t.Fatalf("after delete, GET %s: %d %s, want %d", tag, resp.StatusCode, body, want)
			}
		}
		if byTag(describe(t, c, "app", types.TagStatusAny), "v2") == nil {
			t.Fatal("v2 went with latest")
		}
	})
	t.Run("delete repository", func(t *testing.T) {
		_, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("app")})
		apitest.WantCodeIn(t, err, "RepositoryNotEmptyException", "cannot be deleted because it still contains images")
		apitest.Must(c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("app"), Force: true}))(t)
		create(t, c, "app")
		resp := reg.do(http.MethodGet, "/v2/app/manifests/v2", "", nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a recreated repository still serves the old image: %d %s", resp.StatusCode, body)
		}
	})
}

func TestImmutableTags(t *testing.T) {
	_, c, reg := start(t)
	ctx := context.Background()
	create(t, c, "fixed", immutable)
	reg.mustPush("fixed", "v1", "one")
	reg.mustPush("fixed", "v1", "one") // the same manifest again is no move
	code, body := reg.push("fixed", "v1", "other")
	if code != http.StatusBadRequest || !strings.Contains(body, "TAG_INVALID") || !strings.Contains(body, "cannot be overwritten because the repository is immutable") {
		t.Fatalf("moving an immutable tag: %d %s", code, body)
	}
	reg.mustPush("fixed", "v2", "other")
	m := apitest.Must(c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("fixed"),
		ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v2")}}}))(t).Images[0].ImageManifest
	_, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("fixed"), ImageManifest: m, ImageTag: aws.String("v1")})
	apitest.WantCodeIn(t, err, "ImageTagAlreadyExistsException", "The image tag 'v1' already exists in the 'fixed' repository and cannot be overwritten because the repository is immutable.")
}

func TestLifecyclePolicy(t *testing.T) {
	_, c, reg := start(t)
	ctx := context.Background()
	create(t, c, "svc")
	for _, tag := range []string{"prod-1", "prod-2", "prod-3", "dev-1"} {
		reg.mustPush("svc", tag, tag)
	}
	reg.mustPush("svc", "prod-3", "prod-3 rebuilt")       // leaves an untagged image
	reg.mustPush("svc", "prod-3", "prod-3 rebuilt again") // and a second, newer one
	policy := `{"rules":[
	 {"rulePriority":1,"description":"one untagged","selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
	 {"rulePriority":2,"description":"two prod","selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
	 {"rulePriority":3,"description":"the rest","selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}`
	bad := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`

	_, err := c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("svc"), LifecyclePolicyText: aws.String(bad)})
	apitest.WantCodeIn(t, err, "InvalidParameterException", "tagPrefixList")
	_, err = c.GetLifecyclePolicyPreview(ctx, &ecr.GetLifecyclePolicyPreviewInput{RepositoryName: aws.String("svc")})
	apitest.WantCode(t, err, "LifecyclePolicyPreviewNotFoundException")

	t.Run("preview", func(t *testing.T) {
		apitest.Must(c.StartLifecyclePolicyPreview(ctx, &ecr.StartLifecyclePolicyPreviewInput{RepositoryName: aws.String("svc"), LifecyclePolicyText: aws.String(policy)}))(t)
		p := apitest.Must(c.GetLifecyclePolicyPreview(ctx, &ecr.GetLifecyclePolicyPreviewInput{RepositoryName: aws.String("svc")}))(t)
		if p.Status != types.LifecyclePolicyPreviewStatusComplete || aws.ToInt32(p.Summary.ExpiringImageTotalCount) != 2 || len(p.PreviewResults) != 2 {
			t.Fatalf("preview: %+v", p)
		}
		prios := map[int32]int{}
		for _, r := range p.PreviewResults {
			prios[aws.ToInt32(r.AppliedRulePriority)]++
		}
		if prios[1] != 1 || prios[2] != 1 {
			t.Fatalf("preview rules: %v", prios)
		}
		if n := len(describe(t, c, "svc", types.TagStatusAny)); n != 6 {
			t.Fatalf("a preview expired images: %d left", n)
		}
	})
	t.Run("the controller applies it", func(t *testing.T) {
		apitest.Must(c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("svc"), LifecyclePolicyText: aws.String(policy)}))(t)
		deadline := time.Now().Add(time.Minute)
		for len(describe(t, c, "svc", types.TagStatusAny)) != 4 {
			if time.Now().After(deadline) {
				t.Fatalf("the policy was not applied within a minute: %+v", describe(t, c, "svc", types.TagStatusAny))
			}
			time.Sleep(100 * time.Millisecond)
		}
		left := describe(t, c, "svc", types.TagStatusAny)
		for _, tag := range []string{"prod-2", "prod-3", "dev-1"} {
			if byTag(left, tag) == nil {
				t.Fatalf("%s expired: %+v", tag, left)
			}
		}
		// The registry drops an image just after the store does.
		for {
			resp := reg.do(http.MethodGet, "/v2/svc/manifests/prod-1", "", nil)
			body := readAll(t, resp)
			if resp.StatusCode == http.StatusNotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("an expired image is still in the registry: %d %s", resp.StatusCode, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		got := apitest.Must(c.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("svc")}))(t)
		if aws.ToString(got.LifecyclePolicyText) != policy {
			t.Fatalf("GetLifecyclePolicy: %s", aws.ToString(got.LifecyclePolicyText))
		}
		apitest.Must(c.DeleteLifecyclePolicy(ctx, &ecr.DeleteLifecyclePolicyInput{RepositoryName: aws.String("svc")}))(t)
		_, err := c.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("svc")})
		apitest.WantCode(t, err, "LifecyclePolicyNotFoundException")
	})
}

func TestPaging(t *testing.T) {
	_, c, reg := start(t)
	ctx := context.Background()
	create(t, c, "many")
	for i := range 5 {
		reg.mustPush("many", fmt.Sprintf("t%d", i), fmt.Sprintf("image %d", i%3)) // 3 images, 5 tags
	}
	var ids []string
	var tok *string
	for range 10 {
		out := apitest.Must(c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("many"), MaxResults: aws.Int32(2), NextToken: tok}))(t)
		for _, id := range out.ImageIds {
			ids = append(ids, aws.ToString(id.ImageTag))
		}
		if tok = out.NextToken; tok == nil {
			break
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"t0", "t1", "t2", "t3", "t4"}) {
		t.Fatalf("ListImages pages: %v", ids)
	}
	var n int
	tok = nil
	for range 10 {
		out := apitest.Must(c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("many"), MaxResults: aws.Int32(2), NextToken: tok}))(t)
		n += len(out.ImageDetails)
		if tok = out.NextToken; tok == nil {
			break
		}
	}
	if n != 3 {
		t.Fatalf("DescribeImages pages: %d images, want 3", n)
	}
}

// TestLifecycleExpiresMany expires more images than one store transaction
// may delete (tests run the store with etcd's bound of 128 keys): the
// policy is applied in batches until one image is left.
func TestLifecycleExpiresMany(t *testing.T) {
	_, c, reg := start(t)
	ctx := context.Background()
	create(t, c, "heap")
	const n = 150
	for i := range n {
		reg.mustPush("heap", fmt.Sprintf("b%d", i), fmt.Sprintf("build %d", i))
	}
	policy := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
	apitest.Must(c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("heap"), LifecyclePolicyText: aws.String(policy)}))(t)
	deadline := time.Now().Add(time.Minute)
	for {
		left := describe(t, c, "heap", types.TagStatusAny)
		if len(left) == 1 {
			if byTag(left, fmt.Sprintf("b%d", n-1)) == nil {
				t.Fatalf("the newest image expired: %+v", left)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d or more of %d images left a minute after the policy (one page); want 1", len(left), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

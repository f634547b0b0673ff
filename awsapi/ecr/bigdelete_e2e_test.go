package ecr_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/wharfhq/wharf/internal/apitest"
)

// TestDeleteRepositoryForceMany force-deletes a repository holding more
// images than one store transaction may delete (tests run the store with
// etcd's bound of 128 keys): the images go in batches, the repository
// with the last, and a repository created again under the name is empty.
func TestDeleteRepositoryForceMany(t *testing.T) {
	_, c, reg := start(t)
	ctx := context.Background()
	create(t, c, "heap")
	const n = 150
	for i := range n {
		reg.mustPush("heap", fmt.Sprintf("b%d", i), fmt.Sprintf("build %d", i))
	}
	if got := countImages(t, c, "heap"); got != n {
		t.Fatalf("%d images pushed, want %d", got, n)
	}
	_, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("heap")})
	apitest.WantCode(t, err, "RepositoryNotEmptyException")
	if got := countImages(t, c, "heap"); got != n {
		t.Fatalf("a refused delete left %d images, want %d", got, n)
	}
	apitest.Must(c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("heap"), Force: true}))(t)
	_, err = c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"heap"}})
	apitest.WantCode(t, err, "RepositoryNotFoundException")
	create(t, c, "heap")
	if left := countImages(t, c, "heap"); left != 0 {
		t.Fatalf("a recreated repository lists %d old images", left)
	}
	resp := reg.do(http.MethodGet, "/v2/heap/manifests/b0", "", nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a recreated repository still serves an old image: %d %s", resp.StatusCode, body)
	}
}

// countImages counts a repository's images over every page.
func countImages(t *testing.T, c *ecr.Client, repo string) int {
	t.Helper()
	n := 0
	p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo)})
	for p.HasMorePages() {
		n += len(apitest.Must(p.NextPage(context.Background()))(t).ImageDetails)
	}
	return n
}

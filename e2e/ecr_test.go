package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// dockerCLI runs the docker CLI with its own config dir (so that logins
// stay out of the user's ~/.docker) and the classic builder.
type dockerCLI struct {
	t      testing.TB
	config string
	tags   []string // every tag the test made, removed at its end
	ids    []string // every image it built (a rebuilt tag leaves one untagged)
	host   string   // wharf's registry
}

func newDockerCLI(t testing.TB) *dockerCLI {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI")
	}
	return &dockerCLI{t: t, config: t.TempDir()}
}

func (d *dockerCLI) run(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"--config", d.config}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (d *dockerCLI) must(args ...string) string {
	d.t.Helper()
	out, err := d.run("", args...)
	if err != nil {
		d.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// build builds tag from a Dockerfile whose one file holds content.
func (d *dockerCLI) build(tag, from, content string) {
	d.t.Helper()
	dir := d.t.TempDir()
	df := fmt.Sprintf("FROM %s\nCOPY file /file\nLABEL wharf.test=ecr\n", from)
	for name, body := range map[string]string{"Dockerfile": df, "file": content} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			d.t.Fatal(err)
		}
	}
	d.tags = append(d.tags, tag)
	// -q prints the image id (after the CLI's deprecation notice).
	for _, f := range strings.Fields(d.must("build", "-q", "-t", tag, dir)) {
		if strings.HasPrefix(f, "sha256:") {
			d.ids = append(d.ids, f)
		}
	}
}

func (d *dockerCLI) tag(src, dst string) {
	d.t.Helper()
	d.tags = append(d.tags, dst)
	d.must("tag", src, dst)
}

// cleanup removes the test's own tags (never another's image).
func (d *dockerCLI) cleanup() {
	for _, tag := range slices.Compact(slices.Sorted(slices.Values(d.tags))) {
		if out, err := d.run("", "rmi", tag); err != nil && !strings.Contains(out, "No such image") {
			d.t.Logf("docker rmi %s: %v %s", tag, err, out)
		}
	}
	for _, id := range d.ids {
		// A pushed image keeps a HOST/REPO@DIGEST reference to wharf's
		// registry; those of this test's registry go with it.
		digests, _ := d.run("", "image", "inspect", "-f", `{{range .RepoDigests}}{{println .}}{{end}}`, id)
		for _, ref := range strings.Fields(digests) {
			if d.host != "" && strings.HasPrefix(ref, d.host+"/") {
				_, _ = d.run("", "rmi", ref)
			}
		}
		if out, err := d.run("", "rmi", id); err != nil && !strings.Contains(out, "No such image") {
			d.t.Logf("docker rmi %s: %v %s", id, err, out)
		}
	}
}

// TestECRPipeline is the seeds' pipeline against wharf: create
// repositories, log in with get-login-password's token, build and push,
// run tasks naming the image both ways after the local copy is gone.
func TestECRPipeline(t *testing.T) {
	_, imgs := wharftest.Images(t)
	d := newDockerCLI(t)
	t.Cleanup(d.cleanup) // after wharf stopped and its containers went
	w := wharftest.StartWithAgent(t)
	ctx := context.Background()
	e := ecr.NewFromConfig(w.Config("us-east-1"))
	c := w.ECS()
	host := strings.TrimPrefix(w.URL(), "http://")
	d.host = host

	repo := func(name string, mut ecrtypes.ImageTagMutability) string {
		r := apitest.Must(e.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name), ImageTagMutability: mut}))(t).Repository
		if uri := aws.ToString(r.RepositoryUri); uri != host+"/"+name {
			t.Fatalf("repositoryUri = %q, want %q", uri, host+"/"+name)
		}
		return aws.ToString(r.RepositoryUri)
	}
	appURI := repo("pipeline/app", ecrtypes.ImageTagMutabilityMutable)
	fixedURI := repo("pipeline/fixed", ecrtypes.ImageTagMutabilityImmutable)
	lifeURI := repo("pipeline/life", ecrtypes.ImageTagMutabilityMutable)

	tok := apitest.Must(e.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{}))(t).AuthorizationData[0]
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationToken))
	password := strings.TrimPrefix(string(raw), "AWS:")

	t.Run("login", func(t *testing.T) {
		if out, err := d.run("not-the-token", "login", "-u", "AWS", "--password-stdin", host); err == nil {
			t.Fatalf("docker login with a wrong password succeeded: %s", out)
		}
		if out, err := d.run(password, "login", "-u", "AWS", "--password-stdin", host); err != nil {
			t.Fatalf("docker login: %v %s", err, out)
		}
	})
	t.Run("push several images", func(t *testing.T) {
		d.build(appURI+":v1", imgs.App, "app v1")
		d.must("push", appURI+":v1")
		d.build(appURI+":v2", "scratch", "v2")
		d.must("push", appURI+":v2")
		d.tag(appURI+":v2", appURI+":latest")
		d.must("push", appURI+":latest")
		det := apitest.Must(e.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("pipeline/app")}))(t).ImageDetails
		if len(det) != 2 {
			t.Fatalf("DescribeImages after pushes: %+v", det)
		}
		for _, im := range det {
			if im.ImagePushedAt == nil || aws.ToInt64(im.ImageSizeInBytes) <= 0 || len(im.ImageTags) == 0 {
				t.Fatalf("image detail: %+v", im)
			}
		}
	})
	t.Run("immutable tags", func(t *testing.T) {
		d.build(fixedURI+":v1", "scratch", "first")
		d.must("push", fixedURI+":v1")
		d.build(fixedURI+":v1", "scratch", "second")
		out, err := d.run("", "push", fixedURI+":v1")
		if err == nil || !strings.Contains(out, "immutable") {
			t.Fatalf("pushing over an immutable tag: err %v, output %s", err, out)
		}
	})
	t.Run("lifecycle expiry", func(t *testing.T) {
		for i := 1; i <= 3; i++ {
			tag := fmt.Sprintf("%s:build-%d", lifeURI, i)
			d.build(tag, "scratch", fmt.Sprintf("build %d", i))
			d.must("push", tag)
		}
		policy := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["build"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
		apitest.Must(e.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("pipeline/life"), LifecyclePolicyText: aws.String(policy)}))(t)
		deadline := time.Now().Add(time.Minute)
		for {
			det := apitest.Must(e.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("pipeline/life")}))(t).ImageDetails
			if len(det) == 1 && slices.Contains(det[0].ImageTags, "build-3") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("lifecycle policy not applied within a minute: %+v", det)
			}
			time.Sleep(200 * time.Millisecond)
		}
		d.must("rmi", lifeURI+":build-1")
		if out, err := d.run("", "pull", lifeURI+":build-1"); err == nil {
			t.Fatalf("an expired image can still be pulled: %s", out)
		}
	})
	t.Run("tasks pull by both names", func(t *testing.T) {
		awsName := "000000000000.dkr.ecr.us-east-1.amazonaws.com/pipeline/app:v1"
		d.tags = append(d.tags, awsName)
		d.must("rmi", appURI+":v1") // the local copy goes; the task must pull
		apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("ecr")}))(t)
		for family, image := range map[string]string{"by-aws-name": awsName, "by-uri": appURI + ":v1", "missing-tag": appURI + ":nope",
			"missing-aws": "000000000000.dkr.ecr.us-east-1.amazonaws.com/pipeline/app:nope"} {
			apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(family), NetworkMode: types.NetworkModeBridge,
				ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(64),
					Command: []string{"-listen", ":8080"}, DockerLabels: map[string]string{"wharf.test": "1"}}}}))(t)
		}
		for _, family := range []string{"by-aws-name", "by-uri"} {
			run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("ecr"), TaskDefinition: aws.String(family)}))(t)
			if len(run.Tasks) != 1 {
				t.Fatalf("RunTask %s: %+v", family, run.Failures)
			}
			waitTask(t, c, "ecr", aws.ToString(run.Tasks[0].TaskArn), 90*time.Second, "RUNNING", running)
		}
		det := apitest.Must(e.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("pipeline/app"),
			ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}}))(t).ImageDetails
		if len(det) != 1 || det[0].LastRecordedPullTime == nil {
			t.Fatalf("lastRecordedPullTime after the tasks pulled: %+v", det)
		}
		// A re-pushed mutable tag is what the next task runs (ECR images
		// are pulled at every start, as on Fargate).
		d.build(appURI+":v1", imgs.App, "app v1, rebuilt")
		d.must("push", appURI+":v1")
		rebuilt := strings.TrimSpace(d.must("image", "inspect", "-f", "{{.Id}}", appURI+":v1"))
		d.must("rmi", appURI+":v1")
		run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("ecr"), TaskDefinition: aws.String("by-aws-name")}))(t)
		waitTask(t, c, "ecr", aws.ToString(run.Tasks[0].TaskArn), 90*time.Second, "RUNNING", running)
		if got := strings.TrimSpace(d.must("image", "inspect", "-f", "{{.Id}}", awsName)); got != rebuilt {
			t.Fatalf("the task ran %s, not the re-pushed image %s", got, rebuilt)
		}
		for _, family := range []string{"missing-tag", "missing-aws"} {
			run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("ecr"), TaskDefinition: aws.String(family)}))(t)
			task := waitTask(t, c, "ecr", aws.ToString(run.Tasks[0].TaskArn), 90*time.Second, "STOPPED", stopped)
			reason := aws.ToString(container(t, task, "app").Reason)
			if task.StopCode != types.TaskStopCodeTaskFailedToStart || !strings.HasPrefix(reason, "CannotPullContainerError: pull image manifest has been retried") ||
				!strings.HasSuffix(reason, ": not found") {
				t.Fatalf("%s: %s (container reason %q)", family, describe(task), reason)
			}
		}
	})
	t.Run("delete repositories", func(t *testing.T) {
		_, err := e.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("pipeline/fixed")})
		wantCode(t, err, "RepositoryNotEmptyException")
		apitest.Must(e.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("pipeline/fixed"), Force: true}))(t)
		d.must("rmi", fixedURI+":v1")
		if out, err := d.run("", "pull", fixedURI+":v1"); err == nil {
			t.Fatalf("pulled from a deleted repository: %s", out)
		}
		if out, err := d.run("", "push", lifeURI+":build-3"); err != nil {
			t.Fatalf("push to a live repository after another's deletion: %v %s", err, out)
		}
	})
}

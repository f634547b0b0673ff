package docker

import (
	"context"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
)

// PullError is returned by EnsureImage when an image is neither present nor
// pullable. Its text is the ECS stopped reason for that case.
type PullError struct {
	Ref string
	Err error // the engine's (or the context's) error
}

func (e *PullError) Error() string { return "CannotPullContainerError: " + e.Err.Error() }
func (e *PullError) Unwrap() error { return e.Err }

// EnsureImage makes ref available on the engine. With pull false it uses a
// local image when there is one and pulls only when there is none. With pull
// true it always pulls first and falls back to a local image if the pull
// fails. When the image ends up missing, the error is a *PullError. Bound
// slow registries with ctx.
func (r *Runtime) EnsureImage(ctx context.Context, ref string, pull bool) error {
	_, err := r.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil && !pull:
		return nil
	case err != nil && !IsNotFound(err):
		return fmt.Errorf("docker: inspect image %s: %w", ref, err)
	}
	local := err == nil
	if perr := r.pull(ctx, ref); perr != nil && !local {
		return &PullError{Ref: ref, Err: perr}
	}
	return nil
}

func (r *Runtime) pull(ctx context.Context, ref string) error {
	rc, err := r.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := drainJSON(rc); err != nil {
		return err
	}
	return ctx.Err() // a cancelled pull can end its stream without an error message
}

// PullAuth pulls ref from its registry with a user and password (an ECR
// token) and tags the result as alias too when alias is not "" (so a
// container can be created under the name a task definition gives).
func (r *Runtime) PullAuth(ctx context.Context, ref, user, password, alias string) error {
	auth, err := registry.EncodeAuthConfig(registry.AuthConfig{Username: user, Password: password})
	if err != nil {
		return fmt.Errorf("docker: encode registry credentials: %w", err)
	}
	rc, err := r.cli.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := drainJSON(rc); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if alias != "" {
		if err := r.cli.ImageTag(ctx, ref, alias); err != nil {
			return fmt.Errorf("docker: tag %s as %s: %w", ref, alias, err)
		}
	}
	return nil
}

// ImageLabels returns the labels of the local image ref; an image that is
// not on the engine gives an error IsNotFound recognises.
func (r *Runtime) ImageLabels(ctx context.Context, ref string) (map[string]string, error) {
	insp, err := r.cli.ImageInspect(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("docker: inspect image %s: %w", ref, err)
	}
	labels := map[string]string{}
	if insp.Config != nil {
		maps.Copy(labels, insp.Config.Labels)
	}
	return labels, nil
}

// ImportImage makes the image ref from rootfs, a tar stream of a root
// filesystem, applying Dockerfile instructions such as `ENTRYPOINT ["/x"]`
// (changes). It is how images are made where no registry is reachable.
func (r *Runtime) ImportImage(ctx context.Context, ref string, rootfs io.Reader, changes []string) error {
	rc, err := r.cli.ImageImport(ctx, image.ImportSource{Source: rootfs, SourceName: "-"}, ref, image.ImportOptions{Changes: changes})
	if err != nil {
		return fmt.Errorf("docker: import image %s: %w", ref, err)
	}
	defer rc.Close()
	if err := drainJSON(rc); err != nil {
		return fmt.Errorf("docker: import image %s: %w", ref, err)
	}
	return nil
}

// BuildImage builds buildContext (a tar stream with a Dockerfile at its
// root) with the classic builder, tags the result ref and labels it.
func (r *Runtime) BuildImage(ctx context.Context, ref string, buildContext io.Reader, labels map[string]string) error {
	resp, err := r.cli.ImageBuild(ctx, buildContext, build.ImageBuildOptions{
		Tags:        []string{ref},
		Labels:      labels,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return fmt.Errorf("docker: build image %s: %w", ref, err)
	}
	defer resp.Body.Close()
	if err := drainJSON(resp.Body); err != nil {
		return fmt.Errorf("docker: build image %s: %w", ref, err)
	}
	return nil
}

// PruneDanglingImages removes the untagged images carrying all the labels
// in labelFilter that were created olderThan ago or earlier (a younger one
// may be a parallel build's, between its last step and its tagging).
func (r *Runtime) PruneDanglingImages(ctx context.Context, labelFilter map[string]string, olderThan time.Duration) error {
	args := labelArgs(labelFilter)
	args.Add("dangling", "true")
	args.Add("until", olderThan.String())
	if _, err := r.cli.ImagesPrune(ctx, args); err != nil {
		return fmt.Errorf("docker: prune images: %w", err)
	}
	return nil
}

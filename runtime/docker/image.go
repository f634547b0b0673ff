package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/image"
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

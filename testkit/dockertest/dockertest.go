// Package dockertest connects tests to the local Docker engine and its test
// images, skipping (or, with WHARF_REQUIRE_DOCKER, failing) without one.
// It sits below internal/wharftest so that the agent's own packages can
// use it too.
package dockertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/wharfhq/wharf/runtime/docker"
	"github.com/wharfhq/wharf/testkit/images"
)

// Docker connects to the local engine. Without one the test is skipped,
// unless WHARF_REQUIRE_DOCKER is set (as in CI), where it fails.
func Docker(t testing.TB) *docker.Runtime {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := docker.New(ctx, "")
	if err != nil {
		if os.Getenv("WHARF_REQUIRE_DOCKER") != "" {
			t.Fatalf("no Docker engine (WHARF_REQUIRE_DOCKER is set): %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt
}

// Images builds (or finds cached) the test images and returns their refs.
func Images(t testing.TB) (*docker.Runtime, images.Images) {
	t.Helper()
	rt := Docker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	imgs, err := images.Ensure(ctx, rt)
	if err != nil {
		t.Fatalf("build test images: %v", err)
	}
	return rt, imgs
}

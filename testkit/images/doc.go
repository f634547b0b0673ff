// Package images builds wharf's end-to-end test images on the local Docker
// engine, through the Engine API (no `docker build` CLI, no registry):
//
//   - wharf-test/app:latest: FROM scratch, the static testapp
//     (testkit/testapp) at /testapp as ENTRYPOINT, EXPOSE 8080.
//   - wharf-test/busybox:latest: FROM scratch, the host's static
//     /bin/busybox (Debian's busybox-static) with a symlink in /bin for
//     every applet, the testapp at /testapp, CMD ["sh"].
//
// Each image is labelled with a hash of what it is made from: the sources
// of testkit/testapp and testkit/images (Dockerfiles and layout included),
// the Go version and the busybox binary. Ensure skips the build when the tag
// already carries that hash, so a repeated test run costs two image
// inspections, not even a `go build`. Ensure is safe to call from parallel
// test processes: both may build, and both succeed.
//
// Both images carry the labels wharf.test=1 and wharf.test.contenthash, and
// so, by Docker's inheritance of image labels, does every container run from
// them: `docker rm -f $(docker ps -aq -f label=wharf.test=1)` removes strays.
//
// This package is test support: it depends only on the standard library and
// containerd's errdefs, reaches the engine through the small Engine
// interface (*docker.Runtime of runtime/docker has its methods), and no
// production (non-test) package of wharf may import it.
package images

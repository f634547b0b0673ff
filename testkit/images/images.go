package images

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
)

// Engine is what Ensure needs of a Docker engine; *docker.Runtime
// (runtime/docker) has these methods. Not-found errors are recognised by
// containerd's errdefs.
type Engine interface {
	ImageLabels(ctx context.Context, ref string) (map[string]string, error)
	BuildImage(ctx context.Context, ref string, buildContext io.Reader, labels map[string]string) error
	PruneDanglingImages(ctx context.Context, labelFilter map[string]string, olderThan time.Duration) error
}

// Image references built by Ensure.
const (
	AppRef     = "wharf-test/app:latest"
	BusyboxRef = "wharf-test/busybox:latest"
)

// Labels set on the built images.
const (
	// HashLabel holds the content hash of the image's build context.
	HashLabel = "wharf.test.contenthash"
	// TestLabel marks everything the tests create (images and containers).
	TestLabel = "wharf.test"
)

const testappPkg = "github.com/wharfhq/wharf/testkit/testapp"

// Images holds the references of the test images.
type Images struct {
	App     string // wharf-test/app:latest
	Busybox string // wharf-test/busybox:latest
}

// buildContext is one image's Docker build context, ready to post.
type buildContext struct {
	ref  string
	tar  []byte
	hash string
}

var (
	mu       sync.Mutex
	key      *string        // memoized sourceKey
	contexts []buildContext // memoized buildContexts
	builds   atomic.Int32   // images built by this process (for tests)
)

// Ensure makes sure both test images exist on the engine and are
// up to date with the current testapp source and host busybox, building them
// if needed.
//
// The cache key is a hash of the sources of testkit/testapp and
// testkit/images, the Go version and the busybox binary, so an up-to-date
// engine costs two image inspections and no `go build`. Where the sources
// cannot be found, the key is the hash of the freshly built build context.
func Ensure(ctx context.Context, cli Engine) (Images, error) {
	imgs := Images{App: AppRef, Busybox: BusyboxRef}
	k := sourceKey()
	if k != "" {
		fresh := true
		for _, ref := range []string{AppRef, BusyboxRef} {
			ok, err := hasKey(ctx, cli, ref, k)
			if err != nil {
				return Images{}, err
			}
			fresh = fresh && ok
		}
		if fresh {
			return imgs, nil
		}
	}
	bcs, err := buildContexts()
	if err != nil {
		return Images{}, err
	}
	// Best effort: drop untagged test images left by earlier rebuilds. Only
	// those created 10 minutes ago or more: a younger one may be a parallel
	// process's build between its last step and its tagging.
	defer cli.PruneDanglingImages(ctx, map[string]string{TestLabel: "1"}, 10*time.Minute)
	for _, bc := range bcs {
		hash := k
		if hash == "" {
			hash = bc.hash
		}
		if ok, err := hasKey(ctx, cli, bc.ref, hash); err != nil {
			return Images{}, err
		} else if !ok {
			if err := buildImage(ctx, cli, bc, hash); err != nil {
				return Images{}, err
			}
		}
	}
	return imgs, nil
}

// hasKey tells whether the image ref exists and is labelled with hash.
func hasKey(ctx context.Context, cli Engine, ref, hash string) (bool, error) {
	labels, err := cli.ImageLabels(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("images: inspect %s: %w", ref, err)
	}
	return labels[HashLabel] == hash, nil
}

func buildImage(ctx context.Context, cli Engine, bc buildContext, hash string) error {
	builds.Add(1)
	labels := map[string]string{HashLabel: hash, TestLabel: "1"}
	if err := cli.BuildImage(ctx, bc.ref, bytes.NewReader(bc.tar), labels); err != nil {
		return fmt.Errorf("images: build %s: %w", bc.ref, err)
	}
	return nil
}

// sourceKey hashes what the images are made from without building anything:
// the Go version and target, the non-test sources of this package and of
// testkit/testapp (which uses only the standard library), and the busybox
// binary. It returns "" when any of them cannot be read.
func sourceKey() string {
	mu.Lock()
	defer mu.Unlock()
	if key != nil {
		return *key
	}
	k := computeSourceKey()
	key = &k
	return k
}

func computeSourceKey() string {
	dir := sourceDir()
	if dir == "" {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s linux/%s\n", runtime.Version(), runtime.GOARCH)
	for _, d := range []string{dir, filepath.Join(dir, "..", "testapp")} {
		files, err := filepath.Glob(filepath.Join(d, "*.go")) // sorted
		if err != nil || len(files) == 0 {
			return ""
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return ""
			}
			fmt.Fprintf(h, "%s/%s %d\n", filepath.Base(d), filepath.Base(f), len(b))
			h.Write(b)
		}
	}
	bb, err := os.ReadFile(busyboxPath())
	if err != nil {
		return ""
	}
	h.Write(bb)
	return "src-" + hex.EncodeToString(h.Sum(nil))
}

// buildContexts builds the testapp and both build contexts once per process.
func buildContexts() ([]buildContext, error) {
	mu.Lock()
	defer mu.Unlock()
	if contexts != nil {
		return contexts, nil
	}
	dir, err := os.MkdirTemp("", "wharf-images-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	appPath, err := BuildTestapp(dir)
	if err != nil {
		return nil, err
	}
	app, err := os.ReadFile(appPath)
	if err != nil {
		return nil, err
	}
	bb, applets, err := hostBusybox()
	if err != nil {
		return nil, err
	}

	appRoot := newTar()
	appRoot.base()
	appRoot.file("testapp", 0o755, app)
	appCtx, err := wrapContext(appRoot, appDockerfile)
	if err != nil {
		return nil, err
	}

	bbRoot := newTar()
	bbRoot.base()
	bbRoot.file("testapp", 0o755, app)
	bbRoot.dir("bin", 0o755)
	bbRoot.file("bin/busybox", 0o755, bb)
	for _, a := range applets {
		bbRoot.symlink("bin/"+a, "/bin/busybox")
	}
	bbCtx, err := wrapContext(bbRoot, busyboxDockerfile)
	if err != nil {
		return nil, err
	}
	contexts = []buildContext{
		{ref: AppRef, tar: appCtx, hash: hashOf(appCtx)},
		{ref: BusyboxRef, tar: bbCtx, hash: hashOf(bbCtx)},
	}
	return contexts, nil
}

const appDockerfile = `FROM scratch
ADD rootfs.tar /
EXPOSE 8080
ENTRYPOINT ["/testapp"]
`

const busyboxDockerfile = `FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
`

// wrapContext wraps a root filesystem tar into a build context with its
// Dockerfile (the engine's ADD extracts rootfs.tar, keeping symlinks).
func wrapContext(root *tarBuilder, dockerfile string) ([]byte, error) {
	rootfs, err := root.bytes()
	if err != nil {
		return nil, err
	}
	c := newTar()
	c.file("Dockerfile", 0o644, []byte(dockerfile))
	c.file("rootfs.tar", 0o644, rootfs)
	return c.bytes()
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// BuildTestapp builds the static testapp binary (CGO_ENABLED=0, linux, the
// host's architecture) into dir and returns its path.
func BuildTestapp(dir string) (string, error) {
	out, err := filepath.Abs(filepath.Join(dir, "testapp"))
	if err != nil {
		return "", err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, testappPkg)
	cmd.Dir = sourceDir()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("images: go build testapp: %w: %s", err, b)
	}
	return out, nil
}

// sourceDir is this package's source directory (inside the wharf module),
// so `go build` resolves the testapp package from any working directory.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	if _, err := os.Stat(file); err != nil {
		return ""
	}
	return filepath.Dir(file)
}

// hostBusybox returns the host's static busybox binary and its applet names.
// WHARF_BUSYBOX overrides the path (default /bin/busybox).
func hostBusybox() ([]byte, []string, error) {
	path := busyboxPath()
	f, err := elf.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("images: %s: %w (install Debian's busybox-static)", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, nil, fmt.Errorf("images: %s is dynamically linked (install Debian's busybox-static)", path)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	list, err := exec.Command(path, "--list").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("images: %s --list: %w", path, err)
	}
	var applets []string
	for _, a := range strings.Fields(string(list)) {
		if a != "busybox" && !strings.Contains(a, "/") {
			applets = append(applets, a)
		}
	}
	return b, applets, nil
}

func busyboxPath() string {
	if p := os.Getenv("WHARF_BUSYBOX"); p != "" {
		return p
	}
	return "/bin/busybox"
}

// tarBuilder writes a deterministic tar (fixed owner and mtime) in memory.
type tarBuilder struct {
	buf bytes.Buffer
	tw  *tar.Writer
	err error
}

var epoch = time.Unix(946684800, 0) // 2000-01-01, fixed for reproducible hashes

func newTar() *tarBuilder {
	t := &tarBuilder{}
	t.tw = tar.NewWriter(&t.buf)
	return t
}

func (t *tarBuilder) add(h *tar.Header, body []byte) {
	if t.err != nil {
		return
	}
	h.ModTime, h.Format = epoch, tar.FormatGNU
	if t.err = t.tw.WriteHeader(h); t.err == nil && body != nil {
		_, t.err = t.tw.Write(body)
	}
}

func (t *tarBuilder) dir(name string, mode int64) {
	t.add(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode}, nil)
}

func (t *tarBuilder) file(name string, mode int64, body []byte) {
	t.add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body)
}

func (t *tarBuilder) symlink(name, target string) {
	t.add(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}, nil)
}

// base adds the directories and files every test image has.
func (t *tarBuilder) base() {
	t.dir("etc", 0o755)
	t.file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
	t.file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n"))
	t.dir("root", 0o700)
	t.add(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}, nil)
}

func (t *tarBuilder) bytes() ([]byte, error) {
	if t.err == nil {
		t.err = t.tw.Close()
	}
	return t.buf.Bytes(), t.err
}

package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeHooks is ECR reduced to a map of repositories and a list of pushes.
type fakeHooks struct {
	mu     sync.Mutex
	repos  map[string]Repository
	pushed []Image
	pulled []string
}

func (f *fakeHooks) Authenticate(_ context.Context, user, password string) error {
	if user != "AWS" || password != "secret" {
		return errors.New("refused")
	}
	return nil
}

func (f *fakeHooks) Repository(_ context.Context, name string) (Repository, bool, error) {
	r, ok := f.repos[name]
	return r, ok, nil
}

func (f *fakeHooks) Pushed(_ context.Context, _ string, img Image) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushed = append(f.pushed, img)
	return nil
}

func (f *fakeHooks) Pulled(_ context.Context, _ string, dgst string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulled = append(f.pulled, dgst)
	return nil
}

func newTest(t testing.TB) (*Registry, *fakeHooks, *httptest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	hooks := &fakeHooks{repos: map[string]Repository{"app": {}, "fixed": {Immutable: true}}}
	r, err := New(context.Background(), dir, hooks, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, hooks, srv, dir
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func call(t testing.TB, method, url string, body io.Reader, ctype string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("AWS", "secret")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// upload puts one blob monolithically, reading size bytes from data.
func upload(t testing.TB, base, repo string, data io.Reader, dgst string) {
	t.Helper()
	resp, body := call(t, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", nil, "")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "http") {
		loc = base + loc
	}
	resp, body = call(t, http.MethodPut, loc+"&digest="+dgst, data, "application/octet-stream")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
}

const v2 = "application/vnd.docker.distribution.manifest.v2+json"

// pushImage pushes repo:tag with one layer; it answers the manifest's
// HTTP status, the layer's digest and the manifest's.
func pushImage(t testing.TB, base, repo, tag string, layer []byte) (int, string, string) {
	t.Helper()
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q]}}`, digestOf(layer)))
	upload(t, base, repo, bytes.NewReader(config), digestOf(config))
	upload(t, base, repo, bytes.NewReader(layer), digestOf(layer))
	m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":%q},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":%q}]}`,
		v2, len(config), digestOf(config), len(layer), digestOf(layer))
	resp, _ := call(t, http.MethodPut, base+"/v2/"+repo+"/manifests/"+tag, strings.NewReader(m), v2)
	return resp.StatusCode, digestOf(layer), digestOf([]byte(m))
}

func blobPath(dir, dgst string) string {
	hex := strings.TrimPrefix(dgst, "sha256:")
	return filepath.Join(dir, "docker/registry/v2/blobs/sha256", hex[:2], hex, "data")
}

func TestPushRecordsAndImmutability(t *testing.T) {
	_, hooks, srv, _ := newTest(t)
	if code, _, _ := pushImage(t, srv.URL, "app", "v1", []byte("one")); code != http.StatusCreated {
		t.Fatalf("push: %d", code)
	}
	if len(hooks.pushed) != 1 || hooks.pushed[0].Tag != "v1" || hooks.pushed[0].Size <= 3 || hooks.pushed[0].MediaType != v2 {
		t.Fatalf("pushes recorded: %+v", hooks.pushed)
	}
	if code, _, _ := pushImage(t, srv.URL, "fixed", "v1", []byte("one")); code != http.StatusCreated {
		t.Fatalf("push fixed: %d", code)
	}
	if code, _, _ := pushImage(t, srv.URL, "fixed", "v1", []byte("two")); code != http.StatusBadRequest {
		t.Fatalf("moving an immutable tag answered %d", code)
	}
	if code, _, _ := pushImage(t, srv.URL, "app", "v1", []byte("two")); code != http.StatusCreated {
		t.Fatalf("moving a mutable tag answered %d", code)
	}
	resp, body := call(t, http.MethodGet, srv.URL+"/v2/app/manifests/v1", nil, "")
	if resp.StatusCode != http.StatusOK || len(hooks.pulled) != 1 || hooks.pulled[0] != digestOf([]byte(body)) {
		t.Fatalf("pull: %d, recorded %v", resp.StatusCode, hooks.pulled)
	}
}

// A fresh registry (nothing pushed yet: wharf's first start) has nothing
// to collect, and says so without an error.
func TestGCOnAnEmptyRegistry(t *testing.T) {
	r, _, _, _ := newTest(t)
	r.Quiet = 0
	if swept, err := r.GC(context.Background()); err != nil || !swept {
		t.Fatalf("GC: swept %v, %v", swept, err)
	}
}

func TestGCRemovesUnreferencedBlobs(t *testing.T) {
	r, _, srv, dir := newTest(t)
	ctx := context.Background()
	_, keep, _ := pushImage(t, srv.URL, "app", "keep", []byte("kept layer"))
	_, drop, m := pushImage(t, srv.URL, "app", "drop", []byte("dropped layer"))

	if swept, err := r.GC(ctx); err != nil || swept {
		t.Fatalf("GC right after a push must wait for quiet: swept %v, %v", swept, err)
	}
	if err := r.DeleteManifest(ctx, "app", m); err != nil {
		t.Fatal(err)
	}
	r.Quiet = 0
	if swept, err := r.GC(ctx); err != nil || !swept {
		t.Fatalf("GC: swept %v, %v", swept, err)
	}
	if _, err := os.Stat(blobPath(dir, drop)); !os.IsNotExist(err) {
		t.Fatalf("the dropped image's layer is still on disk: %v", err)
	}
	if _, err := os.Stat(blobPath(dir, keep)); err != nil {
		t.Fatalf("the kept image's layer went: %v", err)
	}
	if _, err := r.Manifest(ctx, "app", "drop"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted tag: %v", err)
	}
	if img, err := r.Manifest(ctx, "app", "keep"); err != nil || img.Digest == "" {
		t.Fatalf("kept tag: %+v %v", img, err)
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct{ path, name, kind, ref string }{
		{"/v2/", "", "", ""},
		{"/v2/_catalog", "", "", ""},
		{"/v2/app/manifests/latest", "app", "manifests", "latest"},
		{"/v2/team/web/blobs/uploads/abc", "team/web", "blobs", "uploads/abc"},
		{"/v2/a/tags/list", "a", "tags", "list"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			n, k, r := splitPath(tt.path)
			if n != tt.name || k != tt.kind || r != tt.ref {
				t.Fatalf("splitPath = %q %q %q", n, k, r)
			}
		})
	}
}

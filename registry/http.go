package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxManifest bounds a manifest body (distribution's own limit is 4 MiB).
const maxManifest = 4 << 20

// ServeHTTP answers the registry API under /v2/: ECR's checks first, then
// distribution's handlers, then the record of what was pushed or pulled.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	user, pass, ok := req.BasicAuth()
	if !ok {
		r.unauthorized(w, "authentication required")
		return
	}
	if err := r.hooks.Authenticate(ctx, user, pass); err != nil {
		r.log.Debug("registry: refused credentials", "user", user, "err", err)
		r.unauthorized(w, "Your authorization token is invalid or has expired.")
		return
	}
	name, kind, ref := splitPath(req.URL.Path)
	if name == "" {
		// /v2/ (the version check docker login makes) and the catalog.
		r.app.ServeHTTP(w, req)
		return
	}
	repo, found, err := r.hooks.Repository(ctx, name)
	if err != nil {
		r.log.Error("registry: look up repository", "repository", name, "err", err)
		writeError(w, http.StatusInternalServerError, "UNKNOWN", "wharf could not read its repositories; the server log says why")
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry", name))
		return
	}
	write := req.Method != http.MethodGet && req.Method != http.MethodHead
	if write {
		r.writes.RLock()
		defer func() {
			r.writes.RUnlock()
			r.mu.Lock()
			r.lastWrite = time.Now()
			r.mu.Unlock()
		}()
	}
	if kind == "manifests" && req.Method == http.MethodPut {
		r.putManifest(w, req, name, ref, repo)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	r.app.ServeHTTP(rec, req)
	if kind == "manifests" && req.Method == http.MethodGet && rec.status == http.StatusOK {
		if dgst := rec.Header().Get("Docker-Content-Digest"); dgst != "" {
			if err := r.hooks.Pulled(ctx, name, dgst); err != nil {
				r.log.Warn("registry: record a pull", "repository", name, "digest", dgst, "err", err)
			}
		}
	}
}

// putManifest checks a pushed manifest against the repository's tag
// mutability, lets distribution store it and records the image.
func (r *Registry) putManifest(w http.ResponseWriter, req *http.Request, name, ref string, repo Repository) {
	ctx := req.Context()
	body, err := io.ReadAll(io.LimitReader(req.Body, maxManifest+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "MANIFEST_INVALID", "could not read the manifest: "+err.Error())
		return
	}
	if len(body) > maxManifest {
		writeError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", "the manifest is larger than 4 MiB")
		return
	}
	sum := sha256.Sum256(body)
	dgst := "sha256:" + hex.EncodeToString(sum[:])
	tag := ""
	if !strings.HasPrefix(ref, "sha256:") {
		tag = ref
	}
	if tag != "" && repo.Immutable {
		cur, err := r.TagDigest(ctx, name, tag)
		if err != nil {
			r.log.Error("registry: look up tag", "repository", name, "tag", tag, "err", err)
			writeError(w, http.StatusInternalServerError, "UNKNOWN", "wharf could not read the tag; the server log says why")
			return
		}
		if cur != "" && cur != dgst {
			writeError(w, http.StatusBadRequest, "TAG_INVALID", ImmutableMessage(name, tag))
			return
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	rec := &statusRecorder{ResponseWriter: w}
	r.app.ServeHTTP(rec, req)
	if rec.status != http.StatusCreated {
		return
	}
	img := Describe(dgst, req.Header.Get("Content-Type"), body)
	img.Tag = tag
	if err := r.hooks.Pushed(ctx, name, img); err != nil {
		// The manifest is stored but ECR does not list it: the log says
		// so, and pushing it again records it.
		r.log.Error("registry: record a push", "repository", name, "digest", dgst, "err", err)
	}
}

// ImmutableMessage is ECR's answer to a push that would move an immutable
// tag.
func ImmutableMessage(repo, tag string) string {
	return fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, repo)
}

// Describe reads what ECR reports of a manifest: its media types and the
// compressed size of what it references.
func Describe(dgst, contentType string, manifest []byte) Image {
	var m struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			MediaType string `json:"mediaType"`
			Size      int64  `json:"size"`
		} `json:"config"`
		Layers []struct {
			Size int64 `json:"size"`
		} `json:"layers"`
	}
	_ = json.Unmarshal(manifest, &m)
	img := Image{Digest: dgst, MediaType: m.MediaType, ArtifactMediaType: m.Config.MediaType, Manifest: manifest}
	if img.MediaType == "" {
		img.MediaType, _, _ = strings.Cut(contentType, ";")
	}
	img.Size = m.Config.Size
	for _, l := range m.Layers {
		img.Size += l.Size
	}
	return img
}

// splitPath reads /v2/NAME/(manifests|blobs|tags)/REF; name is "" for
// the base and the catalog.
func splitPath(p string) (name, kind, ref string) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", "", ""
	}
	for _, k := range []string{"/manifests/", "/blobs/", "/tags/"} {
		if i := strings.LastIndex(rest, k); i > 0 {
			return rest[:i], strings.Trim(k, "/"), rest[i+len(k):]
		}
	}
	return "", "", ""
}

func (r *Registry) unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", r.Realm))
	writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", msg)
}

// writeError answers in the registry API's error shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "message": msg, "detail": nil}}})
	_, _ = w.Write(b)
}

// statusRecorder remembers the status distribution answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes through, for streamed blob downloads.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

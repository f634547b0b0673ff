package ecr_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// A registry client of the tests' own: what docker push does, over the
// distribution API (monolithic blob uploads, then the manifest).

const manifestType = "application/vnd.docker.distribution.manifest.v2+json"

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// password reads GetAuthorizationToken's token ("AWS:PASSWORD", base64).
func password(t testing.TB, token string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(b), "AWS:") {
		t.Fatalf("authorization token %q: %v", token, err)
	}
	return strings.TrimPrefix(string(b), "AWS:")
}

type regClient struct {
	t    testing.TB
	base string // http://HOST:PORT
	user string
	pass string
}

func (c *regClient) do(method, url, ctype string, body []byte) *http.Response {
	c.t.Helper()
	if !strings.HasPrefix(url, "http") {
		url = c.base + url
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", manifestType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (c *regClient) blob(repo string, data []byte) string {
	c.t.Helper()
	resp := c.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", "", nil)
	if resp.StatusCode != http.StatusAccepted {
		c.t.Fatalf("start upload: %d %s", resp.StatusCode, readAll(c.t, resp))
	}
	_ = resp.Body.Close()
	loc := resp.Header.Get("Location")
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	d := digestOf(data)
	resp = c.do(http.MethodPut, loc+sep+"digest="+d, "application/octet-stream", data)
	if resp.StatusCode != http.StatusCreated {
		c.t.Fatalf("upload blob: %d %s", resp.StatusCode, readAll(c.t, resp))
	}
	_ = resp.Body.Close()
	return d
}

// image builds an image manifest whose one layer holds content, uploading
// its blobs; it returns the manifest, not yet pushed.
func (c *regClient) image(repo, content string) []byte {
	c.t.Helper()
	layer := []byte(content)
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q]},"config":{}}`, digestOf(layer)))
	cd, ld := c.blob(repo, config), c.blob(repo, layer)
	m, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": manifestType,
		"config": map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config), "digest": cd},
		"layers": []map[string]any{{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer), "digest": ld}},
	})
	return m
}

// push pushes an image holding content as repo:tag and answers the
// registry's status and body.
func (c *regClient) push(repo, tag, content string) (int, string) {
	c.t.Helper()
	m := c.image(repo, content)
	resp := c.do(http.MethodPut, "/v2/"+repo+"/manifests/"+tag, manifestType, m)
	return resp.StatusCode, readAll(c.t, resp)
}

func (c *regClient) mustPush(repo, tag, content string) {
	c.t.Helper()
	if code, body := c.push(repo, tag, content); code != http.StatusCreated {
		c.t.Fatalf("push %s:%s: %d %s", repo, tag, code, body)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkThroughput pushes and pulls a 200 MB layer through the
// registry's HTTP API and copies the same bytes file to file on the same
// disk, and prints both throughputs and their ratio:
//
//	go test ./registry/ -run '^$' -bench Throughput -benchtime 1x
func BenchmarkThroughput(b *testing.B) {
	const size = 200 << 20
	_, _, srv, dir := newTest(b)
	src := filepath.Join(dir, "layer")
	f, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		b.Fatal(err)
	}
	_ = f.Close()
	dgst := "sha256:" + hex.EncodeToString(h.Sum(nil))
	mbps := func(d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }

	var push, pull, copyW, copyR time.Duration
	b.ResetTimer()
	for range b.N {
		in, _ := os.Open(src)
		start := time.Now()
		upload(b, srv.URL, "app", in, dgst)
		push += time.Since(start)
		_ = in.Close()

		start = time.Now()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/app/blobs/"+dgst, nil)
		req.SetBasicAuth("AWS", "secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != size {
			b.Fatalf("pull: %d bytes, %v", n, err)
		}
		_ = resp.Body.Close()
		pull += time.Since(start)

		// The plain copy: the same bytes into a new file on the same disk,
		// then read back.
		dst := filepath.Join(dir, "copy")
		start = time.Now()
		in, _ = os.Open(src)
		out, _ := os.Create(dst)
		if _, err := io.Copy(out, in); err != nil {
			b.Fatal(err)
		}
		_ = out.Close()
		_ = in.Close()
		copyW += time.Since(start)
		start = time.Now()
		in, _ = os.Open(dst)
		if _, err := io.Copy(io.Discard, in); err != nil {
			b.Fatal(err)
		}
		_ = in.Close()
		copyR += time.Since(start)
		_ = os.Remove(dst)
	}
	n := time.Duration(b.N)
	b.ReportMetric(mbps(push/n), "push-MB/s")
	b.ReportMetric(mbps(pull/n), "pull-MB/s")
	b.ReportMetric(mbps(copyW/n), "copy-MB/s")
	b.ReportMetric(mbps(copyR/n), "read-MB/s")
	b.Logf("200 MB layer: push %.0f MB/s vs plain copy %.0f MB/s (ratio %.2f); pull %.0f MB/s vs plain read %.0f MB/s (ratio %.2f)",
		mbps(push/n), mbps(copyW/n), float64(copyW)/float64(push), mbps(pull/n), mbps(copyR/n), float64(copyR)/float64(pull))
}

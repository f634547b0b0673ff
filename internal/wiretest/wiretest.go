// Package wiretest sends raw AWS protocol calls for tests that check the
// bytes on the wire, which an SDK client hides. It imports nothing of
// wharf, so that awsapi's own tests can use it. Production code must not
// import it.
package wiretest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// PostForm sends a form-encoded Query call as an SDK would, but with any
// body, and headers given as name, value pairs; it answers the status, the
// body and the headers.
func PostForm(t testing.TB, url, form string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer of %s: %v", url, err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// Package apitest holds what the end-to-end tests of wharf's AWS API
// packages share: a client of one service pointed at a wharf that
// internal/wharftest started in-process, and the assertions on AWS error
// answers. Production code must not import it.
package apitest

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// Region is the region the tests call unless they test regions.
const Region = "us-east-1"

// Client is a client of one service (newClient is its package's
// NewFromConfig) for region, pointed at w with wharftest's config: dummy
// keys, and only connection failures retried.
func Client[C, O any](w *wharftest.Wharf, region string, newClient func(aws.Config, ...func(*O)) C, opts ...func(*O)) C {
	return newClient(w.Config(region), opts...)
}

// Start runs a wharf control plane (no agent, no Docker) for the test and
// returns it with a client of one service in Region.
func Start[C, O any](t testing.TB, newClient func(aws.Config, ...func(*O)) C, opts ...func(*O)) (*wharftest.Wharf, C) {
	t.Helper()
	w := wharftest.Start(t)
	return w, Client(w, Region, newClient, opts...)
}

// Must(call)(t) returns call's value, failing the test on its error.
func Must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// APIError is err's AWS error, failing the test unless it has code. (Some
// error shapes have no message member, so the SDK reads none.)
func APIError(t testing.TB, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	return ae
}

// WantCode fails unless err is an AWS API error with code and a message.
func WantCode(t testing.TB, err error, code string) {
	t.Helper()
	if ae := APIError(t, err, code); ae.ErrorMessage() == "" {
		t.Fatalf("%s has no message", code)
	}
}

// WantCodeIn fails unless err is an AWS API error with code whose message
// mentions inMessage.
func WantCodeIn(t testing.TB, err error, code, inMessage string) {
	t.Helper()
	ae := APIError(t, err, code)
	if !strings.Contains(ae.ErrorMessage(), inMessage) {
		t.Fatalf("%s message %q does not mention %q", code, ae.ErrorMessage(), inMessage)
	}
}

// WantCodeStatus fails unless err is an AWS API error with code and a
// message, answered with HTTP status.
func WantCodeStatus(t testing.TB, err error, code string, status int) {
	t.Helper()
	WantCode(t, err, code)
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Fatalf("%s: HTTP %d, want %d", code, re.HTTPStatusCode(), status)
	}
}

// NotOnDisk fails the test if any file under dir (a stopped wharf's data
// dir) holds one of values in plaintext, or if dir holds no files at all.
// Only regular files are read (not sockets, pipes or links).
func NotOnDisk(t testing.TB, dir string, values ...string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds the plaintext %q", path, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	if files == 0 {
		t.Fatalf("%s holds no files", dir)
	}
}

package credentials

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi"
)

// TestAgentSecret: a node gets its secret once; with auth on only its
// secret opens the agent endpoints; an unverified caller cannot take over a
// node that has one.
func TestAgentSecret(t *testing.T) {
	f := newFixture(t)
	required, verified := true, true
	g := &Agents{Base: awsapi.NewBase(f.s.DB, slog.New(slog.NewTextHandler(io.Discard, nil))),
		required: func() bool { return required },
		auth: func(*http.Request) (*awsapi.Principal, *awsapi.Error) {
			if verified {
				return awsapi.RootPrincipal("000000000000", "AKIAROOT"), nil
			}
			return nil, nil // auth off, unknown key
		}}
	issue := func(node string) (int, string) {
		rec := httptest.NewRecorder()
		g.IssueHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, agentproto.SecretPath, strings.NewReader(`{"nodeId":"`+node+`"}`)))
		var out agentproto.SecretResponse
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out.Secret
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b) // the body reaches the handler intact
	})
	call := func(node, secret string) int {
		req := httptest.NewRequest(http.MethodPost, agentproto.PollPath, strings.NewReader(`{"nodeId":"`+node+`"}`))
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		rec := httptest.NewRecorder()
		g.Require(inner).ServeHTTP(rec, req)
		if rec.Code == 200 && !strings.Contains(rec.Body.String(), node) {
			t.Fatalf("body lost: %q", rec.Body)
		}
		return rec.Code
	}
	code, secret := issue("node-1")
	if code != 200 || len(secret) < 40 {
		t.Fatalf("issue: %d %q", code, secret)
	}
	tests := []struct {
		name, node, secret string
		want               int
	}{
		{"its secret", "node-1", secret, 200},
		{"no secret", "node-1", "", 401},
		{"a guess", "node-1", "guess", 401},
		{"another node's secret", "node-2", secret, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := call(tt.node, tt.secret); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
	// Auth off: an unverified caller may claim a new node, not one that
	// has a secret; the endpoints are open as every API is.
	verified, required = false, false
	if code, _ := issue("node-1"); code != 403 {
		t.Fatalf("unverified re-issue for node-1: %d, want 403", code)
	}
	if code, _ := issue("node-3"); code != 200 {
		t.Fatalf("unverified first issue: %d", code)
	}
	if got := call("node-1", ""); got != 200 {
		t.Fatalf("auth off: %d", got)
	}
	// A verified caller rotates it: the old secret stops working.
	verified, required = true, true
	_, rotated := issue("node-1")
	if call("node-1", secret) != 401 || call("node-1", rotated) != 200 {
		t.Fatal("rotation did not replace the secret")
	}
}

// TestRootKeysFile: the file wharf writes parses back, 0600, and any
// shared credentials file's profiles are read.
func TestRootKeysFile(t *testing.T) {
	dir := t.TempDir()
	r, created, err := LoadOrCreateRoot(dir, "000000000000")
	if err != nil || !created || !strings.HasPrefix(r.AccessKeyID, "AKIA") || len(r.SecretAccessKey) != 40 {
		t.Fatalf("%+v %v %v", r, created, err)
	}
	if st, _ := os.Stat(filepath.Join(dir, RootFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	again, created, err := LoadOrCreateRoot(dir, "000000000000")
	if err != nil || created || again.AccessKeyID != r.AccessKeyID {
		t.Fatalf("reload: %+v %v %v", again, created, err)
	}
	ctx := context.Background()
	if s, p, err := r.Resolve(ctx, awsapi.Credential{AccessKey: r.AccessKeyID}); err != nil || s != r.SecretAccessKey || p.ARN != "arn:aws:iam::000000000000:root" {
		t.Fatalf("Resolve: %q %+v %v", s, p, err)
	}
	if _, _, err := r.Resolve(ctx, awsapi.Credential{AccessKey: r.AccessKeyID, SessionToken: "t"}); err == nil {
		t.Fatal("a root key with a session token was accepted")
	}
	if _, p, _ := r.Resolve(ctx, awsapi.Credential{AccessKey: "AKIAOTHER"}); p != nil {
		t.Fatal("an unknown key resolved")
	}
	custom := "# hand-edited\n[default]\naws_access_key_id = AKIAONE\naws_secret_access_key=one\n; comment\n[ops]\naws_access_key_id=AKIATWO\naws_secret_access_key = two\n"
	if err := os.WriteFile(filepath.Join(dir, RootFile), []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _, err = LoadOrCreateRoot(dir, "000000000000")
	if err != nil || r.AccessKeyID != "AKIAONE" {
		t.Fatalf("custom file: %+v %v", r, err)
	}
	if s, _, _ := r.Resolve(ctx, awsapi.Credential{AccessKey: "AKIATWO"}); s != "two" {
		t.Fatalf("profile ops: %q", s)
	}
}

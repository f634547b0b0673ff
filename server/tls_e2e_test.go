package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/server"
)

// TestLocalCA: `wharf ca`'s certificate is served with --tls-cert; a
// client trusting the CA (aws-sdk-go-v2, the aws CLI with AWS_CA_BUNDLE)
// calls wharf over HTTPS, one that does not is refused by its own TLS
// check, and the embedded agent (which pins the served certificate)
// keeps polling.
func TestLocalCA(t *testing.T) {
	wharftest.Docker(t)
	dir := t.TempDir()
	f, err := server.MakeCA(dir, []string{"wharf.internal"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: dir, DNSListen: "",
		Auth: true, TLSCert: f.Cert, TLSKey: f.Key, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(context.Background()) }()
	if !strings.HasPrefix(srv.URL(), "https://") {
		t.Fatalf("URL %s", srv.URL())
	}
	pem, err := os.ReadFile(f.CACert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := trusting.Get(srv.URL() + "/_wharf/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not become healthy over TLS: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	akid, secret := srv.RootKeys()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), HTTPClient: trusting,
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")}
	if _, err := ecs.NewFromConfig(cfg).ListClusters(context.Background(), &ecs.ListClustersInput{}); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	if _, err := http.Get(srv.URL() + "/_wharf/health"); err == nil {
		t.Fatal("a client that does not trust the CA connected")
	}
	if awsCLI, err := exec.LookPath("aws"); err == nil {
		creds, _ := srv.RootCredentials()
		cmd := exec.Command(awsCLI, "--endpoint-url", srv.URL(), "--region", "us-east-1", "ecs", "list-clusters")
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "AWS_CA_BUNDLE=" + f.CACert, "AWS_SHARED_CREDENTIALS_FILE=" + creds}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aws CLI with AWS_CA_BUNDLE: %v: %s", err, out)
		}
	}
}

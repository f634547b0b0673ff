package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/server"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func startAt(t *testing.T, cfg server.Config) (*server.Server, error) {
	t.Helper()
	cfg.Listen, cfg.NoAgent, cfg.Log = "127.0.0.1:0", true, slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Start(context.Background(), cfg)
	if err == nil {
		t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	}
	return srv, err
}

func sdkConfig(url string) aws.Config {
	w := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	w.Credentials = aws.AnonymousCredentials{}
	return w
}

// TestKeyringMissingRefusesStart: with sealed values in the store, a
// deleted keyring.json stops wharf from starting (never a silent new key);
// the keyring moved out of the data dir (--keyring-file) opens them again.
func TestKeyringMissingRefusesStart(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	c := sm.NewFromConfig(w.Config("us-east-1"))
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("hunter2")}); err != nil {
		t.Fatal(err)
	}
	dir := w.DataDir
	w.Stop()
	moved := filepath.Join(t.TempDir(), "keys", "wharf-keyring.json")
	if err := os.MkdirAll(filepath.Dir(moved), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "keyring.json"), moved); err != nil {
		t.Fatal(err)
	}
	if _, err := startAt(t, server.Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "sealed") {
		t.Fatalf("start without the keyring: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keyring.json")); err == nil {
		t.Fatal("a new keyring.json was made")
	}
	srv, err := startAt(t, server.Config{DataDir: dir, KeyringFile: moved})
	if err != nil {
		t.Fatalf("start with --keyring-file: %v", err)
	}
	akid, secret := srv.RootKeys()
	cfg := sdkConfig(srv.URL())
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, nil
	})
	out, err := sm.NewFromConfig(cfg).GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(out.SecretString) != "hunter2" {
		t.Fatalf("GetSecretValue with the moved keyring: %v", err)
	}
}

// TestKeyringFromEnv: the key may come from WHARF_KEYRING_KEY alone;
// without it the same data dir does not start.
func TestKeyringFromEnv(t *testing.T) {
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	dir := t.TempDir()
	srv, err := startAt(t, server.Config{DataDir: dir, KeyringKey: key})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ssm.NewFromConfig(sdkConfig(srv.URL())).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keyring.json")); err == nil {
		t.Fatal("the env key was written to the data dir")
	}
	if _, err := startAt(t, server.Config{DataDir: dir}); err == nil {
		t.Fatal("started without the env key")
	}
	srv, err = startAt(t, server.Config{DataDir: dir, KeyringKey: key})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ssm.NewFromConfig(sdkConfig(srv.URL())).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != "v" {
		t.Fatalf("GetParameter: %v", err)
	}
}

// TestUndecryptableAnswersDecryptionFailure: a value whose key is gone
// (here: the keyring and its record both removed by hand, so wharf starts
// with a new key) answers AWS's codes, not a 500.
func TestUndecryptableAnswersDecryptionFailure(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	if _, err := sm.NewFromConfig(w.Config("us-east-1")).CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(w.Config("us-east-1")).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	w.Stop()
	if err := os.Remove(filepath.Join(w.DataDir, "keyring.json")); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(w.DataDir, "wharf.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(ctx, func(tx store.Tx) error { return tx.Delete("wharf/keyring/used") }); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	w.Start()
	_, err = sm.NewFromConfig(w.Config("us-east-1")).GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("db")})
	if got := apiCode(err); got != "DecryptionFailure" {
		t.Fatalf("GetSecretValue: %v, want DecryptionFailure", err)
	}
	_, err = ssm.NewFromConfig(w.Config("us-east-1")).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
	if got := apiCode(err); got != "InvalidKeyId" {
		t.Fatalf("GetParameter: %v, want InvalidKeyId", err)
	}
}

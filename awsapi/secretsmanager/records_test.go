package secretsmanager

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	smt "github.com/wharfhq/wharf/api/secretsmanagertypes"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func newTestAPI(t *testing.T) (*API, *time.Time) {
	t.Helper()
	db := testdb.Bolt(t, bolt.Options{MaxTxnOps: 128}) // etcd's bound
	a := New(db, keyring.Ephemeral(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now }
	return a, &now
}

// TestRecoveryWindowEnds moves the clock past the window: the secret is
// gone for every read at once, and the purge removes its record.
func TestRecoveryWindowEnds(t *testing.T) {
	a, now := newTestAPI(t)
	ctx := context.Background()
	if _, err := a.CreateSecret(ctx, &smt.CreateSecretRequest{Name: new("w"), SecretString: new("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeleteSecret(ctx, &smt.DeleteSecretRequest{SecretId: new("w"), RecoveryWindowInDays: new(int64(7))}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(7*24*time.Hour - time.Second)
	if _, err := a.RestoreSecret(ctx, &smt.RestoreSecretRequest{SecretId: new("w")}); err != nil {
		t.Fatalf("restore a second before the window ends: %v", err)
	}
	if _, err := a.DeleteSecret(ctx, &smt.DeleteSecretRequest{SecretId: new("w"), RecoveryWindowInDays: new(int64(7))}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(7 * 24 * time.Hour)
	if _, err := a.DescribeSecret(ctx, &smt.DescribeSecretRequest{SecretId: new("w")}); err == nil {
		t.Fatal("a secret past its recovery window is still described")
	}
	if _, err := a.CreateSecret(ctx, &smt.CreateSecretRequest{Name: new("w2"), SecretString: new("v")}); err != nil {
		t.Fatal(err)
	}
	if err := a.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	var keys []string
	_ = a.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, _ := tx.List("secretsmanager/", "", 0)
		for _, kv := range kvs {
			keys = append(keys, kv.Key)
		}
		return nil
	})
	if want := []string{"secretsmanager/000000000000/us-east-1/secrets/w2"}; !slices.Equal(keys, want) {
		t.Fatalf("after the purge: %v, want %v", keys, want)
	}
	// The name is free again.
	if _, err := a.CreateSecret(ctx, &smt.CreateSecretRequest{Name: new("w"), SecretString: new("v")}); err != nil {
		t.Fatal(err)
	}
}

// TestPurgeMany purges more secrets than one store transaction may delete
// (the test store has etcd's bound of 128 keys): all go, in batches.
func TestPurgeMany(t *testing.T) {
	a, now := newTestAPI(t)
	ctx := context.Background()
	const n = 150
	for i := range n {
		name := fmt.Sprintf("s-%03d", i)
		if _, err := a.CreateSecret(ctx, &smt.CreateSecretRequest{Name: new(name), SecretString: new("v")}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DeleteSecret(ctx, &smt.DeleteSecretRequest{SecretId: new(name), RecoveryWindowInDays: new(int64(7))}); err != nil {
			t.Fatal(err)
		}
	}
	*now = now.Add(8 * 24 * time.Hour)
	if err := a.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	left := 0
	_ = a.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, _ := tx.List("secretsmanager/", "", 0)
		left = len(kvs)
		return nil
	})
	if left != 0 {
		t.Fatalf("%d records left after the purge, want 0", left)
	}
}

// TestFindSuffixAmbiguity: a name that itself ends in "-" and six
// characters is found by its name, its full ARN and its partial ARN.
func TestFindSuffixAmbiguity(t *testing.T) {
	a, _ := newTestAPI(t)
	ctx := context.Background()
	out, err := a.CreateSecret(ctx, &smt.CreateSecretRequest{Name: new("test-secret"), SecretString: new("v")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := a.CreateSecret(ctx, &smt.CreateSecretRequest{Name: new("test"), SecretString: new("other")})
	if err != nil {
		t.Fatal(err)
	}
	full := *out.ARN
	partial := "arn:aws:secretsmanager:us-east-1:000000000000:secret:test-secret"
	for _, id := range []string{"test-secret", full, partial} {
		got, err := a.GetSecretValue(ctx, &smt.GetSecretValueRequest{SecretId: new(id)})
		if err != nil || *got.SecretString != "v" {
			t.Fatalf("GetSecretValue(%s) = %v, %v", id, got, err)
		}
	}
	if got, err := a.GetSecretValue(ctx, &smt.GetSecretValueRequest{SecretId: other.ARN}); err != nil || *got.SecretString != "other" {
		t.Fatalf("GetSecretValue(%s) = %v, %v", *other.ARN, got, err)
	}
}

func TestMoveStage(t *testing.T) {
	r := secretRecord{Versions: []versionRecord{{ID: "a"}, {ID: "b"}, {ID: "c"}}}
	r.moveStage(stageCurrent, 0)
	r.moveStage(stageCurrent, 1)
	r.moveStage(stageCurrent, 2)
	got := r.stagesByVersion()
	if len(got) != 2 || !slices.Equal(got["c"], []string{stageCurrent}) || !slices.Equal(got["b"], []string{stagePrevious}) {
		t.Fatalf("stages %v", got)
	}
	r.moveStage("custom", 0)
	r.moveStage("custom", 0)
	if !slices.Equal(r.Versions[0].Stages, []string{"custom"}) {
		t.Fatalf("a repeated move duplicated the label: %v", r.Versions[0].Stages)
	}
}

func TestPrune(t *testing.T) {
	var r secretRecord
	for i := range maxVersions + 5 {
		v := versionRecord{ID: string(rune('A' + i%26))}
		if i == 0 {
			v.Stages = []string{"keep"}
		}
		r.Versions = append(r.Versions, v)
	}
	r.prune()
	if len(r.Versions) != maxVersions || !slices.Equal(r.Versions[0].Stages, []string{"keep"}) {
		t.Fatalf("after prune %d versions, first %+v", len(r.Versions), r.Versions[0])
	}
}

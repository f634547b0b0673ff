package ecr

import (
	"context"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestPurgeTokensMany purges more expired tokens than one transaction of a
// store bounded like etcd (128 keys) may delete, and keeps the live ones.
func TestPurgeTokensMany(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(t.TempDir()+"/t.db", bolt.Options{MaxTxnOps: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := New(db, "000000000000", "127.0.0.1:1", nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now.Add(-2 * tokenLife) }
	for range 200 {
		if _, err := a.GetAuthorizationToken(ctx, &ecrtypes.GetAuthorizationTokenRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	a.Now = func() time.Time { return now }
	for range 3 {
		if _, err := a.GetAuthorizationToken(ctx, &ecrtypes.GetAuthorizationTokenRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.PurgeTokens(ctx); err != nil {
		t.Fatalf("PurgeTokens: %v", err)
	}
	var left int
	err = db.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List("ecr/000000000000/tokens/", "", 0)
		left = len(kvs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if left != 3 {
		t.Fatalf("%d tokens left, want the 3 live ones", left)
	}
}

package awsapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func TestScopeOf(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		want model.Scope
	}{
		{name: "outside a request", ctx: context.Background(), want: model.Scope{Account: awsapi.DefaultAccount, Region: awsapi.DefaultRegion}},
		{name: "the request's credential scope", ctx: awsapi.WithRequest(context.Background(), &awsapi.Request{Account: "123456789012", Region: "eu-west-1"}),
			want: model.Scope{Account: "123456789012", Region: "eu-west-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := awsapi.ScopeOf(tc.ctx); got != tc.want {
				t.Fatalf("scope %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadRef(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	base := awsapi.NewBase(db, nil)
	if base.Log == nil || base.Now == nil {
		t.Fatal("NewBase leaves no logger or clock")
	}
	ctx := awsapi.WithRequest(context.Background(), &awsapi.Request{Account: "123456789012", Region: "eu-west-1"})
	key := func(sc model.Scope, ref string) string { return "t/" + sc.Account + "/" + sc.Region + "/" + ref }
	if _, err := db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, key(awsapi.ScopeOf(ctx), "a"), rec{Name: "a"}) }); err != nil {
		t.Fatal(err)
	}
	notFound := errors.New("not found")
	get := func(tx store.ReadTx, sc model.Scope, ref string) (rec, error) {
		r, ok, err := store.Get[rec](tx, key(sc, ref))
		if err == nil && !ok {
			err = notFound
		}
		return r, err
	}
	if r, err := awsapi.ReadRef(ctx, base.DB, get, "a"); err != nil || r.Name != "a" {
		t.Fatalf("read %+v, %v", r, err)
	}
	if _, err := awsapi.ReadRef(ctx, base.DB, get, "b"); !errors.Is(err, notFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := awsapi.ReadRef(context.Background(), base.DB, get, "a"); !errors.Is(err, notFound) {
		t.Fatalf("another scope sees it: %v", err)
	}
}

package ecr

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/store"
)

// tokenLife is how long an authorization token is valid, as in ECR.
const tokenLife = 12 * time.Hour

// GetAuthorizationToken issues a registry password valid for 12 hours:
// the token is base64("AWS:" + password), as ECR's, and proxyEndpoint is
// wharf's registry.
func (a *API) GetAuthorizationToken(ctx context.Context, in *ecrtypes.GetAuthorizationTokenRequest) (*ecrtypes.GetAuthorizationTokenResponse, error) {
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		return nil, wrap("GetAuthorizationToken", err)
	}
	password := base64.RawURLEncoding.EncodeToString(raw)
	expires := a.Now().Add(tokenLife).Truncate(time.Second)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		return store.Put(tx, tokenKey(a.account, hashToken(password)), tokenRecord{Expires: expires})
	})
	if err != nil {
		return nil, wrap("GetAuthorizationToken", err)
	}
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
	data := ecrtypes.AuthorizationData{AuthorizationToken: new(token), ExpiresAt: shape.TimeOf(expires), ProxyEndpoint: new("http://" + a.host)}
	out := &ecrtypes.GetAuthorizationTokenResponse{}
	// One entry for wharf's registry, when asked for or by default; wharf
	// has no other account's.
	if len(in.RegistryIds) == 0 || slices.Contains(in.RegistryIds, a.account) {
		out.AuthorizationData = append(out.AuthorizationData, data)
	}
	return out, nil
}

func hashToken(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// Authenticate accepts user AWS with a live token (registry.Hooks).
func (a *API) Authenticate(ctx context.Context, user, password string) error {
	if user != "AWS" {
		return errors.New("the registry user is AWS")
	}
	var rec tokenRecord
	var ok bool
	err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
		rec, ok, err = store.Get[tokenRecord](tx, tokenKey(a.account, hashToken(password)))
		return err
	})
	switch {
	case err != nil:
		return err
	case !ok:
		return errors.New("unknown token")
	case a.Now().After(rec.Expires):
		return errors.New("expired token")
	}
	return nil
}

// PurgeTokens deletes expired tokens, at most store.DeleteBatch a
// transaction: a busy registry may hold more expired tokens than a
// backend writes in one.
func (a *API) PurgeTokens(ctx context.Context) error {
	now := a.Now()
	return store.DeleteWhere(ctx, a.DB, "ecr/"+a.account+"/tokens/", func(rec tokenRecord) bool {
		return now.After(rec.Expires)
	})
}

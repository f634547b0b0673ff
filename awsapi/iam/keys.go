package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/wharfhq/wharf/api/iamtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// maxKeysPerUser is IAM's quota of access keys per user.
const maxKeysPerUser = 2

func keyAAD(id string) []byte { return []byte("iam-access-key\x00" + id) }

// callerUser is the user a key call without UserName is about: the
// caller's own (IAM's rule), or an error for a caller that is no user.
func callerUser(ctx context.Context, name string) (string, error) {
	if name != "" {
		return name, checkName("userName", name, 64)
	}
	if p := awsapi.RequestFrom(ctx).Principal; p != nil && p.UserName != "" {
		return p.UserName, nil
	}
	return "", nonUserCaller()
}

// nonUserCaller is IAM's answer to a call about "my own user" from a
// caller that is no user.
func nonUserCaller() error {
	return awsapi.Errorf(awsapi.CodeValidationError, "Must specify userName when calling with non-User credentials")
}

// CreateAccessKey makes an access key for a user (AKIA…, with its secret,
// which is returned this once and stored only sealed).
func (a *API) CreateAccessKey(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	name, err := callerUser(ctx, r.UserName)
	if err != nil {
		return nil, err
	}
	if a.kr == nil {
		return nil, &awsapi.Error{Code: awsapi.CodeServerException, Fault: awsapi.ServerFault,
			Message: "wharf could not open its keyring, so it cannot store access keys; the server log says why"}
	}
	acct := account(ctx)
	secretBytes := make([]byte, 30)
	_, _ = rand.Read(secretBytes)
	secret := base64.StdEncoding.EncodeToString(secretBytes)
	k := accessKey{ID: newID("AKIA", 16), Account: acct, Status: "Active", Created: a.Now().UTC()}
	if k.Sealed, err = a.kr.Seal([]byte(secret), keyAAD(k.ID)); err != nil {
		return nil, awsapi.Wrap("seal access key", err)
	}
	err = a.write(ctx, func(tx store.Tx) error {
		u, err := getEntity(tx, acct, kindUser, name)
		if err != nil {
			return err
		}
		k.User = u.Name
		keys, err := a.keysOf(tx, acct, u.Name)
		if err != nil {
			return err
		}
		if len(keys) >= maxKeysPerUser {
			return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
		}
		return store.Put(tx, accessKeyKey(k.ID), k)
	})
	if err != nil {
		return nil, awsapi.Wrap("create access key", err)
	}
	return &iamtypes.AccessKeyResult{AccessKey: iamtypes.AccessKey{UserName: k.User, AccessKeyId: k.ID, Status: k.Status,
		SecretAccessKey: secret, CreateDate: iamTime(k.Created)}}, nil
}

// keysOf lists a user's access keys. Keys are few per account, so a
// scan of the account's keys is cheap.
func (a *API) keysOf(tx store.ReadTx, acct, user string) ([]accessKey, error) {
	all, err := store.List[accessKey](tx, prefix+"access-key/")
	if err != nil {
		return nil, err
	}
	var out []accessKey
	for _, k := range all {
		if k.Account == acct && strings.EqualFold(k.User, user) {
			out = append(out, k)
		}
	}
	return out, nil
}

// renameKeys moves a renamed user's keys to the new name.
func (a *API) renameKeys(tx store.Tx, acct, from, to string) error {
	keys, err := a.keysOf(tx, acct, from)
	if err != nil {
		return err
	}
	for _, k := range keys {
		k.User = to
		if err := store.Put(tx, accessKeyKey(k.ID), k); err != nil {
			return err
		}
	}
	return nil
}

// ListAccessKeys lists a user's keys (without their secrets).
func (a *API) ListAccessKeys(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	name, err := callerUser(ctx, r.UserName)
	if err != nil {
		return nil, err
	}
	acct := account(ctx)
	var keys []accessKey
	err = a.read(ctx, func(tx store.ReadTx) error {
		u, err := getEntity(tx, acct, kindUser, name)
		if err != nil {
			return err
		}
		name = u.Name
		keys, err = a.keysOf(tx, acct, u.Name)
		return err
	})
	if err != nil {
		return nil, awsapi.Wrap("list access keys", err)
	}
	out := &iamtypes.AccessKeysResult{UserName: name, AccessKeyMetadata: []iamtypes.AccessKeyMetadata{}}
	for _, k := range keys {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamtypes.AccessKeyMetadata{UserName: k.User, AccessKeyId: k.ID, Status: k.Status, CreateDate: iamTime(k.Created)})
	}
	return out, nil
}

// findKey reads a user's key, or answers NoSuchEntity.
func findKey(tx store.ReadTx, acct, user, id string) (accessKey, error) {
	k, ok, err := store.Get[accessKey](tx, accessKeyKey(id))
	if err != nil {
		return k, err
	}
	if !ok || k.Account != acct || !strings.EqualFold(k.User, user) {
		return k, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	return k, nil
}

// UpdateAccessKey makes a key Active or Inactive.
func (a *API) UpdateAccessKey(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	name, err := callerUser(ctx, r.UserName)
	if err != nil {
		return nil, err
	}
	if r.Status != "Active" && r.Status != "Inactive" {
		return nil, validation("status", r.Status, "Member must satisfy enum value set: [Active, Inactive]")
	}
	acct := account(ctx)
	err = a.write(ctx, func(tx store.Tx) error {
		k, err := findKey(tx, acct, name, r.AccessKeyId)
		if err != nil {
			return err
		}
		k.Status = r.Status
		return store.Put(tx, accessKeyKey(k.ID), k)
	})
	return &iamtypes.Empty{}, awsapi.Wrap("update access key", err)
}

// DeleteAccessKey deletes a key; calls signed with it fail from then on.
func (a *API) DeleteAccessKey(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	name, err := callerUser(ctx, r.UserName)
	if err != nil {
		return nil, err
	}
	acct := account(ctx)
	err = a.write(ctx, func(tx store.Tx) error {
		k, err := findKey(tx, acct, name, r.AccessKeyId)
		if err != nil {
			return err
		}
		return tx.Delete(accessKeyKey(k.ID))
	})
	return &iamtypes.Empty{}, awsapi.Wrap("delete access key", err)
}

// GetAccessKeyLastUsed names a key's user; wharf does not record use,
// so the service and region are N/A, as IAM says of an unused key.
func (a *API) GetAccessKeyLastUsed(ctx context.Context, r *iamtypes.NameRequest) (any, error) {
	k, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (accessKey, error) {
		return awsapi.Find[accessKey](tx, accessKeyKey(r.AccessKeyId), func() error {
			return noSuchEntity("The Access Key with id %s cannot be found.", r.AccessKeyId)
		})
	})
	if err != nil {
		return nil, err
	}
	return &iamtypes.AccessKeyLastUsedResult{UserName: k.User, AccessKeyLastUsed: iamtypes.AccessKeyLastUsed{Region: "N/A", ServiceName: "N/A"}}, nil
}

// ResolveKey is the awsapi.KeyResolver of IAM users' access keys: an
// active AKIA key resolves to its secret and its user. Inactive keys
// answer InvalidClientTokenId's wording as AWS does.
func (a *API) ResolveKey(ctx context.Context, cred awsapi.Credential) (string, *awsapi.Principal, error) {
	if !strings.HasPrefix(cred.AccessKey, "AKIA") || a.kr == nil {
		return "", nil, nil
	}
	var k accessKey
	var u entity
	var found bool
	err := a.read(ctx, func(tx store.ReadTx) error {
		var err error
		if k, found, err = store.Get[accessKey](tx, accessKeyKey(cred.AccessKey)); err != nil || !found {
			return err
		}
		u, found, err = store.Get[entity](tx, key(k.Account, kindUser, k.User))
		return err
	})
	if err != nil || !found {
		return "", nil, err
	}
	if k.Status != "Active" {
		return "", nil, awsapi.Errorf(awsapi.CodeUnrecognizedClient, "The security token included in the request is invalid.")
	}
	secret, err := a.kr.Open(k.Sealed, keyAAD(k.ID))
	if err != nil {
		return "", nil, awsapi.Wrap("open access key", err)
	}
	return string(secret), a.userPrincipal(&u, k.ID), nil
}

// userPrincipal is the principal of a call signed with one of u's keys.
func (a *API) userPrincipal(u *entity, keyID string) *awsapi.Principal {
	tags := map[string]string{}
	for _, t := range u.Tags {
		tags[t.Key] = t.Value
	}
	acct := strings.Split(u.ARN, ":")[4]
	return &awsapi.Principal{Type: "User", ARN: u.ARN, Account: acct, UserName: u.Name, AccessKey: keyID, Tags: tags}
}

package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/store"
)

// keyringUsedKey records the ids of the keys that ever sealed values in
// this store (ids only, never key material), so that a keyring that went
// missing is noticed at start instead of being silently replaced by a new
// key under which every sealed value answers an error.
const keyringUsedKey = "wharf/keyring/used"

type keyringUsed struct {
	IDs []string `json:"ids"`
}

// openKeyring opens the keyring cfg names and checks it holds every key
// the store's sealed values may need; it refuses (an error) otherwise.
func openKeyringChecked(ctx context.Context, db store.Backend, cfg Config) (*keyring.Keyring, error) {
	var used keyringUsed
	if err := db.View(ctx, func(tx store.ReadTx) error {
		var err error
		used, _, err = store.Get[keyringUsed](tx, keyringUsedKey)
		return err
	}); err != nil {
		return nil, fmt.Errorf("read the keyring record: %w", err)
	}
	src := keyring.Source{Dir: cfg.DataDir, File: cfg.KeyringFile, Env: cfg.KeyringKey}
	where := "the keyring"
	switch {
	case src.Env != "":
		where = keyring.EnvVar
	case src.File != "":
		where = src.File
	}
	kr, err := keyring.OpenSource(src, len(used.IDs) == 0)
	if errors.Is(err, keyring.ErrMissing) {
		return nil, fmt.Errorf("%w; this data dir holds values sealed with key(s) %s: restore the keyring file, or give it with --keyring-file or %s (wharf never makes a new key over sealed data)",
			err, strings.Join(used.IDs, ", "), keyring.EnvVar)
	}
	if err != nil {
		return nil, err
	}
	if missing := kr.Missing(used.IDs); len(missing) > 0 {
		return nil, fmt.Errorf("keyring: this data dir holds values sealed with key(s) %s, which %s does not hold (it has %s): give the keyring that sealed them with --keyring-file or %s",
			strings.Join(missing, ", "), where, strings.Join(kr.KeyIDs(), ", "), keyring.EnvVar)
	}
	if !slices.Contains(used.IDs, kr.KeyID()) {
		_, err := db.Update(ctx, func(tx store.Tx) error {
			cur, _, err := store.Get[keyringUsed](tx, keyringUsedKey)
			if err != nil {
				return err
			}
			if !slices.Contains(cur.IDs, kr.KeyID()) {
				cur.IDs = append(cur.IDs, kr.KeyID())
			}
			return store.Put(tx, keyringUsedKey, cur)
		})
		if err != nil {
			return nil, fmt.Errorf("record the keyring's key: %w", err)
		}
	}
	return kr, nil
}

package keyring

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// EnvVar is the environment variable that may hold the sealing key, so
// that the key need not live in the data dir beside what it seals.
const EnvVar = "WHARF_KEYRING_KEY"

// Source says where the keys come from, first match wins:
//
//   - Env (WHARF_KEYRING_KEY): a 32-byte key in base64, or a whole keyring
//     file's JSON (to move an existing keyring out of the data dir);
//   - File (--keyring-file): a keyring file anywhere;
//   - Dir: DATA_DIR/keyring.json.
type Source struct {
	Dir  string
	File string
	Env  string
}

// ErrMissing is returned (wrapped) when a keyring file does not exist and
// may not be created, because values sealed before need its keys.
var ErrMissing = errors.New("keyring: the keys that sealed this data dir's values are missing")

// OpenSource opens the keyring src names. A missing keyring file is
// created only when mayCreate; otherwise (sealed values exist) the error
// wraps ErrMissing: a new key would silently make every sealed value
// undecryptable.
func OpenSource(src Source, mayCreate bool) (*Keyring, error) {
	if src.Env != "" {
		return fromEnv(src.Env)
	}
	path := src.File
	if path == "" {
		if src.Dir == "" {
			return nil, errors.New("keyring: no data dir")
		}
		path = filepath.Join(src.Dir, FileName)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !mayCreate {
		return nil, fmt.Errorf("%w: %s does not exist", ErrMissing, path)
	}
	return openFile(path)
}

// fromEnv reads a key, or a keyring's JSON, from the environment's value.
// Such a keyring does not rotate (it has no file to write).
func fromEnv(v string) (*Keyring, error) {
	v = strings.TrimSpace(v)
	var fd fileData
	if strings.HasPrefix(v, "{") {
		if err := json.Unmarshal([]byte(v), &fd); err != nil {
			return nil, fmt.Errorf("keyring: %s is not a keyring's JSON: %w", EnvVar, err)
		}
	} else {
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("keyring: %s must be 32 bytes in base64 (openssl rand -base64 32) or a keyring's JSON", EnvVar)
		}
		// The id derives from the key, so the values it sealed name it
		// again on the next start.
		sum := sha256.Sum256(raw)
		id := "env" + hex.EncodeToString(sum[:6])
		fd = fileData{Active: id, Keys: []keyData{{ID: id, Key: v, Created: time.Time{}}}}
	}
	k := &Keyring{}
	if err := k.load(fd); err != nil {
		return nil, fmt.Errorf("keyring from %s: %w", EnvVar, err)
	}
	return k, nil
}

// KeyIDs lists the ids of the keys the keyring holds.
func (k *Keyring) KeyIDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Missing lists the ids among used that the keyring does not hold.
func (k *Keyring) Missing(used []string) []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []string
	for _, id := range used {
		if k.aeads[id] == nil {
			out = append(out, id)
		}
	}
	return out
}

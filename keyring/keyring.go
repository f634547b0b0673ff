package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FileName is the keyring's file in the data dir.
const FileName = "keyring.json"

// prefix starts every sealed value: the format's version.
const prefix = "wk1:"

// ErrOpen is returned (wrapped) when a sealed value does not open: it was
// altered, or sealed for another record, or by a key that is not here.
var ErrOpen = errors.New("keyring: sealed value does not open")

// Keyring seals and opens values. It is safe for concurrent use.
type Keyring struct {
	path string // "" for an ephemeral keyring

	mu     sync.RWMutex
	active string
	aeads  map[string]cipher.AEAD
}

// fileData is the keyring file's content.
type fileData struct {
	Active string    `json:"active"`
	Keys   []keyData `json:"keys"`
}

type keyData struct {
	ID      string    `json:"id"`
	Key     string    `json:"key"` // base64, 32 bytes
	Created time.Time `json:"created"`
}

// Open loads the keyring of a data dir, creating it (with one fresh key,
// mode 0600) when there is none. A keyring file that others may read is
// refused, as ssh refuses a private key left open.
func Open(dir string) (*Keyring, error) {
	if dir == "" {
		return nil, errors.New("keyring: no data dir")
	}
	return openFile(filepath.Join(dir, FileName))
}

// openFile loads the keyring file at path, creating it and its directory
// (mode 0700) when there is none.
func openFile(path string) (*Keyring, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	fd, err := read(path)
	if errors.Is(err, fs.ErrNotExist) {
		fd, err = create(path)
	}
	if err != nil {
		return nil, err
	}
	k := &Keyring{path: path}
	if err := k.load(fd); err != nil {
		return nil, fmt.Errorf("keyring %s: %w", path, err)
	}
	return k, nil
}

// Ephemeral returns a keyring that lives in memory only: what it seals is
// lost with the process. For servers without a data dir (tests, fuzzing).
func Ephemeral() *Keyring {
	k := &Keyring{}
	kd := newKey(time.Now())
	if err := k.load(fileData{Active: kd.ID, Keys: []keyData{kd}}); err != nil {
		panic(err) // unreachable: a fresh key is always 32 bytes
	}
	return k
}

func read(path string) (fileData, error) {
	var fd fileData
	st, err := os.Stat(path)
	if err != nil {
		return fd, err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fd, fmt.Errorf("keyring %s may be read by others (mode %04o): run chmod 600 on it", path, perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fd, fmt.Errorf("keyring: %w", err)
	}
	if err := json.Unmarshal(b, &fd); err != nil {
		return fd, fmt.Errorf("keyring %s is not valid JSON: %w", path, err)
	}
	return fd, nil
}

// create writes a keyring with one key. It never replaces a file another
// process created meanwhile: the new file is linked into place, and if
// that fails because one exists, that one is read instead.
func create(path string) (fileData, error) {
	kd := newKey(time.Now())
	fd := fileData{Active: kd.ID, Keys: []keyData{kd}}
	tmp, err := writeTemp(path, fd)
	if err != nil {
		return fd, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return read(path)
		}
		return fd, fmt.Errorf("keyring: create %s: %w", path, err)
	}
	return fd, nil
}

// writeTemp writes fd to a new 0600 file beside path and returns its name.
func writeTemp(path string, fd fileData) (string, error) {
	b, err := json.MarshalIndent(fd, "", "  ")
	if err != nil {
		return "", fmt.Errorf("keyring: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+FileName+".*")
	if err != nil {
		return "", fmt.Errorf("keyring: %w", err)
	}
	name := f.Name()
	_, werr := f.Write(b)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, 0o600) // CreateTemp makes 0600 already; be explicit
	}
	if werr != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("keyring: write %s: %w", name, werr)
	}
	return name, nil
}

func newKey(now time.Time) keyData {
	var key [32]byte
	var id [6]byte
	_, _ = rand.Read(key[:])
	_, _ = rand.Read(id[:])
	return keyData{ID: "k" + hex.EncodeToString(id[:]), Key: base64.StdEncoding.EncodeToString(key[:]), Created: now.UTC()}
}

func (k *Keyring) load(fd fileData) error {
	aeads := make(map[string]cipher.AEAD, len(fd.Keys))
	for _, kd := range fd.Keys {
		if kd.ID == "" || strings.Contains(kd.ID, ":") {
			return fmt.Errorf("key id %q is empty or contains ':'", kd.ID)
		}
		raw, err := base64.StdEncoding.DecodeString(kd.Key)
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("key %s is not 32 bytes of base64", kd.ID)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return fmt.Errorf("key %s: %w", kd.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return fmt.Errorf("key %s: %w", kd.ID, err)
		}
		aeads[kd.ID] = aead
	}
	if len(fd.Keys) > 0 && aeads[fd.Active] == nil {
		return fmt.Errorf("the active key %q is not among the keys", fd.Active)
	}
	k.mu.Lock()
	k.active, k.aeads = fd.Active, aeads
	k.mu.Unlock()
	return nil
}

// KeyID is the id of the key that seals new values.
func (k *Keyring) KeyID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.active
}

// Seal encrypts plaintext for the record that aad names. The result is
// text ("wk1:KEYID:BASE64") safe to store in JSON.
func (k *Keyring) Seal(plaintext, aad []byte) (string, error) {
	k.mu.RLock()
	id, aead := k.active, k.aeads[k.active]
	k.mu.RUnlock()
	if aead == nil {
		return "", errors.New("keyring: no active key")
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("keyring: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, aad)
	return prefix + id + ":" + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal made for the record that aad names. Any change
// to the value, the wrong aad, or an unknown key gives an error wrapping
// ErrOpen; the error never contains the value.
func (k *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, fmt.Errorf("%w: not a sealed value", ErrOpen)
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, fmt.Errorf("%w: no key id", ErrOpen)
	}
	k.mu.RLock()
	aead := k.aeads[id]
	k.mu.RUnlock()
	if aead == nil {
		return nil, fmt.Errorf("%w: key %q is not in the keyring", ErrOpen, id)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed ciphertext (key %s)", ErrOpen, id)
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (key %s): altered, or sealed for another record", ErrOpen, id)
	}
	return pt, nil
}

// Rotate adds a new key and makes it the one that seals; the older keys
// stay to open what they sealed. The file is replaced atomically.
func (k *Keyring) Rotate() (string, error) {
	if k.path == "" {
		return "", errors.New("keyring: an ephemeral keyring does not rotate")
	}
	fd, err := read(k.path)
	if err != nil {
		return "", err
	}
	kd := newKey(time.Now())
	fd.Keys = append(fd.Keys, kd)
	fd.Active = kd.ID
	tmp, err := writeTemp(k.path, fd)
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, k.path); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("keyring: replace %s: %w", k.path, err)
	}
	if err := k.load(fd); err != nil {
		return "", err
	}
	return kd.ID, nil
}

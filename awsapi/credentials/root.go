package credentials

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/awsapi"
)

// RootFile is the name of the root keys' file in the data dir.
const RootFile = "credentials"

// Root holds the account root user's access keys, kept in DATA_DIR/credentials
// in the aws CLI's shared credentials format so that
// AWS_SHARED_CREDENTIALS_FILE=DATA_DIR/credentials makes any SDK or the CLI
// wharf's root user.
type Root struct {
	Path    string
	Account string
	// AccessKeyID and SecretAccessKey are the [wharf] profile's keys (the
	// same as [default]'s in a file wharf wrote).
	AccessKeyID     string
	SecretAccessKey string
	keys            map[string]string // every profile's key → secret
}

// LoadOrCreateRoot reads dir's root keys, writing a new pair (mode 0600)
// first when there is none; created says it did.
func LoadOrCreateRoot(dir, account string) (*Root, bool, error) {
	path := filepath.Join(dir, RootFile)
	b, err := os.ReadFile(path)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		b, err = writeRoot(path), nil
		created = true
		if b == nil {
			return nil, false, fmt.Errorf("write the root credentials %s: %w", path, errWrite)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the root credentials: %w", err)
	}
	root, err := parseRoot(path, account, b)
	return root, created, err
}

var errWrite = errors.New("could not write the file")

// writeRoot makes a key pair and writes it exclusively (O_EXCL: two
// starts never each make their own); nil when it cannot.
func writeRoot(path string) []byte {
	akid := "AKIA" + randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	secret := strings.NewReplacer("+", "A", "/", "B").Replace(base64.StdEncoding.EncodeToString(randomBytes(30)))
	var b bytes.Buffer
	fmt.Fprintf(&b, "# wharf's root user: these keys can do anything in the account.\n")
	for _, profile := range []string{"default", "wharf"} {
		fmt.Fprintf(&b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", profile, akid, secret)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			if existing, err := os.ReadFile(path); err == nil {
				return existing
			}
		}
		return nil
	}
	_, werr := f.Write(b.Bytes())
	if err := f.Close(); werr != nil || err != nil {
		_ = os.Remove(path)
		return nil
	}
	return b.Bytes()
}

// parseRoot reads the shared credentials format: [profile] sections of
// "name = value" lines, # or ; comments.
func parseRoot(path, account string, b []byte) (*Root, error) {
	r := &Root{Path: path, Account: account, keys: map[string]string{}}
	profiles := map[string]map[string]string{}
	var cur map[string]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			name := strings.TrimSpace(line[1 : len(line)-1])
			cur = map[string]string{}
			profiles[name] = cur
		case cur != nil:
			k, v, ok := strings.Cut(line, "=")
			if ok {
				cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	for _, name := range []string{"default", "wharf"} {
		if p := profiles[name]; p["aws_access_key_id"] != "" && p["aws_secret_access_key"] != "" {
			r.AccessKeyID, r.SecretAccessKey = p["aws_access_key_id"], p["aws_secret_access_key"]
		}
	}
	for _, p := range profiles {
		if k, s := p["aws_access_key_id"], p["aws_secret_access_key"]; k != "" && s != "" {
			r.keys[k] = s
		}
	}
	if len(r.keys) == 0 {
		return nil, fmt.Errorf("the root credentials %s hold no aws_access_key_id with its aws_secret_access_key", path)
	}
	return r, nil
}

// Resolve is an awsapi.KeyResolver for the root keys. A root key sent
// with a session token is refused, as AWS refuses a long-term key with one.
func (r *Root) Resolve(_ context.Context, cred awsapi.Credential) (string, *awsapi.Principal, error) {
	secret, ok := "", false
	for k, s := range r.keys {
		if subtle.ConstantTimeCompare([]byte(k), []byte(cred.AccessKey)) == 1 {
			secret, ok = s, true
		}
	}
	if !ok {
		return "", nil, nil
	}
	if cred.SessionToken != "" {
		return "", nil, awsapi.Errorf(awsapi.CodeUnrecognizedClient, "The security token included in the request is invalid.")
	}
	return secret, awsapi.RootPrincipal(r.Account, cred.AccessKey), nil
}

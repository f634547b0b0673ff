package keyring

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestOpenCreatesPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Fatalf("keyring file mode %04o, want 0600", perm)
	}
	if k.KeyID() == "" {
		t.Fatal("no active key")
	}
	// A second Open reads the same key: what one sealed, the other opens.
	k2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Seal([]byte("hunter2"), []byte("rec"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(s, []byte("rec")); err != nil || string(got) != "hunter2" {
		t.Fatalf("reopened keyring: %q, %v", got, err)
	}
}

func TestOpenRefusesReadableFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, FileName), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Open of a 0644 keyring: %v, want a refusal naming chmod 600", err)
	}
}

func TestOpenConcurrentCreateAgrees(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	ks := make([]*Keyring, 8)
	errs := make([]error, len(ks))
	for i := range ks {
		wg.Go(func() { ks[i], errs[i] = Open(dir) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		if ks[i].KeyID() != ks[0].KeyID() {
			t.Fatalf("Open %d got key %s, Open 0 key %s", i, ks[i].KeyID(), ks[0].KeyID())
		}
	}
}

func TestSealOpen(t *testing.T) {
	k := Ephemeral()
	aad := []byte("secretsmanager\x00arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf\x00v1")
	plain := []byte(`{"password":"correct horse"}`)
	sealed, err := k.Seal(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "correct horse") || bytes.Contains([]byte(sealed), plain) {
		t.Fatal("sealed value contains the plaintext")
	}
	if !strings.HasPrefix(sealed, "wk1:"+k.KeyID()+":") {
		t.Fatalf("sealed value %q does not name its key", sealed)
	}
	again, _ := k.Seal(plain, aad)
	if again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	got, err := k.Open(sealed, aad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open: %q, %v", got, err)
	}
	empty, err := k.Seal(nil, aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(empty, aad); err != nil || len(got) != 0 {
		t.Fatalf("empty value: %q, %v", got, err)
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	k := Ephemeral()
	aad := []byte("ssm\x00/db/password\x001")
	sealed, err := k.Seal([]byte("s3cr3t"), aad)
	if err != nil {
		t.Fatal(err)
	}
	id, b64, _ := strings.Cut(strings.TrimPrefix(sealed, "wk1:"), ":")
	raw, _ := base64.StdEncoding.DecodeString(b64)
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return "wk1:" + id + ":" + base64.StdEncoding.EncodeToString(b)
	}
	other := Ephemeral()
	tests := []struct {
		name   string
		k      *Keyring
		sealed string
		aad    []byte
	}{
		{"flipped nonce bit", k, flip(0), aad},
		{"flipped ciphertext bit", k, flip(len(raw) / 2), aad},
		{"flipped tag bit", k, flip(len(raw) - 1), aad},
		{"truncated", k, "wk1:" + id + ":" + base64.StdEncoding.EncodeToString(raw[:10]), aad},
		{"other record", k, sealed, []byte("ssm\x00/db/password\x002")},
		{"unknown key", other, sealed, aad},
		{"not base64", k, "wk1:" + id + ":***", aad},
		{"no prefix", k, strings.TrimPrefix(sealed, "wk1:"), aad},
		{"plaintext", k, "s3cr3t", aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.k.Open(tt.sealed, tt.aad)
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("error %q shows the value", err)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	dir := t.TempDir()
	k, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := k.KeyID()
	before, _ := k.Seal([]byte("v1"), nil)
	id, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if id == old || k.KeyID() != id {
		t.Fatalf("after Rotate the active key is %s (old %s, new %s)", k.KeyID(), old, id)
	}
	after, _ := k.Seal([]byte("v2"), nil)
	if !strings.HasPrefix(after, "wk1:"+id+":") {
		t.Fatalf("new seals use %q", after)
	}
	// The file on disk has both keys; a fresh Open opens old and new values.
	k2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for want, s := range map[string]string{"v1": before, "v2": after} {
		if got, err := k2.Open(s, nil); err != nil || string(got) != want {
			t.Fatalf("Open after rotation: %q, %v; want %q", got, err, want)
		}
	}
	if st, _ := os.Stat(filepath.Join(dir, FileName)); st.Mode().Perm() != 0o600 {
		t.Fatalf("rotated file mode %04o", st.Mode().Perm())
	}
	if _, err := Ephemeral().Rotate(); err == nil {
		t.Fatal("an ephemeral keyring rotated")
	}
}

func TestOpenRejectsBadFile(t *testing.T) {
	tests := map[string]string{
		"not json":       "{",
		"short key":      `{"active":"k1","keys":[{"id":"k1","key":"AAAA"}]}`,
		"missing active": `{"active":"k2","keys":[{"id":"k1","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}]}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(dir); err == nil {
				t.Fatal("Open accepted a bad keyring file")
			}
		})
	}
}

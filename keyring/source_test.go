package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenSource(t *testing.T) {
	dir := t.TempDir()
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	tests := []struct {
		name      string
		src       Source
		mayCreate bool
		wantErr   error // nil: opens
		anyErr    bool
	}{
		{"env key", Source{Dir: dir, Env: key}, false, nil, false},
		{"env keyring json", Source{Env: `{"active":"k1","keys":[{"id":"k1","key":"` + key + `"}]}`}, false, nil, false},
		{"env not a key", Source{Env: "short"}, false, nil, true},
		{"file missing, sealed data", Source{File: filepath.Join(dir, "x", "kr.json")}, false, ErrMissing, true},
		{"dir missing, sealed data", Source{Dir: filepath.Join(dir, "d")}, false, ErrMissing, true},
		{"file created", Source{File: filepath.Join(dir, "y", "kr.json")}, true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := OpenSource(tt.src, tt.mayCreate)
			if tt.anyErr {
				if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := k.Seal([]byte("v"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := k.Open(sealed, nil); err != nil || string(b) != "v" {
				t.Fatalf("open: %v", err)
			}
		})
	}
	// The env key's id is the same on every start, and no file is written.
	a, _ := OpenSource(Source{Env: key}, false)
	b, _ := OpenSource(Source{Env: key}, false)
	if a.KeyID() != b.KeyID() || len(a.Missing([]string{b.KeyID(), "k9"})) != 1 {
		t.Fatalf("env key ids %s %s", a.KeyID(), b.KeyID())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 { // only y/
		t.Fatalf("files written: %v", entries)
	}
}

package repopath

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootHoldsGoMod(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("Root() = %s: %v", root, err)
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct{ name, root, p, want string }{
		{"relative", "/repo", "api/x.go", "/repo/api/x.go"},
		{"absolute", "/repo", "/tmp/x.go", "/tmp/x.go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Resolve(tc.root, tc.p); got != tc.want {
				t.Fatalf("Resolve(%q, %q) = %q, want %q", tc.root, tc.p, got, tc.want)
			}
		})
	}
}

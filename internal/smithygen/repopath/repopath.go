// Package repopath finds paths in the repository for the generators under
// internal/smithygen, which go generate runs from a package's directory
// but which name their models and outputs from the repository's root.
// It imports only the standard library.
package repopath

import (
	"errors"
	"os"
	"path/filepath"
)

// Root walks up from the working directory to the directory holding
// go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

// Resolve is p taken from root, unless p is absolute.
func Resolve(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// Command smithygen generates Go request/response shapes, enums, error tables,
// operation metadata and input validation from an AWS Smithy JSON model.
//
// Usage (from anywhere inside the repository):
//
//	go run ./internal/smithygen -model ../shared/aws-models/ecs-2014-11-13.json -pkg ecstypes -out api/ecstypes/zz_generated.go
//
// Relative -model and -out paths are resolved against the repository root
// (the directory holding go.mod), so the same command works from the root,
// from a package directory via go:generate, and in CI where shared/ sits
// beside a fresh clone. The generated code imports only the standard library
// and github.com/wharfhq/wharf/api/shape.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
)

func main() {
	modelPath := flag.String("model", "", "Smithy JSON model, relative to the repository root or absolute")
	pkg := flag.String("pkg", "", "Go package name of the generated file")
	outPath := flag.String("out", "", "output file, relative to the repository root or absolute")
	flag.Parse()
	if *modelPath == "" || *pkg == "" || *outPath == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*modelPath, *pkg, *outPath); err != nil {
		fmt.Fprintln(os.Stderr, "smithygen:", err)
		os.Exit(1)
	}
}

func run(modelPath, pkg, outPath string) error {
	if !token.IsIdentifier(pkg) || goKeywords[pkg] {
		return fmt.Errorf("bad package name %q", pkg)
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	modelPath, outPath = resolve(root, modelPath), resolve(root, outPath)
	m, err := LoadModel(modelPath)
	if err != nil {
		return err
	}
	src, err := Generate(m, filepath.Base(modelPath), pkg)
	if err != nil {
		return fmt.Errorf("%s: %w", modelPath, err)
	}
	if old, err := os.ReadFile(outPath); err == nil && bytes.Equal(old, src) {
		return nil // unchanged: keep the file's modification time
	}
	if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
		return err
	}
	return os.WriteFile(outPath, src, 0o644)
}

func resolve(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// repoRoot walks up from the working directory to the directory holding
// go.mod.
func repoRoot() (string, error) {
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

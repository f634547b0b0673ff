// Command smithygen generates Go request/response shapes, enums, error tables,
// operation metadata and input validation from an AWS Smithy JSON model.
//
// Usage (from anywhere inside the repository):
//
//	go run ./internal/smithygen -model ../shared/aws-models/ecs-2014-11-13.json -overlay api/ecstypes/overlay.json -pkg ecstypes -out api/ecstypes/zz_generated.go
//
// -overlay (optional) names a Smithy JSON file of shapes and members that AWS
// added after the model snapshot, merged into the model first (see Merge).
//
// Relative -model and -out paths are resolved against the repository root
// (the directory holding go.mod), so the same command works from the root,
// from a package directory via go:generate, and in CI where shared/ sits
// beside a fresh clone. The generated code imports only the standard library
// and github.com/wharfhq/wharf/api/shape.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/token"
	"os"
	"path/filepath"

	"github.com/wharfhq/wharf/internal/smithygen/repopath"
)

func main() {
	modelPath := flag.String("model", "", "Smithy JSON model, relative to the repository root or absolute")
	pkg := flag.String("pkg", "", "Go package name of the generated file")
	outPath := flag.String("out", "", "output file, relative to the repository root or absolute")
	overlayPath := flag.String("overlay", "", "optional Smithy JSON overlay merged into the model, relative to the repository root or absolute")
	flag.Parse()
	if *modelPath == "" || *pkg == "" || *outPath == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*modelPath, *overlayPath, *pkg, *outPath); err != nil {
		fmt.Fprintln(os.Stderr, "smithygen:", err)
		os.Exit(1)
	}
}

func run(modelPath, overlayPath, pkg, outPath string) error {
	if !token.IsIdentifier(pkg) || goKeywords[pkg] {
		return fmt.Errorf("bad package name %q", pkg)
	}
	root, err := repopath.Root()
	if err != nil {
		return err
	}
	source := filepath.Base(modelPath)
	if overlayPath != "" {
		source += " and " + filepath.ToSlash(overlayPath)
	}
	modelPath, outPath = repopath.Resolve(root, modelPath), repopath.Resolve(root, outPath)
	m, err := loadMerged(modelPath, repopath.Resolve(root, overlayPath), overlayPath != "")
	if err != nil {
		return err
	}
	src, err := Generate(m, source, pkg)
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

// loadMerged loads a model and, when withOverlay, merges the overlay into it.
func loadMerged(modelPath, overlayPath string, withOverlay bool) (*Model, error) {
	m, err := LoadModel(modelPath)
	if err != nil || !withOverlay {
		return m, err
	}
	o, err := LoadOverlay(overlayPath)
	if err != nil {
		return nil, err
	}
	if err := m.Merge(o); err != nil {
		return nil, fmt.Errorf("%s: %w", overlayPath, err)
	}
	return m, nil
}

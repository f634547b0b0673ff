package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharfhq/wharf/internal/smithygen/repopath"
)

// TestECSOverlayUpToDate checks that api/ecstypes/overlay.json is what the
// SDK module go.mod requires says, so moving the SDK without regenerating
// (go generate ./api/ecstypes) fails here.
func TestECSOverlayUpToDate(t *testing.T) {
	model := filepath.Join("..", "..", "..", "..", "shared", "aws-models", "ecs-2014-11-13.json")
	if dir := os.Getenv("SMITHYGEN_MODELS"); dir != "" {
		model = filepath.Join(dir, "ecs-2014-11-13.json")
	}
	if _, err := os.Stat(model); err != nil {
		t.Skipf("model not found (%v); set SMITHYGEN_MODELS", err)
	}
	root, err := repopath.Root()
	if err != nil {
		t.Fatal(err)
	}
	const module = "github.com/aws/aws-sdk-go-v2/service/ecs"
	dir, version, err := moduleDir(root, module)
	if err != nil {
		t.Skipf("SDK module not available: %v", err)
	}
	want, err := Build(dir, module+" "+version, model)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "api", "ecstypes", "overlay.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("api/ecstypes/overlay.json is not what %s %s says: run go generate ./api/ecstypes", module, version)
	}
}

func TestParagraph(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"first paragraph joined", []string{"", "One line", "and two.", "", "Another."}, "One line and two."},
		{"none", []string{"", ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paragraph(tt.lines); got != tt.want {
				t.Errorf("paragraph = %q, want %q", got, tt.want)
			}
		})
	}
}

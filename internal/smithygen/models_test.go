package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// modelsDir locates shared/aws-models beside the repository (or
// $SMITHYGEN_MODELS), skipping the test when it is absent.
func modelsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SMITHYGEN_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "aws-models")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("models not found (%v); set SMITHYGEN_MODELS", err)
	}
	return dir
}

// pkgName derives a package name from a model file name:
// "elastic-load-balancing-v2-2015-12-01.json" -> "elasticloadbalancingv2types".
func pkgName(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	base = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}$`).ReplaceAllString(base, "")
	return strings.ReplaceAll(base, "-", "") + "types"
}

// TestAllModels generates every model in shared/aws-models into a temporary
// module and runs go vet (which type-checks) over the result, so the next
// services start from code that compiles.
func TestAllModels(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: compiles every model")
	}
	dir := modelsDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no models in %s", dir)
	}
	goTool(t)
	mod := tempModule(t)
	for _, f := range files {
		pkg := pkgName(f)
		writeFile(t, filepath.Join(mod, "api", pkg, "zz_generated.go"), generateFile(t, f, pkg))
	}
	runGo(t, mod, "vet", "./...")
}

// TestECSUpToDate checks that api/ecstypes/zz_generated.go is what the
// generator produces now from the model and api/ecstypes/overlay.json (go generate ./api/ecstypes fixes it).
func TestECSUpToDate(t *testing.T) {
	path := filepath.Join(modelsDir(t), "ecs-2014-11-13.json")
	if _, err := os.Stat(path); err != nil {
		t.Skip(err)
	}
	m, err := loadMerged(path, "../../api/ecstypes/overlay.json", true)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(m, "ecs-2014-11-13.json and api/ecstypes/overlay.json", "ecstypes")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../api/ecstypes/zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("api/ecstypes/zz_generated.go is stale: run go generate ./api/ecstypes")
	}
}

func TestPkgName(t *testing.T) {
	for in, want := range map[string]string{
		"ecs-2014-11-13.json":                       "ecstypes",
		"elastic-load-balancing-v2-2015-12-01.json": "elasticloadbalancingv2types",
		"cloudwatch-logs-2014-03-28.json":           "cloudwatchlogstypes",
	} {
		if got := pkgName(in); got != want {
			t.Errorf("pkgName(%q) = %q, want %q", in, got, want)
		}
	}
}

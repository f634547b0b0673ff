// Command sdkoverlay writes the Smithy JSON overlay of a service: the shapes
// and members that an aws-sdk-go-v2 service module knows and the AWS model
// snapshot in shared/aws-models lacks. smithygen merges the overlay into the
// model (see its -overlay flag), so the generated types keep up with what
// AWS's clients send and expect back.
//
// Usage (from the repository root):
//
//	go run ./internal/smithygen/sdkoverlay -module github.com/aws/aws-sdk-go-v2/service/ecs \
//	    -model ../shared/aws-models/ecs-2014-11-13.json -out api/ecstypes/overlay.json
//
// The module is read at the version go.mod requires (go mod download).
// What the SDK says is all it can say: member names, targets and enum values
// come from its schemas/schemas.go and types/enums.go; documentation, required
// ("This member is required.") and defaults (value-typed Go fields) from
// types/types.go. The SDK carries no length, range or pattern constraints,
// so the overlay has none. Only shapes reachable from members the model's
// existing structures, unions and enums lack are written: new operations are
// out of scope until wharf serves them.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/wharfhq/wharf/internal/smithygen/repopath"
)

func main() {
	module := flag.String("module", "", "aws-sdk-go-v2 service module path, as in go.mod")
	modelPath := flag.String("model", "", "Smithy JSON model, relative to the repository root or absolute")
	out := flag.String("out", "", "overlay file to write, relative to the repository root or absolute")
	flag.Parse()
	if *module == "" || *modelPath == "" || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*module, *modelPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "sdkoverlay:", err)
		os.Exit(1)
	}
}

func run(module, modelPath, out string) error {
	root, err := repopath.Root()
	if err != nil {
		return err
	}
	dir, version, err := moduleDir(root, module)
	if err != nil {
		return err
	}
	b, err := Build(dir, module+" "+version, repopath.Resolve(root, modelPath))
	if err != nil {
		return err
	}
	return os.WriteFile(repopath.Resolve(root, out), b, 0o644)
}

// moduleDir asks the go command for the module at the version go.mod
// requires, downloading it when the module cache lacks it.
func moduleDir(root, module string) (dir, version string, err error) {
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = root
	b, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("go mod download %s: %w", module, err)
	}
	var m struct{ Dir, Version, Error string }
	if err := json.Unmarshal(b, &m); err != nil {
		return "", "", fmt.Errorf("go mod download %s: %w", module, err)
	}
	if m.Error != "" || m.Dir == "" {
		return "", "", fmt.Errorf("go mod download %s: %s", module, m.Error)
	}
	return m.Dir, m.Version, nil
}

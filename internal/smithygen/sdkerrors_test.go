package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestErrorCodesMatchSDK checks the generated Err constants and Errors
// table of every api/<svc>types package against the error types of the
// aws-sdk-go-v2 client of the same service, the clients' own view of the
// wire: each SDK error type's ErrorCode and ErrorFault must be those wharf
// sends for that shape. The SDK modules are read from the module cache
// (go.mod requires them for the round-trip tests).
func TestErrorCodesMatchSDK(t *testing.T) {
	gobin := goTool(t)
	tests := []struct {
		pkg, module string
		// shapeNamed: the SDK's client left the Query protocol of the
		// model snapshot for rpcv2Cbor with awsQueryCompatible, where
		// __type is the shape's name and the Query code travels in the
		// x-amzn-query-error header (wharf's RPCv2Service.ErrorShapes).
		shapeNamed bool
	}{
		{"applicationautoscalingtypes", "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling", false},
		{"cloudwatchtypes", "github.com/aws/aws-sdk-go-v2/service/cloudwatch", true},
		{"ecrtypes", "github.com/aws/aws-sdk-go-v2/service/ecr", false},
		{"ecstypes", "github.com/aws/aws-sdk-go-v2/service/ecs", false},
		{"elbv2types", "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2", false},
		{"eventbridgetypes", "github.com/aws/aws-sdk-go-v2/service/eventbridge", false},
		{"logstypes", "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs", false},
		{"secretsmanagertypes", "github.com/aws/aws-sdk-go-v2/service/secretsmanager", false},
		{"servicediscoverytypes", "github.com/aws/aws-sdk-go-v2/service/servicediscovery", false},
		{"ssmtypes", "github.com/aws/aws-sdk-go-v2/service/ssm", false},
		{"ststypes", "github.com/aws/aws-sdk-go-v2/service/sts", false},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			cmd := exec.Command(gobin, "list", "-m", "-f", "{{.Dir}}", tc.module)
			cmd.Env = append(cmd.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
			out, err := cmd.Output()
			dir := strings.TrimSpace(string(out))
			if err != nil || dir == "" {
				t.Skipf("%s not in the module cache: %v", tc.module, err)
			}
			sdk := sdkErrors(t, filepath.Join(dir, "types", "errors.go"))
			ours := generatedErrors(t, filepath.Join("..", "..", "api", tc.pkg, "zz_generated.go"))
			if len(sdk) == 0 {
				t.Fatalf("no error types found in %s", tc.module)
			}
			for shapeName, want := range sdk {
				got, ok := ours[shapeName]
				if !ok {
					// A shape newer than the model snapshot.
					t.Logf("%s: the SDK's %s is not in the model", tc.pkg, shapeName)
					continue
				}
				if tc.shapeNamed {
					got.code = shapeName
				}
				if got != want {
					t.Errorf("%s: %s is %+v in wharf, %+v in the SDK", tc.pkg, shapeName, got, want)
				}
			}
		})
	}
}

type errFacts struct{ code, fault string }

// parseGo parses the Go file at path.
func parseGo(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sdkErrors reads an SDK types/errors.go: for each type, the code literal
// its ErrorCode returns and the fault ErrorFault returns.
func sdkErrors(t *testing.T, path string) map[string]errFacts {
	t.Helper()
	f := parseGo(t, path)
	out := map[string]errFacts{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
			continue
		}
		star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		typ := star.X.(*ast.Ident).Name
		facts := out[typ]
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			ret, ok := n.(*ast.ReturnStmt)
			if !ok || len(ret.Results) != 1 {
				return true
			}
			switch r := ret.Results[0].(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(r.Value); err == nil && fd.Name.Name == "ErrorCode" && facts.code == "" {
					facts.code = s
				}
			case *ast.SelectorExpr:
				if fd.Name.Name == "ErrorFault" {
					facts.fault = strings.ToLower(strings.TrimPrefix(r.Sel.Name, "Fault"))
				}
			}
			return true
		})
		if fd.Name.Name == "ErrorCode" || fd.Name.Name == "ErrorFault" {
			out[typ] = facts
		}
	}
	return out
}

// generatedErrors reads a generated file: each error shape's wire code (its
// Err constant) and fault (the Errors table, or ErrorFaults for a shape
// that shares its code with another).
func generatedErrors(t *testing.T, path string) map[string]errFacts {
	t.Helper()
	f := parseGo(t, path)
	out := map[string]errFacts{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			name := vs.Names[0].Name
			switch {
			case gd.Tok == token.CONST && strings.HasPrefix(name, "Err"):
				if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
					shapeName := strings.TrimPrefix(name, "Err")
					facts := out[shapeName]
					facts.code, _ = strconv.Unquote(lit.Value)
					out[shapeName] = facts
				}
			case gd.Tok == token.VAR && name == "ErrorFaults":
				for _, el := range vs.Values[0].(*ast.CompositeLit).Elts {
					kv := el.(*ast.KeyValueExpr)
					k, _ := strconv.Unquote(kv.Key.(*ast.BasicLit).Value)
					v, _ := strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
					facts := out[k]
					facts.fault = v
					out[k] = facts
				}
			}
		}
	}
	return out
}

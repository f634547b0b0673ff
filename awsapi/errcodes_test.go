package awsapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/api/ecrtypes"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/api/secretsmanagertypes"
	"github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/api/ssmtypes"
	"github.com/wharfhq/wharf/api/ststypes"
)

// serviceModels maps each AWS service package under awsapi to its model's
// generated error table. awsapi/iam and awsapi/cloudtrail have no model in
// shared/aws-models (their shapes are hand-written), so only the common
// codes can be checked there and they are left out.
var serviceModels = map[string]map[string]shape.ErrorInfo{
	"applicationautoscaling": applicationautoscalingtypes.Errors,
	"cloudwatch":             cloudwatchtypes.Errors,
	"ecr":                    ecrtypes.Errors,
	"ecs":                    ecstypes.Errors,
	"elbv2":                  elbv2types.Errors,
	"eventbridge":            eventbridgetypes.Errors,
	"logs":                   logstypes.Errors,
	"scheduler":              schedulertypes.Errors,
	"secretsmanager":         secretsmanagertypes.Errors,
	"servicediscovery":       servicediscoverytypes.Errors,
	"ssm":                    ssmtypes.Errors,
	"sts":                    ststypes.Errors,
}

// foreignCodes are codes a package tests for that another service
// answers, with why.
var foreignCodes = map[string]map[string]string{
	"sts": {"NoSuchEntity": "IAM's answer from the user directory STS reads"},
}

// codeLike is what an AWS error code looks like.
var codeLike = regexp.MustCompile(`^[A-Z][A-Za-z0-9]+$`)

// TestErrorCodesDeclared scans every AWS service package for the error
// codes it writes as string literals (a code* constant, the code argument
// of an error constructor, a Code: field, IsCode's code) and fails on one
// that is neither declared by the service's model nor one of awsapi's
// common codes: a typo'd code would reach clients as a code their SDK does
// not know. Codes written as the generated Err constants are checked by the
// compiler.
func TestErrorCodesDeclared(t *testing.T) {
	common := commonCodes(t)
	for _, svc := range sortedNames(serviceModels) {
		t.Run(svc, func(t *testing.T) {
			model := serviceModels[svc]
			if len(model) == 0 {
				t.Fatalf("the model of %s declares no errors", svc)
			}
			for _, lit := range codeLiterals(t, svc) {
				if _, ok := foreignCodes[svc][lit.code]; ok {
					continue
				}
				if _, ok := model[lit.code]; !ok && !common[lit.code] {
					t.Errorf("%s: error code %q is not in the %s model nor a common code of awsapi", lit.pos, lit.code, svc)
				}
			}
		})
	}
}

// commonCodes are the values of awsapi's Code* constants.
func commonCodes(t *testing.T) map[string]bool {
	t.Helper()
	codes := map[string]bool{}
	for _, f := range parseDir(t, ".") {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if strings.HasPrefix(name.Name, "Code") && i < len(vs.Values) {
						if s, ok := stringLit(vs.Values[i]); ok {
							codes[s] = true
						}
					}
				}
			}
		}
	}
	if !codes["InvalidParameterException"] || !codes["ValidationError"] {
		t.Fatalf("common codes not found in awsapi: %v", codes)
	}
	return codes
}

type codeLit struct {
	pos  token.Position
	code string
}

// codeLiterals returns the string literals that package dir uses as error
// codes.
func codeLiterals(t *testing.T, dir string) []codeLit {
	t.Helper()
	fset := token.NewFileSet()
	return codeLiteralsIn(fset, parseDirFset(t, fset, dir))
}

func codeLiteralsIn(fset *token.FileSet, files []*ast.File) []codeLit {
	var out []codeLit
	add := func(e ast.Expr) {
		if s, ok := stringLit(e); ok && codeLike.MatchString(s) {
			out = append(out, codeLit{fset.Position(e.Pos()), s})
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec: // const codeX = "X"
				for i, name := range n.Names {
					if i < len(n.Values) && strings.HasPrefix(strings.ToLower(name.Name), "code") {
						add(n.Values[i])
					}
				}
			case *ast.KeyValueExpr: // awsapi.Error{Code: "X"}
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Code" {
					add(n.Value)
				}
			case *ast.CallExpr:
				switch name := calleeName(n.Fun); {
				case name == "IsCode" && len(n.Args) == 2:
					add(n.Args[1])
				case errorConstructor.MatchString(name) && len(n.Args) > 0:
					add(n.Args[0])
				}
			}
			return true
		})
	}
	return out
}

// TestCodeLiteralsScan checks that the scan finds codes where services
// write them, and only there.
func TestCodeLiteralsScan(t *testing.T) {
	const src = `package svc

const (
	codeGone = "GoneException"
	msgGone  = "NotACode"
)

func f(err error) error {
	if awsapi.IsCode(err, "NoSuchThing") {
		return &awsapi.Error{Code: "AccessDenied", Message: "Denied"}
	}
	if err != nil {
		return awsapi.Errorf("ClusterNotFoundExceptoin", "Cluster not found.")
	}
	_ = fmt.Errorf("Plain")
	_ = wrap("DescribeThings", err)
	return apiError("TooManyTags", "%d", 1)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "svc.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, lit := range codeLiteralsIn(fset, []*ast.File{f}) {
		got = append(got, lit.code)
	}
	want := []string{"GoneException", "NoSuchThing", "AccessDenied", "ClusterNotFoundExceptoin", "TooManyTags"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("scan found %q, want %q", got, want)
	}
}

// errorConstructor matches the names of functions whose first argument is
// an error code (awsapi.Errorf and the services' own wrappers).
var errorConstructor = regexp.MustCompile(`^(Errorf|errorf|awsErr|apiErr|apiError|newError)$`)

// calleeName is the name of the function a call calls; the standard
// library's error constructors (fmt.Errorf) take no code.
func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && (x.Name == "fmt" || x.Name == "errors") {
			return ""
		}
		return f.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

func parseDir(t *testing.T, dir string) []*ast.File {
	return parseDirFset(t, token.NewFileSet(), dir)
}

// parseDirFset parses the non-test Go files of dir.
func parseDirFset(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

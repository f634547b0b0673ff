package ssm_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func client(w *wharftest.Wharf, region string) *ssm.Client {
	return apitest.Client(w, region, ssm.NewFromConfig)
}

func put(t testing.TB, c *ssm.Client, name, value string, typ types.ParameterType, opts ...func(*ssm.PutParameterInput)) int64 {
	t.Helper()
	in := &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ}
	for _, o := range opts {
		o(in)
	}
	return apitest.Must(c.PutParameter(context.Background(), in))(t).Version
}

func overwrite(in *ssm.PutParameterInput) { in.Overwrite = aws.Bool(true) }

func TestPutGet(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	put(t, c, "/app/db/host", "db.local", types.ParameterTypeString)
	put(t, c, "/app/db/password", "s3cr3t", types.ParameterTypeSecureString)
	put(t, c, "hosts", "a,b,c", types.ParameterTypeStringList)

	p := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/host")}))(t).Parameter
	if aws.ToString(p.Value) != "db.local" || p.Type != types.ParameterTypeString || p.Version != 1 || p.LastModifiedDate == nil ||
		aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host" || aws.ToString(p.DataType) != "text" {
		t.Fatalf("GetParameter: %+v", p)
	}
	if p := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("hosts")}))(t).Parameter; aws.ToString(p.Value) != "a,b,c" ||
		aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/hosts" {
		t.Fatalf("StringList: %+v", p)
	}

	enc := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/password")}))(t).Parameter
	if v := aws.ToString(enc.Value); v == "s3cr3t" || v == "" || strings.Contains(v, "s3cr3t") {
		t.Fatalf("SecureString without decryption answered %q", v)
	}
	dec := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/password"), WithDecryption: aws.Bool(true)}))(t).Parameter
	if aws.ToString(dec.Value) != "s3cr3t" || dec.Type != types.ParameterTypeSecureString {
		t.Fatalf("SecureString with decryption: %+v", dec)
	}

	// By ARN, with the leading slash of the name dropped in the ARN.
	byARN := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host")}))(t).Parameter
	if aws.ToString(byARN.Name) != "/app/db/host" || aws.ToString(byARN.Value) != "db.local" {
		t.Fatalf("by ARN: %+v", byARN)
	}

	// Overwrite makes version 2; version 1 stays readable by selector.
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db/host"), Value: aws.String("db2"), Type: types.ParameterTypeString})
	apitest.WantCodeIn(t, err, "ParameterAlreadyExists", "overwrite")
	if v := put(t, c, "/app/db/host", "db2", "", overwrite); v != 2 {
		t.Fatalf("overwrite made version %d", v)
	}
	cur := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/host")}))(t).Parameter
	old := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/host:1")}))(t).Parameter
	if aws.ToString(cur.Value) != "db2" || cur.Type != types.ParameterTypeString || aws.ToString(old.Value) != "db.local" || aws.ToString(old.Selector) != ":1" {
		t.Fatalf("versions: current %+v, :1 %+v", cur, old)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/host:9")})
	apitest.WantCodeIn(t, err, "ParameterVersionNotFound", "version 9")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nope")})
	apitest.WantCodeIn(t, err, "ParameterNotFound", "/nope")

	gs := apitest.Must(c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/db/host", "/missing", "hosts", "/app/db/host:7",
		"arn:aws:ssm:us-east-1:000000000000:parameter/app/db/password"}, WithDecryption: aws.Bool(true)}))(t)
	var got []string
	for _, p := range gs.Parameters {
		got = append(got, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
	}
	if !slices.Equal(got, []string{"/app/db/host=db2", "hosts=a,b,c", "/app/db/password=s3cr3t"}) || !slices.Equal(gs.InvalidParameters, []string{"/missing", "/app/db/host:7"}) {
		t.Fatalf("GetParameters: %v invalid %v", got, gs.InvalidParameters)
	}
}

func TestPutErrors(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	put(t, c, "/p", "v", types.ParameterTypeString)
	tests := []struct {
		name      string
		in        ssm.PutParameterInput
		code, msg string
	}{
		{"aws prefix", ssm.PutParameterInput{Name: aws.String("/aws/x"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException", `prefixed with "aws"`},
		{"ssm prefix", ssm.PutParameterInput{Name: aws.String("SSM-x"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException", `"ssm"`},
		{"bad character", ssm.PutParameterInput{Name: aws.String("/a b"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException", "sub-paths"},
		{"not fully qualified", ssm.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException", "fully qualified"},
		{"too deep", ssm.PutParameterInput{Name: aws.String(strings.Repeat("/a", 16)), Value: aws.String("v"), Type: types.ParameterTypeString}, "HierarchyLevelLimitExceededException", "15"},
		{"no type", ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v")}, "ValidationException", "type is required"},
		{"bad type", ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: "Number"}, "ValidationException", "Type"},
		{"tags with overwrite", ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("v"), Overwrite: aws.Bool(true),
			Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}, "ValidationException", "tags and overwrite"},
		{"pattern", ssm.PutParameterInput{Name: aws.String("/n"), Value: aws.String("12a"), Type: types.ParameterTypeString, AllowedPattern: aws.String(`\d+`)},
			"ParameterPatternMismatchException", `\d+`},
		{"bad pattern", ssm.PutParameterInput{Name: aws.String("/n"), Value: aws.String("1"), Type: types.ParameterTypeString, AllowedPattern: aws.String(`(`)},
			"InvalidAllowedPatternException", "regular expression"},
		{"too long", ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String(strings.Repeat("x", 4097)), Type: types.ParameterTypeString},
			"ValidationException", "4096"},
		{"key id on String", ssm.PutParameterInput{Name: aws.String("/k"), Value: aws.String("v"), Type: types.ParameterTypeString, KeyId: aws.String("alias/x")},
			"ValidationException", "SecureString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutParameter(ctx, &tt.in)
			apitest.WantCodeIn(t, err, tt.code, tt.msg)
		})
	}
	// Advanced holds up to 8 KiB; the pattern matches the whole value.
	put(t, c, "/big", strings.Repeat("x", 5000), types.ParameterTypeString, func(in *ssm.PutParameterInput) { in.Tier = types.ParameterTierAdvanced })
	put(t, c, "/n", "123", types.ParameterTypeString, func(in *ssm.PutParameterInput) { in.AllowedPattern = aws.String(`\d+`) })
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/n"), Value: aws.String("x"), Overwrite: aws.Bool(true)})
	apitest.WantCodeIn(t, err, "ParameterPatternMismatchException", `\d+`)
}

func TestByPath(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	for _, n := range []string{"/svc/a", "/svc/b", "/svc/c", "/svc/deep/x", "/svc/deep/y/z", "/svcx/no", "/other/q", "plain"} {
		typ := types.ParameterTypeString
		if strings.HasSuffix(n, "b") || strings.HasSuffix(n, "x") {
			typ = types.ParameterTypeSecureString
		}
		put(t, c, n, "value of "+n, typ)
	}
	names := func(in *ssm.GetParametersByPathInput) []string {
		t.Helper()
		var out []string
		p := ssm.NewGetParametersByPathPaginator(c, in)
		for p.HasMorePages() {
			page := apitest.Must(p.NextPage(ctx))(t)
			for _, prm := range page.Parameters {
				out = append(out, aws.ToString(prm.Name))
				if in.WithDecryption != nil && aws.ToString(prm.Value) != "value of "+aws.ToString(prm.Name) {
					t.Fatalf("%s = %q", aws.ToString(prm.Name), aws.ToString(prm.Value))
				}
			}
		}
		return out
	}
	tests := []struct {
		name string
		in   *ssm.GetParametersByPathInput
		want []string
	}{
		{"one level", &ssm.GetParametersByPathInput{Path: aws.String("/svc")}, []string{"/svc/a", "/svc/b", "/svc/c"}},
		{"trailing slash", &ssm.GetParametersByPathInput{Path: aws.String("/svc/")}, []string{"/svc/a", "/svc/b", "/svc/c"}},
		{"recursive, paged by 2", &ssm.GetParametersByPathInput{Path: aws.String("/svc"), Recursive: aws.Bool(true), MaxResults: aws.Int32(2), WithDecryption: aws.Bool(true)},
			[]string{"/svc/a", "/svc/b", "/svc/c", "/svc/deep/x", "/svc/deep/y/z"}},
		{"root", &ssm.GetParametersByPathInput{Path: aws.String("/")}, nil},
		{"root recursive", &ssm.GetParametersByPathInput{Path: aws.String("/"), Recursive: aws.Bool(true)},
			[]string{"/other/q", "/svc/a", "/svc/b", "/svc/c", "/svc/deep/x", "/svc/deep/y/z", "/svcx/no"}},
		{"type filter", &ssm.GetParametersByPathInput{Path: aws.String("/svc"), Recursive: aws.Bool(true),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"SecureString"}}}}, []string{"/svc/b", "/svc/deep/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	_, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("svc")})
	apitest.WantCodeIn(t, err, "ValidationException", "forward slash")
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/svc"), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Values: []string{"x"}}}})
	apitest.WantCodeIn(t, err, "InvalidFilterKey", "") // the model gives this error no message member
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/svc"), NextToken: aws.String("bogus")})
	apitest.WantCodeIn(t, err, "InvalidNextToken", "nextToken")
	// Without decryption a SecureString's value is ciphertext.
	page := apitest.Must(c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/svc")}))(t)
	for _, p := range page.Parameters {
		if aws.ToString(p.Name) == "/svc/b" && strings.Contains(aws.ToString(p.Value), "value of") {
			t.Fatalf("SecureString in clear without WithDecryption: %q", aws.ToString(p.Value))
		}
	}
}

func TestDescribe(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	for i := range 5 {
		put(t, c, fmt.Sprintf("/team/p%d", i), "v", types.ParameterTypeString, func(in *ssm.PutParameterInput) {
			in.Description = aws.String("param")
			in.Tags = []types.Tag{{Key: aws.String("env"), Value: aws.String([]string{"prod", "dev"}[i%2])}}
		})
	}
	put(t, c, "/team/sub/s", "v", types.ParameterTypeSecureString)
	put(t, c, "top", "v", types.ParameterTypeStringList)
	names := func(in *ssm.DescribeParametersInput) []string {
		t.Helper()
		var out []string
		p := ssm.NewDescribeParametersPaginator(c, in)
		for p.HasMorePages() {
			for _, m := range apitest.Must(p.NextPage(ctx))(t).Parameters {
				out = append(out, aws.ToString(m.Name))
			}
		}
		return out
	}
	f := func(key, opt string, values ...string) []types.ParameterStringFilter {
		sf := types.ParameterStringFilter{Key: aws.String(key), Values: values}
		if opt != "" {
			sf.Option = aws.String(opt)
		}
		return []types.ParameterStringFilter{sf}
	}
	tests := []struct {
		name string
		in   *ssm.DescribeParametersInput
		want []string
	}{
		{"all, paged by 3", &ssm.DescribeParametersInput{MaxResults: aws.Int32(3)}, []string{"/team/p0", "/team/p1", "/team/p2", "/team/p3", "/team/p4", "/team/sub/s", "top"}},
		{"name equals", &ssm.DescribeParametersInput{ParameterFilters: f("Name", "", "top")}, []string{"top"}},
		{"name begins with", &ssm.DescribeParametersInput{ParameterFilters: f("Name", "BeginsWith", "/team/p")}, []string{"/team/p0", "/team/p1", "/team/p2", "/team/p3", "/team/p4"}},
		{"name contains", &ssm.DescribeParametersInput{ParameterFilters: f("Name", "Contains", "sub")}, []string{"/team/sub/s"}},
		{"type", &ssm.DescribeParametersInput{ParameterFilters: f("Type", "", "SecureString", "StringList")}, []string{"/team/sub/s", "top"}},
		{"path one level", &ssm.DescribeParametersInput{ParameterFilters: f("Path", "", "/team/sub")}, []string{"/team/sub/s"}},
		{"path recursive", &ssm.DescribeParametersInput{ParameterFilters: f("Path", "Recursive", "/team")}, []string{"/team/p0", "/team/p1", "/team/p2", "/team/p3", "/team/p4", "/team/sub/s"}},
		{"tag", &ssm.DescribeParametersInput{ParameterFilters: f("tag:env", "", "dev")}, []string{"/team/p1", "/team/p3"}},
		{"legacy name filter", &ssm.DescribeParametersInput{Filters: []types.ParametersFilter{{Key: types.ParametersFilterKeyName, Values: []string{"to"}}}}, []string{"top"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	m := apitest.Must(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: f("Name", "", "/team/sub/s")}))(t).Parameters[0]
	if m.Type != types.ParameterTypeSecureString || aws.ToString(m.KeyId) != "alias/aws/ssm" || m.Version != 1 || m.Tier != types.ParameterTierStandard ||
		aws.ToString(m.LastModifiedUser) != "arn:aws:iam::000000000000:root" || aws.ToString(m.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/team/sub/s" {
		t.Fatalf("metadata %+v", m)
	}
	_, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: f("Colour", "", "x")})
	apitest.WantCodeIn(t, err, "ValidationException", "ParameterFilters.1.Key")
	_, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: f("Type", "BeginsWith", "S")})
	apitest.WantCodeIn(t, err, "InvalidFilterOption", "BeginsWith")
	_, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: f("Type", "")})
	apitest.WantCodeIn(t, err, "InvalidFilterValue", "Type")
}

func TestDeleteHistoryLabelsTags(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	put(t, c, "/h", "one", types.ParameterTypeSecureString)
	put(t, c, "/h", "two", "", overwrite)
	put(t, c, "/h", "three", "", overwrite, func(in *ssm.PutParameterInput) { in.Description = aws.String("third") })

	hist := apitest.Must(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/h"), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(2)}))(t)
	if len(hist.Parameters) != 2 || aws.ToString(hist.Parameters[0].Value) != "one" || hist.NextToken == nil {
		t.Fatalf("history page 1: %+v", hist)
	}
	hist = apitest.Must(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/h"), WithDecryption: aws.Bool(true), NextToken: hist.NextToken}))(t)
	if len(hist.Parameters) != 1 || aws.ToString(hist.Parameters[0].Value) != "three" || aws.ToString(hist.Parameters[0].Description) != "third" || hist.NextToken != nil {
		t.Fatalf("history page 2: %+v", hist)
	}

	lab := apitest.Must(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/h"), ParameterVersion: aws.Int64(1), Labels: []string{"stable", "aws-bad", "9lives"}}))(t)
	if lab.ParameterVersion != 1 || !slices.Equal(lab.InvalidLabels, []string{"aws-bad", "9lives"}) {
		t.Fatalf("LabelParameterVersion: %+v", lab)
	}
	p := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/h:stable"), WithDecryption: aws.Bool(true)}))(t).Parameter
	if aws.ToString(p.Value) != "one" || aws.ToString(p.Selector) != ":stable" {
		t.Fatalf("by label: %+v", p)
	}
	apitest.Must(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/h"), Labels: []string{"stable"}}))(t)
	if p := apitest.Must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/h:stable"), WithDecryption: aws.Bool(true)}))(t).Parameter; aws.ToString(p.Value) != "three" {
		t.Fatalf("moved label: %+v", p)
	}
	_, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/h"), ParameterVersion: aws.Int64(8), Labels: []string{"x"}})
	apitest.WantCodeIn(t, err, "ParameterVersionNotFound", "version 8")

	apitest.Must(c.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/h"),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))(t)
	apitest.Must(c.RemoveTagsFromResource(ctx, &ssm.RemoveTagsFromResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/h"), TagKeys: []string{"a"}}))(t)
	tags := apitest.Must(c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/h")}))(t).TagList
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "b" {
		t.Fatalf("tags %+v", tags)
	}
	_, err = c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/nope")})
	apitest.WantCodeIn(t, err, "InvalidResourceId", "")
	_, err = c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingDocument, ResourceId: aws.String("/h")})
	apitest.WantCodeIn(t, err, "InvalidResourceType", "")

	apitest.Must(c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/h")}))(t)
	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/h")})
	apitest.WantCodeIn(t, err, "ParameterNotFound", "/h")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/h")})
	apitest.WantCodeIn(t, err, "ParameterNotFound", "/h")
	// A new parameter of the same name starts again at version 1.
	if v := put(t, c, "/h", "again", types.ParameterTypeString); v != 1 {
		t.Fatalf("recreated at version %d", v)
	}
	put(t, c, "/d1", "v", types.ParameterTypeString)
	del := apitest.Must(c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/d1", "/h", "/none"}}))(t)
	if !slices.Equal(del.DeletedParameters, []string{"/d1", "/h"}) || !slices.Equal(del.InvalidParameters, []string{"/none"}) {
		t.Fatalf("DeleteParameters: %+v", del)
	}
}

func TestRegionsAndNoPlaintextOnDisk(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	east, west := client(w, "us-east-1"), client(w, "eu-west-1")
	put(t, west, "/r", "west-canary-b71c04", types.ParameterTypeSecureString)
	put(t, west, "/s", "plain-canary-0be3d9", types.ParameterTypeString)
	_, err := east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/r")})
	apitest.WantCodeIn(t, err, "ParameterNotFound", "/r")
	_, err = east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("arn:aws:ssm:eu-west-1:000000000000:parameter/r")})
	apitest.WantCodeIn(t, err, "ParameterNotFound", "/r")
	if p := apitest.Must(west.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/r")}))(t).Parameter; !strings.HasPrefix(aws.ToString(p.ARN), "arn:aws:ssm:eu-west-1:") {
		t.Fatalf("ARN %s", aws.ToString(p.ARN))
	}
	w.Stop()
	apitest.NotOnDisk(t, w.DataDir, "west-canary-b71c04", "plain-canary-0be3d9")
	w.Start()
	west = client(w, "eu-west-1")
	if p := apitest.Must(west.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/r"), WithDecryption: aws.Bool(true)}))(t).Parameter; aws.ToString(p.Value) != "west-canary-b71c04" {
		t.Fatalf("after restart: %q", aws.ToString(p.Value))
	}
}

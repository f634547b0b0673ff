package secretsmanager_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func client(w *wharftest.Wharf, region string) *sm.Client {
	return apitest.Client(w, region, sm.NewFromConfig)
}

var arnRE = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:db/password-[A-Za-z0-9]{6}$`)

func TestCreateGetDescribe(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	cr := apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db/password"), SecretString: aws.String("hunter2"),
		Description: aws.String("the db"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}))(t)
	arn := aws.ToString(cr.ARN)
	if !arnRE.MatchString(arn) || aws.ToString(cr.Name) != "db/password" || aws.ToString(cr.VersionId) == "" {
		t.Fatalf("CreateSecret: arn %s name %s version %s", arn, aws.ToString(cr.Name), aws.ToString(cr.VersionId))
	}
	for name, id := range map[string]string{"name": "db/password", "arn": arn, "partial arn": strings.TrimSuffix(arn, arn[len(arn)-7:])} {
		t.Run(name, func(t *testing.T) {
			got := apitest.Must(c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(id)}))(t)
			if aws.ToString(got.SecretString) != "hunter2" || aws.ToString(got.ARN) != arn || aws.ToString(got.VersionId) != aws.ToString(cr.VersionId) ||
				!slices.Equal(got.VersionStages, []string{"AWSCURRENT"}) || got.CreatedDate == nil {
				t.Fatalf("GetSecretValue(%s): %+v", id, got)
			}
		})
	}
	d := apitest.Must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String(arn)}))(t)
	if aws.ToString(d.Name) != "db/password" || aws.ToString(d.Description) != "the db" || len(d.Tags) != 1 ||
		!slices.Equal(d.VersionIdsToStages[aws.ToString(cr.VersionId)], []string{"AWSCURRENT"}) || d.CreatedDate == nil ||
		d.LastChangedDate == nil || d.LastAccessedDate == nil || d.DeletedDate != nil {
		t.Fatalf("DescribeSecret: %+v", d)
	}

	bin := apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("cert"), SecretBinary: []byte{0, 1, 2, 255}}))(t)
	gb := apitest.Must(c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: bin.ARN}))(t)
	if !bytes.Equal(gb.SecretBinary, []byte{0, 1, 2, 255}) || gb.SecretString != nil {
		t.Fatalf("binary secret: %+v", gb)
	}

	// A secret without a value has no version yet.
	apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("empty")}))(t)
	_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("empty")})
	apitest.WantCodeIn(t, err, "ResourceNotFoundException", "staging label: AWSCURRENT")
}

func TestErrors(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("x"), SecretString: aws.String("v")}))(t)
	tests := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"get missing", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "can't find the specified secret"},
		{"get wrong suffix", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:000000000000:secret:x-AAAAAA")})
			return err
		}, "ResourceNotFoundException", "can't find"},
		{"get missing version", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("x"), VersionId: aws.String(strings.Repeat("a", 32))})
			return err
		}, "ResourceNotFoundException", "VersionId"},
		{"get missing stage", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("x"), VersionStage: aws.String("AWSPREVIOUS")})
			return err
		}, "ResourceNotFoundException", "AWSPREVIOUS"},
		{"create exists", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("x"), SecretString: aws.String("v")})
			return err
		}, "ResourceExistsException", "already exists"},
		{"bad name", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("no spaces"), SecretString: aws.String("v")})
			return err
		}, "ValidationException", "Invalid name"},
		{"both values", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("y"), SecretString: aws.String("v"), SecretBinary: []byte("v")})
			return err
		}, "InvalidParameterException", "both"},
		{"reserved tag", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("y"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
			return err
		}, "InvalidParameterException", "aws:"},
		{"put without value", func() error {
			_, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("x")})
			return err
		}, "InvalidParameterException", "SecretString or SecretBinary"},
		{"put missing", func() error {
			_, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("nope"), SecretString: aws.String("v")})
			return err
		}, "ResourceNotFoundException", "can't find"},
		{"short token", func() error {
			_, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("x"), SecretString: aws.String("v"), ClientRequestToken: aws.String("short")})
			return err
		}, "ValidationException", "ClientRequestToken"},
		{"window too short", func() error {
			_, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("x"), RecoveryWindowInDays: aws.Int64(6)})
			return err
		}, "InvalidParameterException", "between 7 and 30"},
		{"window too long", func() error {
			_, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("x"), RecoveryWindowInDays: aws.Int64(31)})
			return err
		}, "InvalidParameterException", "between 7 and 30"},
		{"window and force", func() error {
			_, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("x"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
			return err
		}, "InvalidParameterException", "ForceDeleteWithoutRecovery"},
		{"delete missing", func() error {
			_, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "can't find"},
		{"bad token", func() error {
			_, err := c.ListSecrets(ctx, &sm.ListSecretsInput{NextToken: aws.String("garbage")})
			return err
		}, "InvalidNextTokenException", "NextToken"},
		{"tag missing", func() error {
			_, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("nope"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "ResourceNotFoundException", "can't find"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { apitest.WantCodeIn(t, tt.call(), tt.code, tt.msg) })
	}
}

func TestIdempotentCreate(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	tok := "11111111-2222-3333-4444-555555555555"
	first := apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(tok)}))(t)
	again := apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(tok)}))(t)
	if aws.ToString(again.ARN) != aws.ToString(first.ARN) || aws.ToString(again.VersionId) != tok || aws.ToString(first.VersionId) != tok {
		t.Fatalf("retry answered %+v, first %+v", again, first)
	}
	_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(tok)})
	apitest.WantCodeIn(t, err, "ResourceExistsException", "different value")
	_, err = c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1")})
	apitest.WantCodeIn(t, err, "ResourceExistsException", "already exists")

	// The same for PutSecretValue: a retry is harmless, a changed value is refused.
	tok2 := "66666666-2222-3333-4444-555555555555"
	for range 2 {
		apitest.Must(c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(tok2)}))(t)
	}
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v3"), ClientRequestToken: aws.String(tok2)})
	apitest.WantCodeIn(t, err, "ResourceExistsException", "can't modify an existing version")
	vs := apitest.Must(c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("idem")}))(t)
	if len(vs.Versions) != 2 {
		t.Fatalf("versions after retries: %+v", vs.Versions)
	}
}

func TestRotationStages(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	v1 := aws.ToString(apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("rot"), SecretString: aws.String("one")}))(t).VersionId)
	p := apitest.Must(c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("rot"), SecretString: aws.String("two")}))(t)
	v2 := aws.ToString(p.VersionId)
	if !slices.Equal(p.VersionStages, []string{"AWSCURRENT"}) {
		t.Fatalf("PutSecretValue stages %v", p.VersionStages)
	}
	get := func(in *sm.GetSecretValueInput) string {
		t.Helper()
		in.SecretId = aws.String("rot")
		return aws.ToString(apitest.Must(c.GetSecretValue(ctx, in))(t).SecretString)
	}
	if got := get(&sm.GetSecretValueInput{}); got != "two" {
		t.Fatalf("AWSCURRENT = %q", got)
	}
	if got := get(&sm.GetSecretValueInput{VersionStage: aws.String("AWSPREVIOUS")}); got != "one" {
		t.Fatalf("AWSPREVIOUS = %q", got)
	}
	if got := get(&sm.GetSecretValueInput{VersionId: aws.String(v1)}); got != "one" {
		t.Fatalf("by VersionId = %q", got)
	}
	_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("rot"), VersionId: aws.String(v1), VersionStage: aws.String("AWSCURRENT")})
	apitest.WantCodeIn(t, err, "ResourceNotFoundException", "staging label: AWSCURRENT")

	u := apitest.Must(c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("rot"), SecretString: aws.String("three"), Description: aws.String("d")}))(t)
	v3 := aws.ToString(u.VersionId)
	d := apitest.Must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("rot")}))(t)
	want := map[string][]string{v3: {"AWSCURRENT"}, v2: {"AWSPREVIOUS"}}
	if len(d.VersionIdsToStages) != 2 || !slices.Equal(d.VersionIdsToStages[v3], want[v3]) || !slices.Equal(d.VersionIdsToStages[v2], want[v2]) || aws.ToString(d.Description) != "d" {
		t.Fatalf("VersionIdsToStages %v (v1 %s v2 %s v3 %s)", d.VersionIdsToStages, v1, v2, v3)
	}
	all := apitest.Must(c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("rot"), IncludeDeprecated: aws.Bool(true)}))(t)
	labelled := apitest.Must(c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("rot")}))(t)
	if len(all.Versions) != 3 || len(labelled.Versions) != 2 || aws.ToString(all.Versions[0].VersionId) != v3 {
		t.Fatalf("ListSecretVersionIds: all %d labelled %d", len(all.Versions), len(labelled.Versions))
	}

	// Roll back by moving AWSCURRENT to v1.
	_, err = c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{SecretId: aws.String("rot"), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v1)})
	apitest.WantCodeIn(t, err, "InvalidParameterException", "RemoveFromVersionId")
	apitest.Must(c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{SecretId: aws.String("rot"), VersionStage: aws.String("AWSCURRENT"),
		MoveToVersionId: aws.String(v1), RemoveFromVersionId: aws.String(v3)}))(t)
	if got := get(&sm.GetSecretValueInput{}); got != "one" {
		t.Fatalf("after the move AWSCURRENT = %q", got)
	}
	if got := get(&sm.GetSecretValueInput{VersionStage: aws.String("AWSPREVIOUS")}); got != "three" {
		t.Fatalf("after the move AWSPREVIOUS = %q", got)
	}
}

func TestListSecrets(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	for i := range 7 {
		team := []string{"core", "web"}[i%2]
		apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(fmt.Sprintf("app/s%d", i)), SecretString: aws.String("v"),
			Description: aws.String("Service " + team), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}))(t)
	}
	apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("other"), SecretString: aws.String("v")}))(t)
	apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("gone"), SecretString: aws.String("v")}))(t)
	apitest.Must(c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("gone")}))(t)

	names := func(in *sm.ListSecretsInput) []string {
		t.Helper()
		var out []string
		p := sm.NewListSecretsPaginator(c, in)
		for p.HasMorePages() {
			page := apitest.Must(p.NextPage(ctx))(t)
			if in.MaxResults != nil && len(page.SecretList) > int(*in.MaxResults) {
				t.Fatalf("page of %d > MaxResults %d", len(page.SecretList), *in.MaxResults)
			}
			for _, e := range page.SecretList {
				out = append(out, aws.ToString(e.Name))
			}
		}
		return out
	}
	filter := func(key types.FilterNameStringType, values ...string) []types.Filter {
		return []types.Filter{{Key: key, Values: values}}
	}
	tests := []struct {
		name string
		in   *sm.ListSecretsInput
		want []string
	}{
		{"all, paged by 3", &sm.ListSecretsInput{MaxResults: aws.Int32(3)}, []string{"app/s0", "app/s1", "app/s2", "app/s3", "app/s4", "app/s5", "app/s6", "other"}},
		{"descending", &sm.ListSecretsInput{MaxResults: aws.Int32(5), SortOrder: types.SortOrderTypeDesc}, []string{"other", "app/s6", "app/s5", "app/s4", "app/s3", "app/s2", "app/s1", "app/s0"}},
		{"name prefix", &sm.ListSecretsInput{Filters: filter(types.FilterNameStringTypeName, "app/s1", "oth")}, []string{"app/s1", "other"}},
		{"name is case-sensitive", &sm.ListSecretsInput{Filters: filter(types.FilterNameStringTypeName, "APP")}, nil},
		{"negated name", &sm.ListSecretsInput{Filters: filter(types.FilterNameStringTypeName, "!app")}, []string{"other"}},
		{"tag value", &sm.ListSecretsInput{Filters: filter(types.FilterNameStringTypeTagValue, "web")}, []string{"app/s1", "app/s3", "app/s5"}},
		{"tag key and value", &sm.ListSecretsInput{Filters: append(filter(types.FilterNameStringTypeTagKey, "team"), types.Filter{Key: types.FilterNameStringTypeTagValue, Values: []string{"core"}})},
			[]string{"app/s0", "app/s2", "app/s4", "app/s6"}},
		{"description ignores case", &sm.ListSecretsInput{Filters: filter(types.FilterNameStringTypeDescription, "service w")}, []string{"app/s1", "app/s3", "app/s5"}},
		{"all fields", &sm.ListSecretsInput{Filters: filter(types.FilterNameStringTypeAll, "oth")}, []string{"other"}},
		{"planned deletion", &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true), Filters: filter(types.FilterNameStringTypeName, "go")}, []string{"gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	page := apitest.Must(c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(1), Filters: filter(types.FilterNameStringTypeName, "other")}))(t)
	e := page.SecretList[0]
	if len(e.SecretVersionsToStages) != 1 || e.CreatedDate == nil || page.NextToken != nil {
		t.Fatalf("entry %+v, next %v", e, page.NextToken)
	}
}

func TestTags(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	arn := apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("t"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}))(t).ARN
	apitest.Must(c.TagResource(ctx, &sm.TagResourceInput{SecretId: arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("2")}, {Key: aws.String("b"), Value: aws.String("3")}}}))(t)
	apitest.Must(c.UntagResource(ctx, &sm.UntagResourceInput{SecretId: arn, TagKeys: []string{"b", "nope"}}))(t)
	d := apitest.Must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: arn}))(t)
	if len(d.Tags) != 1 || aws.ToString(d.Tags[0].Key) != "a" || aws.ToString(d.Tags[0].Value) != "2" {
		t.Fatalf("tags %+v", d.Tags)
	}
}

func TestDeleteAndRestore(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	arn := aws.ToString(apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("d"), SecretString: aws.String("v")}))(t).ARN)
	del := apitest.Must(c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("d"), RecoveryWindowInDays: aws.Int64(7)}))(t)
	if aws.ToString(del.ARN) != arn || del.DeletionDate == nil {
		t.Fatalf("DeleteSecret %+v", del)
	}
	d := apitest.Must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("d")}))(t)
	if d.DeletedDate == nil || del.DeletionDate.Sub(*d.DeletedDate).Hours() != 7*24 {
		t.Fatalf("scheduled: DeletedDate %v DeletionDate %v", d.DeletedDate, del.DeletionDate)
	}
	_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("d")})
	apitest.WantCodeIn(t, err, "InvalidRequestException", "marked for deletion")
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("d"), SecretString: aws.String("v2")})
	apitest.WantCodeIn(t, err, "InvalidRequestException", "marked for deletion")
	_, err = c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("d")})
	apitest.WantCodeIn(t, err, "InvalidRequestException", "already scheduled")
	_, err = c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("d"), SecretString: aws.String("v")})
	apitest.WantCodeIn(t, err, "InvalidRequestException", "scheduled for deletion")

	apitest.Must(c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: aws.String(arn)}))(t)
	if got := apitest.Must(c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("d")}))(t); aws.ToString(got.SecretString) != "v" {
		t.Fatalf("after restore: %+v", got)
	}

	// Without recovery: gone at once, and the name is free again.
	apitest.Must(c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("d"), ForceDeleteWithoutRecovery: aws.Bool(true)}))(t)
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("d")})
	apitest.WantCodeIn(t, err, "ResourceNotFoundException", "can't find")
	again := apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("d"), SecretString: aws.String("new")}))(t)
	if aws.ToString(again.ARN) == arn {
		t.Fatal("a new secret of the same name got the old ARN")
	}
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(arn)})
	apitest.WantCodeIn(t, err, "ResourceNotFoundException", "can't find")
}

func TestRegionsAreSeparate(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	east, west := client(w, "us-east-1"), client(w, "eu-west-1")
	arn := aws.ToString(apitest.Must(west.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("r"), SecretString: aws.String("west")}))(t).ARN)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:eu-west-1:000000000000:secret:r-") {
		t.Fatalf("ARN %s", arn)
	}
	_, err := east.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("r")})
	apitest.WantCodeIn(t, err, "ResourceNotFoundException", "can't find")
	_, err = east.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(arn)})
	apitest.WantCodeIn(t, err, "ResourceNotFoundException", "can't find")
	apitest.Must(east.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("r"), SecretString: aws.String("east")}))(t)
}

// TestNoPlaintextOnDisk stores values, stops wharf, and looks through
// every file of the data dir for them.
func TestNoPlaintextOnDisk(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	values := []string{"plaintext-canary-7f3a9c", "rotated-canary-18be22"}
	apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("canary"), SecretString: aws.String(values[0])}))(t)
	apitest.Must(c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("canary"), SecretString: aws.String(values[1])}))(t)
	apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("bin"), SecretBinary: []byte("binary-canary-5d01e7")}))(t)
	values = append(values, "binary-canary-5d01e7")
	w.Stop()
	apitest.NotOnDisk(t, w.DataDir, values...)
	w.Start()
	c = client(w, "us-east-1")
	if got := apitest.Must(c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("canary")}))(t); aws.ToString(got.SecretString) != values[1] {
		t.Fatalf("after restart: %q", aws.ToString(got.SecretString))
	}
}

func TestResourcePolicyAndRandomPassword(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	arn := apitest.Must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("p"), SecretString: aws.String("v")}))(t).ARN
	pol := apitest.Must(c.GetResourcePolicy(ctx, &sm.GetResourcePolicyInput{SecretId: aws.String("p")}))(t)
	if aws.ToString(pol.ARN) != aws.ToString(arn) || pol.ResourcePolicy != nil {
		t.Fatalf("GetResourcePolicy %+v", pol)
	}
	_, err := c.GetResourcePolicy(ctx, &sm.GetResourcePolicyInput{SecretId: aws.String("nope")})
	apitest.WantCodeIn(t, err, "ResourceNotFoundException", "can't find")

	pw := aws.ToString(apitest.Must(c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{}))(t).RandomPassword)
	if len(pw) != 32 || !strings.ContainsAny(pw, "0123456789") || !strings.ContainsAny(pw, "abcdefghijklmnopqrstuvwxyz") || !strings.ContainsAny(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t.Fatalf("default password %q", pw)
	}
	pw = aws.ToString(apitest.Must(c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{PasswordLength: aws.Int64(12), ExcludePunctuation: aws.Bool(true),
		ExcludeUppercase: aws.Bool(true), ExcludeCharacters: aws.String("abc")}))(t).RandomPassword)
	if len(pw) != 12 || strings.ContainsAny(pw, "abcABCXYZ!#%") {
		t.Fatalf("restricted password %q", pw)
	}
	_, err = c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{ExcludeLowercase: aws.Bool(true), ExcludeUppercase: aws.Bool(true),
		ExcludeNumbers: aws.Bool(true), ExcludePunctuation: aws.Bool(true)})
	apitest.WantCodeIn(t, err, "InvalidParameterException", "excludes every character")
}

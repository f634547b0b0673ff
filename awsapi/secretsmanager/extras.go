package secretsmanager

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"

	smt "github.com/wharfhq/wharf/api/secretsmanagertypes"
	"github.com/wharfhq/wharf/awsapi"
)

// GetResourcePolicy answers a secret's resource policy: wharf keeps none
// (it does not enforce IAM), so the answer names the secret only, as AWS
// answers for a secret without a policy. Terraform reads it on refresh.
func (a *API) GetResourcePolicy(ctx context.Context, in *smt.GetResourcePolicyRequest) (*smt.GetResourcePolicyResponse, error) {
	rec, err := a.read(ctx, "GetResourcePolicy", awsapi.Deref(in.SecretId))
	if err != nil {
		return nil, err
	}
	return &smt.GetResourcePolicyResponse{ARN: new(rec.ARN), Name: new(rec.Name)}, nil
}

// Character classes of GetRandomPassword.
const (
	lower       = "abcdefghijklmnopqrstuvwxyz"
	upper       = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// GetRandomPassword makes a random password from crypto/rand: 32
// characters by default, with at least one of each included kind unless
// RequireEachIncludedType is false.
func (a *API) GetRandomPassword(_ context.Context, in *smt.GetRandomPasswordRequest) (*smt.GetRandomPasswordResponse, error) {
	n := 32
	if in.PasswordLength != nil {
		n = int(*in.PasswordLength)
	}
	drop := func(s string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(awsapi.Deref(in.ExcludeCharacters), r) {
				return -1
			}
			return r
		}, s)
	}
	var classes []string
	for _, c := range []struct {
		set     string
		exclude *bool
	}{{lower, in.ExcludeLowercase}, {upper, in.ExcludeUppercase}, {digits, in.ExcludeNumbers}, {punctuation, in.ExcludePunctuation}} {
		if !awsapi.Deref(c.exclude) {
			if s := drop(c.set); s != "" {
				classes = append(classes, s)
			}
		}
	}
	if awsapi.Deref(in.IncludeSpace) {
		classes = append(classes, " ")
	}
	if len(classes) == 0 {
		return nil, invalidParam("The request excludes every character: include at least one kind of character.")
	}
	each := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	if each && n < len(classes) {
		return nil, invalidParam("A password of %d characters cannot include each of the %d kinds of character required.", n, len(classes))
	}
	all := strings.Join(classes, "")
	out := make([]byte, n)
	for i := range out {
		out[i] = all[randInt(len(all))]
	}
	if each {
		// Put one of each kind at distinct random places.
		places := make([]int, n)
		for i := range places {
			places[i] = i
		}
		for i, c := range classes {
			j := i + randInt(n-i)
			places[i], places[j] = places[j], places[i]
			out[places[i]] = c[randInt(len(c))]
		}
	}
	return &smt.GetRandomPasswordResponse{RandomPassword: new(string(out))}, nil
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return int(v.Int64())
}

package awsapi

import (
	"context"
	"time"
)

// Principal types, as IAM's policy variables and STS's
// GetCallerIdentity tell them apart.
const (
	PrincipalRoot        = "Root"
	PrincipalUser        = "User"
	PrincipalAssumedRole = "AssumedRole"
)

// Principal is an identity wharf vouches for: the account's root user, an
// IAM user, or a role session (a task's role credentials, an AssumeRole).
type Principal struct {
	// ARN names the caller: arn:aws:iam::ACCOUNT:root, …:user/NAME, or as
	// STS names an assumed role arn:aws:sts::ACCOUNT:assumed-role/ROLE-NAME/SESSION.
	ARN string
	// RoleARN is the IAM role of a role session: arn:aws:iam::ACCOUNT:role/ROLE-NAME.
	RoleARN string
	// Account is the principal's account.
	Account string
	// TaskARN is the task a role session's credentials were minted for.
	TaskARN string
	// Type is PrincipalRoot, PrincipalUser or PrincipalAssumedRole.
	Type string
	// UserName is an IAM user's name.
	UserName string
	// AccessKey is the access key the call was signed with.
	AccessKey string
	// Tags are the principal's tags (aws:PrincipalTag).
	Tags map[string]string
	// SessionExpiry is when a role session's credentials expire (zero for
	// long-term keys).
	SessionExpiry time.Time
}

// RootPrincipal is the account's root user.
func RootPrincipal(account, accessKey string) *Principal {
	return &Principal{ARN: "arn:aws:iam::" + account + ":root", Account: account, Type: PrincipalRoot, AccessKey: accessKey}
}

// Credential is what a signed call says about its signer.
type Credential struct {
	AccessKey    string
	SessionToken string // X-Amz-Security-Token, "" when absent
}

// KeyResolver finds an access key's secret and whose it is. It answers
// ("", nil, nil) for a key it does not know (the next resolver is asked);
// the secret and principal for one it knows; an *Error to refuse the call
// outright (an expired session, a session token that is not the key's:
// ExpiredTokenException, UnrecognizedClientException), which the front
// door translates to the Query protocol's codes. A resolver checks the
// session token: a long-term key sent with one, or a session key with a
// wrong one, is refused. Any other error answers InternalFailure.
type KeyResolver func(ctx context.Context, cred Credential) (secret string, p *Principal, err error)

// AddKeyResolver adds r after the resolvers already installed; a signed
// call's key is looked up in each, in order, until one knows it.
func (s *Server) AddKeyResolver(r KeyResolver) { s.resolvers = append(s.resolvers, r) }

// resolveKey asks each resolver in turn.
func (s *Server) resolveKey(ctx context.Context, cred Credential) (string, *Principal, error) {
	for _, r := range s.resolvers {
		secret, p, err := r(ctx, cred)
		if err != nil || p != nil {
			return secret, p, err
		}
	}
	return "", nil, nil
}

// CallerARN is the ARN AWS reports as the caller of a request (the
// principal that signed it, or the account's root user when auth is off
// and wharf does not know the key), as in SSM's LastModifiedUser.
func CallerARN(ctx context.Context) string {
	r := RequestFrom(ctx)
	if r.Principal != nil {
		return r.Principal.ARN
	}
	return "arn:aws:iam::" + r.Account + ":root"
}

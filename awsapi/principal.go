package awsapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Principal is an identity wharf vouches for: the role whose credentials
// wharf minted for a task (its task role or its execution role).
type Principal struct {
	// ARN names the caller as STS names an assumed role:
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE-NAME/SESSION.
	ARN string
	// RoleARN is the IAM role: arn:aws:iam::ACCOUNT:role/ROLE-NAME.
	RoleARN string
	// Account is the role's account.
	Account string
	// TaskARN is the task the credentials were minted for.
	TaskARN string
	// Type is "Root", "User" or "AssumedRole" ("" reads as AssumedRole,
	// for the task credentials minted before it existed).
	Type string
	// UserName is an IAM user's name (Type "User").
	UserName string
	// AccessKey is the key the call was signed with.
	AccessKey string
	// Tags are the principal's tags (aws:PrincipalTag/…).
	Tags map[string]string
	// SessionExpiry is when temporary credentials expire (zero otherwise).
	SessionExpiry time.Time
}

// Credential is what a signed call says about its signer.
type Credential struct {
	AccessKey    string
	SessionToken string // X-Amz-Security-Token, "" when absent
}

// PrincipalResolver finds whose access key a call was signed with. It
// answers (nil, nil) for keys it does not know (any key works while auth
// is off), a principal for keys it minted, and an *Error to refuse the
// call (an expired key, a wrong session token).
type PrincipalResolver func(ctx context.Context, cred Credential) (*Principal, error)

// SetPrincipalResolver installs r for every later call.
func (s *Server) SetPrincipalResolver(r PrincipalResolver) { s.principals = r }

// resolvePrincipal fills req.Principal for a signed call; the error it
// returns is the answer to send instead.
func (s *Server) resolvePrincipal(r *http.Request, req *Request) *Error {
	if s.principals == nil || req.AccessKey == "" {
		return nil
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}
	p, err := s.principals(r.Context(), Credential{AccessKey: req.AccessKey, SessionToken: token})
	if err != nil {
		if e, ok := AsError(err); ok {
			return e
		}
		s.log.Error("resolve the caller's access key", "request_id", req.ID, "err", err)
		return internalError(req.ID)
	}
	if p != nil {
		req.Principal = p
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "caller", slog.String("request_id", req.ID),
			slog.String("access_key", req.AccessKey), slog.String("principal", p.ARN))
	}
	return nil
}

// CallerARN is the ARN AWS reports as the caller of a request (an
// assumed role, or the account's root user when wharf does not know the
// key), as in SSM's LastModifiedUser.
func CallerARN(ctx context.Context) string {
	r := RequestFrom(ctx)
	if r.Principal != nil {
		return r.Principal.ARN
	}
	return "arn:aws:iam::" + r.Account + ":root"
}

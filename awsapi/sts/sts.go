package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/api/ststypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/iampolicy"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/store"
)

// Role is what STS needs of an IAM role.
type Role struct {
	ARN, Name, ID string
	Trust         *iampolicy.Policy // nil when it does not parse
	MaxSession    int32             // seconds
}

// Directory is STS's view of IAM.
type Directory interface {
	// Role reads the role an ARN names.
	Role(ctx context.Context, arn string) (Role, bool, error)
	// UserID is a user's unique id (AIDA…).
	UserID(ctx context.Context, account, name string) (string, error)
}

// Config is what the API needs besides the store.
type Config struct {
	Dir     Directory
	Keyring *keyring.Keyring // seals the sessions' secrets
	Log     *slog.Logger
}

// API implements the STS operations and the session key resolver.
type API struct {
	awsapi.Base
	dir Directory
	kr  *keyring.Keyring
}

// New returns the STS API over db.
func New(db store.Backend, cfg Config) *API {
	return &API{Base: awsapi.NewBase(db, cfg.Log), dir: cfg.Dir, kr: cfg.Keyring}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.QueryService {
	return &awsapi.QueryService{
		SigningName:    ststypes.SigningName,
		Version:        ststypes.APIVersion,
		XMLNamespace:   ststypes.XMLNamespace,
		Errors:         ststypes.Errors,
		ValidationCode: awsapi.CodeValidationError,
		Known:          awsapi.KnownOperations(ststypes.Operations),
		Ops: map[string]awsapi.QueryHandler{
			"GetCallerIdentity": awsapi.Query(a.GetCallerIdentity),
			"AssumeRole":        awsapi.Query(a.AssumeRole),
			"GetSessionToken":   awsapi.Query(a.GetSessionToken),
		},
	}
}

const prefix = "wharf/sts/session/"

// session is one set of temporary credentials.
type session struct {
	AccessKeyID string            `json:"accessKeyId"`
	Sealed      string            `json:"sealed"`
	TokenHash   string            `json:"tokenHash"`
	Type        string            `json:"type"` // AssumedRole, User or Root
	ARN         string            `json:"arn"`  // the caller ARN the session acts as
	RoleARN     string            `json:"roleArn,omitempty"`
	RoleID      string            `json:"roleId,omitempty"`
	UserName    string            `json:"userName,omitempty"`
	Account     string            `json:"account"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Policy is AssumeRole's inline session policy ("" when none): the
	// session may do only what both it and the role's policies allow.
	Policy  string    `json:"policy,omitempty"`
	Expires time.Time `json:"expires"`
}

// caller is the principal of the call in ctx; with auth off an unknown
// key is the account's root user, as CallerARN says.
func caller(ctx context.Context) *awsapi.Principal {
	r := awsapi.RequestFrom(ctx)
	if r.Principal != nil {
		return r.Principal
	}
	return &awsapi.Principal{Type: "Root", ARN: "arn:aws:iam::" + r.Account + ":root", Account: r.Account}
}

// GetCallerIdentity says who signed the call.
func (a *API) GetCallerIdentity(ctx context.Context, _ *ststypes.GetCallerIdentityRequest) (*ststypes.GetCallerIdentityResponse, error) {
	p := caller(ctx)
	userID := p.Account
	switch p.Type {
	case "User":
		id, err := a.dir.UserID(ctx, p.Account, p.UserName)
		if err != nil && !awsapi.IsCode(err, "NoSuchEntity") {
			return nil, awsapi.Wrap("read the caller", err)
		}
		userID = id
	case "Root":
	default:
		session := p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]
		userID = a.roleID(ctx, p.RoleARN) + ":" + session
	}
	return &ststypes.GetCallerIdentityResponse{UserId: &userID, Account: &p.Account, Arn: &p.ARN}, nil
}

// roleID is a role's unique id, or (for a role IAM does not know, such as
// a task role named before IAM existed in wharf) a stable stand-in.
func (a *API) roleID(ctx context.Context, arn string) string {
	if r, ok, err := a.dir.Role(ctx, arn); err == nil && ok {
		return r.ID
	}
	sum := sha256.Sum256([]byte(arn))
	return "AROA" + strings.ToUpper(hex.EncodeToString(sum[:]))[:17]
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// AssumeRole issues credentials of a role whose trust policy allows the
// caller. With auth off, an unknown key calls as the account's root user,
// so a trust policy naming the account (or the root ARN) lets it in.
func (a *API) AssumeRole(ctx context.Context, r *ststypes.AssumeRoleRequest) (*ststypes.AssumeRoleResponse, error) {
	p := caller(ctx)
	roleARN, name := *r.RoleArn, *r.RoleSessionName
	if !sessionNameRE.MatchString(name) {
		return nil, awsapi.Errorf(awsapi.CodeValidationError, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name)
	}
	if r.Policy != nil {
		if _, err := iampolicy.Parse(*r.Policy, iampolicy.Identity); err != nil {
			return nil, &awsapi.Error{Code: "MalformedPolicyDocument", Message: err.Error()}
		}
	}
	deny := &awsapi.Error{Code: "AccessDenied", Status: 403,
		Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, roleARN)}
	role, ok, err := a.dir.Role(ctx, roleARN)
	if err != nil {
		return nil, awsapi.Wrap("read role", err)
	}
	if !ok || role.Trust == nil {
		return nil, deny
	}
	req := trustRequest(p)
	if r.ExternalId != nil {
		req.Set("sts:ExternalId", *r.ExternalId)
	}
	req.Set("aws:PrincipalArn", principalARN(p))
	req.Set("aws:PrincipalAccount", p.Account)
	for k, v := range p.Tags {
		req.Set("aws:PrincipalTag/"+k, v)
	}
	if role.Trust.Evaluate(req) != iampolicy.Allow {
		return nil, deny
	}
	maxDur := role.MaxSession
	if maxDur == 0 {
		maxDur = 3600
	}
	if p.Type != "User" && p.Type != "Root" {
		// Role chaining: AWS caps a chained session at one hour.
		maxDur = 3600
	}
	dur := int32(3600)
	if r.DurationSeconds != nil {
		dur = *r.DurationSeconds
	}
	if dur > maxDur {
		return nil, awsapi.Errorf(awsapi.CodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	tags := map[string]string{}
	for _, t := range r.Tags {
		tags[*t.Key] = *t.Value
	}
	s := session{Type: "AssumedRole", ARN: "arn:aws:sts::" + accountOf(role.ARN) + ":assumed-role/" + role.Name + "/" + name,
		RoleARN: role.ARN, RoleID: role.ID, Account: accountOf(role.ARN), Tags: tags, Policy: awsapi.Deref(r.Policy)}
	creds, err := a.issue(ctx, &s, time.Duration(dur)*time.Second)
	if err != nil {
		return nil, err
	}
	id := role.ID + ":" + name
	return &ststypes.AssumeRoleResponse{Credentials: creds, AssumedRoleUser: &ststypes.AssumedRoleUser{AssumedRoleId: &id, Arn: &s.ARN}}, nil
}

// trustRequest names the caller as a Principal element may: its ARN (a
// session also by its role's ARN) and its account.
func trustRequest(p *awsapi.Principal) *iampolicy.Request {
	r := &iampolicy.Request{Action: "sts:AssumeRole", PrincipalAccount: p.Account}
	switch p.Type {
	case "Root", "User":
		r.PrincipalARNs = []string{p.ARN}
	default:
		r.PrincipalARNs = []string{p.ARN, p.RoleARN}
	}
	return r
}

func principalARN(p *awsapi.Principal) string {
	if p.Type == "Root" || p.Type == "User" {
		return p.ARN
	}
	return p.RoleARN
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// GetSessionToken issues temporary credentials of the calling user (or
// root), refused to a caller that already holds session credentials.
func (a *API) GetSessionToken(ctx context.Context, r *ststypes.GetSessionTokenRequest) (*ststypes.GetSessionTokenResponse, error) {
	p := caller(ctx)
	if p.Type != "User" && p.Type != "Root" {
		return nil, &awsapi.Error{Code: "AccessDenied", Status: 403, Message: "Cannot call GetSessionToken with session credentials"}
	}
	if p.SessionExpiry != (time.Time{}) {
		return nil, &awsapi.Error{Code: "AccessDenied", Status: 403, Message: "Cannot call GetSessionToken with session credentials"}
	}
	dur := int32(43200)
	if r.DurationSeconds != nil {
		dur = *r.DurationSeconds
	}
	maxDur := int32(129600)
	if p.Type == "Root" {
		maxDur = 3600
	}
	if dur > maxDur {
		dur = maxDur
	}
	s := session{Type: p.Type, ARN: p.ARN, UserName: p.UserName, Account: p.Account, Tags: p.Tags}
	creds, err := a.issue(ctx, &s, time.Duration(dur)*time.Second)
	if err != nil {
		return nil, err
	}
	return &ststypes.GetSessionTokenResponse{Credentials: creds}, nil
}

// issue makes the keys of a session and stores it: the secret sealed, of
// the token only a hash.
func (a *API) issue(ctx context.Context, s *session, d time.Duration) (*ststypes.Credentials, error) {
	if a.kr == nil {
		return nil, &awsapi.Error{Code: awsapi.CodeServerException, Fault: awsapi.ServerFault,
			Message: "wharf could not open its keyring, so it cannot issue credentials; the server log says why"}
	}
	s.AccessKeyID = "ASIA" + randomString(16)
	secret := base64.StdEncoding.EncodeToString(randomBytes(30))
	token := base64.StdEncoding.EncodeToString(randomBytes(96))
	sealed, err := a.kr.Seal([]byte(secret), aad(s.AccessKeyID))
	if err != nil {
		return nil, awsapi.Wrap("seal session secret", err)
	}
	s.Sealed, s.TokenHash = sealed, awsapi.SessionTokenHash(token)
	s.Expires = a.Now().UTC().Add(d).Truncate(time.Second)
	if _, err := a.DB.Update(ctx, func(tx store.Tx) error { return store.Put(tx, prefix+s.AccessKeyID, s) }); err != nil {
		return nil, awsapi.Wrap("store session", err)
	}
	return &ststypes.Credentials{AccessKeyId: &s.AccessKeyID, SecretAccessKey: &secret, SessionToken: &token, Expiration: shape.TimeOf(s.Expires)}, nil
}

func aad(id string) []byte { return []byte("sts-session\x00" + id) }

// ResolveKey is the awsapi.KeyResolver of STS's sessions: the secret and
// principal of a live session whose token the call carries.
func (a *API) ResolveKey(ctx context.Context, cred awsapi.Credential) (string, *awsapi.Principal, error) {
	if !strings.HasPrefix(cred.AccessKey, "ASIA") || a.kr == nil {
		return "", nil, nil
	}
	found, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (sessionOK, error) {
		s, ok, err := store.Get[session](tx, prefix+cred.AccessKey)
		return sessionOK{s, ok}, err
	})
	if err != nil || !found.ok {
		return "", nil, err
	}
	sess := found.s
	if err := awsapi.CheckSession(cred.SessionToken, sess.TokenHash, sess.Expires, a.Now()); err != nil {
		return "", nil, err
	}
	secret, err := a.kr.Open(sess.Sealed, aad(sess.AccessKeyID))
	if err != nil {
		return "", nil, awsapi.Wrap("open session secret", err)
	}
	return string(secret), &awsapi.Principal{Type: sess.Type, ARN: sess.ARN, RoleARN: sess.RoleARN, Account: sess.Account,
		UserName: sess.UserName, AccessKey: sess.AccessKeyID, Tags: sess.Tags, SessionExpiry: sess.Expires}, nil
}

type sessionOK struct {
	s  session
	ok bool
}

// Purge deletes sessions that expired over an hour ago (run periodically).
func (a *API) Purge(ctx context.Context) error {
	cutoff := a.Now().Add(-time.Hour)
	return store.DeleteWhere(ctx, a.DB, prefix, func(s session) bool { return s.Expires.Before(cutoff) })
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomString(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

package credentials

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Lifetime is how long minted credentials are valid.
const Lifetime = 6 * time.Hour

// keep is how long an expired record stays, so that its key is refused as
// expired rather than taken for an unknown one.
const keep = time.Hour

// prefix is where credential records live.
const prefix = "wharf/credentials/"

// Service mints credentials and resolves their access keys.
type Service struct {
	awsapi.Base
	kr *keyring.Keyring
}

// New returns the credentials service over db, sealing secret keys with kr.
func New(db store.Backend, kr *keyring.Keyring, log *slog.Logger) *Service {
	return &Service{Base: awsapi.NewBase(db, log), kr: kr}
}

// record is one minted key.
type record struct {
	AccessKeyID  string    `json:"accessKeyId"`
	SealedSecret string    `json:"sealedSecret"`
	TokenHash    string    `json:"tokenHash"` // hex SHA-256 of the session token
	RoleARN      string    `json:"roleArn"`
	Principal    string    `json:"principal"` // arn:aws:sts::ACCOUNT:assumed-role/ROLE/TASK-ID
	Account      string    `json:"account"`
	TaskARN      string    `json:"taskArn"`
	Role         string    `json:"role"` // agentproto.RoleTask or RoleExecution
	Created      time.Time `json:"created"`
	Expires      time.Time `json:"expires"`
}

// mintError is a refusal the agent gets with an HTTP status.
type mintError struct {
	status        int
	code, message string
}

func (e *mintError) Error() string { return e.code + ": " + e.message }

func refuse(status int, code, format string, args ...any) error {
	return &mintError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// Mint makes credentials for one role of a task that node runs.
func (s *Service) Mint(ctx context.Context, req agentproto.CredentialsRequest) (agentproto.Credentials, error) {
	if req.Role != agentproto.RoleTask && req.Role != agentproto.RoleExecution {
		return agentproto.Credentials{}, refuse(400, "InvalidRole", "role must be %q or %q, got %q", agentproto.RoleTask, agentproto.RoleExecution, req.Role)
	}
	a, ok := model.ParseARN(req.TaskARN)
	kind, rest, _ := strings.Cut(a.Resource, "/")
	cluster, id, _ := strings.Cut(rest, "/")
	if !ok || a.Service != "ecs" || kind != "task" || cluster == "" || id == "" {
		return agentproto.Credentials{}, refuse(400, "InvalidTaskArn", "%q is not an ECS task ARN", req.TaskARN)
	}
	sc := model.Scope{Account: a.Account, Region: a.Region}
	now := s.Now().UTC().Truncate(time.Second)
	var out agentproto.Credentials
	_, err := s.DB.Update(ctx, func(tx store.Tx) error {
		rec, found, err := state.FindTask(tx, sc, cluster, id)
		switch {
		case err != nil:
			return err
		case !found:
			return refuse(404, "TaskNotFound", "no task %s", req.TaskARN)
		case rec.NodeID != req.NodeID:
			return refuse(403, "NotAssigned", "task %s is not assigned to node %s", req.TaskARN, req.NodeID)
		case shape.Deref(rec.Task.LastStatus) == model.TaskStopped:
			return refuse(409, "TaskStopped", "task %s has stopped", req.TaskARN)
		}
		role := roleOf(&rec, req.Role)
		if role == "" {
			return refuse(400, "NoRole", "task %s has no %sRoleArn", req.TaskARN, req.Role)
		}
		role = roleARN(a.Account, role)
		cr, r, err := s.newKey(role, id, req, now)
		if err != nil {
			return err
		}
		out = cr
		return store.Put(tx, prefix+r.AccessKeyID, r)
	})
	if err != nil {
		return agentproto.Credentials{}, err
	}
	s.Log.LogAttrs(ctx, slog.LevelDebug, "minted credentials", slog.String("access_key", out.AccessKeyID),
		slog.String("role", out.RoleArn), slog.String("task", req.TaskARN), slog.String("kind", req.Role))
	return out, nil
}

// roleOf is the ARN (or name) of a task's role of the given kind: the
// task's overrides win over its definition.
func roleOf(rec *model.TaskRecord, kind string) string {
	var over, def *string
	if kind == agentproto.RoleTask {
		def = rec.Definition.TaskRoleArn
		if o := rec.Task.Overrides; o != nil {
			over = o.TaskRoleArn
		}
	} else {
		def = rec.Definition.ExecutionRoleArn
		if o := rec.Task.Overrides; o != nil {
			over = o.ExecutionRoleArn
		}
	}
	if shape.Deref(over) != "" {
		return *over
	}
	return shape.Deref(def)
}

// roleARN completes a role name ("app", "path/app") into an IAM role ARN
// in account, as ECS accepts short names for task roles.
func roleARN(account, role string) string {
	if strings.HasPrefix(role, "arn:") {
		return role
	}
	return "arn:aws:iam::" + account + ":role/" + strings.TrimPrefix(role, "role/")
}

// assumedRole is the STS ARN of a session of role: ECS names task role
// sessions after the task id.
func assumedRole(role, session string) (principal, account string) {
	a, ok := model.ParseARN(role)
	if !ok {
		return "", ""
	}
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	return "arn:" + a.Partition + ":sts::" + a.Account + ":assumed-role/" + name + "/" + session, a.Account
}

// newKey makes a key pair and its record. The secret is returned once and
// stored only sealed; of the token only a hash is stored.
func (s *Service) newKey(role, taskID string, req agentproto.CredentialsRequest, now time.Time) (agentproto.Credentials, record, error) {
	akid := "ASIA" + randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	secret := base64.StdEncoding.EncodeToString(randomBytes(30))
	token := base64.StdEncoding.EncodeToString(randomBytes(96))
	sealed, err := s.kr.Seal([]byte(secret), aad(akid))
	if err != nil {
		return agentproto.Credentials{}, record{}, err
	}
	principal, account := assumedRole(role, taskID)
	if principal == "" {
		return agentproto.Credentials{}, record{}, refuse(400, "InvalidRole", "the task's role %q is not an IAM role ARN", role)
	}
	exp := now.Add(Lifetime)
	r := record{AccessKeyID: akid, SealedSecret: sealed, TokenHash: awsapi.SessionTokenHash(token), RoleARN: role, Principal: principal,
		Account: account, TaskARN: req.TaskARN, Role: req.Role, Created: now, Expires: exp}
	return agentproto.Credentials{AccessKeyID: akid, SecretAccessKey: secret, Token: token, Expiration: exp.Format(time.RFC3339), RoleArn: role}, r, nil
}

func aad(akid string) []byte { return []byte("credentials\x00" + akid) }

// Resolve is an awsapi.KeyResolver: keys this service minted resolve to
// their secret and their role session; expired ones, or ones sent with
// another session token, are refused as AWS refuses them; any other key is
// not this service's to judge.
func (s *Service) Resolve(ctx context.Context, cred awsapi.Credential) (string, *awsapi.Principal, error) {
	if !strings.HasPrefix(cred.AccessKey, "ASIA") {
		return "", nil, nil
	}
	var r record
	var found bool
	err := s.DB.View(ctx, func(tx store.ReadTx) error {
		var err error
		r, found, err = store.Get[record](tx, prefix+cred.AccessKey)
		return err
	})
	if err != nil || !found {
		return "", nil, err
	}
	if err := awsapi.CheckSession(cred.SessionToken, r.TokenHash, r.Expires, s.Now()); err != nil {
		return "", nil, err
	}
	secret, err := s.kr.Open(r.SealedSecret, aad(cred.AccessKey))
	if err != nil {
		return "", nil, fmt.Errorf("open the secret of access key %s: %w", cred.AccessKey, err)
	}
	return string(secret), &awsapi.Principal{ARN: r.Principal, RoleARN: r.RoleARN, Account: r.Account, TaskARN: r.TaskARN,
		Type: awsapi.PrincipalAssumedRole, AccessKey: r.AccessKeyID, SessionExpiry: r.Expires}, nil
}

// Purge deletes the records of keys that expired more than an hour ago
// (the server runs it every 10 minutes, a ctrl.Periodic).
func (s *Service) Purge(ctx context.Context) error {
	cutoff := s.Now().Add(-keep)
	return store.DeleteWhere(ctx, s.DB, prefix, func(r record) bool { return r.Expires.Before(cutoff) })
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomString(alphabet string, n int) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

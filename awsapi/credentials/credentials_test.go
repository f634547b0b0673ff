package credentials

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

var sc = model.Scope{Account: "000000000000", Region: "eu-west-1"}

const node = "node-1"

type fixture struct {
	s   *Service
	now *time.Time
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := testdb.Bolt(t, bolt.Options{})
	s := New(db, keyring.Ephemeral(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	return fixture{s: s, now: &now}
}

// task stores a task record and returns its ARN.
func (f fixture) task(t *testing.T, id string, mut func(*model.TaskRecord)) string {
	t.Helper()
	arn := sc.TaskARN("c1", id)
	rec := model.TaskRecord{NodeID: node,
		Task:       ecstypes.Task{TaskArn: new(arn), LastStatus: new(model.TaskRunning)},
		Definition: ecstypes.TaskDefinition{TaskRoleArn: new("arn:aws:iam::111122223333:role/path/app"), ExecutionRoleArn: new("exec")}}
	if mut != nil {
		mut(&rec)
	}
	_, err := f.s.DB.Update(context.Background(), func(tx store.Tx) error { return state.PutTask(tx, sc, "c1", &rec) })
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

// mintTask stores the task id (of the fixture's task role) and mints its
// task-role credentials.
func (f *fixture) mintTask(t *testing.T, id string) (string, agentproto.Credentials) {
	t.Helper()
	arn := f.task(t, id, nil)
	cr, err := f.s.Mint(context.Background(), agentproto.CredentialsRequest{NodeID: node, TaskARN: arn, Role: agentproto.RoleTask})
	if err != nil {
		t.Fatal(err)
	}
	return arn, cr
}

func TestMint(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	arn, cr := f.mintTask(t, "t1")
	if len(cr.AccessKeyID) != 20 || !strings.HasPrefix(cr.AccessKeyID, "ASIA") || len(cr.SecretAccessKey) != 40 || cr.Token == "" ||
		cr.Expiration != "2026-03-01T18:00:00Z" || cr.RoleArn != "arn:aws:iam::111122223333:role/path/app" {
		t.Fatalf("credentials %+v", cr)
	}
	// A short execution role name becomes an ARN in the task's account.
	ex, err := f.s.Mint(ctx, agentproto.CredentialsRequest{NodeID: node, TaskARN: arn, Role: agentproto.RoleExecution})
	if err != nil || ex.RoleArn != "arn:aws:iam::000000000000:role/exec" || ex.AccessKeyID == cr.AccessKeyID {
		t.Fatalf("execution role credentials %+v, %v", ex, err)
	}
	// Overrides win over the definition.
	over := f.task(t, "t2", func(r *model.TaskRecord) {
		r.Task.Overrides = &ecstypes.TaskOverride{TaskRoleArn: new("arn:aws:iam::000000000000:role/override")}
	})
	if cr, err := f.s.Mint(ctx, agentproto.CredentialsRequest{NodeID: node, TaskARN: over, Role: agentproto.RoleTask}); err != nil || cr.RoleArn != "arn:aws:iam::000000000000:role/override" {
		t.Fatalf("override: %+v, %v", cr, err)
	}
	// The secret is stored sealed, and opens again.
	if got, _, err := f.s.Resolve(ctx, awsapi.Credential{AccessKey: cr.AccessKeyID, SessionToken: cr.Token}); err != nil || got != cr.SecretAccessKey {
		t.Fatalf("Resolve's secret: %v", err)
	}
	_ = f.s.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, _ := tx.List(prefix, "", 0)
		for _, kv := range kvs {
			if bytes.Contains(kv.Value, []byte(cr.SecretAccessKey)) || bytes.Contains(kv.Value, []byte(cr.Token)) {
				t.Errorf("%s holds a secret or token in clear", kv.Key)
			}
		}
		return nil
	})
}

func TestMintRefusals(t *testing.T) {
	f := newFixture(t)
	arn := f.task(t, "t1", nil)
	stopped := f.task(t, "t2", func(r *model.TaskRecord) { r.Task.LastStatus = new(model.TaskStopped) })
	norole := f.task(t, "t3", func(r *model.TaskRecord) { r.Definition.TaskRoleArn = nil })
	tests := []struct {
		name   string
		req    agentproto.CredentialsRequest
		status int
		code   string
	}{
		{"other node", agentproto.CredentialsRequest{NodeID: "node-2", TaskARN: arn, Role: agentproto.RoleTask}, 403, "NotAssigned"},
		{"no task", agentproto.CredentialsRequest{NodeID: node, TaskARN: sc.TaskARN("c1", "zz"), Role: agentproto.RoleTask}, 404, "TaskNotFound"},
		{"stopped", agentproto.CredentialsRequest{NodeID: node, TaskARN: stopped, Role: agentproto.RoleTask}, 409, "TaskStopped"},
		{"no role", agentproto.CredentialsRequest{NodeID: node, TaskARN: norole, Role: agentproto.RoleTask}, 400, "NoRole"},
		{"bad role kind", agentproto.CredentialsRequest{NodeID: node, TaskARN: arn, Role: "admin"}, 400, "InvalidRole"},
		{"not a task arn", agentproto.CredentialsRequest{NodeID: node, TaskARN: sc.ClusterARN("c1"), Role: agentproto.RoleTask}, 400, "InvalidTaskArn"},
	}
	h := f.s.Handler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(tt.req)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, agentproto.CredentialsPath, bytes.NewReader(body)))
			var e struct{ Code, Message string }
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != tt.status || e.Code != tt.code || e.Message == "" {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.code)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	arn, cr := f.mintTask(t, "t1")
	secret, p, err := f.s.Resolve(ctx, awsapi.Credential{AccessKey: cr.AccessKeyID, SessionToken: cr.Token})
	if err != nil || p == nil || secret != cr.SecretAccessKey || p.Type != awsapi.PrincipalAssumedRole || p.ARN != "arn:aws:sts::111122223333:assumed-role/app/t1" || p.RoleARN != cr.RoleArn || p.Account != "111122223333" || p.TaskARN != arn {
		t.Fatalf("Resolve: %+v, %v", p, err)
	}
	for name, cred := range map[string]awsapi.Credential{
		"static key":     {AccessKey: "AKIDWHARFTEST"},
		"unknown minted": {AccessKey: "ASIAAAAAAAAAAAAAAAAA", SessionToken: "x"},
	} {
		if _, p, err := f.s.Resolve(ctx, cred); p != nil || err != nil {
			t.Errorf("%s: %+v, %v; want neither", name, p, err)
		}
	}
	wantCode := func(cred awsapi.Credential, code string) {
		t.Helper()
		_, _, err := f.s.Resolve(ctx, cred)
		if e, ok := awsapi.AsError(err); !ok || e.Code != code {
			t.Fatalf("Resolve(%+v): %v, want %s", cred, err, code)
		}
	}
	wantCode(awsapi.Credential{AccessKey: cr.AccessKeyID, SessionToken: "forged"}, "UnrecognizedClientException")
	wantCode(awsapi.Credential{AccessKey: cr.AccessKeyID}, "UnrecognizedClientException")
	*f.now = f.now.Add(Lifetime)
	wantCode(awsapi.Credential{AccessKey: cr.AccessKeyID, SessionToken: cr.Token}, "ExpiredTokenException")

	// The purge keeps expired keys for an hour, then forgets them.
	if err := f.s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	wantCode(awsapi.Credential{AccessKey: cr.AccessKeyID, SessionToken: cr.Token}, "ExpiredTokenException")
	*f.now = f.now.Add(keep + time.Second)
	if err := f.s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if _, p, err := f.s.Resolve(ctx, awsapi.Credential{AccessKey: cr.AccessKeyID, SessionToken: cr.Token}); p != nil || err != nil {
		t.Fatalf("after the purge: %+v, %v", p, err)
	}
}

// TestServerAttributes sends signed calls through awsapi.Server with the
// resolver installed (auth off): the handler sees the role as the
// request's principal, a forged token or signature never reaches it, and
// a key wharf does not know is the root user's.
func TestServerAttributes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, cr := f.mintTask(t, "t1")
	srv := awsapi.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), "000000000000")
	srv.AddKeyResolver(f.s.Resolve)
	srv.RegisterJSON(&awsapi.JSONService{SigningName: "echo", TargetPrefix: "Echo", ValidationCode: "ValidationException",
		Ops: map[string]awsapi.Handler{"Who": func(ctx context.Context, _ []byte) (any, error) {
			return map[string]string{"caller": awsapi.CallerARN(ctx)}, nil
		}}})
	call := func(akid, secret, token string) (int, map[string]string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "Echo.Who")
		sum := sha256.Sum256([]byte("{}"))
		err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token},
			req, hex.EncodeToString(sum[:]), "echo", "eu-west-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var out map[string]string
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	if code, out := call(cr.AccessKeyID, cr.SecretAccessKey, cr.Token); code != 200 || out["caller"] != "arn:aws:sts::111122223333:assumed-role/app/t1" {
		t.Fatalf("minted key: %d %v", code, out)
	}
	if code, out := call("AKIDANYTHING", "x", ""); code != 200 || out["caller"] != "arn:aws:iam::000000000000:root" {
		t.Fatalf("any other key: %d %v", code, out)
	}
	if code, out := call(cr.AccessKeyID, cr.SecretAccessKey, "forged"); code != 400 || out["__type"] != "UnrecognizedClientException" {
		t.Fatalf("forged token: %d %v", code, out)
	}
	if code, out := call(cr.AccessKeyID, "not-the-secret", cr.Token); code != 400 || out["__type"] != "InvalidSignatureException" {
		t.Fatalf("forged signature: %d %v", code, out)
	}
}

func TestMintErrorIsTyped(t *testing.T) {
	var me *mintError
	if !errors.As(refuse(400, "X", "y %d", 1), &me) || me.message != "y 1" {
		t.Fatal("refuse does not build a mintError")
	}
}

package awsapi

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The test account's keys: a long-term key and a role session's.
const (
	testKey     = "AKIATESTKEY"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testSession = "ASIATESTSESSION"
	testToken   = "session-token"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// authServer is a Server with auth on, answering Echo.Who (JSON) and
// Action=Who (Query) with the caller's ARN.
func authServer(t testing.TB, require bool) *Server {
	t.Helper()
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), "111122223333")
	s.SetAccess(Access{RequireAuth: require, CheckHost: true, HostNames: []string{"wharf.internal"}})
	s.withClock(func() time.Time { return testNow })
	s.AddKeyResolver(func(_ context.Context, c Credential) (string, *Principal, error) {
		switch {
		case c.AccessKey == testKey && c.SessionToken == "":
			return testSecret, RootPrincipal("111122223333", ""), nil
		case c.AccessKey == testKey:
			return "", nil, Errorf(CodeUnrecognizedClient, "The security token included in the request is invalid.")
		case c.AccessKey == testSession && c.SessionToken != testToken:
			return "", nil, Errorf("ExpiredTokenException", "The security token included in the request is expired")
		case c.AccessKey == testSession:
			return testSecret, &Principal{ARN: "arn:aws:sts::111122223333:assumed-role/app/s1", Type: PrincipalAssumedRole}, nil
		}
		return "", nil, nil
	})
	who := func(ctx context.Context) string { return CallerARN(ctx) + " " + RequestFrom(ctx).Region }
	s.RegisterJSON(&JSONService{SigningName: "echo", TargetPrefix: "Echo", ValidationCode: "ValidationException",
		Ops: map[string]Handler{"Who": func(ctx context.Context, _ []byte) (any, error) {
			return map[string]string{"caller": who(ctx)}, nil
		}}})
	s.RegisterQuery(&QueryService{SigningName: "echo", Version: "2020-01-01", XMLNamespace: "urn:echo",
		Ops: map[string]QueryHandler{"Who": func(ctx context.Context, _ url.Values) (any, error) {
			return struct {
				Caller string `xml:"Caller"`
			}{who(ctx)}, nil
		}}})
	return s
}

type sigCase struct {
	name    string
	query   bool // the Query protocol (else JSON 1.1)
	key     string
	secret  string
	token   string
	at      time.Time // signing time
	presign bool
	unsign  bool // no signature at all
	path    string
	mutate  func(*http.Request)
	status  int
	code    string // "" = success
	msg     string // a part of the message
}

func (c sigCase) request(t testing.TB) *http.Request {
	t.Helper()
	body := `{}`
	if c.query {
		body = "Action=Who&Version=2020-01-01"
	}
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8555"+cmp.Or(c.path, "/"), strings.NewReader(body))
	if c.query {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	} else {
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "Echo.Who")
	}
	if c.unsign {
		return r
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: c.key, SecretAccessKey: c.secret, SessionToken: c.token}
	at := c.at
	if at.IsZero() {
		at = testNow
	}
	signer := v4.NewSigner()
	if c.presign {
		// The SDK's presign middleware sets the lifetime before signing.
		r.URL.RawQuery = "X-Amz-Expires=900"
		u, hdr, err := signer.PresignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "echo", "eu-west-1", at)
		if err != nil {
			t.Fatal(err)
		}
		pr := httptest.NewRequest(http.MethodPost, u, strings.NewReader(body))
		pr.Header = hdr.Clone()
		pr.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		if !c.query {
			pr.Header.Set("X-Amz-Target", "Echo.Who")
		}
		r = pr
	} else if err := signer.SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "echo", "eu-west-1", at); err != nil {
		t.Fatal(err)
	}
	if c.mutate != nil {
		c.mutate(r)
	}
	return r
}

// TestSignatureVerification signs calls with aws-sdk-go-v2's signer and
// checks what the front door makes of them, in both protocols.
func TestSignatureVerification(t *testing.T) {
	good := sigCase{key: testKey, secret: testSecret, status: 200}
	with := func(c sigCase, f func(*sigCase)) sigCase { f(&c); return c }
	const badSig = "The request signature we calculated does not match"
	cases := []sigCase{
		with(good, func(c *sigCase) { c.name = "good" }),
		with(good, func(c *sigCase) { c.name = "good query"; c.query = true }),
		with(good, func(c *sigCase) { c.name = "good session"; c.key, c.token = testSession, testToken }),
		with(good, func(c *sigCase) { c.name = "skew within 5 min"; c.at = testNow.Add(-4 * time.Minute) }),
		with(good, func(c *sigCase) { c.name = "presigned"; c.presign = true }),
		with(good, func(c *sigCase) { c.name = "presigned query"; c.presign, c.query = true, true }),
		with(good, func(c *sigCase) { c.name = "escaped path"; c.path = "/a%20b/c%2Fd~e" }),
		with(good, func(c *sigCase) { c.name = "presigned escaped path"; c.path, c.presign = "/x%2By/z", true }),
		with(good, func(c *sigCase) {
			c.name, c.secret, c.status, c.code, c.msg = "bad signature", "wrong", 400, "InvalidSignatureException", badSig
		}),
		with(good, func(c *sigCase) {
			c.name, c.query, c.secret, c.status, c.code, c.msg = "bad signature query", true, "wrong", 403, "SignatureDoesNotMatch", badSig
		}),
		with(good, func(c *sigCase) {
			c.name, c.status, c.code, c.msg = "body changed", 400, "InvalidSignatureException", badSig
			c.mutate = func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(`{"x":1}`)) }
		}),
		with(good, func(c *sigCase) {
			c.name, c.status, c.code = "signed header changed", 400, "InvalidSignatureException"
			c.mutate = func(r *http.Request) { r.Header.Set("X-Amz-Target", "Echo.Other") }
		}),
		with(good, func(c *sigCase) {
			c.name, c.at, c.status, c.code = "expired (skewed past)", testNow.Add(-6*time.Minute), 400, "InvalidSignatureException"
			c.msg = "Signature expired: 20260301T115400Z is now earlier than 20260301T115500Z (20260301T120000Z - 5 min.)"
		}),
		with(good, func(c *sigCase) {
			c.name, c.at, c.status, c.code, c.query = "skewed future query", testNow.Add(6*time.Minute), 403, "SignatureDoesNotMatch", true
			c.msg = "Signature not yet current: 20260301T120600Z is still later than 20260301T120500Z (20260301T120000Z + 5 min.)"
		}),
		with(good, func(c *sigCase) {
			c.name, c.presign, c.at, c.status, c.code = "presigned expired", true, testNow.Add(-16*time.Minute), 400, "InvalidSignatureException"
			c.msg = "Signature expired"
		}),
		with(good, func(c *sigCase) {
			c.name, c.unsign, c.status, c.code, c.msg = "missing", true, 400, "MissingAuthenticationTokenException", "Missing Authentication Token"
		}),
		with(good, func(c *sigCase) {
			c.name, c.unsign, c.query, c.status, c.code = "missing query", true, true, 403, "MissingAuthenticationToken"
		}),
		with(good, func(c *sigCase) {
			c.name, c.key, c.status, c.code, c.msg = "unknown key", "AKIAUNKNOWN", 400, "UnrecognizedClientException", "The security token included in the request is invalid."
		}),
		with(good, func(c *sigCase) {
			c.name, c.key, c.query, c.status, c.code = "unknown key query", "AKIAUNKNOWN", true, 403, "InvalidClientTokenId"
		}),
		with(good, func(c *sigCase) {
			c.name, c.key, c.token, c.status, c.code = "wrong session token", testSession, "stolen", 400, "ExpiredTokenException"
		}),
		with(good, func(c *sigCase) {
			c.name, c.key, c.token, c.query, c.status, c.code = "wrong session token query", testSession, "stolen", true, 403, "ExpiredToken"
		}),
		with(good, func(c *sigCase) {
			c.name, c.token, c.status, c.code = "root key with a token", "x", 400, "UnrecognizedClientException"
		}),
		with(good, func(c *sigCase) {
			c.name, c.status, c.code = "scope date not the request's", 400, "InvalidSignatureException"
			c.mutate = func(r *http.Request) { r.Header.Set("X-Amz-Date", "20260302T120000Z") }
		}),
		with(good, func(c *sigCase) {
			c.name, c.status, c.code = "unsigned payload over http", 400, "InvalidSignatureException"
			c.mutate = func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload) }
		}),
		with(good, func(c *sigCase) {
			c.name, c.status, c.code = "malformed header", 400, CodeIncompleteSig
			c.mutate = func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIATESTKEY/20260301/eu-west-1/echo/aws4_request")
			}
		}),
	}
	s := authServer(t, true)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, c.request(t))
			body := rec.Body.String()
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, body)
			}
			if c.code == "" {
				if !strings.Contains(body, "eu-west-1") {
					t.Fatalf("the call does not know its region: %s", body)
				}
				return
			}
			if !strings.Contains(body, c.code) || !strings.Contains(body, c.msg) {
				t.Fatalf("got %s, want code %s and message %q", body, c.code, c.msg)
			}
		})
	}
}

// TestAuthOff keeps today's behaviour on loopback: unsigned calls and
// unknown keys are the root user, but a key wharf knows is verified.
func TestAuthOff(t *testing.T) {
	s := authServer(t, false)
	call := func(c sigCase) (int, string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, c.request(t))
		return rec.Code, rec.Body.String()
	}
	if code, body := call(sigCase{unsign: true}); code != 200 || !strings.Contains(body, "arn:aws:iam::111122223333:root us-east-1") {
		t.Fatalf("unsigned: %d %s", code, body)
	}
	if code, body := call(sigCase{key: "AKIAANY", secret: "x"}); code != 200 || !strings.Contains(body, ":root eu-west-1") {
		t.Fatalf("unknown key: %d %s", code, body)
	}
	if code, body := call(sigCase{key: testSession, secret: testSecret, token: testToken}); code != 200 || !strings.Contains(body, "assumed-role/app/s1") {
		t.Fatalf("session: %d %s", code, body)
	}
	if code, body := call(sigCase{key: testSession, secret: "forged", token: testToken}); code != 400 || !strings.Contains(body, "InvalidSignatureException") {
		t.Fatalf("forged session signature: %d %s", code, body)
	}
}

// TestBrowserChecks refuses foreign Host names and cross-site Origins.
func TestBrowserChecks(t *testing.T) {
	s := authServer(t, false)
	tests := []struct {
		name, host, origin string
		query              bool
		status             int
	}{
		{"ip literal", "10.1.2.3:8555", "", false, 200},
		{"localhost", "localhost:8555", "", false, 200},
		{"ipv6 loopback", "[::1]:8555", "", false, 200},
		{"configured name", "wharf.internal:8555", "", false, 200},
		{"aws endpoint name", "data-servicediscovery.us-east-1.amazonaws.com", "", false, 200},
		{"cloud map data- host", "data-localhost:8555", "", false, 200},
		{"rebound name", "evil.example:8555", "", false, 403},
		{"aws name as a suffix only", "evil-amazonaws.com", "", false, 403},
		{"rebound name query", "evil.example", "", true, 403},
		{"cross-site origin query", "127.0.0.1:8555", "http://evil.example", true, 403},
		{"null origin", "127.0.0.1:8555", "null", true, 403},
		{"same origin", "127.0.0.1:8555", "http://127.0.0.1:8555", true, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sigCase{unsign: true, query: tt.query}.request(t)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
		})
	}
	// wharf's own endpoints are guarded too.
	s.Handle("POST /_wharf/x", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	r := httptest.NewRequest(http.MethodPost, "http://evil.example/_wharf/x", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	if rec.Code != 403 {
		t.Fatalf("own endpoint, foreign host: %d", rec.Code)
	}
}

// TestAuthenticateOwnEndpoint: Authenticate vouches for a signed request
// to one of wharf's own endpoints and leaves its body readable.
func TestAuthenticateOwnEndpoint(t *testing.T) {
	s := authServer(t, true)
	r := sigCase{key: testKey, secret: testSecret}.request(t)
	p, e := s.Authenticate(r)
	if e != nil || p.Type != PrincipalRoot {
		t.Fatalf("Authenticate: %+v %v", p, e)
	}
	if b, _ := io.ReadAll(r.Body); string(b) != "{}" {
		t.Fatalf("body after: %q", b)
	}
	if _, e := s.Authenticate(sigCase{unsign: true}.request(t)); e == nil {
		t.Fatal("unsigned request authenticated")
	}
	off := authServer(t, false)
	if p, e := off.Authenticate(sigCase{unsign: true}.request(t)); p != nil || e != nil {
		t.Fatalf("auth off, unsigned: %+v %v; want neither", p, e)
	}
}

// BenchmarkVerify is the front door alone (no network, no SDK): one JSON
// call signed by aws-sdk-go-v2, served with auth on (verified) and with
// auth off (a key wharf does not know: not verified, as users' calls are).
func BenchmarkVerify(b *testing.B) {
	for _, require := range []bool{false, true} {
		b.Run(fmt.Sprintf("auth=%v", require), func(b *testing.B) {
			s := authServer(b, require)
			key := "AKIAUNKNOWN"
			if require {
				key = testKey
			}
			reqs := make([]*http.Request, 0, 64)
			for range cap(reqs) {
				reqs = append(reqs, sigCase{key: key, secret: testSecret}.request(b))
			}
			bodies := make([]string, len(reqs))
			for i := range bodies {
				bodies[i] = "{}"
			}
			b.ResetTimer()
			for i := range b.N {
				r := reqs[i%len(reqs)]
				r.Body = io.NopCloser(strings.NewReader(bodies[i%len(reqs)]))
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, r)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

package awsapi

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The front door's checks, before any service sees a call:
//
//   - Host: a browser page can reach a loopback wharf through a name it
//     controls (DNS rebinding); such a request carries that name as its
//     Host. Only IP literals, localhost, AWS's endpoint names and the
//     names configured with Access.HostNames are answered: none of them
//     can be rebound by a page's DNS.
//   - Origin: a cross-site form POST (an AWS Query call needs no CORS
//     preflight) carries the page's Origin; SDKs and the CLI send none.
//     A state-changing request whose Origin is not this server is refused.
//   - Authentication (authenticate): the SigV4 signature of every AWS call
//     is verified against the secret of its access key, found by the
//     KeyResolvers. With auth off (loopback only) an unsigned call, or one
//     signed with a key no resolver knows, is served as today, as the
//     account's root user; a key wharf knows is still verified, so a
//     task's role session is what it claims to be.

// Access configures the front door's checks.
type Access struct {
	// RequireAuth refuses every AWS call that is not signed with a known
	// key (wharf up --auth; always on off loopback).
	RequireAuth bool
	// CheckHost turns the Host and Origin checks on.
	CheckHost bool
	// HostNames are the names besides IP literals and localhost that
	// clients may reach wharf by (--host-name, and the listen host).
	HostNames []string
}

// SetAccess installs a for every later call.
func (s *Server) SetAccess(a Access) {
	s.requireAuth, s.checkHost = a.RequireAuth, a.CheckHost
	s.hostNames = map[string]bool{"localhost": true}
	for _, n := range a.HostNames {
		s.hostNames[strings.ToLower(strings.TrimSuffix(n, "."))] = true
	}
}

// AuthRequired reports whether every AWS call must be signed with a known key.
func (s *Server) AuthRequired() bool { return s.requireAuth }

// hostAllowed reports whether r was sent to one of this server's names.
func (s *Server) hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	// Cloud Map's DiscoverInstances goes to data-<endpoint host>, which a
	// user maps in /etc/hosts (data-localhost).
	if rest, ok := strings.CutPrefix(host, "data-"); ok && (rest == "localhost" || s.hostNames[rest]) {
		return true
	}
	// AWS's own endpoint names (a client's host prefix, such as
	// data-servicediscovery.…, or an /etc/hosts entry pointing one at
	// wharf): no web page's DNS can rebind them.
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return s.hostNames[host]
}

// originAllowed reports whether a request's Origin (if any) is this
// server itself: a request from a page on another site is refused.
func originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// checkBrowser refuses what only a browser misled by a web page sends: a
// foreign Host name, a cross-site Origin on anything but a GET.
func (s *Server) checkBrowser(r *http.Request) *Error {
	if !s.checkHost {
		return nil
	}
	if !s.hostAllowed(r.Host) {
		return &Error{Code: "AccessDeniedException", Status: http.StatusForbidden, Message: "wharf does not answer to Host " +
			truncate(r.Host, 100) + ": use its IP address or localhost, or start wharf with --host-name for this name"}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !originAllowed(r) {
		return &Error{Code: "AccessDeniedException", Status: http.StatusForbidden, Message: "wharf refuses cross-site requests (Origin " +
			truncate(r.Header.Get("Origin"), 100) + "); AWS clients send no Origin header"}
	}
	return nil
}

// Authentication failures, in each protocol's codes and AWS's words.
const (
	authMissing = iota
	authUnknownKey
	authBadSignature
)

func authError(query bool, kind int, msg string) *Error {
	type codes struct{ json, query, msg string }
	c := [...]codes{
		authMissing:      {"MissingAuthenticationTokenException", "MissingAuthenticationToken", "Missing Authentication Token"},
		authUnknownKey:   {CodeUnrecognizedClient, "InvalidClientTokenId", "The security token included in the request is invalid."},
		authBadSignature: {"InvalidSignatureException", "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
	}[kind]
	if msg == "" {
		msg = c.msg
	}
	if query {
		if kind == authMissing {
			msg = "Request is missing Authentication Token"
		}
		return &Error{Code: c.query, Message: msg, Status: http.StatusForbidden}
	}
	return &Error{Code: c.json, Message: msg}
}

// queryCode translates a resolver's refusal (JSON-protocol codes) into
// the Query protocol's.
func queryCode(query bool, e *Error) *Error {
	if !query {
		return e
	}
	switch e.Code {
	case CodeUnrecognizedClient:
		return &Error{Code: "InvalidClientTokenId", Message: e.Message, Status: http.StatusForbidden}
	case "ExpiredTokenException":
		return &Error{Code: "ExpiredToken", Message: e.Message, Status: http.StatusForbidden}
	}
	return e
}

// authenticate verifies who signed r and fills in req's region, access key
// and principal; the error it returns is the answer to send instead.
func (s *Server) authenticate(r *http.Request, req *Request, query bool) *Error {
	sig, signed, perr := parseSignature(r)
	if !s.requireAuth {
		// Today's behaviour: the credential scope names the region, and
		// only a key wharf knows is checked.
		scope, ok, err := ParseScope(r)
		if err != nil {
			e, _ := AsError(err)
			return e
		}
		if !ok {
			return nil
		}
		req.Region, req.AccessKey = scope.Region, scope.AccessKey
		secret, p, e := s.lookupKey(r, req, query, Credential{AccessKey: scope.AccessKey, SessionToken: sessionToken(r)})
		if e != nil || p == nil {
			return e
		}
		if perr != nil {
			return perr
		}
		return s.verify(r, req, query, &sig, secret, p)
	}
	if perr != nil {
		return perr
	}
	if !signed {
		return authError(query, authMissing, "")
	}
	req.Region, req.AccessKey = sig.Region, sig.AccessKey
	secret, p, e := s.lookupKey(r, req, query, Credential{AccessKey: sig.AccessKey, SessionToken: sig.SessionToken})
	if e != nil {
		return e
	}
	if p == nil {
		return authError(query, authUnknownKey, "")
	}
	return s.verify(r, req, query, &sig, secret, p)
}

func sessionToken(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Security-Token"); t != "" {
		return t
	}
	return r.URL.Query().Get("X-Amz-Security-Token")
}

// lookupKey asks the resolvers about cred.
func (s *Server) lookupKey(r *http.Request, req *Request, query bool, cred Credential) (string, *Principal, *Error) {
	secret, p, err := s.resolveKey(r.Context(), cred)
	if err != nil {
		if e, ok := AsError(err); ok {
			return "", nil, queryCode(query, e)
		}
		s.log.Error("resolve the caller's access key", "request_id", req.ID, "err", err)
		return "", nil, internalError(req.ID)
	}
	return secret, p, nil
}

// verify checks sig's time and signature with secret; on success the call
// is p's.
func (s *Server) verify(r *http.Request, req *Request, query bool, sig *signedRequest, secret string, p *Principal) *Error {
	if msg := sig.checkTime(s.clock()); msg != "" {
		return authError(query, authBadSignature, msg)
	}
	body, e := bufferBody(r)
	if e != nil {
		return e
	}
	hash, ok := payloadHash(r, body, sig.Presigned)
	if !ok {
		return authError(query, authBadSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	if hash == UnsignedPayload && r.TLS == nil {
		// Over plain HTTP an unsigned body could be replaced on the way.
		return authError(query, authBadSignature, "UNSIGNED-PAYLOAD is accepted over HTTPS only; sign the request's body")
	}
	match := signatureMatches(r, sig, secret, hash)
	if !match && sig.Presigned && r.TLS != nil {
		match = signatureMatches(r, sig, secret, UnsignedPayload)
	}
	if !match {
		return authError(query, authBadSignature, "")
	}
	pc := *p
	if pc.AccessKey == "" {
		pc.AccessKey = sig.AccessKey
	}
	req.Principal = &pc
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "caller", slog.String("request_id", req.ID),
		slog.String("access_key", req.AccessKey), slog.String("principal", pc.ARN))
	return nil
}

// bufferBody reads r's body (bounded by MaxBodyBytes) for its hash, and
// puts it back for the service to read.
func bufferBody(r *http.Request) ([]byte, *Error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, Errorf(CodeSerialization, "could not read the request body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, Errorf(CodeRequestTooLarge, "the request body exceeds %d bytes", MaxBodyBytes)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// Authenticate verifies the SigV4 signature of a request to one of wharf's
// own endpoints (an agent asking for its secret) as for an AWS call of the
// JSON protocol. With auth off, a request that is unsigned or signed with
// a key no resolver knows gets neither a principal nor an error: the
// caller decides what an unverified caller may do.
func (s *Server) Authenticate(r *http.Request) (*Principal, *Error) {
	req := &Request{ID: NewRequestID(), Region: DefaultRegion, Account: s.account}
	if e := s.authenticate(r, req, false); e != nil {
		return nil, e
	}
	return req.Principal, nil
}

// WriteAuthError answers an Authenticate failure on one of wharf's own
// endpoints, in the JSON protocol's shape.
func WriteAuthError(w http.ResponseWriter, e *Error) { writeJSONError(w, e) }

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// queryNamespace is the xmlns of a Query call's error reply: its
// service's, when its Version names one.
func (s *Server) queryNamespace(r *http.Request) string {
	v := r.URL.Query().Get("Version")
	if v == "" && isFormBody(r) {
		if body, e := bufferBody(r); e == nil {
			if form, err := url.ParseQuery(string(body)); err == nil {
				v = form.Get("Version")
			}
		}
	}
	if svc := s.query[v]; svc != nil {
		return svc.XMLNamespace
	}
	return ""
}

// withClock is for tests: the front door's clock.
func (s *Server) withClock(now func() time.Time) { s.now = now }

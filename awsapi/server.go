package awsapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
)

// MaxBodyBytes bounds a request body; AWS's own limits are far lower for the
// APIs wharf serves.
const MaxBodyBytes = 8 << 20

// callTimeout bounds one AWS call's work. No operation wharf serves waits
// for anything (AWS's APIs do not long-poll); this only stops a stuck call
// from holding its goroutine for ever.
const callTimeout = 2 * time.Minute

// Server routes requests on wharf's one port to the AWS services registered
// with it, and serves wharf's own endpoints under /_wharf/.
type Server struct {
	log     *slog.Logger
	account string
	json    map[string]*JSONService  // by X-Amz-Target prefix
	query   map[string]*QueryService // by Version (see query.go)
	mux     *http.ServeMux           // /_wharf/… and anything not an AWS call
	// resolvers find signed calls' access keys (see principal.go).
	resolvers []KeyResolver
	// The front door's checks (authn.go).
	requireAuth, checkHost bool
	hostNames              map[string]bool
	now                    func() time.Time // nil: time.Now
	// auditor hears of every AWS call (authn_audit.go).
	auditor func(AuditRecord)
	// authorizer judges each call against IAM policies (see authz.go).
	authorizer Authorizer
	// tagLookups find resources' tags for the authorizer, by service.
	tagLookups map[string]TagLookup
}

// NewServer returns a Server answering for account.
func NewServer(log *slog.Logger, account string) *Server {
	if account == "" {
		account = DefaultAccount
	}
	return &Server{log: log, account: account, json: map[string]*JSONService{}, mux: http.NewServeMux()}
}

// RegisterJSON mounts a JSON 1.1 service.
func (s *Server) RegisterJSON(svc *JSONService) { s.json[svc.TargetPrefix] = svc }

// Handle mounts one of wharf's own endpoints (pattern as for http.ServeMux).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	target := r.Header.Get("X-Amz-Target")
	awsCall := !strings.HasPrefix(r.URL.Path, "/_wharf/") && (target != "" || isQuery(r))
	if e := s.checkBrowser(r); e != nil {
		if !awsCall {
			http.Error(w, e.Message, e.status())
			return
		}
		req := &Request{ID: NewRequestID(), Region: DefaultRegion, Account: s.account}
		s.refuse(w, r, req, target, e, start)
		s.audit(r, req, "", e.status(), e.Code, start)
		return
	}
	if !awsCall {
		s.mux.ServeHTTP(w, r)
		return
	}
	req := &Request{ID: NewRequestID(), Region: DefaultRegion, Account: s.account, Host: r.Host}
	w.Header().Set("X-Amzn-RequestId", req.ID)
	// An AWS call's work does not depend on the client's side of the
	// connection: net/http cancels r.Context() as soon as it reads EOF
	// there, which a client that half-closes after its request (busybox
	// nc: write, shutdown(SHUT_WR), read) causes while the call runs. A
	// store write cut short that way answered 500 to a client still
	// reading, or failed after its change was committed. The call runs to
	// its end, bounded by callTimeout, and its answer is written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), callTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	service := ""
	if s.auditor != nil {
		service, req.Operation = s.serviceOf(r, target)
	}
	if e := s.authenticate(r, req, target == ""); e != nil {
		s.refuse(w, r, req, target, e, start)
		s.audit(r, req, service, e.status(), e.Code, start)
		return
	}
	if target == "" {
		status := s.serveQuery(w, r, req)
		s.logQuery(r, req, status, start)
		s.audit(r, req, service, status, w.Header().Get("X-Amzn-ErrorType"), start)
		return
	}
	status := s.serveJSON(w, r, req, target)
	s.audit(r, req, service, status, w.Header().Get("X-Amzn-ErrorType"), start)
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "api call",
		slog.String("op", req.Operation), slog.String("region", req.Region),
		slog.Int("status", status), slog.Duration("took", time.Since(start)), slog.String("request_id", req.ID))
}

// serveJSON answers one AWS JSON 1.1 call and returns the HTTP status sent.
func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, req *Request, target string) (status int) {
	var errs map[string]shape.ErrorInfo // the service's, once known
	fail := func(e *Error) int {
		e = e.inModel(errs)
		writeJSONError(w, e)
		return e.status()
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in handler", "op", req.Operation, "request_id", req.ID, "panic", p, "stack", string(debug.Stack()))
			status = fail(internalError(req.ID))
		}
	}()
	// The operation follows the last dot: some prefixes have dots of
	// their own (com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101).
	prefix, op := splitTarget(target)
	req.Operation = op
	svc := s.json[prefix]
	if svc == nil {
		return fail(Errorf(CodeUnknownOperation, "no service answers X-Amz-Target %q", truncate(target, 120)))
	}
	errs = svc.Errors
	if r.Method != http.MethodPost {
		return fail(&Error{Code: CodeMethodNotAllowed, Message: "AWS JSON calls must use POST"})
	}
	h := svc.Ops[op]
	if h == nil {
		return fail(svc.unknown(op))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(Errorf(CodeRequestTooLarge, "the request body exceeds %d bytes", MaxBodyBytes))
		}
		return fail(Errorf(CodeSerialization, "could not read the request body: %v", err))
	}
	ctx := WithRequest(r.Context(), req)
	if e := s.authorizeJSON(ctx, r, req, svc.SigningName, body); e != nil {
		return fail(e)
	}
	resp, err := h(ctx, body)
	if err != nil {
		if e, ok := svc.toAPIError(err); ok {
			if e.Fault == ServerFault {
				s.log.Error("api call failed", "op", op, "request_id", req.ID, "err", err)
			}
			return fail(e)
		}
		s.log.Error("api call failed", "op", op, "request_id", req.ID, "err", err)
		return fail(internalError(req.ID))
	}
	writeJSON(w, http.StatusOK, resp)
	return http.StatusOK
}

// refuse answers a call the front door turned away (a foreign Host, a
// cross-site Origin, a failed authentication) in its protocol's shape.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, req *Request, target string, e *Error, start time.Time) {
	w.Header().Set("X-Amzn-RequestId", req.ID)
	if target == "" {
		writeXMLError(w, s.queryNamespace(r), e, req.ID)
	} else {
		writeJSONError(w, e)
	}
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "api call refused", slog.String("code", e.Code),
		slog.String("access_key", req.AccessKey), slog.String("remote", r.RemoteAddr),
		slog.Int("status", e.status()), slog.Duration("took", time.Since(start)), slog.String("request_id", req.ID))
}

package awsapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
)

// REST JSON (restJson1) services: an operation is a method and a path
// (with labels) plus query parameters, the rest of the input in a JSON
// body. They are mounted on the same port, on wharf's mux, with the same
// request story as the JSON 1.1 services: a request id, the region and
// access key of the SigV4 scope, the caller's principal, a bounded
// context, and AWS's error shape.

// RESTHandler serves one REST JSON operation, and names it: the name is
// the call's IAM action and audit event (CreateSchedule), where the route
// only gives a method and a path.
type RESTHandler struct {
	op    string
	serve func(ctx context.Context, r *http.Request, body []byte) (any, error)
}

// opName is the operation a typed handler serves: its method's name
// (scheduler.(*API).CreateSchedule-fm → CreateSchedule).
func opName(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return ""
	}
	name := strings.TrimSuffix(f.Name(), "-fm")
	return name[strings.LastIndexByte(name, '.')+1:]
}

// RESTService is one REST JSON service.
type RESTService struct {
	SigningName string
	// ValidationCode is the code for model-validation failures.
	ValidationCode string
	// Status maps an error code to its HTTP status, over Errors' (kept for
	// codes a service answers outside its model).
	Status map[string]int
	// Errors is the model's table of error codes (the generated
	// api/<svc>types.Errors): the fault and HTTP status of each; codes it
	// does not know answer 400, or 500 for server faults.
	Errors map[string]shape.ErrorInfo
	// Routes are the operations by http.ServeMux pattern
	// ("POST /schedules/{Name}").
	Routes map[string]RESTHandler
}

// RegisterREST mounts a REST JSON service's routes.
func (s *Server) RegisterREST(svc *RESTService) {
	for pattern, h := range svc.Routes {
		s.mux.Handle(pattern, s.restHandler(svc, h))
	}
}

// REST adapts a typed operation: decode the body into Req, let bind fill
// in the members bound to the path and query, run the model's
// validation, call fn.
func REST[Req, Resp any](bind func(r *http.Request, req *Req) error, fn func(context.Context, *Req) (*Resp, error)) RESTHandler {
	return RESTHandler{op: opName(fn), serve: func(ctx context.Context, r *http.Request, body []byte) (any, error) {
		req := new(Req)
		if err := DecodeJSON(body, req); err != nil {
			return nil, err
		}
		if bind != nil {
			if err := bind(r, req); err != nil {
				return nil, err
			}
		}
		return invoke(ctx, req, fn)
	}}
}

func (s *Server) restHandler(svc *RESTService, h RESTHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		op := h.op
		if op == "" {
			op = r.Pattern
		}
		req := &Request{ID: NewRequestID(), Region: DefaultRegion, Account: s.account, Host: r.Host, Operation: op}
		w.Header().Set("X-Amzn-RequestId", req.ID)
		status, errCode := http.StatusOK, ""
		// Every call is audited as the other protocols' are, refusals
		// included (deferred first, so it runs after a panic's answer).
		defer func() { s.audit(r, req, svc.SigningName, status, errCode, start) }()
		fail := func(e *Error) {
			e = e.inModel(svc.Errors)
			status, errCode = e.status(), e.Code
			if st, ok := svc.Status[e.Code]; ok {
				status = st
			}
			w.Header().Set("X-Amzn-ErrorType", e.Code)
			writeJSON(w, status, map[string]string{"Message": e.Message})
		}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in handler", "op", req.Operation, "request_id", req.ID, "panic", p, "stack", string(debug.Stack()))
				fail(internalError(req.ID))
			}
		}()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), callTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		if e := s.authenticate(r, req, false); e != nil {
			fail(e)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				fail(Errorf(CodeRequestTooLarge, "the request body exceeds %d bytes", MaxBodyBytes))
				return
			}
			fail(Errorf(CodeSerialization, "could not read the request body: %v", err))
			return
		}
		if e := s.authorizeJSON(WithRequest(ctx, req), r, req, svc.SigningName, body); e != nil {
			fail(e)
			return
		}
		resp, err := h.serve(WithRequest(ctx, req), r, body)
		if err != nil {
			var inv *invalidInput
			switch e, ok := AsError(err); {
			case ok:
				if e.Fault == ServerFault {
					s.log.Error("api call failed", "op", req.Operation, "request_id", req.ID, "err", err)
				}
				fail(e)
			case errors.As(err, &inv):
				fail(&Error{Code: svc.ValidationCode, Message: inv.err.Error()})
			default:
				s.log.Error("api call failed", "op", req.Operation, "request_id", req.ID, "err", err)
				fail(internalError(req.ID))
			}
			return
		}
		writeJSON(w, http.StatusOK, resp)
		s.log.LogAttrs(ctx, slog.LevelDebug, "api call", slog.String("op", req.Operation), slog.String("region", req.Region),
			slog.Duration("took", time.Since(start)), slog.String("request_id", req.ID))
	})
}

package awsapi

import (
	"context"
	"net"
	"net/http"
	"net/url"

	"github.com/wharfhq/wharf/awsapi/actions"
)

// Authorizer decides whether the principal of req may perform action on
// every one of resources; it answers nil to allow, or the *Error to send
// (AccessDeniedException in AWS's wording). The condition keys of the
// call are in ctx (ConditionKeys).
type Authorizer func(ctx context.Context, req *Request, action string, resources []string) error

// SetAuthorizer installs a for every later call. Without one, every call
// is allowed (wharf's behaviour before IAM).
func (s *Server) SetAuthorizer(a Authorizer) { s.authorizer = a }

// CodeAccessDeniedQuery is the Query services' code for a refused call.
const CodeAccessDeniedQuery = "AccessDenied"

type conditionKey struct{}

// ConditionKeys are the condition keys of the call in ctx that its HTTP
// request and parameters give: aws:SourceIp, aws:SecureTransport, service
// keys such as ecs:cluster, aws:RequestTag/… and aws:TagKeys, named as AWS
// documents them. (The principal's keys and aws:CurrentTime are the
// authorizer's to add.)
func ConditionKeys(ctx context.Context) map[string][]string {
	m, _ := ctx.Value(conditionKey{}).(map[string][]string)
	return m
}

// authorizeJSON is serveJSON's hook: the JSON body gives the resources.
func (s *Server) authorizeJSON(ctx context.Context, r *http.Request, req *Request, service string, body []byte) *Error {
	return s.authorizeBody(ctx, r, req, service, body, CodeAccessDenied)
}

// authorizeBody is the hook of the protocols whose input reads as JSON
// (JSON 1.1, restJson1's body, rpcv2Cbor converted); code is the refusal's.
func (s *Server) authorizeBody(ctx context.Context, r *http.Request, req *Request, service string, body []byte, code string) *Error {
	if s.authorizer == nil || req.Principal == nil {
		return nil
	}
	return s.authorize(ctx, r, req, service, actions.JSONInput(body), code)
}

// authorizeQuery is serveQuery's hook; Query services answer AccessDenied.
func (s *Server) authorizeQuery(ctx context.Context, r *http.Request, req *Request, service string, params url.Values) *Error {
	if s.authorizer == nil || req.Principal == nil {
		return nil
	}
	return s.authorize(ctx, r, req, service, actions.QueryInput(params), CodeAccessDeniedQuery)
}

func (s *Server) authorize(ctx context.Context, r *http.Request, req *Request, service string, in actions.Input, code string) *Error {
	call := actions.For(service, req.Operation, req.Region, req.Account, in)
	// The keys every request has, whatever its service.
	global := map[string][]string{"aws:SecureTransport": {"false"}}
	if r.TLS != nil {
		global["aws:SecureTransport"] = []string{"true"}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		global["aws:SourceIp"] = []string{host}
	}
	var err error
	for _, c := range append([]actions.Call{call}, call.Also...) {
		for k, v := range global {
			c.Context[k] = v
		}
		if err = s.authorizer(context.WithValue(ctx, conditionKey{}, c.Context), req, c.Action, c.Resources); err != nil {
			break
		}
	}
	if err == nil {
		return nil
	}
	e, ok := AsError(err)
	if !ok {
		s.log.Error("authorize the call", "op", req.Operation, "request_id", req.ID, "err", err)
		return internalError(req.ID)
	}
	if e.Code == CodeAccessDenied || e.Code == CodeAccessDeniedQuery {
		// The same refusal, in each protocol's code and status (the JSON
		// services answer 400, the Query ones 403).
		status := http.StatusBadRequest
		if code == CodeAccessDeniedQuery {
			status = http.StatusForbidden
		}
		e = &Error{Code: code, Message: e.Message, Status: status}
	}
	return e
}

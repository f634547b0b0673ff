package awsapi

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

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

// Authorize asks, in the middle of a call, whether its caller may also
// perform action on resources: the checks a service can make only once
// it has read its records, such as ECS's iam:PassRole on the roles of the
// task definition a RunTask names. keys are added to the call's condition
// keys (iam:PassedToService). It answers nil when allowed, and also when
// the call is not judged at all (no authorizer, or auth off and the
// caller unverified), as the front door's own check does; a refusal is
// the *Error to answer, in the call's protocol.
func Authorize(ctx context.Context, action string, resources []string, keys map[string][]string) error {
	h := RequestFrom(ctx).authz
	if h == nil {
		return nil
	}
	return h(ctx, action, resources, keys)
}

// TagLookup answers the tags of a resource its service owns, by ARN
// (none, and no error, for one it does not know).
type TagLookup func(ctx context.Context, arn string) (map[string]string, error)

// SetResourceTags installs f as the tag lookup of the resources whose ARN
// names service ("ecs", "secretsmanager"), for the aws:ResourceTag/KEY
// and <service>:ResourceTag/KEY condition keys.
func (s *Server) SetResourceTags(service string, f TagLookup) {
	if s.tagLookups == nil {
		s.tagLookups = map[string]TagLookup{}
	}
	s.tagLookups[service] = f
}

type tagLookupsKey struct{}

// ResourceTags answers the tags of the resource arn for the authorizer,
// asked of the service the ARN names; nil when no service answers for it
// or arn is a wildcard. It is only asked when a policy names a resource
// tag key, so a call whose policies do not costs no read.
func ResourceTags(ctx context.Context, arn string) (map[string]string, error) {
	m, _ := ctx.Value(tagLookupsKey{}).(map[string]TagLookup)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || strings.ContainsAny(arn, "*") {
		return nil, nil
	}
	f := m[parts[2]]
	if f == nil {
		return nil, nil
	}
	return f(ctx, arn)
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
	s.hook(r, req, code)
	return s.authorize(ctx, r, req, service, actions.JSONInput(body), code)
}

// authorizeQuery is serveQuery's hook; Query services answer AccessDenied.
func (s *Server) authorizeQuery(ctx context.Context, r *http.Request, req *Request, service string, params url.Values) *Error {
	if s.authorizer == nil || req.Principal == nil {
		return nil
	}
	s.hook(r, req, CodeAccessDeniedQuery)
	return s.authorize(ctx, r, req, service, actions.QueryInput(params), CodeAccessDeniedQuery)
}

// hook gives the call its Authorize hook: the authorizer again, with the
// request's global keys and the service's extra ones.
func (s *Server) hook(r *http.Request, req *Request, code string) {
	req.authz = func(ctx context.Context, action string, resources []string, keys map[string][]string) error {
		c := actions.Call{Action: action, Resources: resources, Context: map[string][]string{}}
		for k, v := range keys {
			c.Context[k] = v
		}
		if e := s.judge(ctx, r, req, []actions.Call{c}, code); e != nil {
			return e
		}
		return nil
	}
}

func (s *Server) authorize(ctx context.Context, r *http.Request, req *Request, service string, in actions.Input, code string) *Error {
	call := actions.For(service, req.Operation, req.Region, req.Account, in)
	return s.judge(ctx, r, req, append([]actions.Call{call}, call.Also...), code)
}

// judge asks the authorizer about each of calls in turn; the first
// refusal is the answer.
func (s *Server) judge(ctx context.Context, r *http.Request, req *Request, calls []actions.Call, code string) *Error {
	if s.tagLookups != nil {
		ctx = context.WithValue(ctx, tagLookupsKey{}, s.tagLookups)
	}
	// The keys every request has, whatever its service.
	global := map[string][]string{"aws:SecureTransport": {"false"}}
	if r.TLS != nil {
		global["aws:SecureTransport"] = []string{"true"}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		global["aws:SourceIp"] = []string{host}
	}
	var err error
	for _, c := range calls {
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

package awsapi

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// AuditRecord is one AWS call as the front door saw it: who (the verified
// principal, or the access key it claimed), what, when, the answer and
// where from. Every call that reaches authentication is recorded,
// refusals included, so a trail shows the attempts too.
type AuditRecord struct {
	Time      time.Time
	RequestID string
	// Service is the signing name ("ecs", "elasticloadbalancing").
	Service   string
	Operation string
	Region    string
	AccessKey string
	// Principal is nil when the call was not verified (auth off with an
	// unknown key, or refused).
	Principal *Principal
	Account   string
	SourceIP  string
	UserAgent string
	Status    int
	ErrorCode string
}

// SetAuditor installs f, called once after every AWS call (it must not
// block: the call's answer is already written).
func (s *Server) SetAuditor(f func(AuditRecord)) { s.auditor = f }

// audit records one call for the auditor, if any.
func (s *Server) audit(r *http.Request, req *Request, service string, status int, errorCode string, start time.Time) {
	if s.auditor == nil {
		return
	}
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	s.auditor(AuditRecord{Time: start.UTC(), RequestID: req.ID, Service: service, Operation: req.Operation, Region: req.Region,
		AccessKey: req.AccessKey, Principal: req.Principal, Account: s.account, SourceIP: ip,
		UserAgent: truncate(r.UserAgent(), 256), Status: status, ErrorCode: errorCode})
}

// serviceOf names the service and operation a call is for: its JSON
// target, or its Query Version and Action (read from the buffered form),
// so that a refused call is recorded with them too.
func (s *Server) serviceOf(r *http.Request, target string) (service, op string) {
	if target != "" {
		prefix, op := splitTarget(target)
		if svc := s.json[prefix]; svc != nil {
			service = svc.SigningName
		}
		return service, truncate(op, 80)
	}
	q := r.URL.Query()
	if isFormBody(r) {
		if body, e := bufferBody(r); e == nil {
			if form, err := url.ParseQuery(string(body)); err == nil {
				for k, v := range form {
					q[k] = append(q[k], v...)
				}
			}
		}
	}
	if svc := s.query[q.Get("Version")]; svc != nil {
		service = svc.SigningName
	}
	return service, truncate(q.Get("Action"), 80)
}

// splitTarget splits an X-Amz-Target at its last dot.
func splitTarget(target string) (prefix, op string) {
	i := strings.LastIndexByte(target, '.')
	if i < 0 {
		return target, ""
	}
	return target[:i], target[i+1:]
}

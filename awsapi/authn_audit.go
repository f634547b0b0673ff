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

// registryEvent names a call to ECR's registry (/v2/) as ECR's CloudTrail
// events name the layer and image calls a docker push or pull makes; ""
// for what ECR does not record (the /v2/ version check, tag listing).
func registryEvent(method, path string) (event, repo string) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", ""
	}
	for _, k := range []string{"/blobs/uploads/", "/manifests/", "/blobs/"} {
		i := strings.LastIndex(rest, k)
		if i <= 0 {
			continue
		}
		repo, ref := rest[:i], rest[i+len(k):]
		switch {
		case k == "/blobs/uploads/" && method == http.MethodPost:
			return "InitiateLayerUpload", repo
		case k == "/blobs/uploads/" && method == http.MethodPatch:
			return "UploadLayerPart", repo
		case k == "/blobs/uploads/" && method == http.MethodPut:
			return "CompleteLayerUpload", repo
		case k == "/manifests/" && method == http.MethodPut:
			return "PutImage", repo
		case k == "/manifests/" && method == http.MethodGet:
			return "BatchGetImage", repo
		case k == "/blobs/" && method == http.MethodGet:
			return "GetDownloadUrlForLayer", repo
		case k == "/blobs/" && method == http.MethodHead && ref != "":
			return "BatchCheckLayerAvailability", repo
		}
		return "", ""
	}
	return "", ""
}

// AuditRegistry wraps ECR's registry handler (/v2/) so that a docker
// push's and pull's calls are in the audit trail as ECR's events:
// InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload, PutImage,
// BatchCheckLayerAvailability, BatchGetImage, GetDownloadUrlForLayer.
// The registry authenticates with an ECR token, which names no principal:
// its events carry none.
func (s *Server) AuditRegistry(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		event, _ := registryEvent(r.Method, r.URL.Path)
		if s.auditor == nil || event == "" {
			h.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &auditStatus{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		region := DefaultRegion
		// ACCOUNT.dkr.ecr.REGION.amazonaws.com, when docker names wharf so.
		if _, after, ok := strings.Cut(strings.ToLower(r.Host), ".dkr.ecr."); ok {
			if reg, _, ok := strings.Cut(after, "."); ok && reg != "" {
				region = reg
			}
		}
		req := &Request{ID: NewRequestID(), Region: region, Account: s.account, Operation: event}
		code := ""
		if rec.status >= 400 {
			code = http.StatusText(rec.status)
		}
		s.audit(r, req, "ecr", rec.status, code, start)
	})
}

// auditStatus remembers the status a handler answers.
type auditStatus struct {
	http.ResponseWriter
	status int
}

func (a *auditStatus) WriteHeader(code int) {
	a.status = code
	a.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines) through the recorder.
func (a *auditStatus) Unwrap() http.ResponseWriter { return a.ResponseWriter }

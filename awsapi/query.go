package awsapi

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/wharfhq/wharf/api/shape"
)

// The AWS Query protocol (awsQuery), as ELBv2, STS and CloudWatch speak it:
// a form-encoded POST whose Action and Version parameters name the
// operation, members flattened into dotted names (Names.member.1,
// Tags.member.1.Key), and XML replies:
//
//	<ActionResponse xmlns="NS">
//	  <ActionResult>…members…</ActionResult>
//	  <ResponseMetadata><RequestId>ID</RequestId></ResponseMetadata>
//	</ActionResponse>
//
// Errors are HTTP 400 (or the code's own status) with
//
//	<ErrorResponse xmlns="NS">
//	  <Error><Type>Sender</Type><Code>CODE</Code><Message>…</Message></Error>
//	  <RequestId>ID</RequestId>
//	</ErrorResponse>

// Codes of the Query protocol itself.
const (
	CodeValidationError  = "ValidationError"
	CodeMissingParameter = "MissingParameter"
	// CodeInvalidQueryParameter is AWS's common error for a request that
	// "does not adhere to AWS standards": here, one that is not a POST with
	// a form-encoded body.
	CodeInvalidQueryParameter = "InvalidQueryParameter"
)

// QueryHandler serves one operation of a Query service: the request's
// parameters in, the value to encode as the <Action>Result element out.
type QueryHandler func(ctx context.Context, params url.Values) (any, error)

// QueryService is one AWS Query service mounted on the shared port; the
// Version parameter of a request selects it.
type QueryService struct {
	// SigningName is the SigV4 service name ("elasticloadbalancing").
	SigningName string
	// Version is the API version requests carry ("2015-12-01").
	Version string
	// XMLNamespace is the xmlns of replies.
	XMLNamespace string
	// ValidationCode is the code of model-validation failures
	// (ValidationError when empty).
	ValidationCode string
	// Known lists every operation of the service's model, so that an
	// operation wharf does not serve yet is told apart from a typo.
	Known map[string]bool
	// Ops are the operations wharf serves.
	Ops map[string]QueryHandler
	// Errors is the model's table of error codes (the generated
	// api/<svc>types.Errors): the fault and HTTP status of each.
	Errors map[string]shape.ErrorInfo
}

// Query adapts a typed operation to a QueryHandler: decode the parameters
// into Req (member names from its xml tags), run the model's validation,
// call fn.
func Query[Req, Resp any](fn func(context.Context, *Req) (*Resp, error)) QueryHandler {
	return func(ctx context.Context, params url.Values) (any, error) {
		req := new(Req)
		if err := DecodeQuery(params, req); err != nil {
			return nil, err
		}
		return invoke(ctx, req, fn)
	}
}

// RegisterQuery mounts a Query service under its Version.
func (s *Server) RegisterQuery(svc *QueryService) {
	if s.query == nil {
		s.query = map[string]*QueryService{}
	}
	s.query[svc.Version] = svc
}

// isQuery reports whether r is meant as an AWS Query call: a form-encoded
// body, an Action in the URL, or a POST to / that names no X-Amz-Target
// (the caller checked that). serveQuery then refuses those that are not a
// form-encoded POST, rather than letting them fall through to a 404.
func isQuery(r *http.Request) bool {
	return isFormBody(r) || r.URL.Query().Has("Action") || (r.Method == http.MethodPost && r.URL.Path == "/")
}

func isFormBody(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// checkQueryRequest accepts only what AWS's SDKs and CLI send: a POST with
// a form-encoded body. A GET is refused because it would let any web page
// change state through a link or an image (no CORS preflight guards it).
func checkQueryRequest(r *http.Request) *Error {
	const want = "AWS Query calls must be POST requests with a form-encoded body (Content-Type: application/x-www-form-urlencoded)"
	if r.Method != http.MethodPost {
		return Errorf(CodeInvalidQueryParameter, "%s; this one is a %s", want, truncate(r.Method, 20))
	}
	if !isFormBody(r) {
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			return Errorf(CodeInvalidQueryParameter, "%s; this one has no Content-Type", want)
		}
		return Errorf(CodeInvalidQueryParameter, "%s; this one's Content-Type is %q", want, truncate(ct, 80))
	}
	return nil
}

// serveQuery answers one AWS Query call and returns the HTTP status sent.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, req *Request) (status int) {
	ns := ""
	var errs map[string]shape.ErrorInfo // the service's, once known
	fail := func(e *Error) int {
		e = e.inModel(errs)
		writeXMLError(w, ns, e, req.ID)
		return e.status()
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in handler", "op", req.Operation, "request_id", req.ID, "panic", p, "stack", string(debug.Stack()))
			status = fail(internalError(req.ID))
		}
	}()
	if e := checkQueryRequest(r); e != nil {
		return fail(e)
	}
	params, err := readQueryParams(w, r)
	if err != nil {
		e, _ := AsError(err)
		return fail(e)
	}
	action, version := params.Get("Action"), params.Get("Version")
	req.Operation = truncate(action, 80)
	if action == "" {
		return fail(Errorf(CodeMissingAction, "the request names no Action parameter"))
	}
	svc := s.query[version]
	if svc == nil {
		if version == "" {
			return fail(Errorf(CodeMissingParameter, "the request must contain the parameter Version"))
		}
		return fail(Errorf(CodeInvalidAction, "no service answers Action %q with Version %q", truncate(action, 80), truncate(version, 40)))
	}
	ns, errs = svc.XMLNamespace, svc.Errors
	h := svc.Ops[action]
	if h == nil {
		if svc.Known[action] {
			return fail(Errorf(CodeInvalidAction, "wharf does not serve %s.%s yet", svc.SigningName, action))
		}
		return fail(Errorf(CodeInvalidAction, "%s has no operation named %q", svc.SigningName, truncate(action, 80)))
	}
	if e := s.authorizeQuery(WithRequest(r.Context(), req), r, req, svc.SigningName, params); e != nil {
		return fail(e)
	}
	resp, err := h(WithRequest(r.Context(), req), params)
	if err != nil {
		if e, ok := AsError(err); ok {
			if e.Fault == ServerFault {
				s.log.Error("api call failed", "op", action, "request_id", req.ID, "err", err)
			}
			return fail(e)
		}
		var inv *invalidInput
		if errors.As(err, &inv) {
			code := svc.ValidationCode
			if code == "" {
				code = CodeValidationError
			}
			return fail(&Error{Code: code, Message: inv.err.Error()})
		}
		s.log.Error("api call failed", "op", action, "request_id", req.ID, "err", err)
		return fail(internalError(req.ID))
	}
	return writeXMLResult(w, ns, action, resp, req.ID)
}

// logQuery logs one Query call as serveJSON's callers do.
func (s *Server) logQuery(r *http.Request, req *Request, status int, start time.Time) {
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "api call",
		slog.String("op", req.Operation), slog.String("region", req.Region), slog.String("protocol", "query"),
		slog.Int("status", status), slog.Duration("took", time.Since(start)), slog.String("request_id", req.ID))
}

// readQueryParams merges the URL's query with a form-encoded body, bounded
// by MaxBodyBytes.
func readQueryParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, Errorf(CodeMalformedQuery, "the URL's query string is malformed: %v", err)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, Errorf(CodeRequestTooLarge, "the request body exceeds %d bytes", MaxBodyBytes)
		}
		return nil, Errorf(CodeMalformedQuery, "could not read the request body: %v", err)
	}
	// The CLI gzips large PutMetricData bodies (requestCompression).
	if body, err = gunzip(r, body); err != nil {
		return nil, Errorf(CodeMalformedQuery, "%v", err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, Errorf(CodeMalformedQuery, "the request body is not valid form encoding: %v", err)
	}
	for k, vs := range form {
		params[k] = append(params[k], vs...)
	}
	return params, nil
}

// CodeMalformedQuery is the code of a request whose form encoding is broken.
const CodeMalformedQuery = "MalformedQueryString"

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func writeXMLResult(w http.ResponseWriter, ns, action string, resp any, reqID string) int {
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}}
	if ns != "" {
		root.Attr = []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}}
	}
	err := enc.EncodeToken(root)
	if err == nil {
		err = enc.EncodeElement(resp, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(responseMetadata{RequestID: reqID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(root.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		// Only a programming error gets here: the shapes are plain data.
		e := internalError(reqID)
		e.Message = fmt.Sprintf("wharf could not encode the %s response (request %s)", action, reqID)
		writeXMLError(w, ns, e, reqID)
		return e.status()
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
	return http.StatusOK
}

type xmlError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeXMLError(w http.ResponseWriter, ns string, e *Error, reqID string) {
	typ := "Sender"
	if e.Fault == ServerFault {
		typ = "Receiver"
	}
	b, err := xml.Marshal(xmlError{Xmlns: ns, Type: typ, Code: e.Code, Message: e.Message, RequestID: reqID})
	if err != nil {
		b = []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code></Error></ErrorResponse>")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.status())
	_, _ = w.Write(b)
}

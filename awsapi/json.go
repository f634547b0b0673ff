package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wharfhq/wharf/api/shape"
)

// Handler serves one operation of a JSON service: the raw body in, a value to
// encode as the response out.
type Handler func(ctx context.Context, body []byte) (any, error)

// validator is implemented by every generated request shape.
type validator interface{ Validate() error }

// invalidInput marks a model-validation failure; the service it reaches
// decides the AWS code (ECS says InvalidParameterException, others
// ValidationException).
type invalidInput struct{ err error }

func (e *invalidInput) Error() string { return e.err.Error() }
func (e *invalidInput) Unwrap() error { return e.err }

// JSON adapts a typed operation to a Handler: decode the body into Req, run
// the model's validation, call fn.
func JSON[Req, Resp any](fn func(context.Context, *Req) (*Resp, error)) Handler {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if err := DecodeJSON(body, req); err != nil {
			return nil, err
		}
		return invoke(ctx, req, fn)
	}
}

// invoke runs the model's validation on a decoded request, then fn; an
// operation with no output answers an empty object. Both protocols use it.
func invoke[Req, Resp any](ctx context.Context, req *Req, fn func(context.Context, *Req) (*Resp, error)) (any, error) {
	if v, ok := any(req).(validator); ok {
		if err := v.Validate(); err != nil {
			return nil, &invalidInput{err}
		}
	}
	resp, err := fn(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return struct{}{}, nil
	}
	return resp, nil
}

// DecodeJSON decodes an AWS JSON 1.1 body. An empty body is an empty object.
// Unknown members are ignored, as AWS's JSON services do; a body that is not
// JSON, or a value of the wrong type, is a SerializationException naming the
// member.
func DecodeJSON(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Errorf(CodeSerialization, "the request body is not valid JSON: %s (at byte %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return Errorf(CodeSerialization, "the request body must be a JSON object, not %s", typ.Value)
		}
		return Errorf(CodeSerialization, "wrong type at '%s': expected %s, got %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	default:
		// json.Unmarshal's remaining errors come from Unmarshaler
		// implementations (timestamps, …) and say what was wrong.
		return Errorf(CodeSerialization, "could not read the request: %s", err.Error())
	}
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "an integer"
	case strings.HasPrefix(goKind, "float"):
		return "a number"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "a boolean"
	case goKind == "slice", goKind == "array":
		return "a list"
	case goKind == "map", goKind == "struct", goKind == "ptr":
		return "an object"
	}
	return goKind
}

// JSONService is one AWS JSON 1.1 service mounted on the shared port.
type JSONService struct {
	// SigningName is the SigV4 service name ("ecs").
	SigningName string
	// TargetPrefix is the part of X-Amz-Target before the dot
	// ("AmazonEC2ContainerServiceV20141113").
	TargetPrefix string
	// ValidationCode is the code for model-validation failures.
	ValidationCode string
	// Known lists every operation of the service's model, so that an
	// operation wharf does not serve yet is told apart from a typo.
	Known map[string]bool
	// Ops are the operations wharf serves.
	Ops map[string]Handler
	// Errors is the model's table of error codes (the generated
	// api/<svc>types.Errors): the fault and HTTP status of each.
	Errors map[string]shape.ErrorInfo
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here: the shapes are plain data.
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"ServerException","message":"response could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeJSONError(w http.ResponseWriter, e *Error) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeJSON(w, e.status(), map[string]string{"__type": e.Code, "message": e.Message})
}

func (svc *JSONService) unknown(op string) *Error {
	if svc.Known[op] {
		return Errorf(CodeUnknownOperation, "wharf does not serve %s.%s yet", svc.SigningName, op)
	}
	return Errorf(CodeUnknownOperation, "%s has no operation named %q", svc.SigningName, truncate(op, 80))
}

// toAPIError maps a handler's error to the error the client sees.
func (svc *JSONService) toAPIError(err error) (*Error, bool) {
	if e, ok := AsError(err); ok {
		return e, true
	}
	var inv *invalidInput
	if errors.As(err, &inv) {
		return &Error{Code: svc.ValidationCode, Message: inv.err.Error()}, true
	}
	return nil, false
}

func internalError(reqID string) *Error {
	return &Error{Code: CodeServerException, Fault: ServerFault,
		Message: fmt.Sprintf("wharf failed to handle request %s; the server log has the detail", reqID)}
}

// KnownOperations is the set of operation names of a service's model (its
// generated Operations table), for JSONService.Known and QueryService.
func KnownOperations[T any](ops map[string]T) map[string]bool {
	known := make(map[string]bool, len(ops))
	for name := range ops {
		known[name] = true
	}
	return known
}

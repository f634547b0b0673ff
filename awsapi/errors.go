package awsapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wharfhq/wharf/api/shape"
)

// Fault says whose fault an error is, as AWS error shapes do.
type Fault int

const (
	ClientFault Fault = iota
	ServerFault
)

// Error is an AWS API error: a code from the service's model and a message
// that tells the caller what to fix. Handlers return it (wrapped or not);
// anything else becomes a ServerException with a generic message.
type Error struct {
	Code    string
	Message string
	Fault   Fault
	// Status overrides the HTTP status derived from Fault (0: derive).
	Status int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds a client-fault error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Fault: ClientFault}
}

// Common codes shared by the JSON services wharf serves.
const (
	CodeSerialization    = "SerializationException"
	CodeUnknownOperation = "UnknownOperationException"
	CodeInternalFailure  = "InternalFailure"
	CodeMissingAction    = "MissingAction"
	CodeInvalidAction    = "InvalidAction"
	CodeIncompleteSig    = "IncompleteSignature"
	CodeRequestTooLarge  = "RequestEntityTooLargeException"
	CodeServerException  = "ServerException"
	CodeInvalidParameter = "InvalidParameterException"
	// CodeValidationException is what AWS's JSON services answer for input
	// that fails a constraint of the model, declared in their models or not.
	CodeValidationException = "ValidationException"
	CodeClientException     = "ClientException"
	CodeAccessDenied        = "AccessDeniedException"
	CodeThrottling          = "ThrottlingException"
	CodeNotImplementedYet   = "UnsupportedOperation"
	CodeMethodNotAllowed    = "MethodNotAllowed"
	CodeUnrecognizedClient  = "UnrecognizedClientException"
)

// inModel is e as the service's model declares its code (the generated
// Errors table of its api/<svc>types package): the model's fault and HTTP
// status win over the handler's, so that a code is answered the same way
// wherever it is returned. An explicit Status (authorization's 403s) is
// kept. Codes the model does not declare, such as the protocol's own, are
// left to status. e itself is not changed: handlers may return shared
// values.
func (e *Error) inModel(errs map[string]shape.ErrorInfo) *Error {
	info, ok := errs[e.Code]
	if !ok {
		return e
	}
	out := *e
	out.Fault = ClientFault
	if info.Fault == "server" {
		out.Fault = ServerFault
	}
	if out.Status == 0 {
		out.Status = info.HTTPStatus
	}
	return &out
}

// status is the one table from an error to its HTTP status, once inModel
// has given it the model's.
func (e *Error) status() int {
	switch {
	case e.Status != 0:
		return e.Status
	case e.Code == CodeRequestTooLarge:
		return http.StatusRequestEntityTooLarge
	case e.Code == CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case e.Fault == ServerFault:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

// AsError finds the *Error in err's chain, or reports that err is internal.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

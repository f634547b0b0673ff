package logs

import (
	"errors"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// CloudWatch Logs error codes, as in the service model.
const (
	codeResourceNotFound      = logstypes.ErrResourceNotFoundException
	codeResourceAlreadyExists = logstypes.ErrResourceAlreadyExistsException
	codeServiceUnavailable    = logstypes.ErrServiceUnavailableException
)

func invalidParam(format string, args ...any) error {
	return awsapi.Errorf(awsapi.CodeInvalidParameter, format, args...)
}

func groupNotFound() error {
	return awsapi.Errorf(codeResourceNotFound, "The specified log group does not exist.")
}

func streamNotFound() error {
	return awsapi.Errorf(codeResourceNotFound, "The specified log stream does not exist.")
}

// wrap leaves API errors as they are and wraps anything else with the
// operation it interrupted; awsapi turns it into a ServerException and logs
// the detail. A closed store (wharf is shutting down) is CloudWatch's
// retryable ServiceUnavailableException instead.
func wrap(op string, err error) error {
	if errors.Is(err, store.ErrClosed) {
		return &awsapi.Error{Code: codeServiceUnavailable, Message: "The service is shutting down; retry shortly.",
			Fault: awsapi.ServerFault, Status: 503}
	}
	return awsapi.Wrap(op, err)
}

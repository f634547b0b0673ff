package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/store"
)

// API implements the Cloud Map operations.
type API struct {
	awsapi.Base
}

// New returns the Cloud Map API over db.
func New(db store.Backend, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log)}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName:    sdtypes.SigningName,
		TargetPrefix:   sdtypes.ServiceTarget,
		Errors:         sdtypes.Errors,
		ValidationCode: codeInvalidInput,
		Known:          awsapi.KnownOperations(sdtypes.Operations),
		Ops: map[string]awsapi.Handler{
			"CreateHttpNamespace":              awsapi.JSON(a.CreateHttpNamespace),
			"CreatePrivateDnsNamespace":        awsapi.JSON(a.CreatePrivateDnsNamespace),
			"CreatePublicDnsNamespace":         awsapi.JSON(a.CreatePublicDnsNamespace),
			"GetNamespace":                     awsapi.JSON(a.GetNamespace),
			"ListNamespaces":                   awsapi.JSON(a.ListNamespaces),
			"DeleteNamespace":                  awsapi.JSON(a.DeleteNamespace),
			"GetOperation":                     awsapi.JSON(a.GetOperation),
			"ListOperations":                   awsapi.JSON(a.ListOperations),
			"CreateService":                    awsapi.JSON(a.CreateService),
			"GetService":                       awsapi.JSON(a.GetService),
			"ListServices":                     awsapi.JSON(a.ListServices),
			"UpdateService":                    awsapi.JSON(a.UpdateService),
			"DeleteService":                    awsapi.JSON(a.DeleteService),
			"RegisterInstance":                 awsapi.JSON(a.RegisterInstance),
			"DeregisterInstance":               awsapi.JSON(a.DeregisterInstance),
			"GetInstance":                      awsapi.JSON(a.GetInstance),
			"ListInstances":                    awsapi.JSON(a.ListInstances),
			"DiscoverInstances":                awsapi.JSON(a.DiscoverInstances),
			"DiscoverInstancesRevision":        awsapi.JSON(a.DiscoverInstancesRevision),
			"GetInstancesHealthStatus":         awsapi.JSON(a.GetInstancesHealthStatus),
			"UpdateInstanceCustomHealthStatus": awsapi.JSON(a.UpdateInstanceCustomHealthStatus),
			"TagResource":                      awsapi.JSON(a.TagResource),
			"UntagResource":                    awsapi.JSON(a.UntagResource),
			"ListTagsForResource":              awsapi.JSON(a.ListTagsForResource),
		},
	}
}

// Cloud Map's error codes.
const (
	codeInvalidInput       = sdtypes.ErrInvalidInput
	codeNamespaceNotFound  = sdtypes.ErrNamespaceNotFound
	codeNamespaceExists    = sdtypes.ErrNamespaceAlreadyExists
	codeServiceNotFound    = sdtypes.ErrServiceNotFound
	codeServiceExists      = sdtypes.ErrServiceAlreadyExists
	codeInstanceNotFound   = sdtypes.ErrInstanceNotFound
	codeOperationNotFound  = sdtypes.ErrOperationNotFound
	codeResourceInUse      = sdtypes.ErrResourceInUse
	codeCustomHealth       = sdtypes.ErrCustomHealthNotFound
	codeResourceNotFound   = sdtypes.ErrResourceNotFoundException
	codeTooManyTags        = sdtypes.ErrTooManyTagsException
	codeRequestLimitExceed = sdtypes.ErrRequestLimitExceeded
)

// apiError is a Cloud Map error with the HTTP status its model declares.
func apiError(code, format string, args ...any) error {
	return &awsapi.Error{Code: code, Message: fmt.Sprintf(format, args...), Status: sdtypes.ErrorHTTPStatus[code]}
}

func invalid(format string, args ...any) error { return apiError(codeInvalidInput, format, args...) }

// mapErr turns sdstate's errors into Cloud Map's codes.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case errors.Is(err, sdstate.ErrInvalid):
		return invalid("%s", strings.TrimPrefix(msg, sdstate.ErrInvalid.Error()+": "))
	case errors.Is(err, sdstate.ErrServiceNotFound):
		return apiError(codeServiceNotFound, "%s", msg)
	case errors.Is(err, sdstate.ErrNamespaceNotFound):
		return apiError(codeNamespaceNotFound, "%s", msg)
	case errors.Is(err, sdstate.ErrInstanceNotFound):
		return apiError(codeInstanceNotFound, "%s", msg)
	case errors.Is(err, sdstate.ErrCustomHealth):
		return apiError(codeCustomHealth, "%s", msg)
	}
	return err
}

// listPage reads the page of the records under prefix that keep passes
// after the request's NextToken, at most MaxResults (1 to 100, default
// 100) of them.
func listPage[T any](ctx context.Context, a *API, list, prefix string, tok *string, maxResults *int32, keep func(*T) bool) ([]T, *string, error) {
	c, limit, err := paging(list, tok, maxResults, 100)
	if err != nil {
		return nil, nil, err
	}
	return awsapi.ViewPage(ctx, a.DB, prefix, "", c, limit, keep)
}

// paging decodes a list's NextToken and MaxResults (1 to max, default
// max); the list is then read a page at a time with awsapi.StorePage.
func paging(list string, tok *string, maxResults *int32, max int) (awsapi.Cursor, int, error) {
	c, err := awsapi.ParseCursor(list, tok, invalid("Invalid NextToken: pass the NextToken of the previous response unchanged."))
	if err != nil {
		return c, 0, err
	}
	if maxResults != nil && (*maxResults < 1 || int(*maxResults) > max) {
		return c, 0, invalid("MaxResults must be from 1 to %d, got %d.", max, *maxResults)
	}
	return c, awsapi.PageLimit(maxResults, max), nil
}

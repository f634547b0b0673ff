package ssm

import (
	"log/slog"

	"github.com/wharfhq/wharf/api/ssmtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/store"
)

// API implements the Parameter Store operations.
type API struct {
	awsapi.Base
	kr *keyring.Keyring
}

// New returns the Parameter Store API over db, sealing values with kr.
func New(db store.Backend, kr *keyring.Keyring, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), kr: kr}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName:    ssmtypes.SigningName,
		TargetPrefix:   ssmtypes.ServiceTarget,
		Errors:         ssmtypes.Errors,
		ValidationCode: codeValidation,
		Known:          awsapi.KnownOperations(ssmtypes.Operations),
		Ops: map[string]awsapi.Handler{
			"PutParameter":           awsapi.JSON(a.PutParameter),
			"GetParameter":           awsapi.JSON(a.GetParameter),
			"GetParameters":          awsapi.JSON(a.GetParameters),
			"GetParametersByPath":    awsapi.JSON(a.GetParametersByPath),
			"GetParameterHistory":    awsapi.JSON(a.GetParameterHistory),
			"DeleteParameter":        awsapi.JSON(a.DeleteParameter),
			"DeleteParameters":       awsapi.JSON(a.DeleteParameters),
			"DescribeParameters":     awsapi.JSON(a.DescribeParameters),
			"LabelParameterVersion":  awsapi.JSON(a.LabelParameterVersion),
			"AddTagsToResource":      awsapi.JSON(a.AddTagsToResource),
			"RemoveTagsFromResource": awsapi.JSON(a.RemoveTagsFromResource),
			"ListTagsForResource":    awsapi.JSON(a.ListTagsForResource),
		},
	}
}

// SSM's error codes, as in its model.
const (
	codeValidation            = ssmtypes.ErrValidationException
	codeNotFound              = ssmtypes.ErrParameterNotFound
	codeAlreadyExists         = ssmtypes.ErrParameterAlreadyExists
	codeVersionNotFound       = ssmtypes.ErrParameterVersionNotFound
	codeHierarchyLevel        = ssmtypes.ErrHierarchyLevelLimitExceededException
	codePatternMismatch       = ssmtypes.ErrParameterPatternMismatchException
	codeInvalidAllowedPattern = ssmtypes.ErrInvalidAllowedPatternException
	codeInvalidFilterKey      = ssmtypes.ErrInvalidFilterKey
	codeInvalidFilterOption   = ssmtypes.ErrInvalidFilterOption
	codeInvalidFilterValue    = ssmtypes.ErrInvalidFilterValue
	codeInvalidNextToken      = ssmtypes.ErrInvalidNextToken
	codeInvalidResourceID     = ssmtypes.ErrInvalidResourceId
	codeInvalidResourceType   = ssmtypes.ErrInvalidResourceType
	codeLabelLimit            = ssmtypes.ErrParameterVersionLabelLimitExceeded
	codeTooManyTags           = ssmtypes.ErrTooManyTagsError
)

func errValidation(format string, args ...any) error {
	return awsapi.Errorf(codeValidation, format, args...)
}

func notFound(name string) error {
	return awsapi.Errorf(codeNotFound, "Parameter %s not found.", name)
}

// wrap leaves API errors (and nil) as they are and marks anything else
// internal.
func wrap(op string, err error) error { return awsapi.Wrap("ssm "+op, err) }

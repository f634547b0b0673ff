package secretsmanager

import (
	"fmt"
	"log/slog"

	smt "github.com/wharfhq/wharf/api/secretsmanagertypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/store"
)

// API implements the Secrets Manager operations.
type API struct {
	awsapi.Base
	kr *keyring.Keyring
}

// New returns the Secrets Manager API over db, sealing values with kr.
func New(db store.Backend, kr *keyring.Keyring, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), kr: kr}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName:    smt.SigningName,
		TargetPrefix:   smt.ServiceTarget,
		Errors:         smt.Errors,
		ValidationCode: codeValidation,
		Known:          awsapi.KnownOperations(smt.Operations),
		Ops: map[string]awsapi.Handler{
			"CreateSecret":             awsapi.JSON(a.CreateSecret),
			"GetSecretValue":           awsapi.JSON(a.GetSecretValue),
			"PutSecretValue":           awsapi.JSON(a.PutSecretValue),
			"UpdateSecret":             awsapi.JSON(a.UpdateSecret),
			"UpdateSecretVersionStage": awsapi.JSON(a.UpdateSecretVersionStage),
			"DescribeSecret":           awsapi.JSON(a.DescribeSecret),
			"ListSecrets":              awsapi.JSON(a.ListSecrets),
			"ListSecretVersionIds":     awsapi.JSON(a.ListSecretVersionIds),
			"DeleteSecret":             awsapi.JSON(a.DeleteSecret),
			"RestoreSecret":            awsapi.JSON(a.RestoreSecret),
			"GetResourcePolicy":        awsapi.JSON(a.GetResourcePolicy),
			"GetRandomPassword":        awsapi.JSON(a.GetRandomPassword),
			"TagResource":              awsapi.JSON(a.TagResource),
			"UntagResource":            awsapi.JSON(a.UntagResource),
		},
	}
}

// Secrets Manager's error codes, as in its model.
const (
	codeValidation       = awsapi.CodeValidationException
	codeResourceNotFound = smt.ErrResourceNotFoundException
	codeResourceExists   = smt.ErrResourceExistsException
	codeInvalidRequest   = smt.ErrInvalidRequestException
	codeInvalidParameter = smt.ErrInvalidParameterException
	codeInvalidNextToken = smt.ErrInvalidNextTokenException
	codeLimitExceeded    = smt.ErrLimitExceededException
)

func notFound() error {
	return awsapi.Errorf(codeResourceNotFound, "Secrets Manager can't find the specified secret.")
}

func markedForDeletion(op string) error {
	return awsapi.Errorf(codeInvalidRequest, "You can't perform this operation on the secret because it was marked for deletion. (Restore it with RestoreSecret before calling %s.)", op)
}

func invalidParam(format string, args ...any) error {
	return awsapi.Errorf(codeInvalidParameter, format, args...)
}

// internal wraps an unexpected failure with the operation it interrupted;
// awsapi answers ServerException and logs the detail.
func internal(op string, err error) error { return fmt.Errorf("secretsmanager %s: %w", op, err) }

// wrap leaves API errors (and nil) as they are and marks anything else
// internal.
func wrap(op string, err error) error { return awsapi.Wrap("secretsmanager "+op, err) }

func errValidation(format string, args ...any) error {
	return awsapi.Errorf(codeValidation, format, args...)
}

package awsapi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// The scaffolding every service package shares: the base its API type
// embeds, the scope a call addresses, and the small helpers around the
// generated shapes' pointers and the one error story.

// Base is what every service's API holds: the store it reads and writes,
// its logger, and its clock (a field so that tests can set the time).
type Base struct {
	DB  store.Backend
	Log *slog.Logger
	Now func() time.Time
}

// NewBase returns a Base over db with the wall clock; a nil log is
// slog.Default().
func NewBase(db store.Backend, log *slog.Logger) Base {
	if log == nil {
		log = slog.Default()
	}
	return Base{DB: db, Log: log, Now: time.Now}
}

// ScopeOf is the account and region the call in ctx addresses: the region
// of its SigV4 credential scope and the account of its access key (the
// defaults outside a request).
func ScopeOf(ctx context.Context) model.Scope {
	r := RequestFrom(ctx)
	return model.Scope{Account: r.Account, Region: r.Region}
}

// Read runs fn in a read transaction of db and returns what it read.
func Read[T any](ctx context.Context, db store.Backend, fn func(store.ReadTx) (T, error)) (T, error) {
	var v T
	err := db.View(ctx, func(tx store.ReadTx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v, err
}

// ReadRef reads, in a read transaction of db, what ref names in the
// caller's scope with get (a service's getX(tx, scope, id or ARN)).
func ReadRef[T any](ctx context.Context, db store.Backend, get func(store.ReadTx, model.Scope, string) (T, error), ref string) (T, error) {
	sc := ScopeOf(ctx)
	return Read(ctx, db, func(tx store.ReadTx) (T, error) { return get(tx, sc, ref) })
}

// Find reads the record at key, or answers notFound() (the service's
// error for a reference that names nothing) when there is none.
func Find[T any](tx store.ReadTx, key string, notFound func() error) (T, error) {
	v, ok, err := store.Get[T](tx, key)
	if err == nil && !ok {
		err = notFound()
	}
	return v, err
}

// Deref is shape.Deref, under the name the API packages use.
func Deref[T any](p *T) T { return shape.Deref(p) }

// OrEmpty is shape.OrEmpty, under the name the API packages use.
func OrEmpty[T any](s []T) []T { return shape.OrEmpty(s) }

// IsCode reports whether err is the API error code.
func IsCode(err error, code string) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}

// Wrap leaves nil and API errors as they are and wraps anything else with
// the operation it interrupted: the server answers it as a ServerException
// and logs the detail.
func Wrap(op string, err error) error {
	if _, ok := AsError(err); ok || err == nil {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

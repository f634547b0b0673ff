package state

import (
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Auto Scaling group capacity providers live beside the clusters:
//
//	ecs/ACCOUNT/REGION/capacity-providers/NAME   CapacityProviderRecord
//
// FARGATE and FARGATE_SPOT are not stored: they exist in every region.

// CapacityProviderRecord is one capacity provider made by
// CreateCapacityProvider, ACTIVE or (after DeleteCapacityProvider)
// INACTIVE. The wire shape is kept whole: it has no derived members.
type CapacityProviderRecord struct {
	Provider ecstypes.CapacityProvider `json:"provider"`
}

func CapacityProvidersPrefix(s model.Scope) string { return Root(s) + "capacity-providers/" }
func CapacityProviderKey(s model.Scope, name string) string {
	return CapacityProvidersPrefix(s) + name
}

// ActiveCapacityProvider reports whether a stored provider of that name is
// ACTIVE in the scope (the builtin ones are the caller's business).
func ActiveCapacityProvider(tx store.ReadTx, s model.Scope, name string) (bool, error) {
	rec, ok, err := store.Get[CapacityProviderRecord](tx, CapacityProviderKey(s, name))
	return ok && rec.Provider.Status == ecstypes.CapacityProviderStatusActive, err
}

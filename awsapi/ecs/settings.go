package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Account settings live per region, as in ECS. A setting is stored for a
// principal (an IAM user or role ARN, or the account root); the root's
// value is the account default, and the built-in default applies when
// neither is set.

// settingDefaults are ECS's defaults for a new account today.
var settingDefaults = map[ecstypes.SettingName]string{
	ecstypes.SettingNameServiceLongArnFormat:            "enabled",
	ecstypes.SettingNameTaskLongArnFormat:               "enabled",
	ecstypes.SettingNameContainerInstanceLongArnFormat:  "enabled",
	ecstypes.SettingNameAwsvpcTrunking:                  "disabled",
	ecstypes.SettingNameContainerInsights:               "disabled",
	ecstypes.SettingNameFargateFipsMode:                 "disabled",
	ecstypes.SettingNameTagResourceAuthorization:        "on",
	ecstypes.SettingNameFargateTaskRetirementWaitPeriod: "7",
	ecstypes.SettingNameGuardDutyActivate:               "off",
}

// settingValues are the values each setting accepts.
var settingValues = map[ecstypes.SettingName][]string{
	ecstypes.SettingNameServiceLongArnFormat:            {"enabled", "disabled"},
	ecstypes.SettingNameTaskLongArnFormat:               {"enabled", "disabled"},
	ecstypes.SettingNameContainerInstanceLongArnFormat:  {"enabled", "disabled"},
	ecstypes.SettingNameAwsvpcTrunking:                  {"enabled", "disabled"},
	ecstypes.SettingNameContainerInsights:               {"enabled", "disabled", "enhanced"},
	ecstypes.SettingNameFargateFipsMode:                 {"enabled", "disabled"},
	ecstypes.SettingNameTagResourceAuthorization:        {"on", "off"},
	ecstypes.SettingNameFargateTaskRetirementWaitPeriod: {"0", "7", "14"},
	ecstypes.SettingNameGuardDutyActivate:               {"on", "off"},
}

func settingKey(sc model.Scope, principal string, name ecstypes.SettingName) string {
	return state.SettingsPrefix(sc, principal) + string(name)
}

// effectiveSetting is the value in force for principal ("" = root).
func effectiveSetting(tx store.ReadTx, sc model.Scope, principal string, name ecstypes.SettingName) (string, error) {
	for _, p := range []string{principal, sc.RootPrincipal()} {
		if p == "" {
			continue
		}
		s, ok, err := store.Get[ecstypes.Setting](tx, settingKey(sc, p, name))
		if err != nil || ok {
			return derefStr(s.Value), err
		}
	}
	return settingDefaults[name], nil
}

func checkSetting(name ecstypes.SettingName, value string) error {
	allowed, ok := settingValues[name]
	if !ok {
		return invalidParam("Unknown account setting name %q.", name)
	}
	if !slices.Contains(allowed, value) {
		return invalidParam("Invalid value %q for %s: use one of %s.", value, name, strings.Join(allowed, ", "))
	}
	return nil
}

// PutAccountSetting sets a setting for a principal (the caller's account
// root when none is given).
func (a *API) PutAccountSetting(ctx context.Context, in *ecstypes.PutAccountSettingRequest) (*ecstypes.PutAccountSettingResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	if in.Name == ecstypes.SettingNameFargateFipsMode {
		return nil, invalidParam("fargateFIPSMode can only be changed with PutAccountSettingDefault.")
	}
	principal := sc.RootPrincipal()
	if p := derefStr(in.PrincipalArn); p != "" {
		if _, ok := model.ParseARN(p); !ok {
			return nil, invalidParam("principalArn %q is not an ARN.", p)
		}
		principal = p
	}
	s, err := a.putSetting(ctx, sc, principal, in.Name, *in.Value)
	if err != nil {
		return nil, err
	}
	return &ecstypes.PutAccountSettingResponse{Setting: s}, nil
}

// PutAccountSettingDefault sets the account-wide default of a setting.
func (a *API) PutAccountSettingDefault(ctx context.Context, in *ecstypes.PutAccountSettingDefaultRequest) (*ecstypes.PutAccountSettingDefaultResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	s, err := a.putSetting(ctx, sc, sc.RootPrincipal(), in.Name, *in.Value)
	if err != nil {
		return nil, err
	}
	return &ecstypes.PutAccountSettingDefaultResponse{Setting: s}, nil
}

func (a *API) putSetting(ctx context.Context, sc model.Scope, principal string, name ecstypes.SettingName, value string) (*ecstypes.Setting, error) {
	if err := checkSetting(name, value); err != nil {
		return nil, err
	}
	s := ecstypes.Setting{Name: name, Value: new(value), PrincipalArn: new(principal), Type: ecstypes.SettingTypeUser}
	if _, err := a.DB.Update(ctx, func(tx store.Tx) error {
		return store.Put(tx, settingKey(sc, principal, name), s)
	}); err != nil {
		return nil, internal("put account setting", err)
	}
	return &s, nil
}

// DeleteAccountSetting removes a principal's setting, so the default applies.
func (a *API) DeleteAccountSetting(ctx context.Context, in *ecstypes.DeleteAccountSettingRequest) (*ecstypes.DeleteAccountSettingResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	principal := sc.RootPrincipal()
	if p := derefStr(in.PrincipalArn); p != "" {
		principal = p
	}
	if _, ok := settingDefaults[in.Name]; !ok {
		return nil, invalidParam("Unknown account setting name %q.", in.Name)
	}
	var out ecstypes.Setting
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key := settingKey(sc, principal, in.Name)
		s, ok, err := store.Get[ecstypes.Setting](tx, key)
		if err != nil {
			return err
		}
		if !ok {
			s = ecstypes.Setting{Name: in.Name, Value: new(settingDefaults[in.Name]), PrincipalArn: new(principal), Type: ecstypes.SettingTypeUser}
		}
		out = s
		return tx.Delete(key)
	})
	if err != nil {
		return nil, internal("delete account setting", err)
	}
	return &ecstypes.DeleteAccountSettingResponse{Setting: &out}, nil
}

// ListAccountSettings lists a principal's settings: only those set for it,
// or with effectiveSettings every setting's value in force.
func (a *API) ListAccountSettings(ctx context.Context, in *ecstypes.ListAccountSettingsRequest) (*ecstypes.ListAccountSettingsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	size := 10
	if in.MaxResults != 0 {
		if in.MaxResults < 1 || in.MaxResults > 10 {
			return nil, invalidParam("maxResults must be between 1 and 10, got %d.", in.MaxResults)
		}
		size = int(in.MaxResults)
	}
	c, err := awsapi.ParseCursor("account-settings", in.NextToken, badToken())
	if err != nil {
		return nil, err
	}
	principal := sc.RootPrincipal()
	if p := derefStr(in.PrincipalArn); p != "" {
		principal = p
	}
	names := sortedSettingNames()
	if in.Name != "" {
		if _, ok := settingDefaults[in.Name]; !ok {
			return nil, invalidParam("Unknown account setting name %q.", in.Name)
		}
		names = []ecstypes.SettingName{in.Name}
	}
	var all []ecstypes.Setting
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		for _, n := range names {
			s, ok, err := store.Get[ecstypes.Setting](tx, settingKey(sc, principal, n))
			if err != nil {
				return err
			}
			if !ok && in.EffectiveSettings {
				v, err := effectiveSetting(tx, sc, principal, n)
				if err != nil {
					return err
				}
				typ := ecstypes.SettingTypeUser
				if v == settingDefaults[n] {
					typ = ecstypes.SettingTypeAwsManaged
				}
				s, ok = ecstypes.Setting{Name: n, Value: new(v), PrincipalArn: new(principal), Type: typ}, true
			}
			if ok && (in.Value == nil || derefStr(s.Value) == *in.Value) {
				all = append(all, s)
			}
		}
		return nil
	})
	if err != nil {
		return nil, internal("list account settings", err)
	}
	// Settings are computed per name (stored, else in force), so the page
	// is cut from the list of them.
	items, next := awsapi.SlicePage(all, func(s ecstypes.Setting) string { return string(s.Name) }, c, size)
	return &ecstypes.ListAccountSettingsResponse{Settings: awsapi.OrEmpty(items), NextToken: next}, nil
}

func sortedSettingNames() []ecstypes.SettingName {
	names := make([]ecstypes.SettingName, 0, len(settingDefaults))
	for n := range settingDefaults {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

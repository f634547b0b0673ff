package ssm

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/api/ssmtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// dataTypes are the DataType values Parameter Store accepts.
var dataTypes = []string{"text", "aws:ec2:image", "aws:ssm:integration"}

// PutParameter creates a parameter, or with Overwrite adds a version to
// one. Attributes the request leaves out keep their previous values.
func (a *API) PutParameter(ctx context.Context, in *ssmtypes.PutParameterRequest) (*ssmtypes.PutParameterResult, error) {
	sc := awsapi.ScopeOf(ctx)
	name := awsapi.Deref(in.Name)
	if err := checkName(name); err != nil {
		return nil, err
	}
	overwrite := awsapi.Deref(in.Overwrite)
	switch {
	case in.Policies != nil:
		return nil, errValidation("wharf does not apply parameter policies: leave Policies out.")
	case overwrite && len(in.Tags) > 0:
		return nil, errValidation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	case in.DataType != nil && !slices.Contains(dataTypes, *in.DataType):
		return nil, errValidation("The following data type is not supported: %s (use one of %s).", *in.DataType, strings.Join(dataTypes, ", "))
	}
	if err := checkTags(in.Tags, 0); err != nil {
		return nil, err
	}
	val := awsapi.Deref(in.Value)
	now, user := a.Now().UTC(), awsapi.CallerARN(ctx)
	out := &ssmtypes.PutParameterResult{}
	key := paramKey(sc, name)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, exists, err := store.Get[paramRecord](tx, key)
		if err != nil {
			return err
		}
		if exists && !overwrite {
			return awsapi.Errorf(codeAlreadyExists, "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		var prev paramVersion
		if exists {
			prev = *rec.current()
		} else {
			rec = paramRecord{Name: name, Tags: in.Tags}
		}
		v, err := nextVersion(in, prev, exists, val)
		if err != nil {
			return err
		}
		if len(rec.Versions) == maxVersions {
			if old := rec.Versions[0]; len(old.Labels) > 0 {
				return awsapi.Errorf("ParameterMaxVersionLimitExceeded", "%s has %d versions and the oldest (%d) has labels %v: move or remove them before adding a version.", name, maxVersions, old.Version, old.Labels)
			}
			rec.Versions = rec.Versions[1:]
		}
		v.Version, v.Modified, v.User = prev.Version+1, now, user
		if v.Sealed, err = a.kr.Seal([]byte(val), aad(sc, name, v.Version)); err != nil {
			return err
		}
		rec.Versions = append(rec.Versions, v)
		out.Version, out.Tier = v.Version, v.Tier
		return store.Put(tx, key, rec)
	})
	if err != nil {
		return nil, wrap("PutParameter", err)
	}
	return out, nil
}

// nextVersion is the new version's attributes (all but the value and the
// version number): the request's, or the previous version's where the
// request is silent.
func nextVersion(in *ssmtypes.PutParameterRequest, prev paramVersion, exists bool, val string) (paramVersion, error) {
	v := paramVersion{Type: in.Type, Description: prev.Description, AllowedPattern: prev.AllowedPattern, DataType: prev.DataType, Tier: prev.Tier}
	if v.Type == "" {
		if !exists {
			return v, errValidation("A parameter type is required when you create a parameter: set Type to String, StringList or SecureString.")
		}
		v.Type = prev.Type
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.AllowedPattern != nil {
		v.AllowedPattern = *in.AllowedPattern
	}
	if in.DataType != nil || v.DataType == "" {
		v.DataType = awsapi.Deref(in.DataType)
		if v.DataType == "" {
			v.DataType = "text"
		}
	}
	switch {
	case v.Type != ssmtypes.ParameterTypeSecureString && in.KeyId != nil:
		return v, errValidation("KeyId is only for SecureString parameters, and %s is a %s.", awsapi.Deref(in.Name), v.Type)
	case v.Type != ssmtypes.ParameterTypeSecureString:
	case in.KeyId != nil:
		v.KeyID = *in.KeyId
	case prev.KeyID != "":
		v.KeyID = prev.KeyID
	default:
		v.KeyID = defaultKeyID
	}
	switch tier := in.Tier; {
	case tier == ssmtypes.ParameterTierIntelligentTiering && len(val) > maxStandardValue:
		v.Tier = ssmtypes.ParameterTierAdvanced
	case tier == ssmtypes.ParameterTierIntelligentTiering:
		if v.Tier == "" {
			v.Tier = ssmtypes.ParameterTierStandard
		}
	case tier == ssmtypes.ParameterTierStandard && prev.Tier == ssmtypes.ParameterTierAdvanced:
		return v, errValidation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
	case tier != "":
		v.Tier = tier
	case v.Tier == "":
		v.Tier = ssmtypes.ParameterTierStandard
	}
	if v.Tier == ssmtypes.ParameterTierStandard && len(val) > maxStandardValue {
		return v, errValidation("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", maxStandardValue)
	}
	if len(val) > maxAdvancedValue {
		return v, errValidation("Advanced tier parameters support a maximum parameter value of %d characters.", maxAdvancedValue)
	}
	if v.AllowedPattern != "" {
		// Parameter Store matches the whole value, as Java's matches() does.
		re, err := regexp.Compile(`^(?:` + v.AllowedPattern + `)$`)
		if err != nil {
			return v, awsapi.Errorf(codeInvalidAllowedPattern, "The allowed pattern %s is not a valid regular expression.", v.AllowedPattern)
		}
		if !re.MatchString(val) {
			return v, awsapi.Errorf(codePatternMismatch, "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
		}
	}
	return v, nil
}

// GetParameter answers one parameter (a name or ARN, optionally with
// ":VERSION" or ":LABEL").
func (a *API) GetParameter(ctx context.Context, in *ssmtypes.GetParameterRequest) (*ssmtypes.GetParameterResult, error) {
	sc := awsapi.ScopeOf(ctx)
	var p ssmtypes.Parameter
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		rec, i, r, found, err := lookup(tx, sc, awsapi.Deref(in.Name))
		if err != nil {
			return err
		}
		if !found {
			return notFound(awsapi.Deref(in.Name))
		}
		p, err = a.parameter(sc, &rec, i, awsapi.Deref(in.WithDecryption), r.selector)
		return err
	})
	if err != nil {
		return nil, wrap("GetParameter", err)
	}
	return &ssmtypes.GetParameterResult{Parameter: &p}, nil
}

// GetParameters answers up to ten parameters; the names that name none
// (or a version or label that does not exist) come back in
// InvalidParameters, as given.
func (a *API) GetParameters(ctx context.Context, in *ssmtypes.GetParametersRequest) (*ssmtypes.GetParametersResult, error) {
	sc := awsapi.ScopeOf(ctx)
	out := &ssmtypes.GetParametersResult{Parameters: []ssmtypes.Parameter{}, InvalidParameters: []string{}}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		seen := map[string]bool{}
		for _, n := range in.Names {
			if seen[n] {
				continue
			}
			seen[n] = true
			rec, i, r, found, err := lookup(tx, sc, n)
			if _, isAPI := awsapi.AsError(err); !found || isAPI {
				out.InvalidParameters = append(out.InvalidParameters, n)
				continue
			}
			if err != nil {
				return err
			}
			p, err := a.parameter(sc, &rec, i, awsapi.Deref(in.WithDecryption), r.selector)
			if err != nil {
				return err
			}
			out.Parameters = append(out.Parameters, p)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("GetParameters", err)
	}
	return out, nil
}

// DeleteParameter deletes a parameter and its history.
func (a *API) DeleteParameter(ctx context.Context, in *ssmtypes.DeleteParameterRequest) (*struct{}, error) {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		deleted, err := deleteParam(tx, sc, awsapi.Deref(in.Name))
		if err == nil && !deleted {
			err = notFound(awsapi.Deref(in.Name))
		}
		return err
	})
	return nil, wrap("DeleteParameter", err)
}

// DeleteParameters deletes up to ten parameters and says which did not exist.
func (a *API) DeleteParameters(ctx context.Context, in *ssmtypes.DeleteParametersRequest) (*ssmtypes.DeleteParametersResult, error) {
	sc := awsapi.ScopeOf(ctx)
	out := &ssmtypes.DeleteParametersResult{DeletedParameters: []string{}, InvalidParameters: []string{}}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		out.DeletedParameters, out.InvalidParameters = out.DeletedParameters[:0], out.InvalidParameters[:0]
		for _, n := range in.Names {
			deleted, err := deleteParam(tx, sc, n)
			if err != nil {
				return err
			}
			if deleted {
				out.DeletedParameters = append(out.DeletedParameters, n)
			} else {
				out.InvalidParameters = append(out.InvalidParameters, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("DeleteParameters", err)
	}
	return out, nil
}

func deleteParam(tx store.Tx, sc model.Scope, name string) (bool, error) {
	r, ok := parseRef(sc, name)
	if !ok || r.selector != "" {
		return false, nil
	}
	for _, n := range r.names {
		key := paramKey(sc, n)
		if _, found, err := tx.Get(key); err != nil || found {
			return found, errOr(err, tx.Delete(key))
		}
	}
	return false, nil
}

func errOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// GetParameterHistory answers every version of a parameter, oldest first.
func (a *API) GetParameterHistory(ctx context.Context, in *ssmtypes.GetParameterHistoryRequest) (*ssmtypes.GetParameterHistoryResult, error) {
	sc := awsapi.ScopeOf(ctx)
	c, err := pageCursor("GetParameterHistory", in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ssmtypes.GetParameterHistoryResult{Parameters: []ssmtypes.ParameterHistory{}}
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		rec, _, r, found, err := lookup(tx, sc, awsapi.Deref(in.Name))
		if err == nil && (!found || r.selector != "") {
			err = notFound(awsapi.Deref(in.Name))
		}
		if err != nil {
			return err
		}
		// The versions of one record, oldest first.
		var page []paramVersion
		page, out.NextToken = awsapi.SlicePage(rec.Versions, func(v paramVersion) string { return encodeVersion(v.Version) },
			c, awsapi.PageLimit(in.MaxResults, 50))
		for i := range page {
			v := &page[i]
			val, err := value(a.kr, sc, rec.Name, v, awsapi.Deref(in.WithDecryption))
			if err != nil {
				return err
			}
			h := ssmtypes.ParameterHistory{Name: new(rec.Name), Type: v.Type, LastModifiedDate: shape.TimeOf(v.Modified),
				LastModifiedUser: new(v.User), Value: new(val), Version: v.Version, Labels: awsapi.OrEmpty(slices.Clone(v.Labels)),
				Tier: v.Tier, Policies: []ssmtypes.ParameterInlinePolicy{}, DataType: new(v.DataType)}
			if v.KeyID != "" {
				h.KeyId = new(v.KeyID)
			}
			if v.Description != "" {
				h.Description = new(v.Description)
			}
			if v.AllowedPattern != "" {
				h.AllowedPattern = new(v.AllowedPattern)
			}
			out.Parameters = append(out.Parameters, h)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("GetParameterHistory", err)
	}
	return out, nil
}

// labelChars are the characters a label may use.
var labelChars = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{1,100}$`)

func validLabel(l string) bool {
	lower := strings.ToLower(l)
	return labelChars.MatchString(l) && !strings.HasPrefix(lower, "aws") && !strings.HasPrefix(lower, "ssm") && (l[0] < '0' || l[0] > '9')
}

// LabelParameterVersion attaches labels to a version (the current one by
// default), moving each from the version that had it. Labels that break
// the naming rules come back in InvalidLabels.
func (a *API) LabelParameterVersion(ctx context.Context, in *ssmtypes.LabelParameterVersionRequest) (*ssmtypes.LabelParameterVersionResult, error) {
	sc := awsapi.ScopeOf(ctx)
	out := &ssmtypes.LabelParameterVersionResult{InvalidLabels: []string{}}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		rec, i, r, found, err := lookup(tx, sc, awsapi.Deref(in.Name))
		if err == nil && (!found || r.selector != "") {
			err = notFound(awsapi.Deref(in.Name))
		}
		if err != nil {
			return err
		}
		if in.ParameterVersion != nil {
			if i, err = pick(&rec, encodeVersion(*in.ParameterVersion)); err != nil {
				return err
			}
		}
		out.InvalidLabels = out.InvalidLabels[:0]
		for _, l := range in.Labels {
			if !validLabel(l) {
				out.InvalidLabels = append(out.InvalidLabels, l)
				continue
			}
			for j := range rec.Versions {
				rec.Versions[j].Labels = slices.DeleteFunc(rec.Versions[j].Labels, func(x string) bool { return x == l })
			}
			rec.Versions[i].Labels = append(rec.Versions[i].Labels, l)
		}
		if n := len(rec.Versions[i].Labels); n > maxLabels {
			return awsapi.Errorf(codeLabelLimit, "A parameter version can have at most %d labels; this request would give version %d %d.", maxLabels, rec.Versions[i].Version, n)
		}
		out.ParameterVersion = rec.Versions[i].Version
		return store.Put(tx, paramKey(sc, rec.Name), rec)
	})
	if err != nil {
		return nil, wrap("LabelParameterVersion", err)
	}
	return out, nil
}

package ssm

import (
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/api/ssmtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// paramRecord is one parameter as stored at ssm/ACCOUNT/REGION/params/NAME,
// with its history: Versions runs oldest first and the last is current.
type paramRecord struct {
	Name     string         `json:"name"`
	Tags     []ssmtypes.Tag `json:"tags,omitempty"`
	Versions []paramVersion `json:"versions"`
}

// paramVersion is one version. The value is sealed with the keyring for
// this parameter's name and this version, whatever its type.
type paramVersion struct {
	Version        int64                  `json:"version"`
	Type           ssmtypes.ParameterType `json:"type"`
	Sealed         string                 `json:"sealed"`
	Description    string                 `json:"description,omitempty"`
	KeyID          string                 `json:"keyId,omitempty"`
	AllowedPattern string                 `json:"allowedPattern,omitempty"`
	DataType       string                 `json:"dataType"`
	Tier           ssmtypes.ParameterTier `json:"tier"`
	Labels         []string               `json:"labels,omitempty"`
	Modified       time.Time              `json:"modified"`
	User           string                 `json:"user"`
}

// Limits Parameter Store documents.
const (
	maxVersions      = 100
	maxLevels        = 15
	maxStandardValue = 4096
	maxAdvancedValue = 8192
	maxLabels        = 10
	maxTags          = 50
	defaultKeyID     = "alias/aws/ssm"
)

func paramsPrefix(sc model.Scope) string {
	return "ssm/" + sc.Account + "/" + sc.Region + "/params/"
}

func paramKey(sc model.Scope, name string) string { return paramsPrefix(sc) + name }

// paramARN is arn:aws:ssm:REGION:ACCOUNT:parameter/NAME; a hierarchical
// name's leading slash is not repeated.
func paramARN(sc model.Scope, name string) string {
	return "arn:aws:ssm:" + sc.Region + ":" + sc.Account + ":parameter/" + strings.TrimPrefix(name, "/")
}

func (r *paramRecord) current() *paramVersion { return &r.Versions[len(r.Versions)-1] }

// aad binds a sealed value to its parameter and version.
func aad(sc model.Scope, name string, version int64) []byte {
	return []byte("ssm\x00" + sc.Account + "\x00" + sc.Region + "\x00" + name + "\x00" + strconv.FormatInt(version, 10))
}

// nameChars are the characters a parameter name may use.
var nameChars = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

const nameRules = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`

// checkName applies Parameter Store's naming rules to a new parameter.
func checkName(name string) error {
	lower := strings.ToLower(strings.TrimPrefix(name, "/"))
	if !nameChars.MatchString(name) || strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		return errValidation("%s", nameRules)
	}
	if strings.Contains(name, "/") {
		if !strings.HasPrefix(name, "/") {
			return errValidation("Parameter name must be a fully qualified name: a name with a path must begin with a forward slash (/), got %q.", name)
		}
		if strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
			return errValidation("%s", nameRules)
		}
		if levels := strings.Count(name, "/"); levels > maxLevels {
			return awsapi.Errorf(codeHierarchyLevel, "Parameter name %s has %d levels of hierarchy; a name can have at most %d.", name, levels, maxLevels)
		}
	}
	return nil
}

// ref is a parameter reference as GetParameter takes it: a name or an
// ARN, optionally followed by ":VERSION" or ":LABEL".
type ref struct {
	names    []string // candidate names, first match wins
	selector string   // "", a version number or a label
}

// parseRef reads a reference in the caller's account and region; ok is
// false for an ARN of another service, account or region.
func parseRef(sc model.Scope, s string) (r ref, ok bool) {
	if rest, isARN := strings.CutPrefix(s, "arn:"); isARN {
		parts := strings.SplitN(rest, ":", 5)
		if len(parts) != 5 || parts[1] != "ssm" || parts[2] != sc.Region || parts[3] != sc.Account {
			return r, false
		}
		res, found := strings.CutPrefix(parts[4], "parameter/")
		if !found || res == "" {
			return r, false
		}
		res, r.selector, _ = strings.Cut(res, ":")
		if strings.Contains(res, "/") {
			r.names = []string{"/" + res}
		} else {
			// parameter/foo names "foo", or "/foo" (whose ARN drops the slash).
			r.names = []string{res, "/" + res}
		}
		return r, true
	}
	name, sel, _ := strings.Cut(s, ":")
	r.names, r.selector = []string{name}, sel
	return r, name != ""
}

// lookup finds the record and version a reference names, and the parsed
// reference. found is false when no parameter has the name; a selector
// naming no version is an error (ParameterVersionNotFound).
func lookup(tx store.ReadTx, sc model.Scope, s string) (rec paramRecord, v int, r ref, found bool, err error) {
	r, ok := parseRef(sc, s)
	if !ok {
		return rec, 0, r, false, nil
	}
	for _, name := range r.names {
		rec, found, err = store.Get[paramRecord](tx, paramKey(sc, name))
		if err != nil || found {
			break
		}
	}
	if err != nil || !found {
		return rec, 0, r, false, err
	}
	v, err = pick(&rec, r.selector)
	return rec, v, r, true, err
}

// pick finds the version a selector names: the current one for "".
func pick(rec *paramRecord, sel string) (int, error) {
	if sel == "" {
		return len(rec.Versions) - 1, nil
	}
	if n, err := strconv.ParseInt(sel, 10, 64); err == nil {
		if i := slices.IndexFunc(rec.Versions, func(v paramVersion) bool { return v.Version == n }); i >= 0 {
			return i, nil
		}
		return 0, awsapi.Errorf(codeVersionNotFound, "Systems Manager could not find version %d of %s. Verify the version and try again.", n, rec.Name)
	}
	if i := slices.IndexFunc(rec.Versions, func(v paramVersion) bool { return slices.Contains(v.Labels, sel) }); i >= 0 {
		return i, nil
	}
	return 0, awsapi.Errorf(codeVersionNotFound, "Systems Manager could not find the label %s of %s. Verify the label and try again.", sel, rec.Name)
}

// value answers a version's value: in clear for String and StringList,
// and for SecureString only when decrypt; otherwise the ciphertext.
func value(kr *keyring.Keyring, sc model.Scope, name string, v *paramVersion, decrypt bool) (string, error) {
	if v.Type == ssmtypes.ParameterTypeSecureString && !decrypt {
		return base64.StdEncoding.EncodeToString([]byte(v.Sealed)), nil
	}
	plain, err := kr.Open(v.Sealed, aad(sc, name, v.Version))
	if errors.Is(err, keyring.ErrOpen) {
		// KMS's refusal as SSM passes it on, not a 500: the key that
		// sealed the value is gone, or the value was altered.
		return "", awsapi.Errorf("InvalidKeyId", "The ciphertext of parameter %s (version %d) refers to a key that is not in wharf's keyring, so it cannot be decrypted.", name, v.Version)
	}
	return string(plain), err
}

// parameter is the Parameter shape of one version.
func (a *API) parameter(sc model.Scope, rec *paramRecord, i int, decrypt bool, selector string) (ssmtypes.Parameter, error) {
	v := &rec.Versions[i]
	val, err := value(a.kr, sc, rec.Name, v, decrypt)
	if err != nil {
		return ssmtypes.Parameter{}, err
	}
	p := ssmtypes.Parameter{
		Name: new(rec.Name), Type: v.Type, Value: new(val), Version: v.Version,
		LastModifiedDate: shape.TimeOf(v.Modified), ARN: new(paramARN(sc, rec.Name)), DataType: new(v.DataType),
	}
	if selector != "" {
		p.Selector = new(":" + selector)
	}
	return p, nil
}

// metadata is the ParameterMetadata shape of the current version: never a
// value.
func metadata(sc model.Scope, rec *paramRecord) ssmtypes.ParameterMetadata {
	v := rec.current()
	m := ssmtypes.ParameterMetadata{
		Name: new(rec.Name), ARN: new(paramARN(sc, rec.Name)), Type: v.Type, Version: v.Version,
		LastModifiedDate: shape.TimeOf(v.Modified), LastModifiedUser: new(v.User), Tier: v.Tier,
		Policies: []ssmtypes.ParameterInlinePolicy{}, DataType: new(v.DataType),
	}
	if v.KeyID != "" {
		m.KeyId = new(v.KeyID)
	}
	if v.Description != "" {
		m.Description = new(v.Description)
	}
	if v.AllowedPattern != "" {
		m.AllowedPattern = new(v.AllowedPattern)
	}
	return m
}

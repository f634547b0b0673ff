package ssm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/ssmtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// GetParametersByPath answers the parameters under a path: its direct
// children, or with Recursive the whole hierarchy below it, by name, a
// page at a time.
func (a *API) GetParametersByPath(ctx context.Context, in *ssmtypes.GetParametersByPathRequest) (*ssmtypes.GetParametersByPathResult, error) {
	sc := awsapi.ScopeOf(ctx)
	path := awsapi.Deref(in.Path)
	if !strings.HasPrefix(path, "/") {
		return nil, errValidation(`The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". Got %q.`, path)
	}
	if strings.Count(path, "/") > maxLevels {
		return nil, awsapi.Errorf(codeHierarchyLevel, "The path %s has more than %d levels of hierarchy.", path, maxLevels)
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	filters, err := compileFilters(in.ParameterFilters, []string{"Type", "KeyId", "Label"})
	if err != nil {
		return nil, err
	}
	c, err := pageCursor("GetParametersByPath", in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ssmtypes.GetParametersByPathResult{Parameters: []ssmtypes.Parameter{}}
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		// Keyed by name: the store's order is the answer's, and the path
		// narrows the keys read.
		recs, next, err := awsapi.StorePage(tx, paramsPrefix(sc), path, c, awsapi.PageLimit(in.MaxResults, 10), func(rec *paramRecord) bool {
			return (awsapi.Deref(in.Recursive) || !strings.Contains(rec.Name[len(path):], "/")) && filters.match(rec)
		})
		if err != nil {
			return err
		}
		for i := range recs {
			rec := &recs[i]
			p, err := a.parameter(sc, rec, len(rec.Versions)-1, awsapi.Deref(in.WithDecryption), "")
			if err != nil {
				return err
			}
			out.Parameters = append(out.Parameters, p)
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, wrap("GetParametersByPath", err)
	}
	return out, nil
}

// DescribeParameters answers the metadata of the parameters that pass the
// filters (never their values), by name, a page at a time.
func (a *API) DescribeParameters(ctx context.Context, in *ssmtypes.DescribeParametersRequest) (*ssmtypes.DescribeParametersResult, error) {
	sc := awsapi.ScopeOf(ctx)
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, errValidation("You can use either Filters or ParameterFilters in a single request, not both.")
	}
	pf := in.ParameterFilters
	for _, f := range in.Filters {
		// The legacy filters: Name matches prefixes, Type and KeyId whole values.
		opt := "Equals"
		if f.Key == ssmtypes.ParametersFilterKeyName {
			opt = "BeginsWith"
		}
		pf = append(pf, ssmtypes.ParameterStringFilter{Key: new(string(f.Key)), Option: new(opt), Values: f.Values})
	}
	filters, err := compileFilters(pf, []string{"Name", "Type", "KeyId", "Path", "Tier", "DataType", "Label", "tag:"})
	if err != nil {
		return nil, err
	}
	c, err := pageCursor("DescribeParameters", in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ssmtypes.DescribeParametersResult{Parameters: []ssmtypes.ParameterMetadata{}}
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		// Keyed by name: the store's order is the answer's.
		recs, next, err := awsapi.StorePage(tx, paramsPrefix(sc), "", c, awsapi.PageLimit(in.MaxResults, 50), filters.match)
		for i := range recs {
			out.Parameters = append(out.Parameters, metadata(sc, &recs[i]))
		}
		out.NextToken = next
		return err
	})
	if err != nil {
		return nil, wrap("DescribeParameters", err)
	}
	return out, nil
}

// filter is one compiled ParameterStringFilter.
type filter struct {
	key, option string
	values      []string
}

type filterSet []filter

// compileFilters checks filters against the keys an operation allows
// ("tag:" allows every tag:KEY) and the options each key takes.
func compileFilters(in []ssmtypes.ParameterStringFilter, allowed []string) (filterSet, error) {
	var out filterSet
	for _, f := range in {
		key := awsapi.Deref(f.Key)
		base := key
		if strings.HasPrefix(key, "tag:") {
			base = "tag:"
		}
		if !slices.Contains(allowed, base) {
			return nil, awsapi.Errorf(codeInvalidFilterKey, "The filter key %s is not valid here; valid keys are %s.", key, strings.Join(allowed, ", "))
		}
		opt := awsapi.Deref(f.Option)
		options := map[string][]string{
			"Name": {"Equals", "BeginsWith", "Contains"}, "KeyId": {"Equals", "BeginsWith"}, "Path": {"Recursive", "OneLevel"},
		}[base]
		if options == nil {
			options = []string{"Equals"}
		}
		if opt == "" {
			opt = options[0]
			if base == "Path" {
				opt = "OneLevel"
			}
		}
		if !slices.Contains(options, opt) {
			return nil, awsapi.Errorf(codeInvalidFilterOption, "The filter option %s is not valid for the key %s; valid options are %s.", opt, key, strings.Join(options, ", "))
		}
		if len(f.Values) == 0 && base != "tag:" {
			return nil, awsapi.Errorf(codeInvalidFilterValue, "The filter %s needs at least one value.", key)
		}
		out = append(out, filter{key: key, option: opt, values: f.Values})
	}
	return out, nil
}

// match reports whether a parameter passes every filter (a filter's values
// OR together).
func (fs filterSet) match(rec *paramRecord) bool {
	v := rec.current()
	for _, f := range fs {
		var fields []string
		switch {
		case f.key == "Name":
			fields = []string{rec.Name}
		case f.key == "Type":
			fields = []string{string(v.Type)}
		case f.key == "KeyId":
			fields = []string{v.KeyID}
		case f.key == "Tier":
			fields = []string{string(v.Tier)}
		case f.key == "DataType":
			fields = []string{v.DataType}
		case f.key == "Label":
			for _, pv := range rec.Versions {
				fields = append(fields, pv.Labels...)
			}
		case f.key == "Path":
			if !slices.ContainsFunc(f.values, func(p string) bool { return underPath(rec.Name, p, f.option == "Recursive") }) {
				return false
			}
			continue
		case strings.HasPrefix(f.key, "tag:"):
			k := strings.TrimPrefix(f.key, "tag:")
			i := slices.IndexFunc(rec.Tags, func(t ssmtypes.Tag) bool { return awsapi.Deref(t.Key) == k })
			if i < 0 {
				return false
			}
			if len(f.values) == 0 {
				continue
			}
			fields = []string{awsapi.Deref(rec.Tags[i].Value)}
		}
		if !slices.ContainsFunc(f.values, func(want string) bool {
			return slices.ContainsFunc(fields, func(got string) bool {
				switch f.option {
				case "BeginsWith":
					return strings.HasPrefix(got, want)
				case "Contains":
					return strings.Contains(got, want)
				}
				return got == want
			})
		}) {
			return false
		}
	}
	return true
}

// underPath reports whether name sits directly under path (or anywhere
// below it when recursive).
func underPath(name, path string, recursive bool) bool {
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	rest, ok := strings.CutPrefix(name, path)
	return ok && rest != "" && (recursive || !strings.Contains(rest, "/"))
}

// checkTags refuses more tags than a parameter may have and the keys AWS
// reserves.
func checkTags(tags []ssmtypes.Tag, have int) error {
	if err := tagRules.Count(have + len(tags)); err != nil {
		return err
	}
	return awsapi.CheckTags(tagRules, tags, tagKV)
}

// tagRules are Parameter Store's tag rules in its words (key and value
// lengths are checked by the model).
var tagRules = awsapi.TagRules{
	Max: maxTags,
	TooMany: func(int) error {
		return awsapi.Errorf(codeTooManyTags, "A parameter can have at most %d tags.", maxTags)
	},
	Reserved: func(k string) error { return errValidation("Tag key %q uses the prefix aws:, which AWS reserves.", k) },
}

func tagKey(t ssmtypes.Tag) string             { return awsapi.Deref(t.Key) }
func tagKV(t ssmtypes.Tag) (key, value string) { return awsapi.Deref(t.Key), awsapi.Deref(t.Value) }

// tagged runs fn on the tags of the parameter a tagging call names.
func (a *API) tagged(ctx context.Context, op string, typ ssmtypes.ResourceTypeForTagging, id string, write bool, fn func(rec *paramRecord) error) error {
	if typ != ssmtypes.ResourceTypeForTaggingParameter {
		return awsapi.Errorf(codeInvalidResourceType, "wharf keeps tags for parameters only: ResourceType must be Parameter, got %q.", typ)
	}
	sc := awsapi.ScopeOf(ctx)
	body := func(tx store.ReadTx) (paramRecord, error) {
		rec, _, r, found, err := lookup(tx, sc, id)
		if err == nil && (!found || r.selector != "") {
			err = awsapi.Errorf(codeInvalidResourceID, "The resource ID %s is not valid: no parameter has that name.", id)
		}
		if err == nil {
			err = fn(&rec)
		}
		return rec, err
	}
	var err error
	if write {
		_, err = a.DB.Update(ctx, func(tx store.Tx) error {
			rec, err := body(tx)
			if err != nil {
				return err
			}
			return store.Put(tx, paramKey(sc, rec.Name), rec)
		})
	} else {
		err = a.DB.View(ctx, func(tx store.ReadTx) error { _, err := body(tx); return err })
	}
	return wrap(op, err)
}

// AddTagsToResource tags a parameter, replacing the values of keys it has.
func (a *API) AddTagsToResource(ctx context.Context, in *ssmtypes.AddTagsToResourceRequest) (*struct{}, error) {
	return nil, a.tagged(ctx, "AddTagsToResource", in.ResourceType, awsapi.Deref(in.ResourceId), true, func(rec *paramRecord) error {
		for _, t := range in.Tags {
			if i := slices.IndexFunc(rec.Tags, func(c ssmtypes.Tag) bool { return awsapi.Deref(c.Key) == awsapi.Deref(t.Key) }); i >= 0 {
				rec.Tags[i] = t
			} else {
				if err := checkTags([]ssmtypes.Tag{t}, len(rec.Tags)); err != nil {
					return err
				}
				rec.Tags = append(rec.Tags, t)
			}
		}
		return nil
	})
}

// RemoveTagsFromResource removes tags from a parameter by key.
func (a *API) RemoveTagsFromResource(ctx context.Context, in *ssmtypes.RemoveTagsFromResourceRequest) (*struct{}, error) {
	return nil, a.tagged(ctx, "RemoveTagsFromResource", in.ResourceType, awsapi.Deref(in.ResourceId), true, func(rec *paramRecord) error {
		rec.Tags = awsapi.RemoveTags(rec.Tags, in.TagKeys, tagKey)
		return nil
	})
}

// ListTagsForResource answers a parameter's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *ssmtypes.ListTagsForResourceRequest) (*ssmtypes.ListTagsForResourceResult, error) {
	out := &ssmtypes.ListTagsForResourceResult{TagList: []ssmtypes.Tag{}}
	err := a.tagged(ctx, "ListTagsForResource", in.ResourceType, awsapi.Deref(in.ResourceId), false, func(rec *paramRecord) error {
		out.TagList = append(out.TagList, rec.Tags...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Paging tokens are opaque: the name (or zero-padded version) of the last
// item returned, tied to the operation that made it.

func pageCursor(op string, tok *string) (awsapi.Cursor, error) {
	return awsapi.ParseCursor(op, tok, awsapi.Errorf(codeInvalidNextToken,
		"The nextToken is not valid: pass the NextToken of the previous %s response unchanged.", op))
}

// encodeVersion sorts versions as strings in numeric order.
func encodeVersion(v int64) string { return fmt.Sprintf("%020d", v) }

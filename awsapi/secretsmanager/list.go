package secretsmanager

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	smt "github.com/wharfhq/wharf/api/secretsmanagertypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// ListSecrets lists the secrets of the region, filtered (filters AND
// together, the values of one filter OR, a value starting with "!" negates)
// and sorted by creation date, a page at a time. Values are never listed.
func (a *API) ListSecrets(ctx context.Context, in *smt.ListSecretsRequest) (*smt.ListSecretsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	size := awsapi.PageLimit(in.MaxResults, 100)
	c, err := pageCursor("ListSecrets", in.NextToken)
	if err != nil {
		return nil, err
	}
	after := c.After
	for _, f := range in.Filters {
		if f.Key == "" || len(f.Values) == 0 {
			return nil, invalidParam("Each filter needs a Key and at least one value.")
		}
	}
	now := a.Now().UTC()
	var recs []secretRecord
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		recs, err = store.List[secretRecord](tx, secretsPrefix(sc))
		return err
	})
	if err != nil {
		return nil, internal("ListSecrets", err)
	}
	recs = slices.DeleteFunc(recs, func(r secretRecord) bool {
		if r.gone(now) || r.scheduled() && !awsapi.Deref(in.IncludePlannedDeletion) {
			return true
		}
		return !matchesAll(&r, in.Filters)
	})
	desc := in.SortOrder == smt.SortOrderTypeDesc
	slices.SortFunc(recs, func(x, y secretRecord) int {
		c := cmp.Compare(sortKey(&x), sortKey(&y))
		if desc {
			return -c
		}
		return c
	})
	start := 0
	if after != "" {
		start = slices.IndexFunc(recs, func(r secretRecord) bool {
			k := sortKey(&r)
			return desc && k < after || !desc && k > after
		})
		if start < 0 {
			start = len(recs)
		}
	}
	end := min(start+size, len(recs))
	out := &smt.ListSecretsResponse{SecretList: []smt.SecretListEntry{}}
	for i := start; i < end; i++ {
		out.SecretList = append(out.SecretList, listEntry(&recs[i]))
	}
	if end < len(recs) {
		out.NextToken = c.Next(sortKey(&recs[end-1]))
	}
	return out, nil
}

// sortKey orders secrets by creation time, then name.
func sortKey(r *secretRecord) string {
	return strconv.FormatInt(r.Created.UnixNano(), 10) + "\x00" + r.Name
}

func listEntry(r *secretRecord) smt.SecretListEntry {
	e := smt.SecretListEntry{
		ARN: new(r.ARN), Name: new(r.Name), Tags: r.Tags, SecretVersionsToStages: r.stagesByVersion(),
		CreatedDate: shape.TimeOf(r.Created), LastChangedDate: shape.TimeOf(r.Changed),
		LastAccessedDate: shape.TimeOf(r.Accessed), DeletedDate: shape.TimeOf(r.DeletedAt),
	}
	if r.Description != "" {
		e.Description = new(r.Description)
	}
	if r.KmsKeyID != "" {
		e.KmsKeyId = new(r.KmsKeyID)
	}
	return e
}

func matchesAll(r *secretRecord, filters []smt.Filter) bool {
	for _, f := range filters {
		if !matches(r, f) {
			return false
		}
	}
	return true
}

// matches applies one filter: prefix matches as Secrets Manager documents
// them (description case-insensitively, the rest case-sensitively); the
// values OR together, and a "!" value excludes what it matches.
func matches(r *secretRecord, f smt.Filter) bool {
	var fields []string
	fold := false
	switch f.Key {
	case smt.FilterNameStringTypeName:
		fields = []string{r.Name}
	case smt.FilterNameStringTypeDescription:
		fields, fold = []string{r.Description}, true
	case smt.FilterNameStringTypeTagKey:
		for _, t := range r.Tags {
			fields = append(fields, awsapi.Deref(t.Key))
		}
	case smt.FilterNameStringTypeTagValue:
		for _, t := range r.Tags {
			fields = append(fields, awsapi.Deref(t.Value))
		}
	case smt.FilterNameStringTypePrimaryRegion, smt.FilterNameStringTypeOwningService:
		// No secret wharf holds is replicated or owned by a service.
	case smt.FilterNameStringTypeAll:
		fields, fold = []string{r.Name, r.Description}, true
		for _, t := range r.Tags {
			fields = append(fields, awsapi.Deref(t.Key), awsapi.Deref(t.Value))
		}
	}
	matched, positive := false, false
	for _, v := range f.Values {
		neg := strings.HasPrefix(v, "!")
		v = strings.TrimPrefix(v, "!")
		hit := slices.ContainsFunc(fields, func(s string) bool {
			if fold {
				return strings.HasPrefix(strings.ToLower(s), strings.ToLower(v))
			}
			return strings.HasPrefix(s, v)
		})
		if neg && hit {
			return false
		}
		if !neg {
			positive = true
			matched = matched || hit
		}
	}
	return matched || !positive
}

// ListSecretVersionIds lists a secret's versions (those without a label
// only with IncludeDeprecated), newest first.
func (a *API) ListSecretVersionIds(ctx context.Context, in *smt.ListSecretVersionIdsRequest) (*smt.ListSecretVersionIdsResponse, error) {
	size := awsapi.PageLimit(in.MaxResults, 100)
	c, err := pageCursor("ListSecretVersionIds", in.NextToken)
	if err != nil {
		return nil, err
	}
	after := c.After
	rec, err := a.read(ctx, "ListSecretVersionIds", awsapi.Deref(in.SecretId))
	if err != nil {
		return nil, err
	}
	var vs []versionRecord
	for i := len(rec.Versions) - 1; i >= 0; i-- {
		if v := rec.Versions[i]; len(v.Stages) > 0 || awsapi.Deref(in.IncludeDeprecated) {
			vs = append(vs, v)
		}
	}
	start := 0
	if after != "" {
		start = slices.IndexFunc(vs, func(v versionRecord) bool { return v.ID == after }) + 1
	}
	end := min(start+size, len(vs))
	out := &smt.ListSecretVersionIdsResponse{ARN: new(rec.ARN), Name: new(rec.Name), Versions: []smt.SecretVersionsListEntry{}}
	for _, v := range vs[start:end] {
		out.Versions = append(out.Versions, smt.SecretVersionsListEntry{VersionId: new(v.ID), VersionStages: awsapi.OrEmpty(slices.Clone(v.Stages)),
			CreatedDate: shape.TimeOf(v.Created), LastAccessedDate: shape.TimeOf(v.Accessed)})
	}
	if end < len(vs) {
		out.NextToken = c.Next(vs[end-1].ID)
	}
	return out, nil
}

// TagResource adds tags to a secret, replacing the values of keys it has.
func (a *API) TagResource(ctx context.Context, in *smt.TagResourceRequest) (*struct{}, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	_, err := a.update(ctx, "TagResource", awsapi.Deref(in.SecretId), false, func(rec *secretRecord, now time.Time) error {
		rec.Tags = awsapi.MergeTags(rec.Tags, in.Tags, tagKey)
		if len(rec.Tags) > tagRules.Max {
			return invalidParam("A secret can have at most 50 tags; this request would make %d.", len(rec.Tags))
		}
		rec.Changed = now
		return nil
	})
	return nil, err
}

// UntagResource removes tags by key.
func (a *API) UntagResource(ctx context.Context, in *smt.UntagResourceRequest) (*struct{}, error) {
	_, err := a.update(ctx, "UntagResource", awsapi.Deref(in.SecretId), false, func(rec *secretRecord, now time.Time) error {
		rec.Tags = awsapi.RemoveTags(rec.Tags, in.TagKeys, tagKey)
		rec.Changed = now
		return nil
	})
	return nil, err
}

// Paging tokens are opaque: the sort key of the last item returned, tied
// to the operation that made it.

func pageCursor(op string, tok *string) (awsapi.Cursor, error) {
	return awsapi.ParseCursor(op, tok, awsapi.Errorf(codeInvalidNextToken,
		"The NextToken is not valid: pass the NextToken of the previous %s response unchanged.", op))
}

// Purge deletes the secrets whose recovery window has ended (reads treat
// them as gone already); the server runs it every minute (ctrl.Periodic).
// It finds them on a snapshot and deletes store.DeleteBatch a
// transaction, each checking its secrets are still gone (a secret
// restored meanwhile stays).
func (a *API) Purge(ctx context.Context) error {
	now := a.Now().UTC()
	var due []string
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		kvs, err := tx.List("secretsmanager/", "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if !strings.Contains(kv.Key, "/secrets/") {
				continue
			}
			var rec secretRecord
			if json.Unmarshal(kv.Value, &rec) == nil && rec.gone(now) {
				due = append(due, kv.Key) // a record that does not decode is left for a human
			}
		}
		return nil
	})
	n := 0
	for batch := range slices.Chunk(due, store.DeleteBatch) {
		if err != nil {
			break
		}
		_, err = a.DB.Update(ctx, func(tx store.Tx) error {
			for _, key := range batch {
				rec, ok, err := store.Get[secretRecord](tx, key)
				if err != nil || !ok || !rec.gone(now) {
					continue
				}
				if err := tx.Delete(key); err != nil {
					return err
				}
				n++
			}
			return nil
		})
	}
	if n > 0 {
		a.Log.LogAttrs(ctx, slog.LevelInfo, "secretsmanager: deleted secrets whose recovery window ended", slog.Int("count", n))
	}
	return err
}
